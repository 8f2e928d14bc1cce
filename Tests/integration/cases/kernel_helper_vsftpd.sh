#!/usr/bin/env bash
# Baseline: passive FTP to vsftpd through the kernel's nf_conntrack_ftp helper
# (no pinholed). Proves the lab, the servers, the clients and that the firewall's
# forward chain really drops data connections nobody expected.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_up
start_vsftpd
kernel_helper_up

passive_downloads "vsftpd via the kernel ftp helper"

# A pending PASV: the helper expects exactly that port, any other one stays closed.
drive_start v4
drive_passive pasv
expects="$(in_firewall conntrack -L expect 2>/dev/null || true)"
grep -q "dport=${DRIVE_PORT}" <<<"${expects}" ||
    fail "kernel helper: after PASV from ${CLIENT4} to ${SERVER4}, expected a conntrack expectation for port ${DRIVE_PORT}, got: ${expects:-none}"
other=$((DRIVE_PORT == DATA_PORT_MAX ? DRIVE_PORT - 1 : DRIVE_PORT + 1))
drive connect "${other}"
[[ "${DRIVE_REPLY}" == timeout ]] ||
    fail "kernel helper: a connect from ${CLIENT4} to ${SERVER4}:${other} (not the PASV port ${DRIVE_PORT}) should be dropped (timeout), got: ${DRIVE_REPLY}"
drive nlst
[[ "${DRIVE_REPLY}" == ok\ * ]] ||
    fail "kernel helper: NLST over the PASV port ${DRIVE_PORT} from ${CLIENT4} to ${SERVER4} should work, got: ${DRIVE_REPLY}"
drive_quit
