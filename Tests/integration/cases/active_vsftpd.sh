#!/usr/bin/env bash
# Active FTP (PORT / EPRT) to vsftpd through pinholed (active: true, passive: false,
# enforce: true): curl, lftp and ftplib, IPv4 and IPv6, 1 MiB with matching sha256;
# a pending PORT/EPRT shows as an active pinhole server -> client; without pinholed
# its saved table blocks the server's connections back to the client.
# Refused RETRs close the pinholes of their PORTs, so a later transfer in the
# same session still gets one.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"
# shellcheck source=../lib/active.sh
source "${LAB_LIB_DIR}/active.sh"

active_lab_up
active_through_pinholed vsftpd
