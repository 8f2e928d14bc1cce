#!/usr/bin/env bash
# Active FTP (PORT / EPRT) to proftpd through pinholed (active: true, passive: false,
# enforce: true): curl, lftp and ftplib, IPv4 and IPv6, 1 MiB with matching sha256;
# proftpd connects back only for the transfer command, so a pending PORT/EPRT shows
# as an active pinhole server -> client; refused RETRs close their pinholes; without
# pinholed its saved table blocks the server's connections back to the client.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"
# shellcheck source=../lib/active.sh
source "${LAB_LIB_DIR}/active.sh"

active_lab_up start_proftpd
active_through_pinholed proftpd
