#!/usr/bin/env bash
# Passive FTP to pyftpdlib through pinholed (enforce: true): curl EPSV/PASV, lftp,
# ftplib, IPv4 and IPv6, 1 MiB downloads with matching sha256, listings.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_up
start_pyftpdlib
passive_through_pinholed pyftpdlib
stop_pinholed
