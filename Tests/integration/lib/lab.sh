# shellcheck shell=bash
# The namespace lab: client <-> firewall <-> server, real FTP servers, pinholed.
#
# Source this file from a bash script that has `set -euo pipefail`, then call
# `lab_up`. Everything the lab starts is recorded and torn down by the EXIT/INT/TERM
# trap (`lab_down`). Test traffic stays inside the three namespaces created here and
# uses only the documentation addresses below.

LAB_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB_REPO_ROOT="$(cd "${LAB_LIB_DIR}/../../.." && pwd)"

# Binaries and interpreters: overridable from the environment.
PINHOLED="${PINHOLED:-${LAB_REPO_ROOT}/.build/debug/pinholed}"
PINHOLECTL="${PINHOLECTL:-${LAB_REPO_ROOT}/.build/debug/pinholectl}"
# Debian's python3 has pyftpdlib; a pyenv shim on PATH may not.
LAB_PYTHON="${LAB_PYTHON:-/usr/bin/python3}"

# Addresses: the only ones the lab ever uses.
CLIENT4=198.51.100.2
CLIENT6=2001:db8:1::2
FW_CLIENT4=198.51.100.1
FW_CLIENT6=2001:db8:1::1
SERVER4=203.0.113.10
SERVER6=2001:db8:2::10
FW_SERVER4=203.0.113.1
FW_SERVER6=2001:db8:2::1

# Passive data port range of every FTP server in the lab (and of the lab policy).
DATA_PORT_MIN=50000
DATA_PORT_MAX=50100

LAB_ID="${LAB_ID:-ph$$}"
NS_C="${LAB_ID}c"
NS_F="${LAB_ID}f"
NS_S="${LAB_ID}s"
LAB_DIR=""
LAB_PIDS=()
LAB_NAMESPACES=()
PINHOLED_PID=""
PINHOLED_LOG=""
PINHOLED_SOCKET=""

