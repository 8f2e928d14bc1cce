#!/usr/bin/env bash
# The race guard: pinholed is slowed on purpose before every commit
# (--debug-commit-delay-ms 300), so each data SYN arrives before its pinhole
# exists. The SYN must be held in the NFQUEUE and released once the pinhole is
# committed: every transfer succeeds with no SYN retransmission (nstat in the
# client namespace), and status counts the held SYNs. A scan is limited
# (and counted) per source before the shared limit, so one scanner cannot
# starve other clients' raced SYNs. The fail-closed half
# (pinholed gone -> refused) is blocked_without_pinholed.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

PINHOLED_EXTRA_ARGS="--debug-commit-delay-ms 300" lab_with_pinholed


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

held="$(status_field syns_held)"
accepted="$(status_field syns_accepted)"
[[ "${held}" -ge "${transfers}" && "${accepted}" -ge "${transfers}" ]] ||
    fail "race guard: expected every one of ${transfers} data SYNs to be held and released (delay 300 ms), status says syns_held=${held} syns_accepted=${accepted}"
lab_log "race guard: ${transfers} transfers, ${held} SYNs held, ${accepted} released, 0 SYN retransmissions"

# A scan of the data range: 3,000 SYNs at once. Past the guard's rate limits
# (the source's own, 1,000/s burst 200; everyone's, 2,000/s burst 200) they are
# dropped without queueing, and status counts them (syns_dropped_unqueued); every SYN that reached the firewall is either
# held or counted there. pinholed still opens pinholes afterwards.
held_before="$(status_field syns_held)"
unqueued_before="$(status_field syns_dropped_unqueued)"
in_client "${LAB_PYTHON}" "${LAB_LIB_DIR}/syn_flood.py" "${CLIENT4}" "${SERVER4}" 3000 "${DATA_PORT_MIN}" "${DATA_PORT_MAX}" >/dev/null ||
    fail "race guard: the SYN scan from the client namespace could not be sent"
sleep 0.5
held_scan=$(($(status_field syns_held) - held_before))
unqueued_scan=$(($(status_field syns_dropped_unqueued) - unqueued_before))
[[ "${unqueued_scan}" -gt 0 ]] ||
    fail "race guard: 3,000 SYNs at once, expected some past the rate limit counted in syns_dropped_unqueued, got ${unqueued_scan} (held ${held_scan})"
[[ $((held_scan + unqueued_scan)) -le 3000 ]] ||
    fail "race guard: 3,000 SYNs sent, but held ${held_scan} + dropped unqueued ${unqueued_scan} is more"
lab_log "race guard: a 3,000-SYN scan: ${held_scan} held (and dropped at their deadline), ${unqueued_scan} dropped past the rate limit"
curl_get v4 big.bin "${LAB_DIR}/out/after-scan.bin" || fail "race guard: after the SYN scan, a passive download failed"
expect_sha256 "race guard, after the SYN scan" "${LAB_DIR}/out/after-scan.bin"

# A scanner spends its own share of the rate, not everyone's: another address
# of the client network floods the data range for 4 s, far past the shared
# limit (2,000/s). The guard queues at most its own share of the flood
# (burst 200 + 1,000/s); with one shared limit it would queue ~2,000/s and
# leave the client's raced SYN to whatever tokens the flood's pauses left. The
# client's raced download meanwhile is held and released: no retransmission.
scanner4=198.51.100.66
flood_seconds=4
ip -n "${NS_C}" addr add "${scanner4}/24" dev eth0
limited_before="$(status_field syns_dropped_source_limit)"
held_before="$(status_field syns_held)"
retrans_before="$(client_syn_retransmissions)"
in_client "${LAB_PYTHON}" "${LAB_LIB_DIR}/syn_flood.py" "${scanner4}" "${SERVER4}" 400000 \
    "${DATA_PORT_MIN}" "${DATA_PORT_MAX}" "${flood_seconds}" >"${LAB_DIR}/flood.out" &
flood=$!
sleep 0.5
curl_get v4 big.bin "${LAB_DIR}/out/during-flood.bin" ||
    fail "race guard: a passive download from ${CLIENT4} failed while ${scanner4} flooded the data range"
