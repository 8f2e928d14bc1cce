#!/usr/bin/env bash
# Clients behind SNAT on the firewall (masquerade toward the servers): the
# server sees the firewall's address, pinholed still sees the client's, as
# copies toward the server are taken before SNAT and replies after the
# reverse translation. Passive downloads (curl EPSV, ftplib PASV/EPSV, v4 and
# v6) go through with enforcement on and no SYN retransmission, each through
# its pinhole (client address . server address . port).
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_with_pinholed
in_firewall nft -f - <<NAT || fail "SNAT: the firewall refused the nat table"
table inet nat_lab {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "to_server" counter masquerade
    }
}
NAT

before="$(client_syn_retransmissions)"
n=0
for family in v4 v6; do
    curl_get "${family}" big.bin "${LAB_DIR}/out/curl-${family}.bin" || fail "SNAT: curl from $(ftp_url "${family}" big.bin) failed"
    expect_sha256 "SNAT, curl ${family}" "${LAB_DIR}/out/curl-${family}.bin"
    ftplib_client get "$(lab_host "${family}")" big.bin "${LAB_DIR}/out/ftplib-${family}.bin" ||
        fail "SNAT: ftplib from $(lab_host "${family}") failed"
    expect_sha256 "SNAT, ftplib ${family}" "${LAB_DIR}/out/ftplib-${family}.bin"
    n=$((n + 2))
done
retrans=$(($(client_syn_retransmissions) - before))
[[ "${retrans}" -eq 0 ]] || fail "SNAT: ${n} downloads took ${retrans} SYN retransmission(s)"
used="$(status_field pinholes_used)"
[[ "${used}" -ge "${n}" ]] || fail "SNAT: ${n} downloads, but status says pinholes_used=${used}"
# The connections really were masqueraded: control and data, each family.
masqueraded="$(in_firewall nft list chain inet nat_lab postrouting | grep -o 'packets [0-9]*' | cut -d' ' -f2)"
[[ "${masqueraded:-0}" -ge $((2 * n)) ]] ||
    fail "SNAT: the masquerade rule translated ${masqueraded:-0} connections, expected at least $((2 * n)) (control and data of ${n} downloads)"
grep -F "pinhole closed" "${PINHOLED_LOG}" | grep -qF "initiator=${CLIENT4} " ||
    fail "SNAT: no pinhole with initiator=${CLIENT4} (the client's own address) was used"
lab_log "SNAT: ${n} downloads, ${masqueraded} connections masqueraded: ${used} pinholes used (initiator ${CLIENT4}), 0 SYN retransmissions"
stop_pinholed
