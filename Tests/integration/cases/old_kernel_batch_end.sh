#!/usr/bin/env bash
# On a kernel before 6.10, which never ACKs NFNL_MSG_BATCH_END (emulated with the
# LD_PRELOAD shim no_batch_end_ack), pinholed with enforce: true starts at once
# (not after a 5 s ACK timeout) with the race guard's queue rule in place; passive
# downloads and a pending PASV work; a reload re-installs the rule; SIGTERM
# leaves no table.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"
# shellcheck source=../lib/preload.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/preload.sh"

lab_up
start_vsftpd v4
preload_pinholed no_batch_end_ack
policy="${LAB_DIR}/policy.yaml"
write_policy "${policy}" 30s
started_at="$(lab_now_ms)"
start_pinholed "${policy}"
took=$(($(lab_now_ms) - started_at))
lab_log "ready after ${took} ms"
grep -qF "[preload] no ACK asked for BATCH_END" "${PINHOLED_LOG}" ||
    fail "the no_batch_end_ack shim did not act: no '[preload]' line in the pinholed log"
[[ "${took}" -lt 3000 ]] || fail "without BATCH_END ACKs: pinholed took ${took} ms to get ready, expected well under 3 s"

guard_has_queue_rule() {
    local chain
    chain="$(in_firewall nft list chain inet pinhole syn_guard 2>/dev/null)"
    [[ "$(grep -c 'queue num 2121' <<<"${chain}")" -eq 1 ]]
}
guard_has_queue_rule || fail "without BATCH_END ACKs: expected one queue rule in chain inet pinhole syn_guard"

curl_get v4 big.bin "${LAB_DIR}/out/big.bin" --max-time 10 ||
    fail "without BATCH_END ACKs: a passive download from $(ftp_url v4 big.bin) through pinholed failed"
expect_sha256 "download without BATCH_END ACKs" "${LAB_DIR}/out/big.bin"
drive_start v4
drive_passive pasv
expect_set_element "pending PASV port ${DRIVE_PORT} without BATCH_END ACKs" 4 "${CLIENT4}" "${SERVER4}" "${DRIVE_PORT}"
drive nlst
[[ "${DRIVE_REPLY}" == ok\ * ]] || fail "without BATCH_END ACKs: NLST through the pinhole of port ${DRIVE_PORT} failed: ${DRIVE_REPLY}"
drive_quit

write_policy "${policy}" 45s
kill -HUP "${PINHOLED_PID}"
wait_until 30 grep -qF "notice reloaded " "${PINHOLED_LOG}" ||
    fail "without BATCH_END ACKs: expected 'reloaded' within 3 s after SIGHUP, got: $(tail -n3 "${PINHOLED_LOG}" | tr '\n' ' ')"
guard_has_queue_rule || fail "without BATCH_END ACKs, after a reload: expected one queue rule in chain inet pinhole syn_guard"
curl_get v4 small.txt "${LAB_DIR}/out/after-reload.txt" --max-time 8 ||
    fail "without BATCH_END ACKs, after a reload: a passive download through pinholed failed"

stop_pinholed
tables="$(in_firewall nft list tables)"
[[ -z "${tables}" ]] || fail "after SIGTERM: expected no table left, got: $(tr '\n' ' ' <<<"${tables}")"
