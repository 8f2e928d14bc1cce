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

active_lab_up start_pyftpdlib
active_through_pinholed pyftpdlib connects-at-port
