#!/usr/bin/env bash
# pinholed on the FTP server's own host (policies/server-host.yaml's setting,
# here with active: true as well): the lab's server namespace is the
# firewall. The server's active data connections leave through the output
# hook, its clients' passive ones arrive on the input path; both are checked.
# - With no PORT, a connection from the server host to a client's listening
#   port in data_ports is dropped, and so is a client's to a server data port.
# - Active and passive downloads work, each through its pinhole.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"
# shellcheck source=../lib/active.sh
source "${LAB_LIB_DIR}/active.sh"

active_lab_up
# From here on "the firewall" is the server's namespace: pinholed, its table
# and pinholectl run there (the teardown deletes namespaces by its own list).
NS_F="${NS_S}"
write_policy "${LAB_DIR}/policy.yaml" 30s true true
start_pinholed "${LAB_DIR}/policy.yaml"

# A listener on the client, in data_ports, that nobody announced.
probe_port=$((DATA_PORT_MIN + 7))
lab_spawn "${LAB_DIR}/client-listener.log" "${NS_C}" "${LAB_PYTHON}" "${LAB_LIB_DIR}/ftpclient.py" listen "${probe_port}" 60
wait_until 30 bash -c "ip netns exec '${NS_C}' ss -Hltn 'sport = :${probe_port}' | grep -q ." ||
    fail "server host: the client's listener on port ${probe_port} did not come up"
for client in "${CLIENT4}" "${CLIENT6}"; do
    got="$(in_server "${LAB_PYTHON}" "${LAB_LIB_DIR}/ftpclient.py" probe "${client}" "${probe_port}")"
    [[ "${got}" == timeout ]] ||
        fail "server host, active: true: a connection from the server to ${client} port ${probe_port} with no PORT should be dropped (timeout), got: ${got}"
done
[[ ! -s "${LAB_DIR}/client-listener.log" ]] ||
    fail "server host: the client's listener accepted a connection nobody announced: $(cat "${LAB_DIR}/client-listener.log")"
got="$(in_client "${LAB_PYTHON}" "${LAB_LIB_DIR}/ftpclient.py" probe "${SERVER4}" "${probe_port}")"
[[ "${got}" == timeout ]] ||
    fail "server host: a client's connection to ${SERVER4} port ${probe_port} with no PASV should be dropped (timeout), got: ${got}"
lab_log "server host: unannounced connections dropped both ways"

for family in v4 v6; do
    out="${LAB_DIR}/out/server-host-active-${family}.bin"
    curl_active "${family}" big.bin "${out}" || fail "server host: active ${family} download from $(ftp_url "${family}" big.bin) failed"
    expect_sha256 "server host: active ${family} download" "${out}"
    out="${LAB_DIR}/out/server-host-passive-${family}.bin"
    curl_get "${family}" big.bin "${out}" || fail "server host: passive ${family} download from $(ftp_url "${family}" big.bin) failed"
    expect_sha256 "server host: passive ${family} download" "${out}"
done
grep -qF "mode=active" "${PINHOLED_LOG}" || fail "server host: no active pinhole in the log"
lab_log "server host: active and passive downloads, v4 and v6, each through a pinhole"
stop_pinholed
