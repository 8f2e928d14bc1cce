#!/usr/bin/env bash
# Hostile control lines open nothing: PORT/EPRT naming a third party (FTP bounce),
# a PORT to a privileged port, a 227 reply sent by the client. Each is refused and
# counted; the log has one `refused` warning per reason per session; a legitimate
# PASV/EPSV later in the same session still works.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"
# shellcheck source=../lib/active.sh
source "${LAB_LIB_DIR}/active.sh"

THIRD4=203.0.113.99
THIRD6=2001:db8:1::99

lab_up
start_vsftpd
write_active_policy "${LAB_DIR}/policy.yaml" 30s true
start_pinholed "${LAB_DIR}/policy.yaml"

# log_lines: the pinholed log, each line ending in a space so `KEY=VALUE ` matches
# the last field too.
log_lines() { sed 's/$/ /' "${PINHOLED_LOG}"; }

log_has_session() { log_lines | grep -qF "session=$1 "; }

# refusal_lines SESSION REASON: the pinholed log's warning lines for one reason in one session.
refusal_lines() {
    log_lines | grep -F " warning refused " | grep -F "reason=$2 " | grep -cF "session=$1 " || true
}

# hostile_session FAMILY: the hostile lines, then a legitimate passive transfer.
hostile_session() {
    local family="$1" client="${CLIENT4}" server="${SERVER4}" nft=4 verb=pasv
    local -a lines
    if [[ "${family}" == v6 ]]; then
        client="${CLIENT6}" server="${SERVER6}" nft=6 verb=epsv
        lines=("EPRT |2|${THIRD6}|50001|" "EPRT |2|${THIRD6}|50002|" "EPRT |2|${client}|80|"
            "229 Entering Extended Passive Mode (|||50003|)")
    else
        lines=("PORT ${THIRD4//./,},195,81" "EPRT |1|${THIRD4}|50002|" "PORT ${client//./,},0,80"
            "227 Entering Passive Mode (${server//./,},195,83)")
    fi
    drive_start "${family}" "hostile-${family}"
    local session="${client}:${DRIVE_CLIENT_PORT}->${server}:21"
    if [[ "${family}" == v6 ]]; then session="[${client}]:${DRIVE_CLIENT_PORT}->[${server}]:21"; fi
    local line
    for line in "${lines[@]}"; do
        drive raw "${line}"
        [[ "${DRIVE_REPLY}" == reply\ * ]] || fail "hostile ${family}: no reply from ${server} to '${line}': ${DRIVE_REPLY}"
    done
    # Every line above was refused: nothing in the list, nothing in the set.
    sleep 0.3
    [[ "$(pinhole_count)" == 0 ]] ||
        fail "hostile ${family} session ${session}: bounce PORT/EPRT, privileged port and a client 227/229 must open nothing; $(ctl list --json)"
    set_empty "${nft}" ||
        fail "hostile ${family} session ${session}: expected set pinholes${nft} empty, got: $(tr -s '\t\n' '  ' <<<"${CHECK_OUT}")"
    # One warning per reason per session, however often the reason came up.
    wait_until 10 log_has_session "${session}" ||
        fail "hostile ${family}: pinholed never logged session ${session}; is the session key format different? log: $(grep refused "${PINHOLED_LOG}" | head -n3 | tr '\n' ' ')"
    local reason want got
    for reason in address_mismatch privileged_port wrong_direction; do
        want=1
        got="$(refusal_lines "${session}" "${reason}")"
        [[ "${got}" == "${want}" ]] ||
            fail "hostile ${family} session ${session}: expected ${want} 'warning refused ... reason=${reason}' line in the pinholed log, got ${got}: $(grep -F "reason=${reason}" "${PINHOLED_LOG}" | tr '\n' ' ')"
    done
    # The session is not poisoned: a legitimate PASV/EPSV opens and is used.
    drive_passive "${verb}"
    expect_pinhole "hostile ${family} session ${session}: legitimate ${verb^^} after the refusals" \
        mode=passive "initiator=${client}" "responder=${server}" "port=${DRIVE_PORT}"
    drive nlst
    [[ "${DRIVE_REPLY}" == ok\ * ]] ||
        fail "hostile ${family} session ${session}: NLST through the legitimate ${verb^^} pinhole on port ${DRIVE_PORT} failed: ${DRIVE_REPLY}"
    drive_quit
}

hostile_session v4
expect_status "after the hostile IPv4 session (2 bounces, 1 privileged port, 1 client 227)" \
    refused.address_mismatch=2 refused.privileged_port=1 refused.wrong_direction=1 \
    pinholes_opened=1 pinholes_used=1 pinholes_open=0
hostile_session v6
expect_status "after the hostile IPv6 session too (2 more bounces, privileged port, client 229)" \
    refused.address_mismatch=4 refused.privileged_port=2 refused.wrong_direction=2 \
    pinholes_opened=2 pinholes_used=2 pinholes_open=0
stop_pinholed