# Progress lines on stderr; LAB_QUIET=1 silences them (failures are still printed).
lab_log() {
    [[ -z "${LAB_QUIET:-}" ]] || return 0
    printf '[lab %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

# Print a failure in a form the runner shows, then stop the case.
# Usage: fail "scenario: what was expected vs what was seen"
fail() {
    printf '%s\n' "$*" >"${LAB_REASON_FILE:-/dev/null}" 2>/dev/null || true
    printf 'FAILED: %s\n' "$*" >&2
    exit 1
}

# Stop the case as skipped (exit code 77, as automake does).
skip() {
    printf '%s\n' "$*" >"${LAB_REASON_FILE:-/dev/null}" 2>/dev/null || true
    printf 'SKIPPED: %s\n' "$*" >&2
    exit 77
}

in_ns() {
    local ns="$1"
    shift
    ip netns exec "${ns}" "$@"
}
in_client() { in_ns "${NS_C}" "$@"; }
in_firewall() { in_ns "${NS_F}" "$@"; }
in_server() { in_ns "${NS_S}" "$@"; }

# lab_spawn LOG NAMESPACE CMD...: run CMD in the background in NAMESPACE, remember
# its pid for the teardown. `ip netns exec` execs CMD, so the pid is CMD's own (a
# shell function here would fork a subshell and signals would miss CMD).
# The pid is left in LAB_LAST_PID (not printed: $(...) would fork it away).
lab_spawn() {
    local log="$1"
    shift
    ip netns exec "$@" >>"${log}" 2>&1 </dev/null &
    LAB_LAST_PID=$!
    LAB_PIDS+=("${LAB_LAST_PID}")
}

# Wait (bounded) until a command succeeds. Usage: wait_until TENTHS CMD...
wait_until() {
    local tenths="$1"
    shift
    local _
    for _ in $(seq "${tenths}"); do
        if "$@"; then
            return 0
        fi
        sleep 0.1
    done
    "$@"
}

# ns_sysctl NAMESPACE KEY VALUE: written through /proc (procps may not be installed).
ns_sysctl() {
    printf '%s\n' "$3" | in_ns "$1" tee "/proc/sys/${2//.//}" >/dev/null
}

lab_ns_sysctls() {
    local ns="$1" key
    # Addresses are usable at once: no duplicate address detection, no router adverts.
    for key in accept_dad accept_ra; do
        ns_sysctl "${ns}" "net.ipv6.conf.all.${key}" 0
        ns_sysctl "${ns}" "net.ipv6.conf.default.${key}" 0
    done
    in_ns "${ns}" ip link set lo up
}

lab_up() {
    trap lab_down EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    LAB_DIR="$(mktemp -d "${LAB_TMPDIR:-/tmp}/phlab.XXXXXX")"
    chmod 755 "${LAB_DIR}"
    local ns
    for ns in "${NS_C}" "${NS_F}" "${NS_S}"; do
        ip netns add "${ns}"
        LAB_NAMESPACES+=("${ns}")
        lab_ns_sysctls "${ns}"
    done
    # The veth pairs are created inside the namespaces: the root namespace is never touched.
    ip -n "${NS_C}" link add eth0 type veth peer name to_client netns "${NS_F}"
    ip -n "${NS_S}" link add eth0 type veth peer name to_server netns "${NS_F}"

    ns_sysctl "${NS_F}" net.ipv4.ip_forward 1
    ns_sysctl "${NS_F}" net.ipv6.conf.all.forwarding 1

    ip -n "${NS_C}" addr add "${CLIENT4}/24" dev eth0
    ip -n "${NS_C}" addr add "${CLIENT6}/64" dev eth0 nodad
    ip -n "${NS_F}" addr add "${FW_CLIENT4}/24" dev to_client
    ip -n "${NS_F}" addr add "${FW_CLIENT6}/64" dev to_client nodad
    ip -n "${NS_F}" addr add "${FW_SERVER4}/24" dev to_server
    ip -n "${NS_F}" addr add "${FW_SERVER6}/64" dev to_server nodad
    ip -n "${NS_S}" addr add "${SERVER4}/24" dev eth0
    ip -n "${NS_S}" addr add "${SERVER6}/64" dev eth0 nodad
    ip -n "${NS_C}" link set eth0 up
    ip -n "${NS_S}" link set eth0 up
    ip -n "${NS_F}" link set to_client up
    ip -n "${NS_F}" link set to_server up
    ip -n "${NS_C}" route add default via "${FW_CLIENT4}"
    ip -n "${NS_C}" -6 route add default via "${FW_CLIENT6}"
    ip -n "${NS_S}" route add default via "${FW_SERVER4}"
    ip -n "${NS_S}" -6 route add default via "${FW_SERVER6}"

    lab_make_files
    # Reachable = a TCP connect to a closed port is refused (the server's RST came back).
    if ! wait_until 20 lab_reachable "${SERVER4}"; then
        fail "lab_up: client ${CLIENT4} cannot reach server ${SERVER4} through the firewall"
    fi
    if ! wait_until 20 lab_reachable "${SERVER6}"; then
        fail "lab_up: client ${CLIENT6} cannot reach server ${SERVER6} through the firewall"
    fi
    lab_log "lab up: ${NS_C} (client) <-> ${NS_F} (firewall) <-> ${NS_S} (server), files in ${LAB_DIR}"
}

lab_reachable() {
    local got
    got="$(in_client "${LAB_PYTHON}" "${LAB_LIB_DIR}/ftpclient.py" probe "$1" 9 2>&1)"
    [[ "${got}" == refused || "${got}" == connected ]]
}

# The anonymous FTP root: small.txt and a 1 MiB random big.bin with its sha256.
lab_make_files() {
    ANON_ROOT="${LAB_DIR}/anon"
    mkdir -p "${ANON_ROOT}" "${LAB_DIR}/empty" "${LAB_DIR}/out"
    chmod 755 "${ANON_ROOT}" "${LAB_DIR}/empty"
    chmod 777 "${LAB_DIR}/out"
    printf 'hello from the nft-pinhole lab\n' >"${ANON_ROOT}/small.txt"
    head -c 1048576 /dev/urandom >"${ANON_ROOT}/big.bin"
    chmod 644 "${ANON_ROOT}/small.txt" "${ANON_ROOT}/big.bin"
    BIG_SHA256="$(sha256sum "${ANON_ROOT}/big.bin" | cut -d' ' -f1)"
    printf '%s\n' "${BIG_SHA256}" >"${LAB_DIR}/big.bin.sha256"
}

lab_down() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    local pid
    for pid in "${LAB_PIDS[@]}"; do
        kill -TERM "${pid}" 2>/dev/null
    done
    for pid in "${LAB_PIDS[@]}"; do
        for _ in $(seq 30); do
            kill -0 "${pid}" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "${pid}" 2>/dev/null
        wait "${pid}" 2>/dev/null
    done
    # Anything else still running inside our namespaces was started by this lab too
    # (children of the processes above): end it by pid before deleting the namespace.
    local ns
    for ns in "${LAB_NAMESPACES[@]}"; do
        for pid in $(ip netns pids "${ns}" 2>/dev/null); do
            kill -KILL "${pid}" 2>/dev/null
        done
    done
    for ns in "${LAB_NAMESPACES[@]}"; do
        ip netns del "${ns}" 2>/dev/null
    done
    LAB_NAMESPACES=()
    LAB_PIDS=()
    # A failed case shows what pinholed saw: the one place to start debugging.
    if [[ "${rc}" -ne 0 && "${rc}" -ne 77 && -n "${PINHOLED_LOG}" && -s "${PINHOLED_LOG}" ]]; then
        printf -- '---- pinholed log (last 60 lines) ----\n' >&2
        tail -n 60 "${PINHOLED_LOG}" >&2
    fi
    if [[ -n "${LAB_DIR}" && -d "${LAB_DIR}" ]]; then
        if [[ -n "${LAB_KEEP_DIR:-}" ]]; then
            lab_log "kept ${LAB_DIR}"
        else
            rm -rf "${LAB_DIR}"
        fi
    fi
    exit "${rc}"
}

