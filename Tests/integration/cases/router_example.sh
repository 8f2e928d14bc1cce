#!/usr/bin/env bash
# The shipped example policies/router.yaml, unchanged but for the socket (--socket):
# its addresses are the lab server's; passive downloads over IPv4 (PASV) and IPv6
# (EPSV) work through its enforce: true, and an unannounced data port is dropped.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

ROUTER_POLICY="${LAB_REPO_ROOT}/policies/router.yaml"

lab_up
start_vsftpd
if ! grep -qF "${SERVER4}" "${ROUTER_POLICY}" || ! grep -qF "${SERVER6}" "${ROUTER_POLICY}"; then
    fail "router example: ${ROUTER_POLICY} no longer names the lab server ${SERVER4}/${SERVER6}; adapt this case"
fi
"${PINHOLECTL}" check "${ROUTER_POLICY}" >/dev/null || fail "router example: pinholectl check ${ROUTER_POLICY} failed"

socket="${LAB_DIR}/control.sock"
PINHOLED_EXTRA_ARGS="--socket ${socket}" start_pinholed "${ROUTER_POLICY}"
PINHOLED_SOCKET="${socket}"
[[ -S "${socket}" ]] || fail "router example: pinholed --socket ${socket}: no socket there"

# Enforce is on: a data port no PASV announced is dropped.
drive_start v4
expect_blocked "router example: connection from ${CLIENT4} to ${SERVER4} port 50050, announced by no PASV" 50050
drive_quit

curl_get v4 big.bin "${LAB_DIR}/out/router-v4.bin" --disable-epsv ||
    fail "router example: passive (PASV) v4 download from $(ftp_url v4 big.bin) failed"
expect_sha256 "router example: PASV v4 download" "${LAB_DIR}/out/router-v4.bin"
curl_get v6 big.bin "${LAB_DIR}/out/router-v6.bin" ||
    fail "router example: passive (EPSV) v6 download from $(ftp_url v6 big.bin) failed"
expect_sha256 "router example: EPSV v6 download" "${LAB_DIR}/out/router-v6.bin"

for fam in ipv4 ipv6; do
    sed 's/$/ /' "${PINHOLED_LOG}" | grep -F "pinhole closed" | grep -F "service=public-ftp " |
        grep -F "family=${fam} " | grep -qF "reason=used " ||
        fail "router example: expected a '${fam}' pinhole of service public-ftp closed as used in the log, got: $(grep -F 'pinhole' "${PINHOLED_LOG}" | tr '\n' ' ')"
done
expect_status "router example: after the two downloads" pinholes_used=2 pinholes_open=0 \
    "policy_sha256=$(sha256sum "${ROUTER_POLICY}" | cut -d' ' -f1)"
stop_pinholed
