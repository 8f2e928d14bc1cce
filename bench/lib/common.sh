# shellcheck shell=bash
# What bench/run and bench/syn-hold share: the binaries they measure and the
# policy pinholed runs. Sourced before Tests/integration/lib/lab.sh; needs `repo`.

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
