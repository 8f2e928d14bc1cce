#!/usr/bin/env bash
# Passive FTP to proftpd through pinholed (enforce: true): curl EPSV/PASV, lftp,
# ftplib, IPv4 and IPv6, 1 MiB downloads with matching sha256, listings. proftpd
# answers PASV on an IPv6 control connection with a 227 of three numbers
# ("227 Entering Passive Mode (10,195,104)."): nothing opens for it, the refusal
# is counted, and an EPSV in the same session still works.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_up
start_proftpd
passive_through_pinholed proftpd

what="proftpd: PASV on the IPv6 control connection ${CLIENT6} -> [${SERVER6}]:21"
drive_start v6 pasv6
drive raw PASV
[[ "${DRIVE_REPLY}" =~ ^reply\ 227\ .*\([0-9]+,[0-9]+,[0-9]+\)\.?$ ]] ||
    fail "${what}: expected proftpd's 227 with three numbers, got: ${DRIVE_REPLY}"
expect_status "${what}: answered '${DRIVE_REPLY#reply }'" refused.malformed=1 pinholes_open=0
expect_set_empty "${what}: answered '${DRIVE_REPLY#reply }'" 5 6
drive_passive epsv
expect_pinhole "${what}: EPSV after the malformed 227" mode=passive family=ipv6 \
    "initiator=${CLIENT6}" "responder=${SERVER6}" "port=${DRIVE_PORT}"
drive nlst
[[ "${DRIVE_REPLY}" == ok\ * ]] ||
    fail "${what}: NLST through the EPSV pinhole on port ${DRIVE_PORT} after the malformed 227 failed: ${DRIVE_REPLY}"
drive_quit
lab_log "${what}: the malformed 227 opened nothing (refused.malformed=1); EPSV and NLST then worked"
stop_pinholed