# ---------------------------------------------------------------- FTP servers

lab_listening() {
    local ns="$1" addr="$2" port="$3"
    in_ns "${ns}" ss -Hltn "sport = :${port}" 2>/dev/null | grep -qF "${addr}"
}

# start_vsftpd [v4|v6|both]: one vsftpd per address family (both by default);
# VSFTPD_EXTRA_V4 / VSFTPD_EXTRA_V6 add settings to its configuration.
# shellcheck disable=SC2120 # the argument is optional
start_vsftpd() {
    local which="${1:-both}"
    command -v vsftpd >/dev/null || fail "start_vsftpd: vsftpd is not installed"
    if [[ "${which}" == v4 || "${which}" == both ]]; then
        lab_start_one_vsftpd v4 "${SERVER4}"
    fi
    if [[ "${which}" == v6 || "${which}" == both ]]; then
        lab_start_one_vsftpd v6 "${SERVER6}"
    fi
}

lab_start_one_vsftpd() {
    local family="$1" addr="$2"
    local conf="${LAB_DIR}/vsftpd-${family}.conf"
    {
        if [[ "${family}" == v4 ]]; then
            printf 'listen=YES\nlisten_ipv6=NO\nlisten_address=%s\n' "${addr}"
        else
            printf 'listen=NO\nlisten_ipv6=YES\nlisten_address6=%s\n' "${addr}"
        fi
        cat <<EOF
listen_port=21
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=${ANON_ROOT}
ftp_username=ftp
local_enable=NO
write_enable=NO
anon_upload_enable=NO
anon_mkdir_write_enable=NO
pasv_enable=YES
pasv_min_port=${DATA_PORT_MIN}
pasv_max_port=${DATA_PORT_MAX}
port_enable=YES
connect_from_port_20=NO
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
secure_chroot_dir=${LAB_DIR}/empty
xferlog_enable=NO
dirmessage_enable=NO
use_localtime=NO
max_per_ip=0
vsftpd_log_file=${LAB_DIR}/vsftpd-${family}.xfer.log
EOF
        # More settings for the IPv4 or IPv6 server (one per line), e.g. pasv_address=.
        if [[ "${family}" == v4 ]]; then printf '%s\n' "${VSFTPD_EXTRA_V4:-}"; else printf '%s\n' "${VSFTPD_EXTRA_V6:-}"; fi
    } >"${conf}"
    lab_spawn "${LAB_DIR}/vsftpd-${family}.log" "${NS_S}" vsftpd "${conf}"
    if ! wait_until 50 lab_listening "${NS_S}" "${addr}" 21; then
        cat "${LAB_DIR}/vsftpd-${family}.log" >&2 || true
        fail "start_vsftpd ${family}: vsftpd is not listening on ${addr} port 21 after 5 s"
    fi
    lab_log "vsftpd (${family}) listening on ${addr}:21"
}

# start_pyftpdlib: one pyftpdlib process serving both addresses.
start_pyftpdlib() {
    "${LAB_PYTHON}" -c 'import pyftpdlib' 2>/dev/null ||
        fail "start_pyftpdlib: ${LAB_PYTHON} has no pyftpdlib (apt-get install python3-pyftpdlib)"
    lab_spawn "${LAB_DIR}/pyftpdlib.log" "${NS_S}" "${LAB_PYTHON}" "${LAB_LIB_DIR}/pyftpd.py" \
        --root "${ANON_ROOT}" --ports "${DATA_PORT_MIN}-${DATA_PORT_MAX}" "${SERVER4}" "${SERVER6}"
    if ! wait_until 50 lab_listening "${NS_S}" "${SERVER4}" 21 ||
        ! wait_until 50 lab_listening "${NS_S}" "[${SERVER6}]" 21; then
        cat "${LAB_DIR}/pyftpdlib.log" >&2 || true
        fail "start_pyftpdlib: pyftpdlib is not listening on ${SERVER4}:21 and [${SERVER6}]:21 after 5 s"
    fi
    lab_log "pyftpdlib listening on ${SERVER4}:21 and [${SERVER6}]:21"
}

# lab_account NAME...: the first of these accounts that exists on this machine.
lab_account() {
    local name
    for name in "$@"; do
        if getent passwd "${name}" >/dev/null; then
            printf '%s' "${name}"
            return 0
        fi
    done
    return 1
}

