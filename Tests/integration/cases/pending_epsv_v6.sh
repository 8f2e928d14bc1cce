#!/usr/bin/env bash
# IPv6 EPSV held pending: the 229 carries no address, the responder is the control
# connection's server. Same life cycle as the IPv4 case.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"
# shellcheck source=../lib/pending.sh
source "${LAB_LIB_DIR}/pending.sh"

lab_with_pinholed v6
pending_passive_lifecycle v6
stop_pinholed
