#!/usr/bin/env bash
# A reload refused half-way leaves pinholed exactly as it was. Another program
# holds NFQUEUE 2122; the policy moves nflog_group (and with it the race guard's
# queue) from 2121 to 2122. SIGHUP is refused naming NFQUEUE 2122, and pinholed
# still reads NFLOG group 2121 and holds queue 2121 (nothing of 2122), the ruleset
# still logs and queues to 2121, policy_sha256 is unchanged and a passive download
# works. Once the other program is gone the same reload applies: 2122 only.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_with_pinholed v4
policy="${LAB_DIR}/policy.yaml"

# bound log|queue: the NFLOG groups or NFQUEUE numbers bound in the firewall (first column).
bound() { in_firewall cat "/proc/net/netfilter/nfnetlink_$1" | awk '{print $1}' | sort -n | tr '\n' ' '; }
# ruleset_numbers: the log groups and queue numbers in table inet pinhole.
ruleset_numbers() {
    local table
    table="$(in_firewall nft list table inet pinhole 2>/dev/null)"
    grep -oE 'log group [0-9]+|queue num [0-9]+' <<<"${table}" | sort -u | tr '\n' ',' || true
}
logged() { grep -qF "$1" "${PINHOLED_LOG}"; }

curl_get v4 small.txt "${LAB_DIR}/out/before.txt" || fail "before any reload: a passive download through pinholed failed"
sha_running="$(status_field policy_sha256)"

lab_spawn "${LAB_DIR}/holder.log" "${NS_F}" "${LAB_PYTHON}" "${LAB_LIB_DIR}/hold_nfgroup.py" queue 2122
holder="${LAB_LAST_PID}"
wait_until 30 grep -q "bound queue 2122" "${LAB_DIR}/holder.log" ||
    fail "the other program could not bind NFQUEUE 2122: $(cat "${LAB_DIR}/holder.log")"

sed -i 's/^nflog_group: 2121$/nflog_group: 2122/' "${policy}"
kill -HUP "${PINHOLED_PID}"
wait_until 30 logged "reload refused, keeping the running policy" ||
    fail "reload to nflog_group 2122 while another program holds NFQUEUE 2122: expected 'reload refused' within 3 s, got: $(tail -n3 "${PINHOLED_LOG}" | tr '\n' ' ')"
refusal="$(grep -F "reload refused, keeping the running policy" "${PINHOLED_LOG}" | tail -n1)"
[[ "${refusal}" == *"NFQUEUE 2122"* ]] || fail "reload refused: expected the reason to name NFQUEUE 2122, got: ${refusal}"
lab_log "refused: ${refusal}"

what="after the refused reload (nflog_group 2121 -> 2122, NFQUEUE 2122 held by another program)"
[[ "$(bound log)" == "2121 " ]] ||
    fail "${what}: expected NFLOG group 2121 bound (pinholed) and no other, got groups: $(bound log)"
[[ "$(bound queue)" == "2121 2122 " ]] ||
    fail "${what}: expected NFQUEUE 2121 (pinholed) and 2122 (the other program) bound, got queues: $(bound queue)"
[[ "$(ruleset_numbers)" == "log group 2121,queue num 2121," ]] ||
    fail "${what}: expected the ruleset to log to group 2121 and queue to 2121, got: $(ruleset_numbers)"
[[ "$(status_field policy_sha256)" == "${sha_running}" ]] ||
    fail "${what}: status policy_sha256 is $(status_field policy_sha256), expected the running policy's ${sha_running}"
curl_get v4 small.txt "${LAB_DIR}/out/refused.txt" --max-time 8 ||
    fail "${what}: a passive download from $(ftp_url v4 small.txt) through pinholed failed"

# The other program goes: the same policy now applies, and only 2122 is bound.
kill -TERM "${holder}"
wait "${holder}" 2>/dev/null || true
kill -HUP "${PINHOLED_PID}"
wait_until 30 logged "notice reloaded " ||
    fail "reload to nflog_group 2122 with NFQUEUE 2122 free: expected 'reloaded' within 3 s, got: $(tail -n3 "${PINHOLED_LOG}" | tr '\n' ' ')"
what="after the reload to nflog_group 2122"
[[ "$(bound log)" == "2122 " && "$(bound queue)" == "2122 " ]] ||
    fail "${what}: expected only NFLOG group 2122 and NFQUEUE 2122 bound, got groups: $(bound log), queues: $(bound queue)"
[[ "$(ruleset_numbers)" == "log group 2122,queue num 2122," ]] ||
    fail "${what}: expected the ruleset to log to group 2122 and queue to 2122, got: $(ruleset_numbers)"
curl_get v4 small.txt "${LAB_DIR}/out/reloaded.txt" --max-time 8 ||
    fail "${what}: a passive download from $(ftp_url v4 small.txt) through pinholed failed"
stop_pinholed
