#!/usr/bin/env bash
# Attach mode, the user's set holds 2 elements (`size 2`) and four PASVs are
# pending: the kernel refuses the third and fourth element (ENFILE). Those two
# pinholes close (refusal kernel_refused: counted, logged) and the others stay,
# so no batch fails in a loop. A session that QUITs loses its element at once,
# and a new PASV is written once there is room again.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_up
start_vsftpd v4

user_ruleset="${LAB_DIR}/user.nft"
sed 's/flags dynamic,timeout$/flags dynamic,timeout; size 2/' "${LAB_REPO_ROOT}/policies/attach-ruleset.nft" >"${user_ruleset}"
grep -q 'size 2' "${user_ruleset}" || fail "attach set full: could not give policies/attach-ruleset.nft's sets 'size 2'; adapt this case"
in_firewall nft -f "${user_ruleset}" || fail "attach set full: could not load ${user_ruleset} in the firewall namespace"

policy="${LAB_DIR}/policy.yaml"
write_attach_policy "${policy}" ftp_pinholes4 ftp_pinholes6 60s
start_pinholed "${policy}"

user_set() { in_firewall nft list set inet filter ftp_pinholes4 2>&1; }
# (Listed first: with pipefail, grep -q quitting early would fail nft's side of a pipe.)
in_user_set() {
    local listing
    listing="$(user_set)"
    grep -qF "${CLIENT4} . ${SERVER4} . $1 " <<<"${listing}"
}
not_in_user_set() { ! in_user_set "$1"; }
user_set_count() { user_set | grep -oF "${CLIENT4} . ${SERVER4} . " | wc -l; }
what="attach mode, set size 2, four pending PASVs from ${CLIENT4} to ${SERVER4}"

declare -A port=()
for n in a b c d; do
    drive_start v4 "${n}"
    drive_passive pasv
    port[${n}]="${DRIVE_PORT}"
done
set_holds_two() { [[ "$(user_set_count)" -eq 2 ]]; }
wait_until 20 set_holds_two || fail "${what}: expected the set to hold 2 elements, got: $(user_set | tr -s '\t\n' '  ')"

# A session whose pinhole is in the set QUITs: its element goes at once.
gone=""
for n in a b c d; do
    if in_user_set "${port[${n}]}"; then gone="${n}"; break; fi
done
[[ -n "${gone}" ]] || fail "${what}: none of the ports ${port[*]} is in the set: $(user_set | tr -s '\t\n' '  ')"
drive_select "${gone}"
drive_quit
wait_until 10 not_in_user_set "${port[${gone}]}" ||
    fail "${what}: session ${gone} quit, its element on port ${port[${gone}]} is still in the set 1 s later: $(user_set | tr -s '\t\n' '  ')"
expect_no_pinhole "${what}: session ${gone} quit" 10 "port=${port[${gone}]}"

# Room again: a new PASV is written.
drive_start v4 e
drive_passive pasv
port[e]="${DRIVE_PORT}"
wait_until 20 in_user_set "${port[e]}" ||
    fail "${what}: after session ${gone} made room, the new PASV's port ${port[e]} is not in the set: $(user_set | tr -s '\t\n' '  ')"
expect_pinhole "${what}: new PASV after room was made" "port=${port[e]}"

# The two refused pinholes were closed and counted; what pinholed lists is what the set holds.
expect_status "${what}" refused.kernel_refused=2 pinholes_open=2 sessions=4
listed=0
for n in a b c d e; do
    pinhole_check find "port=${port[${n}]}" || continue
    listed=$((listed + 1))
    in_user_set "${port[${n}]}" ||
        fail "${what}: pinhole on port ${port[${n}]} is listed but not in the set: $(user_set | tr -s '\t\n' '  ')"
done
[[ "${listed}" -eq 2 && "$(user_set_count)" -eq 2 ]] ||
    fail "${what}: expected the 2 listed pinholes to be the set's 2 elements, got ${listed} listed, set: $(user_set | tr -s '\t\n' '  ')"
grep -q 'reason=kernel_refused' "${PINHOLED_LOG}" || fail "${what}: no 'reason=kernel_refused' in the log"
failures="$(grep -c 'batch failed' "${PINHOLED_LOG}" || true)"
[[ "${failures}" -eq 0 ]] ||
    fail "${what}: refused adds must not fail batches in a loop; 'batch failed' logged ${failures} times: $(grep 'batch failed' "${PINHOLED_LOG}" | tail -1)"

for n in a b c d e; do
    [[ "${n}" == "${gone}" ]] && continue
    drive_select "${n}"
    drive_quit
done
stop_pinholed
[[ "$(user_set_count)" -eq 0 ]] || fail "${what}: after SIGTERM the set still has: $(user_set | tr -s '\t\n' '  ')"