# lab_proftpd: the proftpd binary: $PROFTPD, else proftpd on PATH, else where
# scripts/lib/setup.sh unpacks proftpd-core (the Debian package conflicts with
# vsftpd: both provide ftp-server). Empty if there is none.
lab_proftpd() {
    local found="${PROFTPD:-}"
    [[ -n "${found}" ]] || found="$(command -v proftpd || true)"
    [[ -n "${found}" ]] || found=/opt/nft-pinhole-lab/proftpd-core/usr/sbin/proftpd
    [[ -x "${found}" ]] && printf '%s' "${found}"
}

# start_proftpd: one proftpd (standalone, in the foreground) listening on both
# addresses; anonymous and read-only in ANON_ROOT; passive ports = the lab range;
# active mode allowed (PORT/EPRT to the client's own address: proftpd refuses a
# foreign one). Only the modules compiled into the binary: no TLS, no ident.
start_proftpd() {
    local proftpd
    proftpd="$(lab_proftpd)" ||
        fail "start_proftpd: no proftpd (\$PROFTPD, PATH, /opt/nft-pinhole-lab/proftpd-core/usr/sbin/proftpd); scripts/lib/setup.sh unpacks proftpd-core there"
    local conf="${LAB_DIR}/proftpd.conf" daemon_user=nobody anon_user group=nogroup
    # ftp: the account vsftpd's package creates; an unpacked proftpd-core creates none.
    anon_user="$(lab_account ftp nobody)" || fail "start_proftpd: no account ftp or nobody"
    getent group "${group}" >/dev/null || group="$(id -gn "${anon_user}")"
    cat >"${conf}" <<EOF
ServerType standalone
ServerName "nft-pinhole lab"
DefaultServer on
UseIPv6 on
DefaultAddress ${SERVER4} ${SERVER6}
SocketBindTight on
Port 21
User ${daemon_user}
Group ${group}
Umask 022
MaxInstances 64
PassivePorts ${DATA_PORT_MIN} ${DATA_PORT_MAX}
AllowForeignAddress off
UseReverseDNS off
<IfModule mod_ident.c>
  IdentLookups off
</IfModule>
<IfModule mod_delay.c>
  DelayEngine off
</IfModule>
<IfModule mod_ctrls.c>
  ControlsEngine off
</IfModule>
<IfModule mod_auth_pam.c>
  AuthPAM off
</IfModule>
UseFtpUsers off
RequireValidShell off
WtmpLog off
ScoreboardFile ${LAB_DIR}/proftpd.scoreboard
PidFile ${LAB_DIR}/proftpd.pid
SystemLog ${LAB_DIR}/proftpd.system.log
TransferLog ${LAB_DIR}/proftpd.xfer.log
AllowOverwrite off
<Anonymous ${ANON_ROOT}>
  User ${anon_user}
  Group ${group}
  UserAlias anonymous ${anon_user}
  RequireValidShell off
  <Limit WRITE>
    DenyAll
  </Limit>
</Anonymous>
EOF
    local check
    check="$("${proftpd}" -t -c "${conf}" 2>&1)" || fail "start_proftpd: ${proftpd} -t refuses ${conf}: ${check}"
    lab_spawn "${LAB_DIR}/proftpd.log" "${NS_S}" "${proftpd}" -n -q -c "${conf}"
    if ! wait_until 50 lab_listening "${NS_S}" "${SERVER4}" 21 ||
        ! wait_until 50 lab_listening "${NS_S}" "[${SERVER6}]" 21; then
        cat "${LAB_DIR}/proftpd.log" "${LAB_DIR}/proftpd.system.log" >&2 || true
        fail "start_proftpd: proftpd is not listening on ${SERVER4}:21 and [${SERVER6}]:21 after 5 s"
    fi
    lab_log "proftpd listening on ${SERVER4}:21 and [${SERVER6}]:21 (runs as ${daemon_user}, anonymous as ${anon_user}:${group})"
}

# ---------------------------------------------------------------- pinholed

# write_policy FILE [PINHOLE_TIMEOUT [PASSIVE ACTIVE]]: the lab's standard policy
# (service "lab", passive only unless told; data_ports = the lab range, enforce on).
write_policy() {
    local file="$1" timeout="${2:-30s}" passive="${3:-true}" active="${4:-false}"
    cat >"${file}" <<EOF
table: pinhole
nflog_group: 2121
socket: ${LAB_DIR}/control.sock

services:
  - name: lab
    servers: [${SERVER4}, "${SERVER6}"]
    clients: [any]
    control_port: 21
    passive: ${passive}
    active: ${active}
    data_ports: ${DATA_PORT_MIN}-${DATA_PORT_MAX}
    pinhole_timeout: ${timeout}
    enforce: true
EOF
}

