#!/usr/bin/env bash
# The firewall really blocks, and fails closed: after pinholed dies (SIGKILL)
# its table stays, unmatched SYNs are queued to nobody and dropped, and passive
# FTP fails; deleting the table makes it work again. SIGTERM leaves no table.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_with_pinholed
kill_pinholed
pinhole_table_present || fail "after SIGKILL: expected pinholed's table to stay in the kernel"
# Captured first: grep -q closing the pipe early makes nft die of SIGPIPE under pipefail.
guard_chain="$(in_firewall nft list chain inet pinhole syn_guard 2>&1)"
[[ "${guard_chain}" == *"queue num"* ]] ||
    fail "after SIGKILL: expected the race guard's queue rule in chain syn_guard, got: $(tr '\n' ' ' <<<"${guard_chain}")"

for family in v4 v6; do
    out="${LAB_DIR}/out/blocked-${family}.bin"
    if curl_get "${family}" big.bin "${out}" --connect-timeout 3 --max-time 8 2>/dev/null; then
        fail "pinholed's table without pinholed: a passive ${family} download from $(ftp_url "${family}" big.bin) succeeded, expected it to be blocked"
    fi
    lab_log "${family}: passive download blocked without pinholed, as expected"
done
in_firewall nft delete table inet pinhole
# Without the table the same download works: the failure above was the firewall's doing.
curl_get v4 big.bin "${LAB_DIR}/out/unblocked.bin" --connect-timeout 3 --max-time 8 ||
    fail "after deleting the table, the download from $(ftp_url v4 big.bin) still failed: the lab itself is broken"
expect_sha256 "download with no firewall table" "${LAB_DIR}/out/unblocked.bin"

start_pinholed "${LAB_DIR}/policy.yaml"
stop_pinholed
if pinhole_table_present; then
    fail "after SIGTERM: expected no 'table inet pinhole', got: $(in_firewall nft list tables | tr '\n' ' ')"
fi
