#!/usr/bin/env bash
# `nft flush ruleset` under a running pinholed: within ~5 s its table is back (log
# `table missing, restoring`), with its enforce rules and the race guard's queue
# rule; a PASV pending across the flush gets its element back and works; new
# passive transfers work through enforce and unannounced ports are dropped again.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_with_pinholed

drive_start v4
drive_passive pasv
port="${DRIVE_PORT}"
what="PASV from ${CLIENT4} to ${SERVER4} port ${port}, pending across 'nft flush ruleset'"
expect_set_element "${what}" 4 "${CLIENT4}" "${SERVER4}" "${port}"

flushed_at="$(lab_now_ms)"
in_firewall nft flush ruleset
pinhole_table_present && fail "'nft flush ruleset' in the firewall namespace left table inet pinhole in place"
wait_until 60 pinhole_table_present ||
    fail "after 'nft flush ruleset': expected pinholed to restore table inet pinhole within 6 s, got: $(in_firewall nft list tables | tr '\n' ' ')"
lab_log "table inet pinhole back $(($(lab_now_ms) - flushed_at)) ms after the flush"
grep -qF "table missing, restoring" "${PINHOLED_LOG}" ||
    fail "after 'nft flush ruleset': the table is back but the log has no 'table missing, restoring': $(tail -n5 "${PINHOLED_LOG}" | tr '\n' ' ')"
# Listed into a variable first: grep -q closing the pipe early would fail pipefail.
chain="$(in_firewall nft list chain inet pinhole enforce_new 2>/dev/null)"
grep -q 'jump pinhole_check' <<<"${chain}" ||
    fail "restored table: expected the enforce rules (jump pinhole_check) in chain enforce_new, got: $(tr -s '\t\n' '  ' <<<"${chain}")"
chain="$(in_firewall nft list chain inet pinhole syn_guard 2>/dev/null)"
grep -q 'queue num' <<<"${chain}" ||
    fail "restored table: expected the race guard's queue rule in chain syn_guard, got: $(tr -s '\t\n' '  ' <<<"${chain}")"

expect_set_element "${what}: restored" 4 "${CLIENT4}" "${SERVER4}" "${port}"
drive nlst
[[ "${DRIVE_REPLY}" == ok\ * ]] || fail "${what}: NLST through the restored pinhole failed: ${DRIVE_REPLY}"
# Enforce is back: an unannounced port of the server is dropped.
unannounced=$((port == DATA_PORT_MAX ? DATA_PORT_MIN : port + 1))
expect_blocked "restored table: connection to ${SERVER4} port ${unannounced}, announced by no PASV" "${unannounced}"
drive_quit

for family in v4 v6; do
    out="${LAB_DIR}/out/after-flush-${family}.bin"
    curl_get "${family}" big.bin "${out}" ||
        fail "after the restore: passive ${family} download from $(ftp_url "${family}" big.bin) failed"
    expect_sha256 "after the restore: passive ${family} download" "${out}"
done
expect_status "after the restore" pinholes_open=0
stop_pinholed
