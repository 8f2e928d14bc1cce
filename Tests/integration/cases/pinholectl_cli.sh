#!/usr/bin/env bash
# pinholectl against a running pinholed: the human list and status, flush by
# service, errors and exit codes (1 daemon error, 3 unreachable), check on every
# example policy and on a bad one, and the control socket's permissions: 0600 root
# by default; with socket_group 0660 and group-owned, so a group member may list
# but not flush, and a user outside the group cannot connect at all.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

command -v setpriv >/dev/null || skip "setpriv (util-linux) is needed to run pinholectl as another user"
if ! command -v useradd >/dev/null || ! command -v groupadd >/dev/null; then
    skip "useradd/groupadd (passwd) are needed"
fi

# A throwaway system group and user, removed by the trap.
CLI_GROUP="phctl$$"
CLI_USER="phusr$$"
CLI_MADE=()
cli_cleanup() {
    if [[ " ${CLI_MADE[*]} " == *" user "* ]]; then userdel "${CLI_USER}" 2>/dev/null || true; fi
    if [[ " ${CLI_MADE[*]} " == *" group "* ]]; then groupdel "${CLI_GROUP}" 2>/dev/null || true; fi
}

# lab_down reads $? first: keep the case's exit status across the clean-up.
cli_down() {
    local rc=$?
    set +e
    cli_cleanup
    (exit "${rc}")
    lab_down
}

lab_up
trap cli_down EXIT
start_vsftpd v4

policy="${LAB_DIR}/policy.yaml"
write_policy "${policy}" 30s
start_pinholed "${policy}"

# ctl_run ARGS...: pinholectl as root in the firewall; sets CTL_RC, CTL_OUT, CTL_ERR.
ctl_run() {
    CTL_RC=0
    ctl "$@" >"${LAB_DIR}/ctl.out" 2>"${LAB_DIR}/ctl.err" || CTL_RC=$?
    CTL_OUT="$(cat "${LAB_DIR}/ctl.out")"
    CTL_ERR="$(cat "${LAB_DIR}/ctl.err")"
}

# ctl_as USER ARGS...: pinholectl as USER (its own groups) in the firewall.
ctl_as() {
    local user="$1"
    shift
    CTL_RC=0
    in_firewall setpriv --reuid="${user}" --regid="$(id -g "${user}")" --init-groups \
        "${PINHOLECTL}" --socket "${PINHOLED_SOCKET}" "$@" >"${LAB_DIR}/ctl.out" 2>"${LAB_DIR}/ctl.err" || CTL_RC=$?
    CTL_OUT="$(cat "${LAB_DIR}/ctl.out")"
    CTL_ERR="$(cat "${LAB_DIR}/ctl.err")"
}

expect_rc() {
    [[ "${CTL_RC}" == "$2" ]] ||
        fail "$1: expected exit code $2, got ${CTL_RC}; stdout: ${CTL_OUT}; stderr: ${CTL_ERR}"
}

# ---- list (human), flush by service
drive_start v4
drive_passive pasv
port="${DRIVE_PORT}"
what="pending PASV from ${CLIENT4}:${DRIVE_CLIENT_PORT} to ${SERVER4} port ${port}"
expect_pinhole "${what}" "port=${port}"
ctl_run list
expect_rc "pinholectl list with ${what}" 0
row="$(grep -E "^lab +passive +ipv4 +${CLIENT4} +${SERVER4} +${port} " <<<"${CTL_OUT}")" ||
    fail "pinholectl list: expected a row 'lab passive ipv4 ${CLIENT4} ${SERVER4} ${port} ...' for ${what}, got: ${CTL_OUT}"
grep -qF "${CLIENT4}:${DRIVE_CLIENT_PORT} -> ${SERVER4}:21" <<<"${row}" ||
    fail "pinholectl list: expected the session ${CLIENT4}:${DRIVE_CLIENT_PORT} -> ${SERVER4}:21 in the row, got: ${row}"
head -n1 <<<"${CTL_OUT}" | grep -q '^SERVICE ' || fail "pinholectl list: expected a header line, got: ${CTL_OUT}"

ctl_run flush --service nope
expect_rc "pinholectl flush --service nope (no such service)" 1
grep -qi 'nope' <<<"${CTL_ERR}" || fail "pinholectl flush --service nope: expected an error naming the service on stderr, got: ${CTL_ERR}"
pinhole_check find "port=${port}" || fail "a refused flush of service nope must leave ${what}; ${CHECK_OUT}"

ctl_run flush --service lab
expect_rc "pinholectl flush --service lab" 0
grep -qF "closed 1 pinhole" <<<"${CTL_OUT}" || fail "pinholectl flush --service lab: expected 'closed 1 pinhole', got: ${CTL_OUT}"
expect_no_pinhole "after flush --service lab" 10 "port=${port}"
expect_set_empty "after flush --service lab" 10 4
ctl_run list
grep -qx "no open pinholes" <<<"${CTL_OUT}" || fail "pinholectl list after flush: expected 'no open pinholes', got: ${CTL_OUT}"
expect_blocked "after flush --service lab: connection to the flushed port ${port}" "${port}"
drive_quit

