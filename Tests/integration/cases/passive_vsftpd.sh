#!/usr/bin/env bash
# Passive FTP to vsftpd through pinholed (enforce: true): curl EPSV/PASV, lftp,
# ftplib, IPv4 and IPv6, 1 MiB downloads with matching sha256, listings.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_with_pinholed
passive_downloads "vsftpd via pinholed"
# 7 downloads and 4 listings: each data connection went through its own pinhole.
wait_until 20 status_check pinholes_open=0 ||
    fail "vsftpd via pinholed: all sessions ended, expected no open pinhole; ${CHECK_OUT}"
used="$(status_field pinholes_used)"
[[ "${used}" -ge 11 ]] ||
    fail "vsftpd via pinholed: 11 data connections were made, pinholes_used is ${used}"
stop_pinholed
