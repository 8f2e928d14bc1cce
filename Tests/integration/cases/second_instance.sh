#!/usr/bin/env bash
# A second pinholed on the same NFLOG group refuses to start with a clear
# error, and leaves the running one and its table alone.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_with_pinholed
sed "s|^socket: .*|socket: ${LAB_DIR}/second.sock|" "${LAB_DIR}/policy.yaml" >"${LAB_DIR}/second.yaml"
expect_start_refused "second pinholed on NFLOG group 2121" "${LAB_DIR}/second.yaml" 1 "bound by another process"
[[ ! -e "${LAB_DIR}/second.sock" ]] || fail "second pinholed: it left its control socket behind"

# The first one still owns a working table: its queue rule is intact and a
# passive download goes through.
guard_chain="$(in_firewall nft list chain inet pinhole syn_guard 2>&1)"
[[ "$(grep -c 'queue num' <<<"${guard_chain}")" -eq 1 ]] ||
    fail "after the second pinholed failed: expected exactly one queue rule in syn_guard, got: $(tr '\n' ' ' <<<"${guard_chain}")"
curl_get v4 big.bin "${LAB_DIR}/out/after-second.bin" ||
    fail "after the second pinholed failed: a passive download from $(ftp_url v4 big.bin) through the first one failed"
expect_sha256 "download through the first pinholed" "${LAB_DIR}/out/after-second.bin"
stop_pinholed
