# shellcheck shell=bash
# Active-mode FTP (PORT / EPRT) in the lab: the server connects back to the client.
# Needs lab.sh. The client's ephemeral ports are narrowed to the lab's data port
# range, so every port a client announces is inside the policy's data_ports.

# client_port_range LOW HIGH: ephemeral ports of the client namespace (IPv4 and IPv6).
client_port_range() {
    ns_sysctl "${NS_C}" net.ipv4.ip_local_port_range "$1 $2"
    lab_log "client ephemeral ports: $(in_client cat /proc/sys/net/ipv4/ip_local_port_range | tr '\t' ' ')"
}

# active_lab_up [START_SERVER]: the lab, the client's ephemeral ports inside the
# lab's data ports (so every port a client announces is in data_ports), and the
# FTP server(s) START_SERVER starts (start_vsftpd unless told, e.g. start_proftpd).
active_lab_up() {
    local start_server="${1:-start_vsftpd}"
    lab_up
    client_port_range "${DATA_PORT_MIN}" "${DATA_PORT_MAX}"
    "${start_server}"
}

# write_active_policy FILE [PINHOLE_TIMEOUT] [PASSIVE]: service "lab" with active on
# (passive off unless PASSIVE is true), data_ports = the lab range, enforce: true.
write_active_policy() {
    write_policy "$1" "${2:-30s}" "${3:-false}" true
}

# curl_active FAMILY PATH OUT [CURL OPTIONS...]: curl in active mode (-P -: the
# control connection's own address; EPRT, or PORT with --disable-eprt).
curl_active() {
    local family="$1" path="$2" out="$3"
    shift 3
    curl_get "${family}" "${path}" "${out}" -P - "$@"
}

# lftp_active_get FAMILY PATH OUT: lftp with passive mode off (PORT on IPv4, EPRT on IPv6).
lftp_active_get() { lftp_get "$1" "$2" "$3" off; }

# active_get FAMILY CLIENT FILE: big.bin by one active-mode client.
active_get() {
    case "$2" in
        curl-port) curl_active "$1" big.bin "$3" --disable-eprt ;;
        curl-eprt) curl_active "$1" big.bin "$3" ;;
        lftp) lftp_active_get "$1" big.bin "$3" ;;
        ftplib) ftplib_client get-active "$(lab_host "$1")" big.bin "$3" ;;
        *) fail "active_get: no client $2" ;;
    esac
}

# active_downloads LABEL: every active-mode client, IPv4 and IPv6, 1 MiB with a
# matching sha256, and an active LIST per family.
active_downloads() {
    local label="$1" family scenario
    download_suite "${label}" active active_get "v4 curl-port" "v4 curl-eprt" "v6 curl-eprt" \
        "v4 lftp" "v6 lftp" "v4 ftplib" "v6 ftplib"
    for family in v4 v6; do
        local listing
        scenario="${label}: curl active ${family} LIST of $(ftp_url "${family}" '')"
        listing="$(curl_active "${family}" '' - 2>&1)" || fail "${scenario}: curl failed: ${listing}"
        if ! grep -q 'big\.bin' <<<"${listing}" || ! grep -q 'small\.txt' <<<"${listing}"; then
            fail "${scenario}: expected big.bin and small.txt in the listing, got: ${listing}"
        fi
        lab_log "${label}: active LIST ${family} by curl ok"
    done
}

# active_pending FAMILY [AT_PORT]: PORT (v4) or EPRT (v6) by the step-by-step client.
# Held pending: exactly one active pinhole server -> client:port in list --json and
# in the set; the server's data connection uses it and it closes.
# AT_PORT=connects-at-port for servers that connect back as soon as they accept the
# PORT (pyftpdlib): nothing stays pending, so the log must show the active pinhole
# opened and then closed as used, and the NLST must work.
active_pending() {
    local family="$1" at_port="${2:-}" verb=port nft=4 fam=ipv4 client="${CLIENT4}" server="${SERVER4}"
    if [[ "${family}" == v6 ]]; then
        verb=eprt nft=6 fam=ipv6 client="${CLIENT6}" server="${SERVER6}"
    fi
    local what="pending ${verb^^} from ${client} to ${server}" start
    drive_start "${family}" "active-${family}"
    local control_port="${DRIVE_CLIENT_PORT}"
    start="$(lab_now_ms)"
    drive active "${verb}"
    [[ "${DRIVE_REPLY}" == port\ * ]] || fail "${what}: the server refused ${verb^^}: ${DRIVE_REPLY}"
    local port="${DRIVE_REPLY#port }"
    if [[ "${at_port}" == connects-at-port ]]; then
        local took=$(($(lab_now_ms) - start))
        local opened="pinhole opened family=${fam} initiator=${server} mode=active port=${port} responder=${client}"
        local closed="pinhole closed family=${fam} initiator=${server} mode=active port=${port} reason=used responder=${client}"
        wait_until 20 grep -qF "${closed}" "${PINHOLED_LOG}" ||
            fail "${what}: the server connects back at once; expected '${opened}' then '${closed}' in the pinholed log, got: $(grep -F "port=${port}" "${PINHOLED_LOG}" | tr '\n' ' ')"
        grep -qF "${opened}" "${PINHOLED_LOG}" || fail "${what}: no '${opened}' in the pinholed log"
        # ~1 s is the server's first SYN dropped and retransmitted: the pinhole came late.
        [[ "${took}" -lt 900 ]] || lab_log "${what}: PORT answered after ${took} ms: the server's first SYN was probably dropped (pinhole late)"
    else
        expect_pinhole "${what} (client port ${port})" service=lab mode=active "family=${fam}" \
            "initiator=${server}" "responder=${client}" "port=${port}" "session.client=${client}" \
            "session.client_port=${control_port}" "session.server=${server}" session.server_port=21
        expect_set_element "${what} (client port ${port})" "${nft}" "${server}" "${client}" "${port}"
    fi
    drive activenlst
    [[ "${DRIVE_REPLY}" == ok\ * ]] ||
        fail "${what}: NLST with the server connecting to ${client} port ${port} should work through the pinhole, got: ${DRIVE_REPLY}"
    expect_no_pinhole "${what}: after the server's data connection to port ${port}" 20 "port=${port}" mode=active
    expect_no_set_element "${what}: after the server's data connection to port ${port}" 20 \
        "${nft}" "${server}" "${client}" "${port}"
    drive_quit
}

