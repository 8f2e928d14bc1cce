#!/usr/bin/env bash
# IPv4 PASV held pending: pinholectl list --json shows exactly the pinhole; it closes
# when used (one-shot, the port is blocked again) and when the session QUITs.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"
# shellcheck source=../lib/pending.sh
source "${LAB_LIB_DIR}/pending.sh"

lab_with_pinholed v4
pending_passive_lifecycle v4
stop_pinholed