# ---- status (human)
ctl_run status
expect_rc "pinholectl status" 0
for key in version uptime policy_sha256 sessions pinholes_open pinholes_opened pinholes_flushed refused; do
    grep -qE "^${key} " <<<"${CTL_OUT}" || fail "pinholectl status: expected a '${key}' line, got: ${CTL_OUT}"
done
grep -qE '^pinholes_flushed +1$' <<<"${CTL_OUT}" || fail "pinholectl status: expected 'pinholes_flushed 1', got: ${CTL_OUT}"

# ---- unreachable daemon: exit 3, one line
CTL_RC=0
in_firewall "${PINHOLECTL}" --socket "${LAB_DIR}/no-such.sock" list >"${LAB_DIR}/ctl.out" 2>"${LAB_DIR}/ctl.err" || CTL_RC=$?
CTL_OUT="$(cat "${LAB_DIR}/ctl.out")"
CTL_ERR="$(cat "${LAB_DIR}/ctl.err")"
expect_rc "pinholectl list on a socket that does not exist" 3
[[ "$(wc -l <"${LAB_DIR}/ctl.err")" == 1 && -n "${CTL_ERR}" ]] ||
    fail "pinholectl list on a missing socket: expected a one-line reason on stderr, got: ${CTL_ERR}"
lab_log "missing socket: ${CTL_ERR}"

# ---- check
for file in "${LAB_REPO_ROOT}"/policies/*.yaml; do
    CTL_RC=0
    CTL_OUT="$("${PINHOLECTL}" check "${file}" 2>&1)" || CTL_RC=$?
    CTL_ERR=""
    expect_rc "pinholectl check ${file}" 0
done
bad="${LAB_DIR}/bad.yaml"
printf 'table: pinhole\nnflog_group: 2121\nservices:\n  - name: lab\n    servers: [203.0.113.10]\n    data_ports: 80-90\n' >"${bad}"
CTL_RC=0
CTL_ERR="$("${PINHOLECTL}" check "${bad}" 2>&1)" || CTL_RC=$?
CTL_OUT=""
expect_rc "pinholectl check on a policy with data_ports 80-90" 1
grep -qE "^${bad}:6:[0-9]+: error: " <<<"${CTL_ERR}" ||
    fail "pinholectl check ${bad}: expected '${bad}:6:COLUMN: error: ...' for data_ports on line 6, got: ${CTL_ERR}"

# ---- socket permissions: default 0600 root
got="$(stat -c '%a %U %G' "${PINHOLED_SOCKET}")"
[[ "${got}" == "600 root root" ]] || fail "control socket ${PINHOLED_SOCKET} without socket_group: expected mode 600 owned root:root, got ${got}"

groupadd -r "${CLI_GROUP}" && CLI_MADE+=(group)
useradd -r -M -N -g nogroup -s /usr/sbin/nologin "${CLI_USER}" && CLI_MADE+=(user)
ctl_as "${CLI_USER}" list
expect_rc "pinholectl list as ${CLI_USER} (not root) on the 0600 socket" 3

# ---- socket_group: 0660, group-owned; outsiders refused, members list but not flush
stop_pinholed
sed -i "s|^socket: .*|&\nsocket_group: ${CLI_GROUP}|" "${policy}"
start_pinholed "${policy}"
got="$(stat -c '%a %U %G' "${PINHOLED_SOCKET}")"
[[ "${got}" == "660 root ${CLI_GROUP}" ]] ||
    fail "control socket with socket_group ${CLI_GROUP}: expected mode 660 owned root:${CLI_GROUP}, got ${got}"
ctl_as "${CLI_USER}" list
expect_rc "pinholectl list as ${CLI_USER}, not in socket_group ${CLI_GROUP}" 3
lab_log "outsider: ${CTL_ERR}"

usermod -a -G "${CLI_GROUP}" "${CLI_USER}"
ctl_as "${CLI_USER}" list --json
expect_rc "pinholectl list --json as ${CLI_USER}, member of socket_group ${CLI_GROUP}" 0
[[ "${CTL_OUT}" == "[]" ]] || fail "pinholectl list --json as a group member: expected [], got: ${CTL_OUT}"
ctl_as "${CLI_USER}" status --json
expect_rc "pinholectl status --json as ${CLI_USER}, member of socket_group ${CLI_GROUP}" 0
ctl_as "${CLI_USER}" flush
expect_rc "pinholectl flush as ${CLI_USER}, member of socket_group ${CLI_GROUP} but not root" 1
grep -qF "requires root" <<<"${CTL_ERR}" ||
    fail "pinholectl flush as a non-root group member: expected 'requires root' on stderr, got: ${CTL_ERR}"
stop_pinholed
