#!/usr/bin/env bash
# Warming the pinhole path (Daemon+Warmup): at every PASV/EPSV pinholed
# builds the element and batch for a stand-in pinhole on port 0, and must
# send nothing. `nft monitor elements` in the firewall namespace records
# every element the kernel's sets gain while each passive client downloads,
# IPv4 and IPv6:
# - each download's data connection either found its pinhole's element
#   there or was held by the race guard (status syns_held), which answers it
#   without writing the element: adds + held SYNs cover every connection,
#   and the monitor is seen to record pinholed's adds;
# - no element on port 0 was ever added (a stand-in sent by mistake would
#   show up there like any other add).
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_with_pinholed
# The monitor subscribes after it starts: add an element to a table of our
# own until it shows (bounded), then drop that table. The table comes first:
# made while the monitor starts, after it read the ruleset but before it
# subscribed, it would be known to the monitor neither way, and every probe
# element would come out as "W: Unable to cache set" (seen once in a full run).
in_firewall nft add table inet warmup_probe
in_firewall nft add set inet warmup_probe probe '{ type ipv4_addr; }'
monitor="${LAB_DIR}/nft-monitor.log"
lab_spawn "${monitor}" "${NS_F}" nft monitor elements

adds() { grep -c '^add element inet pinhole ' "${monitor}" || true; }

for attempt in $(seq 50); do
    in_firewall nft add element inet warmup_probe probe "{ 198.51.100.$((attempt + 100)) }"
    wait_until 2 grep -q '^add element inet warmup_probe' "${monitor}" && break
done
grep -q '^add element inet warmup_probe' "${monitor}" ||
    fail "warm-up: nft monitor showed none of 50 probe elements: $(cat "${monitor}")"
in_firewall nft delete table inet warmup_probe

before="$(adds)" held_before="$(status_field syns_held)"
passive_downloads "warm-up, nft monitor running"
# 7 downloads and 4 listings, each through a pinhole of its own.
held=$(($(status_field syns_held) - held_before))
wait_until 20 bash -c "[[ \$((\$(grep -c '^add element inet pinhole ' '${monitor}') + ${held})) -ge $((before + 11)) ]]" ||
    fail "warm-up: 11 data connections, but $(($(adds) - before)) elements added and ${held} SYNs held: $(cat "${monitor}")"
# The monitor must see pinholed's own set, or the check below proves nothing
# (a slow client, ftplib, wins its race nearly every time).
[[ "$(adds)" -gt "${before}" ]] ||
    fail "warm-up: nft monitor showed none of pinholed's adds in 11 data connections: $(cat "${monitor}")"
# An element key is `initiator . responder . port`: a port-0 key ends in ". 0".
if grep -E '^add element' "${monitor}" | grep -qE '\. 0( |,|\})'; then
    fail "warm-up: an element on port 0 reached the kernel: $(grep -E '\. 0( |,|\})' "${monitor}")"
fi
lab_log "warm-up: $(($(adds) - before)) elements added and ${held} SYNs held for 11 data connections; none on port 0"
stop_pinholed
