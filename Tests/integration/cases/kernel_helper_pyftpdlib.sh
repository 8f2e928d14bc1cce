#!/usr/bin/env bash
# Baseline: passive FTP to pyftpdlib through the kernel's nf_conntrack_ftp helper,
# IPv6 EPSV held pending, then used.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_up
start_pyftpdlib
kernel_helper_up

passive_downloads "pyftpdlib via the kernel ftp helper"

drive_start v6
drive_passive epsv
other=$((DRIVE_PORT == DATA_PORT_MAX ? DRIVE_PORT - 1 : DRIVE_PORT + 1))
drive connect "${other}"
[[ "${DRIVE_REPLY}" == timeout ]] ||
    fail "kernel helper: a connect from ${CLIENT6} to [${SERVER6}]:${other} (not the EPSV port ${DRIVE_PORT}) should be dropped (timeout), got: ${DRIVE_REPLY}"
drive nlst
[[ "${DRIVE_REPLY}" == ok\ * ]] ||
    fail "kernel helper: NLST over the EPSV port ${DRIVE_PORT} from ${CLIENT6} to [${SERVER6}] should work, got: ${DRIVE_REPLY}"
drive_quit
