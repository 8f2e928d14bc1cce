#!/usr/bin/env bash
# Warming the pinhole path (Daemon+Warmup): at every PASV/EPSV pinholed
# builds the element and batch for a stand-in pinhole on port 0, and must
# send nothing. `nft monitor elements` in the firewall namespace records
# every element the kernel's sets gain while each passive client downloads,
# IPv4 and IPv6:
# - each download's pinhole shows up there (so the monitor sees pinholed's
#   adds, and a stand-in sent by mistake would show up too);
# - no element on port 0 was ever added.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_with_pinholed
monitor="${LAB_DIR}/nft-monitor.log"
lab_spawn "${monitor}" "${NS_F}" nft monitor elements

adds() { grep -c '^add element' "${monitor}" || true; }

# The monitor subscribes after it starts: download until it shows an add (bounded).
for attempt in 1 2 3 4 5; do
    passive_get v4 curl-epsv "${LAB_DIR}/probe.bin" || fail "warm-up: probe download ${attempt} failed"
    wait_until 10 grep -q '^add element' "${monitor}" && break
done
[[ "$(adds)" -ge 1 ]] || fail "warm-up: nft monitor showed no element added in 5 downloads: $(cat "${monitor}")"

before="$(adds)"
passive_downloads "warm-up, nft monitor running"
# 7 downloads and 4 listings, each through a pinhole of its own.
wait_until 20 bash -c "[[ \$(grep -c '^add element' '${monitor}') -ge $((before + 11)) ]]" ||
    fail "warm-up: expected 11 more elements added, the monitor shows $(($(adds) - before)): $(cat "${monitor}")"
# An element key is `initiator . responder . port`: a port-0 key ends in ". 0".
if grep -E '^add element' "${monitor}" | grep -qE '\. 0( |,|\})'; then
    fail "warm-up: an element on port 0 reached the kernel: $(grep -E '\. 0( |,|\})' "${monitor}")"
fi
lab_log "warm-up: $(adds) elements added, none on port 0"
stop_pinholed
