#!/usr/bin/env bash
# Integration tests: each case in Tests/integration/cases runs in its own fresh lab.
# Usage: Tests/integration/run.sh [CASE_NAME...]   (default: every case)
# Prints `PASS name` / `FAIL name: reason` / `SKIP name: reason` per case, then
# `N passed, N failed` (`, N skipped` if any); exits non-zero if any case failed.
# Env: PINHOLED, PINHOLECTL (binaries), CASE_TIMEOUT (seconds per case, default 240),
# LAB_KEEP_LOGS=1 keeps the per-case logs directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
export PINHOLED="${PINHOLED:-${repo}/.build/debug/pinholed}"
export PINHOLECTL="${PINHOLECTL:-${repo}/.build/debug/pinholectl}"
case_timeout="${CASE_TIMEOUT:-240}"

if [[ "$(id -u)" -ne 0 ]]; then
    echo "Tests/integration/run.sh: needs root (network namespaces, nftables)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

cases=()
if [[ "$#" -gt 0 ]]; then
    for name in "$@"; do
        cases+=("${here}/cases/${name%.sh}.sh")
    done
else
    for file in "${here}"/cases/*.sh; do
        cases+=("${file}")
    done
fi

# A case killed by its timeout cannot run its own trap: remove what its lab left.
clean_up_after() {
    local lab_id="$1" ns pid
    for ns in "${lab_id}c" "${lab_id}f" "${lab_id}s"; do
        [[ -e "/run/netns/${ns}" ]] || continue
        echo "runner: removing leftover namespace ${ns}"
        for pid in $(ip netns pids "${ns}" 2>/dev/null); do
            kill -KILL "${pid}" 2>/dev/null || true
        done
        ip netns del "${ns}" 2>/dev/null || true
    done
}

logs="$(mktemp -d /tmp/pinhole-integration.XXXXXX)"
chmod 755 "${logs}"
passed=0
failed=0
skipped=0
for file in "${cases[@]}"; do
    name="$(basename "${file}" .sh)"
    log="${logs}/${name}.log"
    reason_file="${logs}/${name}.reason"
    if [[ ! -f "${file}" ]]; then
        echo "FAIL ${name}: no such case ${file}"
        failed=$((failed + 1))
        continue
    fi
    rc=0
    case_index=$((passed + failed + skipped))
    lab_id="ph$$x${case_index}"
    LAB_ID="${lab_id}" LAB_TMPDIR="${logs}" LAB_REASON_FILE="${reason_file}" \
        timeout -k 20 "${case_timeout}" bash "${file}" >"${log}" 2>&1 </dev/null || rc=$?
    clean_up_after "${lab_id}" >>"${log}" 2>&1
    reason=""
    if [[ -s "${reason_file}" ]]; then
        reason="$(head -n1 "${reason_file}")"
    fi
    case "${rc}" in
        0)
            echo "PASS ${name}"
            passed=$((passed + 1))
            ;;
        77)
            echo "SKIP ${name}: ${reason:-skipped}"
            skipped=$((skipped + 1))
            ;;
        *)
            if [[ "${rc}" -eq 124 || "${rc}" -eq 137 ]]; then
                reason="timed out after ${case_timeout} s${reason:+ (${reason})}"
            fi
            echo "FAIL ${name}: ${reason:-exit code ${rc}, last log line: $(tail -n1 "${log}")}"
            failed=$((failed + 1))
            {
                echo "---- log of ${name} (last 40 lines) ----"
                tail -n 40 "${log}" | sed 's/^/    /'
                echo "----"
            } >&2
            ;;
    esac
done

if [[ -n "${LAB_KEEP_LOGS:-}" ]]; then
    echo "logs kept in ${logs}" >&2
else
    rm -rf "${logs}"
fi

summary="${passed} passed, ${failed} failed"
if [[ "${skipped}" -gt 0 ]]; then
    summary="${summary}, ${skipped} skipped"
fi
echo "${summary}"
[[ "${failed}" -eq 0 ]]
