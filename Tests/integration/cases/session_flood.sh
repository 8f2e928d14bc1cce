#!/usr/bin/env bash
# A SYN flood to the control port must not lock real clients out of their
# pinholes. With `limits.sessions: 16`, 300 SYNs to 203.0.113.10:21 and 300
# to [2001:db8:2::10]:21, each sent twice, whose SYN/ACKs never get an answer
# (the client namespace drops them, as a spoofed source's network would) leave
# 600 half-open connections in conntrack, each a session to pinholed. A real client then downloads through a pinhole, v4 and
# v6; the session it had before the flood keeps its pinhole. Before quiet
# sessions were given up at the limit, the flood held all 16 places and the
# client's data connection was dropped (refused.global_limit).
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_up
start_vsftpd
write_policy "${LAB_DIR}/policy.yaml" 60s
printf 'limits:\n  sessions: 16\n' >>"${LAB_DIR}/policy.yaml"
start_pinholed "${LAB_DIR}/policy.yaml"

# A session from before the flood, with a pinhole waiting.
drive_start v4 before
drive_passive pasv
port="${DRIVE_PORT}"
expect_pinhole "a session from before the flood" "initiator=${CLIENT4}" "port=${port}"

# syn_flood.py's source ports are 20000-20299 here, under the client's
# ephemeral range (32768 and up): only the flood's SYN/ACKs are dropped.
in_client nft -f - <<'NFT'
table inet flood {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp sport 21 tcp dport 20000-20299 drop
    }
}
NFT
# 300 from the client's IPv4 address, 300 from its IPv6 one; then the same
# 600 again a second later. Once a connection's SYN/ACK has passed, its
# second SYN is `ct state established`, and copied; such a SYN once opened a
# session that was not quiet, and 16 of them locked every client out for the
# 60 s conntrack keeps a half-open connection.
flood_start="$(lab_now_ms)"
for pass in 1 2; do
    for target in "${CLIENT4} ${SERVER4}" "${CLIENT6} ${SERVER6}"; do
        read -r source destination <<<"${target}"
        sent="$(in_client "${LAB_PYTHON}" "${LAB_LIB_DIR}/syn_flood.py" "${source}" "${destination}" 300 21 21)" ||
            fail "session flood: syn_flood.py from ${source} failed (pass ${pass})"
        [[ "${sent}" -eq 300 ]] || fail "session flood: syn_flood.py sent ${sent} SYNs from ${source}, expected 300 (pass ${pass})"
    done
    [[ "${pass}" -eq 2 ]] || sleep 1
done
# half_open 4|6: the flood's connections the firewall's conntrack holds half-open.
half_open() {
    in_firewall conntrack -L -f "ipv$1" -p tcp --dport 21 --state SYN_RECV 2>/dev/null |
        grep -c 'sport=20[0-2][0-9][0-9] ' || true
}
flood_in_conntrack() { [[ "$(half_open 4)" -ge 250 && "$(half_open 6)" -ge 250 ]]; }
wait_until 100 flood_in_conntrack ||
    fail "session flood: expected at least 250 half-open connections to port 21 per family in conntrack, got $(half_open 4) (v4) and $(half_open 6) (v6)"
lab_log "session flood: 1200 SYNs sent (each tuple twice), $(half_open 4) (v4) and $(half_open 6) (v6) half-open connections in the firewall's conntrack"

out="${LAB_DIR}/out"
mkdir -p "${out}"
for family in v4 v6; do
    scenario="session flood: curl ${family} download of big.bin after the flood"
    rm -f "${out}/after-${family}.bin"
    curl_get "${family}" big.bin "${out}/after-${family}.bin" ||
        fail "${scenario}: curl failed (exit $?); status: $(ctl status 2>&1 | tr -s ' \n' ' ')"
    expect_sha256 "${scenario}" "${out}/after-${family}.bin"
done
lab_log "session flood: curl v4 and v6 downloads after the flood, sha256 ok"

expect_pinhole "the session from before the flood, after it" "initiator=${CLIENT4}" "port=${port}"
drive_quit

evicted="$(status_field sessions_evicted)"
[[ "${evicted}" -ge 500 ]] ||
    fail "session flood: expected at least 500 quiet sessions given up (sessions_evicted), got ${evicted}"
limited="$(status_field refused.global_limit)"
[[ "${limited}" -eq 0 ]] || fail "session flood: refused.global_limit is ${limited}, expected 0"
sessions="$(status_field sessions)"
[[ "${sessions}" -le 16 ]] || fail "session flood: ${sessions} sessions over limits.sessions 16"
# A warning at most every 10 s (the rest are debug lines): a flood must not flood the log.
warnings="$(grep -c ' warning session closed detail=.* reason=evicted service=lab session=.* since_warning=' "${PINHOLED_LOG}" || true)"
debug_lines="$(grep -c ' debug session closed reason=evicted ' "${PINHOLED_LOG}" || true)"
max_warnings=$((($(lab_now_ms) - flood_start) / 10000 + 1))
[[ "${warnings}" -ge 1 && "${warnings}" -le "${max_warnings}" && $((warnings + debug_lines)) -eq "${evicted}" ]] ||
    fail "session flood: expected 1-${max_warnings} eviction warnings (one per 10 s) and the rest of ${evicted} evictions as debug lines, got ${warnings} warnings and ${debug_lines} debug lines"
# A session that takes an evicted one's place is opened in a debug line: the
# flood's connections are info lines only while there was room (15 places).
flood_opens="$(grep -cE ' info session opened .*session=(198.51.100.2|\[2001:db8:1::2\]):20[0-2][0-9][0-9]->' "${PINHOLED_LOG}" || true)"
[[ "${flood_opens}" -le 15 ]] ||
    fail "session flood: ${flood_opens} info lines 'session opened' for flood connections, expected at most 15 (the rest debug)"
lab_log "session flood: ${evicted} quiet sessions given up, refused.global_limit 0, ${sessions} sessions; ${flood_opens} flood connections opened at info, ${warnings} eviction warnings"
stop_pinholed
