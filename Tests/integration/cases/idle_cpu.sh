#!/usr/bin/env bash
# pinholed busy-polls for up to --busy-poll-us after an event (SpinWindow), so
# the copies inside an FTP exchange do not each wake a sleeping thread. The spin
# must shrink away when traffic stops: after a burst of transfers, an idle
# pinholed uses (almost) no CPU. This fails if the loop keeps spinning, e.g. a
# window that never shrinks or a poll that never sleeps.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_with_pinholed v4
for n in 1 2 3 4 5; do
    out="${LAB_DIR}/out/idle-${n}.txt"
    curl_get v4 small.txt "${out}" || fail "idle cpu: transfer ${n} from $(ftp_url v4 small.txt) failed"
done
sleep 1  # the last spins and the deferred deletes run out
before="$(pinholed_cpu_ticks)"
sleep 3
after="$(pinholed_cpu_ticks)"
ticks=$((after - before))
hz="$(getconf CLK_TCK)"
# A spinning loop would burn ~3 s (3 * hz ticks); a sleeping one, a few wakeups.
[[ "${ticks}" -le $((hz / 10)) ]] ||
    fail "idle cpu: pinholed used ${ticks} clock ticks (CLK_TCK ${hz}) in 3 s idle after 5 transfers; expected at most $((hz / 10)) (it should stop spinning when traffic stops)"
lab_log "idle cpu: ${ticks} ticks in 3 s idle after 5 transfers"
stop_pinholed
