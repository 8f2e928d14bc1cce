#!/usr/bin/env bash
# A server behind DNAT on the firewall (the most common way an FTP server sits
# behind one): clients connect to public addresses of the firewall
# (198.51.100.100, 2001:db8:1::100), which DNAT the control port and the
# passive range to the server; vsftpd announces the public IPv4 address
# (pasv_address; EPSV carries no address). The policy names the public
# addresses. pinholed copies and checks as the client sees the connection, so
# PASV and EPSV downloads (curl, ftplib, v4 and v6) go through with no SYN
# retransmission; a pending pinhole is listed with the public address; a data
# connection nobody negotiated is still dropped. Without pasv_address the 227
# names the private address, which is refused (pinholed rewrites nothing).
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

public4=198.51.100.100
public6=2001:db8:1::100
lab_up
VSFTPD_EXTRA_V4="pasv_address=${public4}" start_vsftpd
in_firewall ip addr add "${public4}/32" dev to_client
in_firewall ip addr add "${public6}/128" dev to_client nodad
in_firewall nft -f - <<NAT || fail "DNAT: the firewall refused the nat table"
table ip nat_lab {
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        ip daddr ${public4} tcp dport { 21, ${DATA_PORT_MIN}-${DATA_PORT_MAX} } dnat to ${SERVER4}
    }
}
table ip6 nat_lab {
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        ip6 daddr ${public6} tcp dport { 21, ${DATA_PORT_MIN}-${DATA_PORT_MAX} } dnat to ${SERVER6}
    }
}
NAT
real4="${SERVER4}" real6="${SERVER6}"
# From here on the lab's "server" is the one the clients see.
SERVER4="${public4}" SERVER6="${public6}"
write_policy "${LAB_DIR}/policy.yaml" 30s
start_pinholed "${LAB_DIR}/policy.yaml"

before="$(client_syn_retransmissions)"
n=0
for family in v4 v6; do
    curl_get "${family}" big.bin "${LAB_DIR}/out/curl-${family}.bin" ||
        fail "DNAT: curl from $(ftp_url "${family}" big.bin) (EPSV) failed"
    expect_sha256 "DNAT, curl ${family}" "${LAB_DIR}/out/curl-${family}.bin"
    ftplib_client get "$(lab_host "${family}")" big.bin "${LAB_DIR}/out/ftplib-${family}.bin" ||
        fail "DNAT: ftplib from $(lab_host "${family}") ($([[ "${family}" == v4 ]] && echo PASV || echo EPSV)) failed"
    expect_sha256 "DNAT, ftplib ${family}" "${LAB_DIR}/out/ftplib-${family}.bin"
    n=$((n + 2))
done
curl_get v4 big.bin "${LAB_DIR}/out/curl-pasv.bin" --disable-epsv ||
    fail "DNAT: curl --disable-epsv from $(ftp_url v4 big.bin) (PASV, 227 with ${public4}) failed"
expect_sha256 "DNAT, curl PASV" "${LAB_DIR}/out/curl-pasv.bin"
n=$((n + 1))
retrans=$(($(client_syn_retransmissions) - before))
[[ "${retrans}" -eq 0 ]] || fail "DNAT: ${n} downloads through ${public4}/${public6} took ${retrans} SYN retransmission(s)"
used="$(status_field pinholes_used)"
[[ "${used}" -ge "${n}" ]] || fail "DNAT: ${n} downloads, but status says pinholes_used=${used}"
lab_log "DNAT: ${n} downloads through ${public4} and ${public6} (to ${real4}, ${real6}): ${used} pinholes used, 0 SYN retransmissions"

# A pending PASV is the public address's, and is what the data connection uses.
drive_start v4
drive_passive pasv
[[ "${DRIVE_REPLY}" == *"host ${public4}"* ]] || fail "DNAT: the 227 should announce ${public4}, got: ${DRIVE_REPLY}"
expect_pinhole "DNAT, pending PASV" mode=passive "initiator=${CLIENT4}" "responder=${public4}" "port=${DRIVE_PORT}"
expect_set_element "DNAT, pending PASV" 4 "${CLIENT4}" "${public4}" "${DRIVE_PORT}"
drive nlst
[[ "${DRIVE_REPLY}" == ok\ * ]] || fail "DNAT: NLST over the pending PASV's port ${DRIVE_PORT} failed: ${DRIVE_REPLY}"

# Nobody negotiated this one: dropped, though the DNAT would carry it.
stray=$((DRIVE_PORT == DATA_PORT_MAX ? DATA_PORT_MIN : DRIVE_PORT + 1))
probe="$(ftplib_client probe "${public4}" "${stray}")"
[[ "${probe}" == timeout ]] || fail "DNAT: a connection to ${public4}:${stray} without a pinhole should be dropped (timeout), got: ${probe}"
drive_quit

# Without pasv_address the 227 names the server's private address. pinholed
# does not rewrite it (nf_nat_ftp would): it is refused, nothing opens.
in_server pkill -f "vsftpd-v4.conf" || true
wait_until 50 sh -c "! ip netns exec ${NS_S} ss -Hltn 'sport = :21' | grep -qF ${real4}" ||
    fail "DNAT: vsftpd (v4) did not stop"
VSFTPD_EXTRA_V4="" lab_start_one_vsftpd v4 "${real4}"
mismatches() {
    ctl status --json | "${LAB_PYTHON}" -c 'import json, sys; print(json.load(sys.stdin)["refused"].get("address_mismatch", 0))'
}
before_mismatch="$(mismatches)"
drive_start v4 private
drive_passive pasv
[[ "${DRIVE_REPLY}" == *"host ${real4}"* ]] || fail "DNAT without pasv_address: the 227 should name ${real4}, got: ${DRIVE_REPLY}"
refused_now() { [[ "$(mismatches)" -gt "${before_mismatch}" ]]; }
wait_until 20 refused_now ||
    fail "DNAT without pasv_address: a 227 naming ${real4} on a session to ${public4} should be refused as address_mismatch, count stays $(mismatches)"
expect_no_pinhole "DNAT without pasv_address" 5 "port=${DRIVE_PORT}"
drive_quit
lab_log "DNAT without pasv_address: the 227 naming ${real4} refused (address_mismatch), no pinhole"
stop_pinholed
