#!/usr/bin/env bash
# SIGTERM with pinholes open (IPv4 PASV and IPv6 EPSV pending): pinholed exits 0,
# removes its table (and so every pinhole) and its control socket.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_with_pinholed

drive_start v4 four
drive_passive pasv
port4="${DRIVE_PORT}"
drive_start v6 six
drive_passive epsv
port6="${DRIVE_PORT}"
expect_pinhole "pending PASV ${CLIENT4} -> ${SERVER4}" "port=${port4}" family=ipv4
expect_pinhole "pending EPSV ${CLIENT6} -> ${SERVER6}" "port=${port6}" family=ipv6
expect_set_element "pending PASV before SIGTERM" 4 "${CLIENT4}" "${SERVER4}" "${port4}"
expect_set_element "pending EPSV before SIGTERM" 6 "${CLIENT6}" "${SERVER6}" "${port6}"
[[ -S "${PINHOLED_SOCKET}" ]] || fail "pinholed running: expected a control socket at ${PINHOLED_SOCKET}"

stop_pinholed
if pinhole_table_present; then
    fail "SIGTERM with 2 pinholes open: expected no 'table inet pinhole' in the firewall, got: $(in_firewall nft list ruleset | tr -s '\t\n' '  ')"
fi
[[ ! -e "${PINHOLED_SOCKET}" ]] || fail "SIGTERM: the control socket ${PINHOLED_SOCKET} is still there"
out="$(in_firewall "${PINHOLECTL}" --socket "${PINHOLED_SOCKET}" status 2>&1)" && rc=0 || rc=$?
[[ "${rc}" -eq 3 ]] ||
    fail "pinholectl status after pinholed stopped: expected exit code 3 (daemon unreachable), got ${rc}: ${out}"
drive_select four
drive_quit
drive_select six
drive_quit
