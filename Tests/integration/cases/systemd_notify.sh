#!/usr/bin/env bash
# systemd readiness: with NOTIFY_SOCKET set, pinholed sends READY=1 once it is
# ready, RELOADING=1 then READY=1 around a SIGHUP reload, and STOPPING=1 on SIGTERM.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_up
write_policy "${LAB_DIR}/policy.yaml" 30s
notify_socket="${LAB_DIR}/notify.sock"
notify_log="${LAB_DIR}/notify.log"
: >"${notify_log}"
# A stand-in for systemd's notify socket: one line per datagram (bounded: 60 s).
"${LAB_PYTHON}" - "${notify_socket}" "${notify_log}" <<'PY' &
import socket, sys, time
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.5)
deadline = time.time() + 60
with open(log, "a", buffering=1) as out:
    while time.time() < deadline:
        try:
            out.write(s.recv(4096).decode(errors="replace").strip() + "\n")
        except socket.timeout:
            pass
PY
LAB_PIDS+=("$!")
wait_until 50 test -S "${notify_socket}" || fail "systemd notify: the stand-in notify socket did not appear"

export NOTIFY_SOCKET="${notify_socket}"
start_pinholed "${LAB_DIR}/policy.yaml"
unset NOTIFY_SOCKET
notified() { grep -qx "$1" "${notify_log}"; }
notified_twice() { [[ "$(grep -cx "$1" "${notify_log}")" -ge 2 ]]; }
wait_until 30 notified READY=1 ||
    fail "systemd notify: pinholed logged ready but sent no READY=1 to NOTIFY_SOCKET; got: $(tr '\n' ' ' <"${notify_log}")"

kill -HUP "${PINHOLED_PID}"
wait_until 30 notified RELOADING=1 ||
    fail "systemd notify: no RELOADING=1 after SIGHUP; got: $(tr '\n' ' ' <"${notify_log}")"
wait_until 30 notified_twice READY=1 ||
    fail "systemd notify: no second READY=1 after the reload; got: $(tr '\n' ' ' <"${notify_log}")"

stop_pinholed
wait_until 30 notified STOPPING=1 ||
    fail "systemd notify: no STOPPING=1 on SIGTERM; got: $(tr '\n' ' ' <"${notify_log}")"
lab_log "systemd notify: $(tr '\n' ' ' <"${notify_log}")"
