#!/usr/bin/env bash
# NFLOG overflow: pinholed is stopped (SIGSTOP) while another client makes 25,000
# NOOP round trips on its own control connection and QUITs, so copies are lost
# (ENOBUFS); a PASV of a first session is pending. After SIGCONT: one resync,
# and the copies still queued from before it are not parsed after it, so the
# flood's connection (closed, and its FIN copy lost) does not come back as a
# session: only the pending session stays, with its pinhole, which still works;
# a new transfer works.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_with_pinholed v4
sessions_are() { [[ "$(status_field sessions)" == "$1" ]]; }

drive_start v4 pending
drive_passive pasv
port="${DRIVE_PORT}"
what="PASV from ${CLIENT4} to ${SERVER4} port ${port}, pending across the overflow"
expect_pinhole "${what}" mode=passive "initiator=${CLIENT4}" "responder=${SERVER4}" "port=${port}"

kill -STOP "${PINHOLED_PID}"
flood="$(in_client timeout 90 "${LAB_PYTHON}" "${LAB_LIB_DIR}/noop_flood.py" "${SERVER4}" 25000 2>&1)" || {
    kill -CONT "${PINHOLED_PID}"
    fail "NOOP flood from ${CLIENT4} to ${SERVER4}:21 failed: ${flood}"
}
kill -CONT "${PINHOLED_PID}"
wait_until 50 grep -qF "reason=nflog overflow" "${PINHOLED_LOG}" ||
    fail "after 25,000 NOOP round trips while pinholed was stopped: expected 'resync reason=nflog overflow' within 5 s, got: $(tail -n3 "${PINHOLED_LOG}" | tr '\n' ' ')"
lab_log "$(grep -F "reason=nflog overflow" "${PINHOLED_LOG}" | head -n1)"

wait_until 30 sessions_are 1 ||
    fail "after the overflow resync: expected 1 session (the pending one; the flood's connection is closed), got $(status_field sessions); sessions opened after the resync: $(sed -n '/reason=nflog overflow/,$p' "${PINHOLED_LOG}" | grep -F 'session opened' | tr '\n' ' ')"
pinhole_check find "port=${port}" "initiator=${CLIENT4}" "responder=${SERVER4}" ||
    fail "${what}: after the overflow resync, expected the pinhole to stay; ${CHECK_OUT}"
drive nlst
[[ "${DRIVE_REPLY}" == ok\ * ]] || fail "${what}: NLST through the pinhole after the overflow failed: ${DRIVE_REPLY}"
curl_get v4 small.txt "${LAB_DIR}/out/after.txt" --max-time 8 ||
    fail "after the overflow resync: a passive download from $(ftp_url v4 small.txt) through pinholed failed"
sleep 1
sessions_are 1 || fail "after the overflow resync and one download: expected 1 session (the pending one), got $(status_field sessions)"
drive_quit
stop_pinholed