kill -0 "${flood}" 2>/dev/null ||
    fail "race guard: the flood from ${scanner4} ended before the download did (sent $(cat "${LAB_DIR}/flood.out")); the test proves nothing"
wait "${flood}" || fail "race guard: the flood from ${scanner4} could not be sent"
expect_sha256 "race guard, during a flood from another source" "${LAB_DIR}/out/during-flood.bin"
flooded="$(cat "${LAB_DIR}/flood.out")"
retrans=$(($(client_syn_retransmissions) - retrans_before))
limited=$(($(status_field syns_dropped_source_limit) - limited_before))
held=$(($(status_field syns_held) - held_before))
# The scanner's share over the flood (plus a second of slack), and the client's few SYNs.
most_held=$((200 + 1000 * (flood_seconds + 1) + 10))
[[ "${held}" -le "${most_held}" ]] ||
    fail "race guard: ${scanner4} sent ${flooded} SYNs and ${held} were queued, more than its own share (${most_held})"
[[ "${limited}" -gt 0 && "${limited}" -le "${flooded}" ]] ||
    fail "race guard: ${scanner4} sent ${flooded} SYNs, syns_dropped_source_limit counted ${limited}"
[[ "${retrans}" -eq 0 ]] ||
    fail "race guard: while ${scanner4} sent ${flooded} SYNs, ${CLIENT4}'s raced download took ${retrans} SYN retransmission(s)"
lab_log "race guard: ${scanner4} sent ${flooded} SYNs in ${flood_seconds} s: ${held} queued, ${limited} over its own limit; ${CLIENT4}'s raced download meanwhile: 0 SYN retransmissions"

# IPv6 sources share a limit per /64, the block one host is usually given: two
# addresses of one /64 are one element of syn_sources6, limited together.
ip -n "${NS_C}" addr add 2001:db8:1:5::1/128 dev eth0 nodad
ip -n "${NS_C}" addr add 2001:db8:1:5::2/128 dev eth0 nodad
limited_before="$(status_field syns_dropped_source_limit)"
for source6 in 2001:db8:1:5::1 2001:db8:1:5::2; do
    in_client "${LAB_PYTHON}" "${LAB_LIB_DIR}/syn_flood.py" "${source6}" "${SERVER6}" 1500 \
        "${DATA_PORT_MIN}" "${DATA_PORT_MAX}" >/dev/null || fail "race guard: the IPv6 flood from ${source6} could not be sent"
done
limited6=$(($(status_field syns_dropped_source_limit) - limited_before))
sources6="$(in_firewall nft list set inet pinhole syn_sources6)"
[[ "$(grep -o '2001:db8:1:5:[0-9a-f:]* limit rate' <<<"${sources6}")" == "2001:db8:1:5:: limit rate" ]] ||
    fail "race guard: 3,000 SYNs from two addresses of 2001:db8:1:5::/64, expected one element 2001:db8:1:5:: in syn_sources6, got: ${sources6}"
[[ "${limited6}" -gt 0 ]] ||
    fail "race guard: 3,000 SYNs from 2001:db8:1:5::/64 at once, none counted in syns_dropped_source_limit"
lab_log "race guard: 3,000 SYNs from two addresses of 2001:db8:1:5::/64: one source, ${limited6} over its limit"

# The drop counters are table objects: a reload, which flushes and refills
# every chain, does not set them back to 0.
unqueued_before_reload="$(status_field syns_dropped_unqueued)"
limited_before_reload="$(status_field syns_dropped_source_limit)"
reloaded() { [[ "$(grep -cF " notice reloaded " "${PINHOLED_LOG}" || true)" -ge 1 ]]; }
kill -HUP "${PINHOLED_PID}"
wait_until 30 reloaded || fail "race guard: no 'reloaded' in the pinholed log within 3 s after SIGHUP"
[[ "$(status_field syns_dropped_unqueued)" -ge "${unqueued_before_reload}" &&
    "$(status_field syns_dropped_source_limit)" -ge "${limited_before_reload}" ]] ||
    fail "race guard: after a reload, syns_dropped_unqueued $(status_field syns_dropped_unqueued) (was ${unqueued_before_reload}), syns_dropped_source_limit $(status_field syns_dropped_source_limit) (was ${limited_before_reload}): the counts went back"
stop_pinholed