# active_through_pinholed SERVER [AT_PORT]: the active cases' body, with the lab
# and SERVER running and no pinholed yet: pinholed on the active policy, a
# pending PORT and EPRT (AT_PORT as active_pending's), every active client's
# download and listing, one pinhole used per data connection; then, for servers
# that connect back only for a transfer that succeeds (not AT_PORT ones), five
# refused RETRs that close their pinholes (rejected_by_server) so a sixth works;
# then the table left by a crash blocks active transfers.
active_through_pinholed() {
    local server="$1" at_port="${2:-}"
    write_active_policy "${LAB_DIR}/policy.yaml" 30s
    start_pinholed "${LAB_DIR}/policy.yaml"
    active_pending v4 ${at_port}
    active_pending v6 ${at_port}
    active_downloads "${server} via pinholed"
    wait_until 20 status_check pinholes_open=0 ||
        fail "${server} active via pinholed: all sessions ended, expected no open pinhole; ${CHECK_OUT}"
    local used
    used="$(status_field pinholes_used)"
    # 2 pending NLSTs, 7 downloads, 2 listings: one pinhole each.
    [[ "${used}" -ge 11 ]] ||
        fail "${server} active via pinholed: 11 data connections were made, pinholes_used is ${used}"
    [[ -n "${at_port}" ]] || active_refused_transfers "${server}"
    active_blocked_without_pinholed "${server} active"
}

# active_refused_transfers SERVER: five RETRs of a missing file after PORT, then
# RETR small.txt, in one session. A server that connects back only for a RETR
# that succeeds answers 550 without connecting, so each refused one's pinhole
# must close (rejected_by_server) instead of filling the session's limit of 4.
active_refused_transfers() {
    local server="$1" got rejected
    got="$(in_client timeout 60 "${LAB_PYTHON}" "${LAB_LIB_DIR}/ftpclient.py" get-after-refused "${SERVER4}" 5 small.txt 2>&1)" ||
        fail "${server} active: five refused RETRs, then RETR small.txt in the same session failed: $(tr '\n' ' ' <<<"${got}")"
    [[ "$(grep -c ': 550$' <<<"${got}")" == 5 && "${got}" == *"small.txt: "*" bytes"* ]] ||
        fail "${server} active: expected five 550s and then small.txt, got: $(tr '\n' ' ' <<<"${got}")"
    rejected="$(grep -c 'pinhole closed .*mode=active .*reason=rejected_by_server' "${PINHOLED_LOG}" || true)"
    [[ "${rejected}" -ge 5 ]] ||
        fail "${server} active: five refused RETRs should close their pinholes (reason=rejected_by_server), the log has ${rejected}"
    lab_log "${server} active: five refused RETRs closed their pinholes; the next RETR worked"
}

# active_blocked_without_pinholed LABEL: pinholed's table (active: true) left
# behind by a crash (SIGKILL) makes active downloads fail (fail closed); without
# the table they work. pinholed must be running; it is killed here.
active_blocked_without_pinholed() {
    local label="$1" family out
    kill_pinholed
    pinhole_table_present || fail "${label}: after SIGKILL: expected pinholed's table to stay in the kernel"
    for family in v4 v6; do
        out="${LAB_DIR}/out/active-blocked-${family}.bin"
        if curl_active "${family}" big.bin "${out}" --connect-timeout 3 --max-time 8 2>/dev/null; then
            fail "${label}: pinholed's table without pinholed: an active ${family} download from $(ftp_url "${family}" big.bin) succeeded, expected the server's connection to the client to be dropped"
        fi
        lab_log "${label}: ${family}: active download blocked without pinholed, as expected"
    done
    in_firewall nft delete table inet pinhole
    curl_active v4 big.bin "${LAB_DIR}/out/active-unblocked.bin" --connect-timeout 3 --max-time 8 ||
        fail "${label}: after deleting the saved table, the active download from $(ftp_url v4 big.bin) still failed: the lab itself is broken"
    expect_sha256 "${label}: active download with no firewall table" "${LAB_DIR}/out/active-unblocked.bin"
}
