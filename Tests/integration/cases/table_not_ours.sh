#!/usr/bin/env bash
# A `table:` that names the host's own table (Debian's /etc/nftables.conf has
# `inet filter`) is refused before anything is touched: pinholed would flush
# its chains' rules on every start and delete the whole table on SIGTERM.
# At start-up: exit 2 naming what pinholed did not create, the table as it
# was. On SIGHUP: the reload is refused and the running policy stays.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_up
start_vsftpd v4
in_firewall nft -f - <<'NFT' || fail "could not load the host's own table inet hostfw"
table inet hostfw {
    set admins { type ipv4_addr; }
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport 22 accept comment "admin ssh"
    }
}
NFT
host_table() { in_firewall nft list table inet hostfw 2>&1; }
before="$(host_table)"

policy="${LAB_DIR}/policy.yaml"
write_policy "${policy}" 30s
sed 's/^table: pinhole$/table: hostfw/' "${policy}" >"${LAB_DIR}/hostfw.yaml"
expect_start_refused "pinholed with table: hostfw (the host's table)" "${LAB_DIR}/hostfw.yaml" 2 \
    "table inet hostfw exists and holds set admins, chain input, which pinholed did not create"
[[ "$(host_table)" == "${before}" ]] ||
    fail "pinholed with table: hostfw changed the host's table; before: ${before}; after: $(host_table)"

# SIGHUP onto the host's table: refused, the running table and policy stay.
start_pinholed "${policy}"
logged() { grep -qF "$1" "${PINHOLED_LOG}"; }
sed -i 's/^table: pinhole$/table: hostfw/' "${policy}"
kill -HUP "${PINHOLED_PID}"
wait_until 30 logged "reload refused, keeping the running policy" ||
    fail "reload onto table hostfw: expected 'reload refused' within 3 s, got: $(tail -n3 "${PINHOLED_LOG}" | tr '\n' ' ')"
grep -F "reload refused, keeping the running policy" "${PINHOLED_LOG}" | grep -qF "exists and holds" ||
    fail "reload onto table hostfw: expected the refusal to say the table holds what pinholed did not create"
[[ "$(host_table)" == "${before}" ]] || fail "the refused reload changed the host's table: $(host_table)"
curl_get v4 small.txt "${LAB_DIR}/out/after.txt" ||
    fail "after the refused reload: a passive download through pinholed (table pinhole) failed"
stop_pinholed
[[ "$(host_table)" == "${before}" ]] || fail "after SIGTERM the host's table changed: $(host_table)"
