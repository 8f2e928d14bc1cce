#!/usr/bin/env bash
# Restart reconciliation: after kill -9 the table and a pending PASV's element stay
# in the kernel; a stale element with no session is added by hand. The new pinholed
# adopts the live session's pinhole, removes the stale one, and closes the adopted
# one within 1 s when the session QUITs.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_up
start_vsftpd v4
policy="${LAB_DIR}/policy.yaml"
write_policy "${policy}" 30s
start_pinholed "${policy}"

drive_start v4
control_port="${DRIVE_CLIENT_PORT}"
drive_passive pasv
port="${DRIVE_PORT}"
what="pending PASV from ${CLIENT4}:${control_port} to ${SERVER4} port ${port}"
expect_pinhole "${what}" mode=passive "initiator=${CLIENT4}" "responder=${SERVER4}" "port=${port}"
expect_set_element "${what}" 4 "${CLIENT4}" "${SERVER4}" "${port}"

# kill -9: no cleanup, so the table and the element stay.
old_pid="${PINHOLED_PID}"
kill -KILL "${old_pid}"
wait_until 30 lab_gone "${old_pid}" || fail "kill -9 pinholed (pid ${old_pid}): still running after 3 s"
wait "${old_pid}" 2>/dev/null || true
PINHOLED_PID=""
pinhole_table_present || fail "after kill -9: expected table inet pinhole to stay in the kernel, got: $(in_firewall nft list tables | tr '\n' ' ')"
set_has 4 "${CLIENT4}" "${SERVER4}" "${port}" ||
    fail "after kill -9: expected the element of ${what} to stay, got: $(tr -s '\t\n' '  ' <<<"${CHECK_OUT}")"

# Stale elements: no control session behind them. One between the same two hosts
# as the live session (nothing but pinholed's own record of the element's session
# tells it apart), one from a client address with no session at all.
stale=50099
[[ "${port}" != "${stale}" ]] || stale=50098
ghost=198.51.100.3
for element in "${CLIENT4} . ${SERVER4} . ${stale}" "${ghost} . ${SERVER4} . ${stale}"; do
    in_firewall nft add element inet pinhole pinholes4 "{ ${element} timeout 60s }" ||
        fail "could not add the stale element ${element} by hand"
done
set_has 4 "${ghost}" "${SERVER4}" "${stale}" || fail "the stale element is not in the set: ${CHECK_OUT}"
cp "${PINHOLED_LOG}" "${LAB_DIR}/pinholed-before-kill.log"

start_pinholed "${policy}"
grep -qF "restart reconciliation" "${PINHOLED_LOG}" ||
    fail "restart with 2 leftover elements: expected 'restart reconciliation' in the log, got: $(head -n5 "${PINHOLED_LOG}" | tr '\n' ' ')"
expect_pinhole "restart: the live session's ${what} is adopted" mode=passive "family=ipv4" \
    "initiator=${CLIENT4}" "responder=${SERVER4}" "port=${port}" "session.client=${CLIENT4}" \
    "session.client_port=${control_port}" "session.server=${SERVER4}" session.server_port=21
expect_set_element "restart: the adopted ${what}" 4 "${CLIENT4}" "${SERVER4}" "${port}"
expect_no_set_element "restart: the stale element ${ghost} . ${SERVER4} . ${stale} (no session from ${ghost})" 20 \
    4 "${ghost}" "${SERVER4}" "${stale}"
expect_no_pinhole "restart: the stale element from ${ghost} has no session" 5 "initiator=${ghost}"
# The same-hosts stale element: checked now, reported at the end so the QUIT checks
# below still run.
late_failure=""
if ! wait_until 20 set_lacks 4 "${CLIENT4}" "${SERVER4}" "${stale}" || ! pinhole_check absent "port=${stale}"; then
    late_failure="restart: the stale element ${CLIENT4} . ${SERVER4} . ${stale} (added by hand, no PASV behind it) should be removed, but pinholed adopted it into the live session ${CLIENT4}:${control_port}: list: $(ctl list --json | tr -s " \n" " "); log: $(grep -F "port=${stale}" "${PINHOLED_LOG}" | tr '\n' ' ')"
    lab_log "FINDING: ${late_failure}"
else
    [[ "$(pinhole_count)" == 1 ]] || fail "restart: expected exactly the adopted pinhole, got: $(ctl list --json)"
fi
lab_log "restart: $(grep -F "restart reconciliation" "${PINHOLED_LOG}")"

drive_quit
expect_no_pinhole "restart: QUIT of the adopted session ${CLIENT4}:${control_port}" 10 "port=${port}"
expect_set_empty "restart: QUIT of the adopted session ${CLIENT4}:${control_port}" 10 4
stop_pinholed
[[ -z "${late_failure}" ]] || fail "${late_failure}"