# write_attach_policy FILE SET4 SET6 [PINHOLE_TIMEOUT]: the standard service in
# attach mode, writing into the user's sets SET4/SET6 of table inet filter.
write_attach_policy() {
    cat >"$1" <<EOF
table: pinhole
nflog_group: 2121
socket: ${LAB_DIR}/control.sock
sets:
  table: inet filter
  ipv4: $2
  ipv6: $3
services:
  - name: lab
    servers: [${SERVER4}, "${SERVER6}"]
    clients: [any]
    passive: true
    active: false
    data_ports: ${DATA_PORT_MIN}-${DATA_PORT_MAX}
    pinhole_timeout: ${4:-30s}
    enforce: false
EOF
}

# expect_start_refused WHAT POLICY RC FRAGMENT: pinholed started on POLICY in the
# firewall must exit RC before it is ready, its output saying FRAGMENT (left in
# REFUSED_OUT for further checks).
expect_start_refused() {
    local what="$1" policy="$2" want_rc="$3" fragment="$4" rc=0
    REFUSED_OUT="$(in_firewall timeout 20 "${PINHOLED}" --policy "${policy}" 2>&1)" || rc=$?
    [[ "${rc}" -eq "${want_rc}" ]] || fail "${what}: expected exit code ${want_rc}, got ${rc}; output: ${REFUSED_OUT}"
    [[ "${REFUSED_OUT}" == *"${fragment}"* ]] ||
        fail "${what}: expected the error to say \"${fragment}\", got: ${REFUSED_OUT}"
    [[ "${REFUSED_OUT}" != *libxtables* ]] ||
        fail "${what}: a library wrote to pinholed's stderr: ${REFUSED_OUT}"
}

# log_stray_lines FILE: the lines of a pinholed log that are not log lines
# (TIME LEVEL MESSAGE key=value...): what a library printed on pinholed's
# stderr, which is its log, one line per event. The cases' LD_PRELOAD shims
# (lib/preload) mark their own lines "[preload]".
log_stray_lines() {
    grep -Ev '^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z (trace|debug|info|notice|warning|error|critical) |\[preload\] )' "$1" || true
}

# lab_with_pinholed [v4|v6|both]: how most cases start: the lab, vsftpd, the
# standard policy (30 s pinholes) and pinholed running it.
lab_with_pinholed() {
    lab_up
    start_vsftpd "$@"
    write_policy "${LAB_DIR}/policy.yaml" 30s
    start_pinholed "${LAB_DIR}/policy.yaml"
}

pinholed_ready() {
    kill -0 "${PINHOLED_PID}" 2>/dev/null || return 1
    grep -qw ready "${PINHOLED_LOG}"
}

# start_pinholed POLICY: runs pinholed in the firewall namespace, waits for `ready`.
start_pinholed() {
    local policy="$1"
    [[ -x "${PINHOLED}" ]] || fail "start_pinholed: no pinholed binary at ${PINHOLED} (set PINHOLED or build first)"
    PINHOLED_SOCKET="$(sed -n 's/^socket:[[:space:]]*//p' "${policy}" | head -n1)"
    PINHOLED_LOG="${LAB_DIR}/pinholed.log"
    : >"${PINHOLED_LOG}"
    lab_spawn "${PINHOLED_LOG}" "${NS_F}" "${PINHOLED}" --policy "${policy}" --log-level "${PINHOLED_LOG_LEVEL:-debug}" ${PINHOLED_EXTRA_ARGS:-}
    PINHOLED_PID="${LAB_LAST_PID}"
    local _
    for _ in $(seq 100); do
        pinholed_ready && break
        kill -0 "${PINHOLED_PID}" 2>/dev/null || break
        sleep 0.1
    done
    if ! pinholed_ready; then
        lab_log "pinholed log:"
        sed 's/^/    /' "${PINHOLED_LOG}" >&2 || true
        if kill -0 "${PINHOLED_PID}" 2>/dev/null; then
            fail "start_pinholed: pinholed did not log 'ready' within 10 s"
        fi
        local rc=0
        wait "${PINHOLED_PID}" || rc=$?
        fail "start_pinholed: pinholed exited with code ${rc} before logging 'ready'"
    fi
    lab_log "pinholed ready (pid ${PINHOLED_PID}, socket ${PINHOLED_SOCKET})"
}

# pinholed_cpu_ticks: utime + stime of pinholed (all its threads), in clock ticks.
# An empty PINHOLED_PID (the kernel phase) reads as 0.
pinholed_cpu_ticks() {
    if [[ -z "${PINHOLED_PID}" ]]; then
        echo 0
        return
    fi
    # Fields after the ")" that ends the command name: utime and stime are 12 and 13.
    sed 's/^.*) //' "/proc/${PINHOLED_PID}/stat" | awk '{ print $12 + $13 }'
}

