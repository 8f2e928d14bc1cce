#!/usr/bin/env bash
# Copy polling (--copy-interval-us, CopyPolling): while a control session is
# active and the race guard is on, the copies do not wake pinholed; it looks
# at them every interval instead. Here the interval is 10 ms and spinning is
# off (--busy-poll-us 0), so pinholed sleeps through most copies:
# - 200 NOOP round trips 2 ms apart (400 copies) wake it about once per
#   10 ms of the session, far fewer times than there are copies (voluntary
#   context switches, /proc/PID/status); with every copy waking it, this fails;
# - a pinholectl request still sees the copies that came before it (the
#   request wakes pinholed, which reads them first);
# - every passive client's download still works with no SYN retransmission:
#   a data SYN that comes before pinholed read its 227/229 is held by the race
#   guard, which reads the copies before it answers (status: syns_held);
# - the looks stop when the session goes quiet;
# - status counts the looks (copy_looks) and those that found copies
#   (copy_looks_found), and a daemon without copy polling shows neither;
# - the pinholes still close when the session QUITs.
# Copy polling is off by default (it holds more data SYNs); here it is on.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

PINHOLED_EXTRA_ARGS="--copy-interval-us 10000 --busy-poll-us 0" lab_with_pinholed

switches() { awk '/^voluntary_ctxt_switches:/ { print $2 }' "/proc/${PINHOLED_PID}/status"; }

noops=200
looks_before="$(status_field copy_looks)"
found_before="$(status_field copy_looks_found)"
before="$(switches)"
start="$(lab_now_ms)"
in_client timeout 60 "${LAB_PYTHON}" "${LAB_LIB_DIR}/noop_flood.py" "${SERVER4}" "${noops}" 2 >/dev/null ||
    fail "copy polling: ${noops} NOOPs to ${SERVER4} through pinholed failed"
took=$(($(lab_now_ms) - start))
woken=$(($(switches) - before))
looks=$(($(status_field copy_looks) - looks_before))
found=$(($(status_field copy_looks_found) - found_before))
# A look every 10 ms while copies come (and 20 ms after the last), plus the
# session's start, its conntrack events and a few spare. (Round trips 2 ms
# apart: back to back, pinholed would rarely sleep between copies anyway.)
most=$((took / 10 + 40))
copies=$((2 * noops))
if [[ "${most}" -ge "${copies}" ]]; then
    lab_log "copy polling: the NOOPs took ${took} ms, too slow to tell looks from wakeups (${woken} switches); not checked"
else
    [[ "${woken}" -le "${most}" ]] ||
        fail "copy polling: ${noops} NOOP round trips (${copies} copies) in ${took} ms woke pinholed ${woken} times, expected at most ${most} (a look every 10 ms): the copies are waking it"
    lab_log "copy polling: ${copies} copies in ${took} ms, pinholed woken ${woken} times (at most ${most})"
fi
# Each look is a wakeup, so the looks fit under the same bound; with copies
# 2 ms apart and a look every 10 ms, most looks find some.
[[ "${looks}" -gt 0 && "${looks}" -le "${most}" ]] ||
    fail "copy polling: ${copies} copies in ${took} ms, status counted ${looks} looks (copy_looks), expected 1 to ${most}"
[[ "${found}" -gt 0 && "${found}" -le "${looks}" ]] ||
    fail "copy polling: ${looks} looks, ${found} of them found copies (copy_looks_found), expected 1 to ${looks}"
lab_log "copy polling: status counted ${looks} looks, ${found} of them finding copies"

drive_start v4
drive_passive epsv
[[ "$(pinhole_count)" -eq 1 ]] ||
    fail "copy polling: right after EPSV (port ${DRIVE_PORT}), pinholectl lists $(pinhole_count) pinholes, expected 1: a request must see the copies that came before it"
drive nlst
[[ "${DRIVE_REPLY}" == ok\ * ]] || fail "copy polling: NLST through the pinhole failed: ${DRIVE_REPLY}"

retrans_before="$(client_syn_retransmissions)"
held_before="$(status_field syns_held)"
passive_downloads "copy polling, 10 ms"
retrans=$(($(client_syn_retransmissions) - retrans_before))
held=$(($(status_field syns_held) - held_before))
[[ "${retrans}" -eq 0 ]] ||
    fail "copy polling: the passive downloads with a 10 ms copy interval caused ${retrans} SYN retransmission(s) in ${NS_C}, expected 0 (the race guard holds a SYN that beats its copy)"
[[ "${held}" -gt 0 ]] ||
    fail "copy polling: with a 10 ms copy interval and no spinning, no data SYN was held (syns_held +${held}): the copies were read at once, so this proves nothing about the guard"
lab_log "copy polling: every passive client, 0 SYN retransmissions, ${held} data SYNs held for their copy"

# A quiet session: the looks stop 20 ms after the last copy (CopyPolling's
# horizon), so 2 s of quiet wake pinholed about twice (its 1 s housekeeping),
# not 200 times.
sleep 0.5
before="$(switches)"
sleep 2
quiet=$(($(switches) - before))
[[ "${quiet}" -le 20 ]] ||
    fail "copy polling: a session quiet for 2 s woke pinholed ${quiet} times, expected at most 20: the looks must stop when the copies do"
lab_log "copy polling: a quiet session, 2 s: pinholed woken ${quiet} times"

drive_quit
no_pinholes() { [[ "$(pinhole_count)" -eq 0 ]]; }
wait_until 30 no_pinholes || fail "copy polling: 3 s after QUIT, pinholectl still lists $(pinhole_count) pinholes"
stop_pinholed

# Off (the default): no looks to count, so no fields.
PINHOLED_EXTRA_ARGS="" start_pinholed "${LAB_DIR}/policy.yaml"
json="$(ctl status --json)"
[[ "${json}" != *copy_looks* ]] || fail "copy polling: without --copy-interval-us, status still has copy_looks: ${json}"
stop_pinholed
