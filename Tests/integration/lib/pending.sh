# shellcheck shell=bash
# The life of one passive pinhole, seen from pinholectl and from the kernel's set.
# Needs lab.sh, a running FTP server and a fresh pinholed (counters start at 0).

# pending_passive_lifecycle v4|v6: PASV (v4) or EPSV (v6) held pending -> exact entry
# in list --json and in the set; data connection -> gone, the same port blocked again;
# a second PASV/EPSV then QUIT -> gone within 1 s; counters moved accordingly.
pending_passive_lifecycle() {
    local family="$1" verb=pasv nft=4 fam=ipv4 client="${CLIENT4}" server="${SERVER4}"
    if [[ "${family}" == v6 ]]; then
        verb=epsv nft=6 fam=ipv6 client="${CLIENT6}" server="${SERVER6}"
    fi
    local what="${verb^^} from ${client} to ${server}"

    drive_start "${family}"
    local control_port="${DRIVE_CLIENT_PORT}"
    drive_passive "${verb}"
    local port="${DRIVE_PORT}"
    local -a entry=(service=lab mode=passive "family=${fam}" "initiator=${client}"
        "responder=${server}" "port=${port}" "session.client=${client}"
        "session.client_port=${control_port}" "session.server=${server}" session.server_port=21)

    expect_pinhole "pending ${what} (port ${port})" "${entry[@]}"
    expect_set_element "pending ${what} (port ${port})" "${nft}" "${client}" "${server}" "${port}"
    expect_status "pending ${what}" pinholes_open=1 pinholes_opened=1 sessions=1

    drive nlst
    [[ "${DRIVE_REPLY}" == ok\ * ]] ||
        fail "${what}: NLST over the data connection to port ${port} should work through the pinhole, got: ${DRIVE_REPLY}"
    expect_no_pinhole "${what}: after the data connection to port ${port} was made" 20 "port=${port}"
    expect_no_set_element "${what}: after the data connection to port ${port} was made" 20 \
        "${nft}" "${client}" "${server}" "${port}"
    expect_blocked "${what}: second connection to the used pinhole's port ${port}" "${port}"
    expect_status "${what}: after one data connection" pinholes_open=0 pinholes_opened=1 pinholes_used=1

    drive_passive "${verb}"
    local second="${DRIVE_PORT}"
    expect_pinhole "second pending ${what} (port ${second})" "port=${second}" "initiator=${client}" "responder=${server}"
    drive_quit
    expect_no_pinhole "${what}: after QUIT with a pending pinhole on port ${second}" 10 "port=${second}"
    expect_set_empty "${what}: after QUIT with a pending pinhole on port ${second}" 10 "${nft}"
    expect_status "${what}: after QUIT" pinholes_open=0 pinholes_opened=2 pinholes_used=1 \
        pinholes_closed_with_session=1 pinholes_expired=0
}

# pending_passive_timeout v4|v6 SECONDS: a pinhole nobody uses closes after the
# policy's pinhole_timeout (SECONDS), in the list and in the set, and stays closed.
pending_passive_timeout() {
    local family="$1" seconds="$2" verb=pasv nft=4 fam=ipv4 client="${CLIENT4}" server="${SERVER4}"
    if [[ "${family}" == v6 ]]; then
        verb=epsv nft=6 fam=ipv6 client="${CLIENT6}" server="${SERVER6}"
    fi
    local what="unused ${verb^^} from ${client} to ${server}"
    drive_start "${family}" "timeout-${family}"
    drive_passive "${verb}"
    local port="${DRIVE_PORT}" opened_at
    opened_at="$(lab_now_ms)"
    expect_pinhole "${what} (port ${port})" "port=${port}" "family=${fam}" "initiator=${client}" "responder=${server}"
    expect_set_element "${what} (port ${port})" "${nft}" "${client}" "${server}" "${port}"
    # Still there well before the timeout.
    sleep "$(awk -v s="${seconds}" 'BEGIN { print s / 2 }')"
    pinhole_check find "port=${port}" ||
        fail "${what}: the pinhole on port ${port} closed before half of pinhole_timeout ${seconds}s; ${CHECK_OUT}"
    expect_no_pinhole "${what}: pinhole_timeout ${seconds}s passed (port ${port})" $((seconds * 10 + 30)) "port=${port}"
    expect_set_empty "${what}: pinhole_timeout ${seconds}s passed (port ${port})" 20 "${nft}"
    lab_log "${what}: pinhole on port ${port} gone after $(($(lab_now_ms) - opened_at)) ms"
    expect_blocked "${what}: connection to the expired pinhole's port ${port}" "${port}"
    drive_quit
}
