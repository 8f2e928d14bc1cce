#!/usr/bin/env bash
# The INSTALLED unit under a real systemd, which `systemd-analyze verify` cannot
# show: this machine's /usr booted in a container (systemd-nspawn --volatile=yes:
# an empty /etc, /var and /run, its own network namespace) to a target that wants
# nft-pinhole.service, network-pre.target and systemd-networkd.service. Checks:
#   - Type=notify: the unit is active once pinholed is ready, and it was active
#     before network-pre.target was reached and before networkd started;
#   - the hardening (CapabilityBoundingSet=, SystemCallFilter=, ProtectSystem=,
#     RestrictAddressFamilies=, ...) leaves pinholed its work: its table is in,
#     a passive download from a client namespace goes through a pinhole, a
#     connection to a data port nobody announced is dropped, and its journal
#     has no warning (its lines carry their levels: `ready` is at notice);
#   - `systemctl reload`: a good policy is applied; a bad one fails the reload
#     (ExecReload='s check), the service stays up with the old policy;
#   - `systemctl stop`: a clean exit (Result=success) that removes the table;
#   - a drop-in that allows no netlink: pinholed exits 2 and names EAFNOSUPPORT,
#     and the unit does not restart it.
# Run by packaging/test-deb after `dpkg -i`. Network: the container's namespace
# holds 198.51.100.21 (the FTP server's host, where pinholed runs) and a
# namespace inside it the client, 203.0.113.5; both go with the container,
# which the EXIT trap stops.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lab_lib="$(cd "${here}/../../Tests/integration/lib" && pwd)"

fail() {
    printf 'unit_boot: FAIL: %s\n' "$*" >&2
    exit 1
}
say() { printf 'unit_boot: %s\n' "$*"; }

command -v systemd-nspawn >/dev/null || fail "systemd-nspawn not found (apt-get install systemd-container)"
[[ -f /lib/systemd/system/nft-pinhole.service ]] || fail "nft-pinhole is not installed"

