#!/usr/bin/env bash
# Active FTP (PORT / EPRT) to pyftpdlib through pinholed (active: true, passive: false,
# enforce: true): curl, lftp and ftplib, IPv4 and IPv6, 1 MiB with matching sha256;
# pyftpdlib connects back as soon as it accepts PORT/EPRT, so the active pinhole is
# seen in the log (opened, then used); without pinholed
# its saved table blocks the server's connections back to the client.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"
# shellcheck source=../lib/active.sh
source "${LAB_LIB_DIR}/active.sh"

lab_up
client_port_range "${DATA_PORT_MIN}" "${DATA_PORT_MAX}"
start_pyftpdlib
write_active_policy "${LAB_DIR}/policy.yaml" 30s
start_pinholed "${LAB_DIR}/policy.yaml"
active_pending v4 connects-at-port
active_pending v6 connects-at-port
active_downloads "pyftpdlib via pinholed"
wait_until 20 status_check pinholes_open=0 ||
    fail "pyftpdlib active via pinholed: all sessions ended, expected no open pinhole; ${CHECK_OUT}"
used="$(status_field pinholes_used)"
# 2 pending NLSTs, 7 downloads, 2 listings: one pinhole each.
[[ "${used}" -ge 11 ]] ||
    fail "pyftpdlib active via pinholed: 11 data connections were made, pinholes_used is ${used}"
active_blocked_without_pinholed "pyftpdlib active"