# stop_pinholed: SIGTERM, bounded wait, exit code must be 0.
stop_pinholed() {
    [[ -n "${PINHOLED_PID}" ]] || fail "stop_pinholed: pinholed is not running"
    kill -TERM "${PINHOLED_PID}" 2>/dev/null || true
    local _
    for _ in $(seq 100); do
        kill -0 "${PINHOLED_PID}" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "${PINHOLED_PID}" 2>/dev/null; then
        fail "stop_pinholed: pinholed still running 10 s after SIGTERM"
    fi
    local rc=0
    wait "${PINHOLED_PID}" || rc=$?
    PINHOLED_PID=""
    if [[ "${rc}" -ne 0 ]]; then
        sed 's/^/    /' "${PINHOLED_LOG}" >&2 || true
        fail "stop_pinholed: pinholed exited with code ${rc} after SIGTERM, expected 0"
    fi
    local stray
    stray="$(log_stray_lines "${PINHOLED_LOG}")"
    [[ -z "${stray}" ]] || fail "pinholed's log has lines that are not log lines: $(tr '\n' '|' <<<"${stray}")"
    lab_log "pinholed stopped, exit code 0"
}

# kill_pinholed: SIGKILL, as a crash would. Its table stays in the kernel, with
# the race guard's NFQUEUE rule and nobody listening: the firewall must fail closed.
kill_pinholed() {
    [[ -n "${PINHOLED_PID}" ]] || fail "kill_pinholed: pinholed is not running"
    kill -KILL "${PINHOLED_PID}" 2>/dev/null || true
    wait "${PINHOLED_PID}" 2>/dev/null || true
    PINHOLED_PID=""
    lab_log "pinholed killed (SIGKILL)"
}

# ctl ARGS...: pinholectl in the firewall namespace, on the running daemon's socket.
ctl() {
    in_firewall "${PINHOLECTL}" --socket "${PINHOLED_SOCKET}" "$@"
}

# ---------------------------------------------------------------- kernel helper baseline

KERNEL_HELPER_TABLE=kernel_helper

# kernel_helper_up [NAMESPACE]: the standard nf_conntrack_ftp setup, for comparison.
# Control connections to the servers get ct helper "ftp"; new connections to the
# servers' unprivileged ports are dropped unless the helper expected them (related).
# shellcheck disable=SC2120 # the argument is optional
kernel_helper_up() {
    local ns="${1:-${NS_F}}"
    in_ns "${ns}" nft -f - <<EOF
table inet ${KERNEL_HELPER_TABLE} {
    ct helper ftp {
        type "ftp" protocol tcp
        l3proto inet
    }
    chain prerouting {
        type filter hook prerouting priority filter; policy accept;
        ip daddr ${SERVER4} tcp dport 21 ct helper set "ftp"
        ip6 daddr ${SERVER6} tcp dport 21 ct helper set "ftp"
    }
    chain forward {
        type filter hook forward priority filter; policy accept;
        ct state established,related accept
        ip daddr ${SERVER4} tcp dport 1024-65535 ct state new counter drop
        ip6 daddr ${SERVER6} tcp dport 1024-65535 ct state new counter drop
    }
}
EOF
}

# shellcheck disable=SC2120 # the argument is optional
kernel_helper_down() {
    local ns="${1:-${NS_F}}"
    in_ns "${ns}" nft delete table inet "${KERNEL_HELPER_TABLE}"
}

# ---------------------------------------------------------------- clients

# ftp_url FAMILY PATH: the URL of PATH on the lab server (v4 or v6).
ftp_url() {
    if [[ "$1" == v6 ]]; then
        printf 'ftp://[%s]/%s' "${SERVER6}" "$2"
    else
        printf 'ftp://%s/%s' "${SERVER4}" "$2"
    fi
}

# curl_get FAMILY PATH OUT [CURL OPTIONS...]: download with curl from the client.
curl_get() {
    local family="$1" path="$2" out="$3"
    shift 3
    in_client curl -sS -g --connect-timeout 5 --max-time 20 "$@" -o "${out}" "$(ftp_url "${family}" "${path}")"
}

# lftp_get FAMILY PATH OUT [PASSIVE]: download with lftp: PASV on IPv4, EPSV on
# IPv6; with PASSIVE=off, PORT and EPRT.
lftp_get() {
    local family="$1" path="$2" out="$3" passive="${4:-true}" host="${SERVER4}"
    [[ "${family}" == v6 ]] && host="[${SERVER6}]"
    in_client timeout 30 lftp -c "set net:timeout 5; set net:max-retries 1; set net:reconnect-interval-base 1; \
set ftp:ssl-allow no; set ftp:passive-mode ${passive}; set xfer:clobber on; \
open ftp://${host}; get ${path} -o ${out}"
}

# ftplib_client ARGS...: the Python ftplib client (see ftpclient.py).
ftplib_client() {
    in_client timeout 30 "${LAB_PYTHON}" "${LAB_LIB_DIR}/ftpclient.py" "$@"
}

