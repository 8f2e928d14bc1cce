#!/usr/bin/env bash
# The race guard: pinholed is slowed on purpose before every commit
# (--debug-commit-delay-ms 300), so each data SYN arrives before its pinhole
# exists. The SYN must be held in the NFQUEUE and released once the pinhole is
# committed: every transfer succeeds with no SYN retransmission (nstat in the
# client namespace), and status counts the held SYNs. The fail-closed half
# (pinholed gone -> refused) is blocked_without_pinholed.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_up
start_vsftpd
write_policy "${LAB_DIR}/policy.yaml" 30s
PINHOLED_EXTRA_ARGS="--debug-commit-delay-ms 300" start_pinholed "${LAB_DIR}/policy.yaml"


before="$(client_syn_retransmissions)"
transfers=0
for family in v4 v6; do
    for n in 1 2 3; do
        out="${LAB_DIR}/out/race-${family}-${n}.bin"
        curl_get "${family}" big.bin "${out}" ||
            fail "race guard, ${family} transfer ${n}: curl from $(ftp_url "${family}" big.bin) failed with pinholed delayed by 300 ms"
        expect_sha256 "race guard, ${family} transfer ${n}" "${out}"
        transfers=$((transfers + 1))
    done
done
after="$(client_syn_retransmissions)"
[[ "$((after - before))" -eq 0 ]] ||
    fail "race guard: ${transfers} transfers with pinholed delayed by 300 ms caused $((after - before)) SYN retransmission(s) in the client namespace (${NS_C}), expected 0"

held="$(ctl status --json | "${LAB_PYTHON}" "${LAB_LIB_DIR}/check_json.py" get syns_held)"
accepted="$(ctl status --json | "${LAB_PYTHON}" "${LAB_LIB_DIR}/check_json.py" get syns_accepted)"
[[ "${held}" -ge "${transfers}" && "${accepted}" -ge "${transfers}" ]] ||
    fail "race guard: expected every one of ${transfers} data SYNs to be held and released (delay 300 ms), status says syns_held=${held} syns_accepted=${accepted}"
lab_log "race guard: ${transfers} transfers, ${held} SYNs held, ${accepted} released, 0 SYN retransmissions"

# A scan of the data range: 3,000 SYNs at once. Past the guard's rate limit
# (200 burst, 2,000/s) they are dropped without queueing, and status counts
# them (syns_dropped_unqueued); every SYN that reached the firewall is either
# held or counted there. pinholed still opens pinholes afterwards.
status_get() { ctl status --json | "${LAB_PYTHON}" "${LAB_LIB_DIR}/check_json.py" get "$1"; }
held_before="$(status_get syns_held)"
unqueued_before="$(status_get syns_dropped_unqueued)"
in_client "${LAB_PYTHON}" "${LAB_LIB_DIR}/syn_flood.py" "${CLIENT4}" "${SERVER4}" 3000 "${DATA_PORT_MIN}" "${DATA_PORT_MAX}" >/dev/null ||
    fail "race guard: the SYN scan from the client namespace could not be sent"
sleep 0.5
held_scan=$(($(status_get syns_held) - held_before))
unqueued_scan=$(($(status_get syns_dropped_unqueued) - unqueued_before))
[[ "${unqueued_scan}" -gt 0 ]] ||
    fail "race guard: 3,000 SYNs at once, expected some past the rate limit counted in syns_dropped_unqueued, got ${unqueued_scan} (held ${held_scan})"
[[ $((held_scan + unqueued_scan)) -le 3000 ]] ||
    fail "race guard: 3,000 SYNs sent, but held ${held_scan} + dropped unqueued ${unqueued_scan} is more"
lab_log "race guard: a 3,000-SYN scan: ${held_scan} held (and dropped at their deadline), ${unqueued_scan} dropped past the rate limit"
curl_get v4 big.bin "${LAB_DIR}/out/after-scan.bin" || fail "race guard: after the SYN scan, a passive download failed"
expect_sha256 "race guard, after the SYN scan" "${LAB_DIR}/out/after-scan.bin"
stop_pinholed