work="$(mktemp -d /tmp/unit-boot.XXXXXX)"
nspawn_pid=""
leader=""
cleanup() {
    local rc=$?
    set +e
    if [[ -n "${nspawn_pid}" ]] && kill -0 "${nspawn_pid}" 2>/dev/null; then
        # SIGTERM asks the container's systemd to halt; SIGKILL if it will not.
        kill -TERM "${nspawn_pid}" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "${nspawn_pid}" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "${nspawn_pid}" 2>/dev/null
        wait "${nspawn_pid}" 2>/dev/null
    fi
    # nspawn leaves this directory behind (it will not remove it under /run).
    rmdir /run/systemd/nspawn/propagate/pinhole-boot-test 2>/dev/null
    if [[ "${rc}" -ne 0 && -f "${work}/console.log" ]]; then
        echo "unit_boot: the container's console:" >&2
        sed 's/\x1b\[[0-9;]*m//g' "${work}/console.log" | tail -n 40 >&2
    fi
    rm -rf "${work}"
    exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

policy="${work}/policy.yaml"
write_policy() {  # write_policy PINHOLE_TIMEOUT: rewritten in place (the bind mount holds the inode)
    cat >"${policy}" <<EOF
services:
  - name: boot-test
    servers: [198.51.100.21]
    clients: [203.0.113.0/24]
    control_port: 21
    passive: true
    active: false
    data_ports: 50000-50099
    pinhole_timeout: $1
    enforce: true
EOF
}
write_policy 20s
cat >"${work}/boot.target" <<'EOF'
[Unit]
Description=nft-pinhole boot test
Requires=sysinit.target
After=sysinit.target
Wants=nft-pinhole.service network-pre.target systemd-networkd.service
AllowIsolate=yes
EOF

say "booting /usr in a container (systemd-nspawn --volatile=yes --private-network)"
systemd-nspawn --quiet --directory=/ --volatile=yes --boot --private-network \
    --register=no --keep-unit --machine=pinhole-boot-test \
    --bind-ro="${policy}:/etc/nft-pinhole/policy.yaml" \
    --bind-ro="${work}/boot.target:/etc/systemd/system/nft-pinhole-boot-test.target" \
    --bind-ro="${lab_lib}:/opt/nft-pinhole-boot-test/lib" \
    -- systemd.unit=nft-pinhole-boot-test.target systemd.firstboot=off \
    </dev/null >"${work}/console.log" 2>&1 &
nspawn_pid=$!

# The container's PID 1 is nspawn's child.
for _ in $(seq 1 100); do
    leader="$(pgrep -P "${nspawn_pid}" -x systemd || true)"
    [[ -n "${leader}" ]] && break
    kill -0 "${nspawn_pid}" 2>/dev/null || fail "systemd-nspawn exited before the container's systemd started"
    sleep 0.1
done
[[ -n "${leader}" ]] || fail "no systemd in the container after 10 s"

# inside CMD...: CMD in the container, with a clean environment.
inside() {
    nsenter --target "${leader}" --mount --uts --ipc --net --pid -- \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}
# journal [JOURNALCTL OPTION...]: pinholed's unit's journal in the container.
journal() { inside journalctl -u nft-pinhole.service --no-pager "$@"; }
# unit_state UNIT: active, activating, failed, ...
unit_state() { inside systemctl is-active "$1" 2>/dev/null || true; }
# wait_state UNIT STATE: up to 30 s.
wait_state() {
    local _
    for _ in $(seq 1 300); do
        [[ "$(unit_state "$1")" == "$2" ]] && return 0
        sleep 0.1
    done
    return 1
}

wait_state nft-pinhole-boot-test.target active ||
    fail "the boot target is $(unit_state nft-pinhole-boot-test.target) after 30 s; nft-pinhole.service is $(unit_state nft-pinhole.service)"
# The target is not ordered after the service: wait for the service itself.
wait_state nft-pinhole.service active || {
    journal -o cat >&2 || true
    fail "nft-pinhole.service is $(unit_state nft-pinhole.service) 30 s after boot (journal above)"
}
say "booted: nft-pinhole.service is active"

# Type=notify: active means pinholed said READY=1, after its table was in.
monotonic() { inside systemctl show -P "$2" "$1"; }
ready="$(monotonic nft-pinhole.service ActiveEnterTimestampMonotonic)"
network_pre="$(monotonic network-pre.target ActiveEnterTimestampMonotonic)"
networkd="$(monotonic systemd-networkd.service ExecMainStartTimestampMonotonic)"
[[ "${ready}" -gt 0 && "${network_pre}" -gt 0 ]] ||
    fail "no activation times: nft-pinhole.service ${ready}, network-pre.target ${network_pre}"
[[ "${ready}" -le "${network_pre}" ]] ||
    fail "network-pre.target was reached (${network_pre} µs) before pinholed was ready (${ready} µs)"
if [[ "${networkd}" -gt 0 && "${networkd}" -lt "${ready}" ]]; then
    fail "systemd-networkd started (${networkd} µs) before pinholed was ready (${ready} µs)"
fi
say "ready at ${ready} µs, network-pre.target at ${network_pre} µs, networkd started at ${networkd} µs"
inside nft list table inet pinhole >"${work}/table" 2>"${work}/table.err" || fail "pinholed's table is not in the container's ruleset"
grep -q 'queue' "${work}/table" || fail "pinholed's table has no race guard (queue rule): $(cat "${work}/table")"

say "a passive download through a pinhole (pyftpdlib on 198.51.100.21, ftplib in a client namespace)"
inside ip link add pb-server type veth peer name pb-client
inside ip netns add pinhole-boot-client
inside ip link set pb-client netns pinhole-boot-client
inside ip addr add 198.51.100.21/32 dev pb-server
inside ip link set pb-server up
inside ip link set lo up
inside ip route add 203.0.113.5/32 dev pb-server
inside ip netns exec pinhole-boot-client ip addr add 203.0.113.5/32 dev pb-client
inside ip netns exec pinhole-boot-client ip link set pb-client up
inside ip netns exec pinhole-boot-client ip link set lo up
inside ip netns exec pinhole-boot-client ip route add 198.51.100.21/32 dev pb-client
inside mkdir -p /srv/boot-test
inside dd if=/dev/urandom of=/srv/boot-test/file.bin bs=64k count=16 status=none
nsenter --target "${leader}" --mount --uts --ipc --net --pid -- env -i PATH=/usr/bin:/bin \
    /usr/bin/python3 /opt/nft-pinhole-boot-test/lib/pyftpd.py --root /srv/boot-test --ports 50000-50099 \
    198.51.100.21 >"${work}/pyftpdlib.log" 2>&1 &
listening=""
for _ in $(seq 1 50); do
    if inside ss -Hltn 'sport = :21' | grep -q '198.51.100.21:21'; then listening=1; break; fi
    sleep 0.1
done
[[ -n "${listening}" ]] || fail "pyftpdlib is not listening on 198.51.100.21:21 after 5 s: $(cat "${work}/pyftpdlib.log")"
client() { inside ip netns exec pinhole-boot-client /usr/bin/python3 /opt/nft-pinhole-boot-test/lib/ftpclient.py "$@"; }
client get 198.51.100.21 file.bin /srv/boot-test/got.bin ||
    fail "the passive download through pinholed failed; pinholed's journal: $(journal -o cat)"
sums="$(inside sha256sum /srv/boot-test/file.bin /srv/boot-test/got.bin | cut -d' ' -f1 | sort -u | wc -l)"
[[ "${sums}" == 1 ]] ||
    fail "the downloaded file differs from the server's"
status="$(inside pinholectl status --json)"
python3 - "${status}" <<'EOF' || fail "pinholectl status after the download: ${status}"
import json, sys
s = json.loads(sys.argv[1])
assert s["pinholes_opened"] >= 1 and s["pinholes_used"] >= 1, s
EOF
probe="$(client probe 198.51.100.21 50099)"
[[ "${probe}" == timeout ]] ||
    fail "a connection to data port 50099, which nobody announced, got '${probe}'; enforce should drop it (timeout)"
say "downloaded through a pinhole (pinholes_opened and _used >= 1); an unannounced data port: ${probe}"
# pinholed's lines carry their level to the journal (<N> prefixes): without
# that, -p below would find nothing whatever pinholed logged.
journal -p notice..notice -o cat -q | grep -q ' notice ready ' ||
    fail "the journal does not have pinholed's ready line at priority notice: $(journal -o json | grep -m1 ' ready ')"
warnings="$(journal -p warning -o cat -q || true)"
[[ -z "${warnings}" ]] || fail "pinholed logged warnings or errors under the unit's hardening: ${warnings}"

say "systemctl reload: a good policy, then a bad one"
write_policy 30s
inside systemctl reload nft-pinhole.service || fail "systemctl reload of a valid policy failed"
sha="$(sha256sum "${policy}" | cut -d' ' -f1)"
for _ in $(seq 1 50); do
    [[ "$(inside pinholectl status --json)" == *"${sha}"* ]] && break
    sleep 0.1
done
[[ "$(inside pinholectl status --json)" == *"${sha}"* ]] || fail "after the reload, status does not show the new policy's sha256 ${sha}"
printf 'services:\n  - name: [unclosed\n' >"${policy}"
if inside systemctl reload nft-pinhole.service 2>/dev/null; then
    fail "systemctl reload of an invalid policy succeeded"
fi
[[ "$(unit_state nft-pinhole.service)" == active ]] || fail "a failed reload left the service $(unit_state nft-pinhole.service)"
[[ "$(inside pinholectl status --json)" == *"${sha}"* ]] || fail "a failed reload changed the running policy"
journal -o cat | grep -Eq 'policy\.yaml:[0-9]+:[0-9]+' ||
    fail "the failed reload's check did not put FILE:LINE in the journal"
# SIGHUP past the check: pinholed refuses the policy itself, at error priority.
inside kill -HUP "$(inside systemctl show -P MainPID nft-pinhole.service)"
for _ in $(seq 1 50); do
    journal -p err -o cat -q | grep -q 'reload refused' && break
    sleep 0.1
done
journal -p err -o cat -q | grep -q 'reload refused' ||
    fail "SIGHUP with an invalid policy: no 'reload refused' at priority err in the journal"
[[ "$(unit_state nft-pinhole.service)" == active ]] || fail "a refused SIGHUP left the service $(unit_state nft-pinhole.service)"
[[ "$(inside pinholectl status --json)" == *"${sha}"* ]] || fail "a refused SIGHUP changed the running policy"
say "reload applied a valid policy; an invalid one failed the reload (and a bare SIGHUP logged 'reload refused' at err), the service kept its policy"
write_policy 30s

say "systemctl stop"
inside systemctl stop nft-pinhole.service
result="$(inside systemctl show -P Result nft-pinhole.service)"
status_code="$(inside systemctl show -P ExecMainStatus nft-pinhole.service)"
[[ "${result}" == success && "${status_code}" == 0 ]] ||
    fail "stop: Result=${result}, ExecMainStatus=${status_code} (expected success, 0)"
if inside nft list table inet pinhole >/dev/null 2>&1; then fail "the table is still there after systemctl stop"; fi
say "stopped cleanly (Result=success, exit 0), table removed"

say "a drop-in that allows no netlink: exit 2, and no restart every 5 s"
inside mkdir -p /etc/systemd/system/nft-pinhole.service.d
# An empty assignment first: allow lists are merged with the unit's own.
inside sh -c 'printf "[Service]\nRestrictAddressFamilies=\nRestrictAddressFamilies=AF_UNIX\n" >/etc/systemd/system/nft-pinhole.service.d/no-netlink.conf'
inside systemctl daemon-reload
if inside systemctl start nft-pinhole.service 2>/dev/null; then fail "pinholed started without netlink"; fi
# A failure the unit restarts shows as activating (auto-restart) at once.
state="$(unit_state nft-pinhole.service)"
status_code="$(inside systemctl show -P ExecMainStatus nft-pinhole.service)"
[[ "${state}" == failed && "${status_code}" == 2 ]] ||
    fail "without netlink: the unit is ${state}, pinholed exited ${status_code} (expected failed, 2: no restart loop)"
journal -p err -o cat | tee "${work}/no-netlink.journal" | grep -q "netlink socket for nftables: EAFNOSUPPORT" ||
    fail "without netlink: the journal does not say why: $(tail -n 8 "${work}/no-netlink.journal")"
say "without netlink: failed, exit 2, the journal names EAFNOSUPPORT at priority err"
say "PASS"
