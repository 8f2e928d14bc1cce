#!/usr/bin/env bash
# Passive FTP to vsftpd through pinholed (enforce: true): curl EPSV/PASV, lftp,
# ftplib, IPv4 and IPv6, 1 MiB downloads with matching sha256, listings.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_up
start_vsftpd
passive_through_pinholed vsftpd
stop_pinholed
