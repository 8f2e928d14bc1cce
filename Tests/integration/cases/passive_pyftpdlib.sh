#!/usr/bin/env bash
# Passive FTP to pyftpdlib through pinholed (enforce: true): curl EPSV/PASV, lftp,
# ftplib, IPv4 and IPv6, 1 MiB downloads with matching sha256, listings.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_up
start_pyftpdlib
write_policy "${LAB_DIR}/policy.yaml" 30s
start_pinholed "${LAB_DIR}/policy.yaml"
passive_downloads "pyftpdlib via pinholed"
# 7 downloads and 4 listings: each data connection went through its own pinhole.
wait_until 20 status_check pinholes_open=0 ||
    fail "pyftpdlib via pinholed: all sessions ended, expected no open pinhole; ${CHECK_OUT}"
used="$(status_field pinholes_used)"
[[ "${used}" -ge 11 ]] ||
    fail "pyftpdlib via pinholed: 11 data connections were made, pinholes_used is ${used}"
stop_pinholed
