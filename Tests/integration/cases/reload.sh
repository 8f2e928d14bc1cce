#!/usr/bin/env bash
# SIGHUP reloads: a policy that still allows a pending PASV keeps its pinhole (same
# port, in the list and the set); a broken policy is refused with FILE:LINE:COLUMN
# and the running one stays (policy_sha256 unchanged); a policy whose data_ports
# exclude the port closes the pinhole (reason=policy) and removes it from the set;
# a policy path that is a FIFO is refused at once (an open would block);
# a changed socket_group is logged as needing a restart; a shorter
# pinhole_timeout shortens the pinholes already open.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_up
start_vsftpd v4
policy="${LAB_DIR}/policy.yaml"
write_policy "${policy}" 30s
start_pinholed "${policy}"

log_count() { grep -cF " $1" "${PINHOLED_LOG}" || true; }

logged_at_least() { [[ "$(log_count "$1")" -ge "$2" ]]; }

# hup WHAT LOG_TEXT COUNT: SIGHUP, then wait until LOG_TEXT was logged COUNT times.
hup() {
    kill -HUP "${PINHOLED_PID}"
    wait_until 30 logged_at_least "$2" "$3" ||
        fail "$1: expected '$2' in the pinholed log (${3} times) within 3 s after SIGHUP, got $(log_count "$2"): $(tail -n5 "${PINHOLED_LOG}" | tr '\n' ' ')"
}

sha_initial="$(sha256sum "${policy}" | cut -d' ' -f1)"
[[ "$(status_field policy_sha256)" == "${sha_initial}" ]] ||
    fail "start: status policy_sha256 is $(status_field policy_sha256), expected the file's sha256 ${sha_initial}"

drive_start v4
drive_passive pasv
port="${DRIVE_PORT}"
what="pending PASV from ${CLIENT4} to ${SERVER4} port ${port}"
expect_pinhole "${what}" mode=passive "initiator=${CLIENT4}" "responder=${SERVER4}" "port=${port}"
expect_set_element "${what}" 4 "${CLIENT4}" "${SERVER4}" "${port}"

# 1. A policy that still allows the pinhole (a longer timeout): it stays.
write_policy "${policy}" 45s
sha_allowing="$(sha256sum "${policy}" | cut -d' ' -f1)"
hup "reload with a policy that still allows ${what}" "notice reloaded " 1
pinhole_check find "port=${port}" "initiator=${CLIENT4}" "responder=${SERVER4}" ||
    fail "${what}: after a reload that still allows it, expected the pinhole to stay; ${CHECK_OUT}"
set_has 4 "${CLIENT4}" "${SERVER4}" "${port}" ||
    fail "${what}: after a reload that still allows it, expected the set element to stay, got: $(tr -s '\t\n' '  ' <<<"${CHECK_OUT}")"
[[ "$(status_field policy_sha256)" == "${sha_allowing}" ]] ||
    fail "after a good reload: status policy_sha256 is $(status_field policy_sha256), expected the new file's ${sha_allowing}"
[[ "$(pinhole_count)" == 1 ]] || fail "after a good reload: expected exactly one pinhole, got: $(ctl list --json)"
lab_log "good reload: pinhole on port ${port} kept"