# expect_sha256 SCENARIO FILE: FILE must be big.bin, byte for byte.
expect_sha256() {
    local scenario="$1" file="$2" got
    [[ -f "${file}" ]] || fail "${scenario}: no file ${file} was written"
    got="$(sha256sum "${file}" | cut -d' ' -f1)"
    if [[ "${got}" != "${BIG_SHA256}" ]]; then
        fail "${scenario}: sha256 of the download is ${got} ($(stat -c %s "${file}") bytes), expected ${BIG_SHA256} (1048576 bytes)"
    fi
}

# ---------------------------------------------------------------- step-by-step FTP clients

# Several ftplib clients can run at once, each under a NAME; `drive` talks to the
# current one (the last started or selected). Each is fed through two FIFOs.
declare -gA DRIVE_INS=() DRIVE_OUTS=() DRIVE_HOSTS=() DRIVE_PIDS=()
DRIVE_NAME=""

# drive_start FAMILY [NAME]: an ftplib client in the client namespace, logged in to
# the lab server (v4 or v6) and waiting for commands (see ftpclient.py, drive mode).
# Sets DRIVE_CLIENT_PORT (its control connection's source port).
drive_start() {
    local family="$1" name="${2:-main}" host
    host="$(lab_host "${family}")"
    local fifo_in="${LAB_DIR}/drive-${name}.in" fifo_out="${LAB_DIR}/drive-${name}.out"
    rm -f "${fifo_in}" "${fifo_out}"
    mkfifo "${fifo_in}" "${fifo_out}"
    ip netns exec "${NS_C}" timeout 180 "${LAB_PYTHON}" -u "${LAB_LIB_DIR}/ftpclient.py" drive "${host}" \
        <"${fifo_in}" >"${fifo_out}" 2>>"${LAB_DIR}/drive-${name}.log" &
    LAB_PIDS+=("$!")
    DRIVE_PIDS[${name}]="$!"
    # Same order as the child opens them (stdin first), so neither side blocks forever.
    local fd_in fd_out
    exec {fd_in}>"${fifo_in}"
    exec {fd_out}<"${fifo_out}"
    DRIVE_INS[${name}]="${fd_in}"
    DRIVE_OUTS[${name}]="${fd_out}"
    DRIVE_HOSTS[${name}]="${host}"
    DRIVE_NAME="${name}"
    drive_read "login to ${host}"
    # shellcheck disable=SC2034 # DRIVE_CLIENT_PORT is read by the cases
    case "${DRIVE_REPLY}" in
        ready\ *) DRIVE_CLIENT_PORT="${DRIVE_REPLY##* }" ;;
        *) fail "ftplib client ${name}: login to ${host} failed: ${DRIVE_REPLY}" ;;
    esac
}

drive_select() {
    [[ -n "${DRIVE_INS[$1]:-}" ]] || fail "drive_select: no client named $1"
    DRIVE_NAME="$1"
}

drive_read() {
    local host="${DRIVE_HOSTS[${DRIVE_NAME}]}"
    DRIVE_REPLY=""
    if ! read -r -t 15 -u "${DRIVE_OUTS[${DRIVE_NAME}]}" DRIVE_REPLY; then
        sed 's/^/    /' "${LAB_DIR}/drive-${DRIVE_NAME}.log" >&2 || true
        fail "ftplib client ${DRIVE_NAME}: no answer within 15 s to '$1' (server ${host})"
    fi
    lab_log "client ${DRIVE_NAME}: $1 -> ${DRIVE_REPLY}"
}

# drive CMD...: send one command to the current client; its answer is in DRIVE_REPLY.
drive() {
    printf '%s\n' "$*" >&"${DRIVE_INS[${DRIVE_NAME}]}"
    drive_read "$*"
}

# drive_passive pasv|epsv: sets DRIVE_PORT from the 227/229 reply.
drive_passive() {
    drive "$1"
    # shellcheck disable=SC2034 # DRIVE_PORT is read by the cases
    case "${DRIVE_REPLY}" in
        port\ *) DRIVE_PORT="$(printf '%s\n' "${DRIVE_REPLY}" | cut -d' ' -f2)" ;;
        *) fail "ftplib client ${DRIVE_NAME}: $1 to ${DRIVE_HOSTS[${DRIVE_NAME}]} failed: ${DRIVE_REPLY}" ;;
    esac
}

# drive_quit: QUIT on the current client, which then exits.
drive_quit() {
    drive quit
    [[ "${DRIVE_REPLY}" == "bye 221" ]] ||
        fail "ftplib client ${DRIVE_NAME}: QUIT to ${DRIVE_HOSTS[${DRIVE_NAME}]} answered '${DRIVE_REPLY}', expected 'bye 221'"
    local pid="${DRIVE_PIDS[${DRIVE_NAME}]}"
    wait_until 30 lab_gone "${pid}" || true
}

lab_gone() { ! kill -0 "$1" 2>/dev/null; }

# ---------------------------------------------------------------- the passive download suite

lab_now_ms() { date +%s%3N; }

