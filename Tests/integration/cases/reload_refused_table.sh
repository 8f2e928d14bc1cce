#!/usr/bin/env bash
# A reload that renames the table and fails after creating the new one leaves no
# table behind. The kernel refuses the race guard's queue rule of table
# pinhole_doomed (LD_PRELOAD shim fail_queue_rule); the policy renames table
# pinhole to pinhole_doomed. SIGHUP is refused naming that chain, only table inet
# pinhole is left (with its queue rule), a passive download works, and after
# SIGTERM no table is left at all.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"
# shellcheck source=../lib/preload.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/preload.sh"

lab_up
start_vsftpd v4
preload_pinholed fail_queue_rule FAIL_QUEUE_RULE_TABLE=pinhole_doomed
policy="${LAB_DIR}/policy.yaml"
write_policy "${policy}" 30s
start_pinholed "${policy}"

tables() { in_firewall nft list tables | tr '\n' ',' ; }
logged() { grep -qF "$1" "${PINHOLED_LOG}"; }

curl_get v4 small.txt "${LAB_DIR}/out/before.txt" || fail "before the reload: a passive download through pinholed failed"

sed -i 's/^table: pinhole$/table: pinhole_doomed/' "${policy}"
kill -HUP "${PINHOLED_PID}"
wait_until 30 logged "reload refused, keeping the running policy" ||
    fail "reload to table pinhole_doomed whose queue rule the kernel refuses: expected 'reload refused' within 3 s, got: $(tail -n3 "${PINHOLED_LOG}" | tr '\n' ' ')"
refusal="$(grep -F "reload refused, keeping the running policy" "${PINHOLED_LOG}" | tail -n1)"
[[ "${refusal}" == *"chain inet pinhole_doomed syn_guard"* ]] ||
    fail "reload refused: expected the reason to name chain inet pinhole_doomed syn_guard, got: ${refusal}"
lab_log "refused: ${refusal}"

what="after the refused reload (table pinhole -> pinhole_doomed)"
[[ "$(tables)" == "table inet pinhole," ]] ||
    fail "${what}: expected only table inet pinhole, got: $(tables)"
chain="$(in_firewall nft list chain inet pinhole syn_guard 2>/dev/null)"
[[ "$(grep -c 'queue num 2121' <<<"${chain}")" -eq 1 ]] ||
    fail "${what}: expected one queue rule in chain inet pinhole syn_guard, got: $(tr -s '\t\n' '  ' <<<"${chain}")"
curl_get v4 small.txt "${LAB_DIR}/out/refused.txt" --max-time 8 ||
    fail "${what}: a passive download from $(ftp_url v4 small.txt) through pinholed failed"

stop_pinholed
[[ -z "$(tables)" ]] || fail "after SIGTERM: expected no table left, got: $(tables)"
