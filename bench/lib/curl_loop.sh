#!/usr/bin/env bash
# N sequential curl downloads of URL, each in its own FTP control session.
# Usage (inside the client namespace): curl_loop.sh URL N OUT
# Env: BENCH_CURL_ARGS, extra curl arguments (word-split; see bench/run).
# One line per download to OUT: curl's time_total in seconds, or `fail ...`.
# Bounded: N tries, 10 s each at most, and it gives up after 10 failures in a row.
set -uo pipefail

url="$1" count="$2" out="$3"
read -r -a extra <<<"${BENCH_CURL_ARGS:-}"
in_a_row=0
: >"${out}"
for _ in $(seq "${count}"); do
    if took="$(curl -sS -g "${extra[@]}" --connect-timeout 5 --max-time 10 -o /dev/null -w '%{time_total}' "${url}" 2>&1)"; then
        printf '%s\n' "${took}" >>"${out}"
        in_a_row=0
    else
        rc=$?
        printf 'fail curl exit %d: %s\n' "${rc}" "${took//$'\n'/ }" >>"${out}"
        in_a_row=$((in_a_row + 1))
        if [[ "${in_a_row}" -ge 10 ]]; then
            echo "curl_loop.sh: ${in_a_row} failures in a row against ${url}, giving up" >&2
            exit 1
        fi
    fi
done