# download_suite LABEL KIND RUNNER ITEM...: for each ITEM "FAMILY CLIENT", a 1 MiB
# download of big.bin by `RUNNER FAMILY CLIENT FILE`, whose sha256 must match. KIND
# ("" or "active") goes into file names and messages.
download_suite() {
    local label="$1" kind="$2" runner="$3" out="${LAB_DIR}/out" start
    shift 3
    local item family client file scenario prefix="${kind:+${kind} }"
    for item in "$@"; do
        family="${item%% *}"
        client="${item#* }"
        file="${out}/${kind:+${kind}-}${client}-${family}.bin"
        scenario="${label}: ${prefix}${client} ${family} download of big.bin from $(ftp_url "${family}" big.bin) by client ${CLIENT4}/${CLIENT6}"
        rm -f "${file}"
        local retransmitted
        retransmitted="$(client_syn_retransmissions)"
        start="$(lab_now_ms)"
        "${runner}" "${family}" "${client}" "${file}" || fail "${scenario}: ${client%%-*} failed (exit $?)"
        expect_sha256 "${scenario}" "${file}"
        local took=$(($(lab_now_ms) - start)) note=""
        retransmitted=$(($(client_syn_retransmissions) - retransmitted))
        # ~1 s extra is either a SYN dropped and retransmitted (a pinhole that
        # came late), or the client's own wait: curl 7.88 that reads the
        # 227/229 in the pass that sent PASV/EPSV connects only at its next
        # timer, 200 ms or 1 s later (bench/FINDINGS.md, "curl's wait").
        if [[ "${retransmitted}" -gt 0 ]]; then
            note=" (${retransmitted} SYN retransmitted)"
        elif [[ "${took}" -ge 900 ]]; then
            note=" (slow, no SYN retransmitted: the client waited)"
        fi
        lab_log "${label}: ${prefix}${client} ${family}: 1 MiB, sha256 ok, ${took} ms${note}"
    done
}

# passive_get FAMILY CLIENT FILE: big.bin by one passive client.
passive_get() {
    case "$2" in
        curl-epsv) curl_get "$1" big.bin "$3" ;;
        curl-pasv) curl_get "$1" big.bin "$3" --disable-epsv ;;
        lftp) lftp_get "$1" big.bin "$3" ;;
        ftplib) ftplib_client get "$(lab_host "$1")" big.bin "$3" ;;
        *) fail "passive_get: no client $2" ;;
    esac
}

# passive_through_pinholed SERVER: the passive cases' body, with the lab and
# SERVER running: pinholed on the standard policy, every passive client's
# download and listing (passive_downloads), then no pinhole left open and one
# used per data connection (7 downloads and 4 listings).
passive_through_pinholed() {
    local server="$1" used
    write_policy "${LAB_DIR}/policy.yaml" 30s
    start_pinholed "${LAB_DIR}/policy.yaml"
    passive_downloads "${server} via pinholed"
    wait_until 20 status_check pinholes_open=0 ||
        fail "${server} via pinholed: all sessions ended, expected no open pinhole; ${CHECK_OUT}"
    used="$(status_field pinholes_used)"
    [[ "${used}" -ge 11 ]] ||
        fail "${server} via pinholed: 11 data connections were made, pinholes_used is ${used}"
}

# passive_downloads LABEL: every passive client against the running FTP server(s),
# IPv4 and IPv6; each 1 MiB download must match big.bin's sha256, each listing must
# name both files. LABEL goes into failure messages (e.g. "vsftpd via pinholed").
passive_downloads() {
    local label="$1" family scenario
    download_suite "${label}" "" passive_get "v4 curl-epsv" "v4 curl-pasv" "v6 curl-epsv" \
        "v4 lftp" "v6 lftp" "v4 ftplib" "v6 ftplib"
    for family in v4 v6; do
        local listing
        scenario="${label}: curl ${family} LIST of $(ftp_url "${family}" '')"
        listing="$(curl_get "${family}" '' - 2>&1)" || fail "${scenario}: curl failed: ${listing}"
        if ! grep -q 'big\.bin' <<<"${listing}" || ! grep -q 'small\.txt' <<<"${listing}"; then
            fail "${scenario}: expected big.bin and small.txt in the listing, got: ${listing}"
        fi
        listing="$(ftplib_client list "$(lab_host "${family}")" 2>&1)" ||
            fail "${label}: ftplib ${family} LIST failed: ${listing}"
        grep -q 'big\.bin' <<<"${listing}" ||
            fail "${label}: ftplib ${family} LIST: expected big.bin in the listing, got: ${listing}"
        lab_log "${label}: LIST ${family} by curl and ftplib ok"
    done
}

lab_host() {
    if [[ "$1" == v6 ]]; then printf '%s' "${SERVER6}"; else printf '%s' "${SERVER4}"; fi
}

# shellcheck source=checks.sh
source "${LAB_LIB_DIR}/checks.sh"
