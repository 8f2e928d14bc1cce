#!/usr/bin/env bash
# A lossy path: the server's first SYN/ACK of every data connection is lost, so
# the client retransmits its SYN. The first SYN consumed the one-shot pinhole;
# the retransmission belongs to the same (already confirmed) conntrack entry and
# must still pass the firewall (`ct status ! confirmed` in the enforce rules).
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_with_pinholed

# The server never retransmits a SYN/ACK on its own, so the only way a data
# connection can complete is the client's retransmitted SYN passing the firewall.
ns_sysctl "${NS_S}" net.ipv4.tcp_synack_retries 0
# In the server namespace: drop the first SYN/ACK from each data port to each client.
in_server nft -f - <<NFT
table inet lossy {
    set seen4 { type ipv4_addr . inet_service; flags dynamic,timeout; timeout 60s; }
    set seen6 { type ipv6_addr . inet_service; flags dynamic,timeout; timeout 60s; }
    chain out {
        type filter hook output priority 0; policy accept;
        tcp sport ${DATA_PORT_MIN}-${DATA_PORT_MAX} tcp flags & (syn | ack) == syn | ack ip daddr . tcp sport @seen4 accept
        tcp sport ${DATA_PORT_MIN}-${DATA_PORT_MAX} tcp flags & (syn | ack) == syn | ack ip6 daddr . tcp sport @seen6 accept
        tcp sport ${DATA_PORT_MIN}-${DATA_PORT_MAX} tcp flags & (syn | ack) == syn | ack meta nfproto ipv4 add @seen4 { ip daddr . tcp sport } drop
        tcp sport ${DATA_PORT_MIN}-${DATA_PORT_MAX} tcp flags & (syn | ack) == syn | ack meta nfproto ipv6 add @seen6 { ip6 daddr . tcp sport } drop
    }
}
NFT

before="$(client_syn_retransmissions)"
for family in v4 v6; do
    out="${LAB_DIR}/out/lossy-${family}.bin"
    curl_get "${family}" big.bin "${out}" ||
        fail "lossy path, ${family}: the data connection's retransmitted SYN was dropped after its pinhole was used (download from $(ftp_url "${family}" big.bin) failed)"
    expect_sha256 "lossy path, ${family}" "${out}"
done
after="$(client_syn_retransmissions)"
[[ "$((after - before))" -ge 2 ]] ||
    fail "lossy path: expected the client to retransmit each data SYN (>= 2 in total), nstat says $((after - before)): the test did not exercise the retransmission"
lab_log "lossy path: both downloads passed with $((after - before)) SYN retransmissions"
stop_pinholed
