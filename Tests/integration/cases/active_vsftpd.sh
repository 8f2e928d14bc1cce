#!/usr/bin/env bash
# Active FTP (PORT / EPRT) to vsftpd through pinholed (active: true, passive: false,
# enforce: true): curl, lftp and ftplib, IPv4 and IPv6, 1 MiB with matching sha256;
# a pending PORT/EPRT shows as an active pinhole server -> client; without pinholed
# its saved table blocks the server's connections back to the client.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"
# shellcheck source=../lib/active.sh
source "${LAB_LIB_DIR}/active.sh"

lab_up
client_port_range "${DATA_PORT_MIN}" "${DATA_PORT_MAX}"
start_vsftpd
write_active_policy "${LAB_DIR}/policy.yaml" 30s
start_pinholed "${LAB_DIR}/policy.yaml"
active_pending v4
active_pending v6
active_downloads "vsftpd via pinholed"
wait_until 20 status_check pinholes_open=0 ||
    fail "vsftpd active via pinholed: all sessions ended, expected no open pinhole; ${CHECK_OUT}"
used="$(status_field pinholes_used)"
# 2 pending NLSTs, 7 downloads, 2 listings: one pinhole each.
[[ "${used}" -ge 11 ]] ||
    fail "vsftpd active via pinholed: 11 data connections were made, pinholes_used is ${used}"
active_blocked_without_pinholed "vsftpd active"
