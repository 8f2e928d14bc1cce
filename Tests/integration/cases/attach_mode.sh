#!/usr/bin/env bash
# Attach mode: the user's own table (policies/attach-ruleset.nft: forward policy
# drop, data connections only through its pinhole sets) and pinholed writing into
# those sets (sets: table: inet filter; enforce: false). Passive transfers work;
# pinholed never changes the user's table beyond set elements; after SIGTERM the
# table is exactly as before and transfers fail; a missing set or one of the wrong
# type stops start-up with a message saying exactly what to add.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

USER_RULESET="${LAB_REPO_ROOT}/policies/attach-ruleset.nft"

lab_up
start_vsftpd

# The example's addresses are the lab server's: load it as it ships.
if ! grep -qF "${SERVER4}" "${USER_RULESET}" || ! grep -qF "${SERVER6}" "${USER_RULESET}"; then
    fail "attach mode: ${USER_RULESET} no longer names the lab server ${SERVER4}/${SERVER6}; adapt this case"
fi
in_firewall nft -f "${USER_RULESET}" || fail "attach mode: could not load ${USER_RULESET} in the firewall namespace"

# user_table: `nft list table inet filter` without set elements (pinholed's to change).
user_table() {
    in_firewall nft list table inet filter | awk '
        skipping { depth += gsub(/\{/, "{"); depth -= gsub(/\}/, "}"); if (depth <= 0) skipping = 0; next }
        /elements = \{/ { depth = gsub(/\{/, "{") - gsub(/\}/, "}"); if (depth > 0) skipping = 1; next }
        { print }'
}
user_set() { in_firewall nft list set inet filter "$1" 2>&1; }
# user_set_has SET ELEMENT
user_set_has() { user_set "$1" | grep -qF "$2"; }
before="$(user_table)"
printf '%s\n' "${before}" >"${LAB_DIR}/user-table-before.nft"

# ---- start-up refused: a missing set, a set of the wrong type, a set without timeouts
in_firewall nft add set inet filter wrong4 '{ type ipv4_addr . inet_service; flags timeout; }'
in_firewall nft add set inet filter notimeout4 '{ type ipv4_addr . ipv4_addr . inet_service; }'
want4="set %s { type ipv4_addr . ipv4_addr . inet_service; flags timeout; }"
want6="set %s { type ipv6_addr . ipv6_addr . inet_service; flags timeout; }"
for case_ in "ftp_pinholes4 missing6 6 missing6" "wrong4 ftp_pinholes6 4 wrong4" "notimeout4 ftp_pinholes6 4 notimeout4"; do
    read -r set4 set6 fam named <<<"${case_}"
    bad_policy="${LAB_DIR}/attach-${named}.yaml"
    write_attach_policy "${bad_policy}" "${set4}" "${set6}"
    # shellcheck disable=SC2059 # the format is ours
    if [[ "${fam}" == 4 ]]; then want="$(printf "${want4}" "${named}")"; else want="$(printf "${want6}" "${named}")"; fi
    rc=0
    in_firewall timeout 10 "${PINHOLED}" --policy "${bad_policy}" --log-level info >"${LAB_DIR}/start-${named}.log" 2>&1 || rc=$?
    got="$(tr '\n' ' ' <"${LAB_DIR}/start-${named}.log")"
    [[ "${rc}" -ne 0 && "${rc}" -ne 124 ]] ||
        fail "attach mode with set ${named} (missing or wrong type): expected pinholed to exit non-zero at once, got exit code ${rc}: ${got}"
    grep -qF "${want}" "${LAB_DIR}/start-${named}.log" ||
        fail "attach mode with set ${named}: expected the message to say exactly what to add ('${want}'), got: ${got}"
    grep -qF "inet filter" "${LAB_DIR}/start-${named}.log" ||
        fail "attach mode with set ${named}: expected the message to name table inet filter, got: ${got}"
    pinhole_table_present && fail "attach mode with set ${named}: the refused start-up left table inet pinhole behind"
    lab_log "set ${named}: exit ${rc}: ${got}"
done
in_firewall nft delete set inet filter wrong4
in_firewall nft delete set inet filter notimeout4
[[ "$(user_table)" == "${before}" ]] ||
    fail "attach mode: refused start-ups changed the user's table: $(diff <(printf '%s\n' "${before}") <(user_table) | tr '\n' ' ')"

# ---- running: transfers work, the pinholes are in the user's sets
policy="${LAB_DIR}/policy.yaml"
write_attach_policy "${policy}" ftp_pinholes4 ftp_pinholes6
start_pinholed "${policy}"
own="$(in_firewall nft list table inet pinhole)"
# (its copy chain is jumped to and matches @ih; no set, no guard, no set lookup)
grep -qE '^[[:space:]]*set |jump pinhole_check|@pinholes' <<<"${own}" &&
    fail "attach mode: pinholed's own table should hold only its NFLOG taps, got: $(tr -s '\t\n' '  ' <<<"${own}")"

drive_start v4
drive_passive pasv
port="${DRIVE_PORT}"
what="attach mode: pending PASV from ${CLIENT4} to ${SERVER4} port ${port}"
wait_until 20 user_set_has ftp_pinholes4 "${CLIENT4} . ${SERVER4} . ${port}" ||
    fail "${what}: expected element '${CLIENT4} . ${SERVER4} . ${port}' in the user's set inet filter ftp_pinholes4, got: $(user_set ftp_pinholes4 | tr -s '\t\n' '  ')"
expect_pinhole "${what}" mode=passive "initiator=${CLIENT4}" "responder=${SERVER4}" "port=${port}"
[[ "$(user_table)" == "${before}" ]] ||
    fail "${what}: pinholed changed the user's table beyond set elements: $(diff <(printf '%s\n' "${before}") <(user_table) | tr '\n' ' ')"
drive nlst
[[ "${DRIVE_REPLY}" == ok\ * ]] || fail "${what}: NLST through the user's rules and pinholed's element failed: ${DRIVE_REPLY}"
# The user's rule deletes the element on use: one pinhole, one connection.
expect_blocked "${what}: a second connection to the used port ${port}" "${port}"
drive_quit

for family in v4 v6; do
    out="${LAB_DIR}/out/attach-${family}.bin"
    curl_get "${family}" big.bin "${out}" || fail "attach mode: passive ${family} download from $(ftp_url "${family}" big.bin) failed"
    expect_sha256 "attach mode: passive ${family} download" "${out}"
done

# ---- SIGTERM with a pending pinhole: its element goes, the user's table stays as it was
drive_start v6 held
drive_passive epsv
held="${DRIVE_PORT}"
wait_until 20 user_set_has ftp_pinholes6 "${CLIENT6} . ${SERVER6} . ${held}" ||
    fail "attach mode: pending EPSV port ${held}: no element in the user's set ftp_pinholes6: $(user_set ftp_pinholes6 | tr -s '\t\n' '  ')"
stop_pinholed
after="$(user_table)"
[[ "${after}" == "${before}" ]] ||
    fail "attach mode, after SIGTERM: the user's table must be untouched, diff: $(diff <(printf '%s\n' "${before}") <(printf '%s\n' "${after}") | tr '\n' ' ')"
for set in ftp_pinholes4 ftp_pinholes6; do
    user_set "${set}" | grep -q 'elements' &&
        fail "attach mode, after SIGTERM: no pinhole may outlive pinholed, but set inet filter ${set} has: $(user_set "${set}" | tr -s '\t\n' '  ')"
done
pinhole_table_present && fail "attach mode, after SIGTERM: pinholed's own table is still there"

out="${LAB_DIR}/out/attach-stopped.bin"
if curl_get v4 big.bin "${out}" --connect-timeout 3 --max-time 6 2>/dev/null; then
    fail "attach mode without pinholed: a passive download from $(ftp_url v4 big.bin) succeeded; the user's drop policy should block its data connection"
fi
drive quit