# 2. A broken policy (YAML syntax error on line 4): refused, the running one stays.
cat >"${policy}" <<EOF
table: pinhole
nflog_group: 2121
services:
  - name: [lab
    servers: 203.0.113.10
EOF
hup "reload with a broken policy" "reload refused" 1
refused_line="$(grep -F "reload refused" "${PINHOLED_LOG}" | head -n1)"
grep -qE "${policy}:[0-9]+:[0-9]+: error: " <<<"${refused_line}" ||
    fail "reload with a broken policy: expected 'reload refused' to name ${policy}:LINE:COLUMN: error:, got: ${refused_line}"
sleep 0.3
[[ "$(log_count "notice reloaded ")" == 1 ]] ||
    fail "reload with a broken policy: 'reloaded' logged $(log_count "notice reloaded ") times, expected still 1"
[[ "$(status_field policy_sha256)" == "${sha_allowing}" ]] ||
    fail "after a refused reload: status policy_sha256 is $(status_field policy_sha256), expected the running policy's ${sha_allowing}"
pinhole_check find "port=${port}" || fail "${what}: after a refused reload, expected the pinhole to stay; ${CHECK_OUT}"
set_has 4 "${CLIENT4}" "${SERVER4}" "${port}" ||
    fail "${what}: after a refused reload, expected the set element to stay, got: $(tr -s '\t\n' '  ' <<<"${CHECK_OUT}")"
lab_log "broken policy refused: ${refused_line}"

# 2b. The policy path is now a FIFO: opening it would block pinholed's only
# thread until someone wrote to it. Refused at once; pinholed still answers.
rm -f "${policy}"
mkfifo "${policy}"
# (Each refusal logs two lines that say "reload refused".)
hup "reload with the policy path a FIFO" "reload refused" 3
grep -F "reload refused" "${PINHOLED_LOG}" | grep -qF "${policy}:1:1: error: cannot read the policy file: it is a FIFO, not a regular file" ||
    fail "reload with the policy path a FIFO: expected 'it is a FIFO, not a regular file', got: $(tail -n2 "${PINHOLED_LOG}" | tr '\n' ' ')"
[[ "$(status_field policy_sha256)" == "${sha_allowing}" ]] ||
    fail "after a reload from a FIFO: status policy_sha256 is $(status_field policy_sha256), expected the running policy's ${sha_allowing}"
pinhole_check find "port=${port}" || fail "${what}: after a reload from a FIFO, expected the pinhole to stay; ${CHECK_OUT}"
rm -f "${policy}"
lab_log "policy path a FIFO: refused, pinholed still answering"

# 3. data_ports that exclude the port: the pinhole closes (reason=policy).
write_policy "${policy}" 45s
sed -i "s/^    data_ports: .*/    data_ports: 60000-60100/" "${policy}"
hup "reload with data_ports 60000-60100, excluding port ${port}" "notice reloaded " 2
expect_no_pinhole "${what}: after a reload whose data_ports exclude it" 20 "port=${port}"
expect_no_set_element "${what}: after a reload whose data_ports exclude it" 20 4 "${CLIENT4}" "${SERVER4}" "${port}"
sed 's/$/ /' "${PINHOLED_LOG}" | grep -F "pinhole closed" | grep -F "port=${port} " | grep -qF "reason=policy " ||
    fail "${what}: expected 'pinhole closed ... port=${port} reason=policy' in the log, got: $(grep -F "port=${port}" "${PINHOLED_LOG}" | tr '\n' ' ')"

# 4. socket_group applies when the socket is made, at start-up: a change says so.
sed -i "s|^socket: .*|&\nsocket_group: root|" "${policy}"
hup "reload with socket_group: root added" "notice reloaded " 3
grep -F "socket_group change needs a restart" "${PINHOLED_LOG}" | grep -qF "socket_group=-" ||
    fail "reload that adds socket_group: root: expected 'socket_group change needs a restart socket_group=-' in the log, got: $(tail -n3 "${PINHOLED_LOG}" | tr '\n' ' ')"

# 4b. A new socket_group that names no group of this host: refused, as at start-up.
sed -i "s|^socket_group: .*|socket_group: no-such-group-$$|" "${policy}"
hup "reload with socket_group: no-such-group-$$" "reload refused" 5
grep -F "reload refused" "${PINHOLED_LOG}" | grep -qF "socket_group: no group \"no-such-group-$$\" on this host" ||
    fail "reload with a missing socket_group: expected 'socket_group: no group \"no-such-group-$$\" on this host', got: $(tail -n2 "${PINHOLED_LOG}" | tr '\n' ' ')"

# 5. A shorter pinhole_timeout holds for a pinhole already open: it expires
# that long after it opened, its element too.
write_policy "${policy}" 60s
hup "reload with pinhole_timeout 60s" "notice reloaded " 4
drive_passive pasv
port="${DRIVE_PORT}"
what="pending PASV from ${CLIENT4} to ${SERVER4} port ${port}, opened with a 60 s timeout"
expect_set_element "${what}" 4 "${CLIENT4}" "${SERVER4}" "${port}"
write_policy "${policy}" 2s
hup "reload with pinhole_timeout 2s" "notice reloaded " 5
# Within 4 s of the reload: the old 60 s would keep it for a minute.
expect_no_set_element "${what}: after a reload with pinhole_timeout 2s" 40 4 "${CLIENT4}" "${SERVER4}" "${port}"
expect_no_pinhole "${what}: after a reload with pinhole_timeout 2s" 20 "port=${port}"
sed 's/$/ /' "${PINHOLED_LOG}" | grep -F "pinhole closed" | grep -F "port=${port} " | grep -qF "reason=expired " ||
    fail "${what}: expected 'pinhole closed ... port=${port} reason=expired' after the shorter timeout, got: $(grep -F "port=${port}" "${PINHOLED_LOG}" | tr '\n' ' ')"
lab_log "shorter pinhole_timeout: the open pinhole on port ${port} expired within 2 s of opening"
drive_quit
stop_pinholed
