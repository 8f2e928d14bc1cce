# shellcheck shell=bash
# What bench/run and bench/syn-hold share: the binaries they measure, the
# policy pinholed runs, and the copy baseline. Sourced before Tests/integration/lib/lab.sh; needs `repo`.

# The range pinholed guards: the kernel helper's drop rule covers the same
# ports, so both drop exactly the same unexpected connections.
POLICY_DATA_PORTS=1024-65535

# bench_binaries TOOL: unless PINHOLED names a binary (or BENCH_BUILD is set),
# builds the working tree first (incremental: seconds when nothing changed), so
# a run never measures a stale pinholed; then exports the binaries' paths.
bench_binaries() {
    if [[ -z "${PINHOLED:-}" || -n "${BENCH_BUILD:-}" ]]; then
        echo "$1: building pinholed and pinholectl (release, scratch .build-bench)" >&2
        (cd "${repo:?}" && swift build -c release --scratch-path .build-bench)
    fi
    export PINHOLED="${PINHOLED:-${repo:?}/.build-bench/release/pinholed}"
    export PINHOLECTL="${PINHOLECTL:-${repo}/.build-bench/release/pinholectl}"
    export PINHOLED_LOG_LEVEL="${PINHOLED_LOG_LEVEL:-info}"
    [[ -x "${PINHOLED}" ]] || { echo "$1: no pinholed at ${PINHOLED}" >&2; exit 1; }
}

# phase_order ROUND PHASE...: the phases in round ROUND's order, one per line:
# rotated by one place each round, so that every phase runs first, second, ...
# about equally often and no phase carries the cost of a position.
phase_order() {
    local round="$1" i
    shift
    local phases=("$@")
    for i in "${!phases[@]}"; do
        printf '%s\n' "${phases[$(((i + round - 1) % ${#phases[@]}))]}"
    done
}

# bench_policy FILE ENFORCE SERVERS: the measured policy, passive only, with
# `enforce: ENFORCE`; SERVERS is the YAML list's inside (lab.sh's addresses).
bench_policy() {
    cat >"$1" <<POLICY
table: pinhole
nflog_group: 2121
socket: ${LAB_DIR}/control.sock

services:
  - name: bench
    servers: [$3]
    clients: [any]
    control_port: 21
    passive: true
    active: false
    data_ports: ${POLICY_DATA_PORTS}
    pinhole_timeout: 30s
    enforce: $2
POLICY
}

# The copy baseline: the kernel helper does the work (copies_up brings it up
# and copies_down takes it down), plus pinholed's own copy rules for POLICY (from `pinholed --print-ruleset`, in
# a table of their own) and a listener that only reads the copies (tcpdump to
# /dev/null). It prices what NFLOG costs the packets before pinholed does
# anything with a copy. Needs lab.sh and tcpdump. The taps' jump to the
# guards (enforce_new, since 2e35b5b) stays out: the helper's rules guard here.
copy_table=pinhole_copies
copies_up() {
    kernel_helper_up
    "${PINHOLED}" --print-ruleset --policy "$1" |
        grep -E '^(add table|(add|flush) chain inet pinhole (tap_|copy)|add rule inet pinhole (tap_|copy))' |
        grep -v ' jump enforce_new$' |
        sed -E "s/ inet pinhole( |\$)/ inet ${copy_table}\1/" | in_firewall nft -f -
    lab_spawn /dev/null "${NS_F}" tcpdump -i nflog:2121 -w /dev/null
    copy_listener="${LAB_LAST_PID}"
    bench_off_cpu0 "${copy_listener}"
    wait_until 50 in_firewall sh -c 'grep -q . /proc/net/netfilter/nfnetlink_log' ||
        fail "bench: the copy listener did not bind NFLOG group 2121"
}
copies_down() {
    kill "${copy_listener}" 2>/dev/null || true
    wait "${copy_listener}" 2>/dev/null || true
    in_firewall nft delete table inet "${copy_table}"
    kernel_helper_down
}

# bench_off_cpu0 PID: with BENCH_PIN_ENDPOINTS=1 (`pin`), keeps a firewall-side
# process (pinholed, the copies' listener) off CPU 0, where the stand-ins for the
# client and server hosts run. Left to the scheduler, a process woken from CPU 0
# is often placed on CPU 0 (wake-affine) and then takes CPU time from the
# "hosts", which real hosts on the network never lose: measured with
# bench/syn-hold, curl's login (control SYN to 220) took 209 µs longer through
# pinholed than through the kernel helper, 41 µs with pinholed kept on CPU 1.
bench_off_cpu0() {
    [[ "${pin:-0}" == 1 ]] || return 0
    taskset -a -p -c "$(firewall_cpus)" "$1" >/dev/null
}

# firewall_cpus: the CPUs of the firewall side when pinned, every one but CPU 0,
# as a comma-separated list (taskset's and idle_poll.py's format).
firewall_cpus() {
    seq -s, 1 "$(($(nproc) - 1))"
}
