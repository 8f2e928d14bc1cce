#!/usr/bin/env bash
# pinholed busy-polls for up to --busy-poll-us after an event while a control
# session is open (SpinWindow), and for the whole of it while a data connection
# is being set up, so the copies inside an FTP exchange do not each wake a
# sleeping thread. The spin must end and the loop sleep when nothing comes: an
# idle pinholed uses (almost) no CPU, with no session open, with one open but
# quiet, and with a pinhole that waits for a connection that never comes (the
# whole-limit condition, for 1 ms after the pinhole opens). This fails if the
# loop never sleeps (a spin that only an event ends, a poll without timeout).
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

hz="$(getconf CLK_TCK)"
# idle_ticks WHAT: pinholed's CPU over 3 s of quiet must stay under 0.1 s.
# (Spinning through them would be ~3 s, 3 * hz ticks.)
idle_ticks() {
    local before after ticks
    sleep 1 # the last spins and the deferred deletes run out
    before="$(pinholed_cpu_ticks)"
    sleep 3
    after="$(pinholed_cpu_ticks)"
    ticks=$((after - before))
    [[ "${ticks}" -le $((hz / 10)) ]] ||
        fail "idle cpu, $1: pinholed used ${ticks} clock ticks (CLK_TCK ${hz}) in 3 s without traffic; expected at most $((hz / 10)) (the loop must sleep when nothing comes)"
    lab_log "idle cpu, $1: ${ticks} ticks in 3 s"
}

lab_with_pinholed v4
for n in 1 2 3 4 5; do
    out="${LAB_DIR}/out/idle-${n}.txt"
    curl_get v4 small.txt "${out}" || fail "idle cpu: transfer ${n} from $(ftp_url v4 small.txt) failed"
done
idle_ticks "no session open, after 5 curl transfers"

# A session that transfers (its events grow the spin window), then goes quiet.
drive_start v4
for n in 1 2 3; do
    drive_passive epsv
    drive nlst
    [[ "${DRIVE_REPLY}" == ok\ * ]] || fail "idle cpu: NLST ${n} through pinholed failed: ${DRIVE_REPLY}"
done
idle_ticks "one quiet session open, after 3 listings in it"

# The same session asks for a data connection and does not make it yet.
drive_passive epsv
[[ "$(pinhole_count)" -eq 1 ]] || fail "idle cpu: expected 1 open pinhole after EPSV, pinholectl lists $(pinhole_count)"
idle_ticks "a pinhole waiting for its connection"
drive nlst
[[ "${DRIVE_REPLY}" == ok\ * ]] || fail "idle cpu: NLST through the pinhole that waited failed: ${DRIVE_REPLY}"
drive quit
stop_pinholed
