#!/usr/bin/env bash
# pinhole_timeout: unused pinholes (IPv4 PASV, IPv6 EPSV) close after 2 s, in
# pinholectl and in the kernel's sets; the counters say they expired.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"
# shellcheck source=../lib/pending.sh
source "${LAB_LIB_DIR}/pending.sh"

lab_up
start_vsftpd
write_policy "${LAB_DIR}/policy.yaml" 2s
start_pinholed "${LAB_DIR}/policy.yaml"
pending_passive_timeout v4 2
pending_passive_timeout v6 2
expect_status "two unused pinholes with pinhole_timeout 2s" pinholes_open=0 pinholes_opened=2 \
    pinholes_used=0 pinholes_expired=2
stop_pinholed
