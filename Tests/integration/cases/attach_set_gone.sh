#!/usr/bin/env bash
# Attach mode, and the user deletes their IPv6 pinhole set while pinholed runs:
# every IPv6 add now fails with an error that names the set, not an element.
# Batches back off instead of failing every loop round, and IPv4 closes still
# go through: a session that QUITs loses its element at once.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_up
start_vsftpd both
in_firewall nft -f "${LAB_REPO_ROOT}/policies/attach-ruleset.nft" ||
    fail "attach set gone: could not load policies/attach-ruleset.nft in the firewall namespace"

policy="${LAB_DIR}/policy.yaml"
write_attach_policy "${policy}" ftp_pinholes4 ftp_pinholes6 60s
start_pinholed "${policy}"

# Listed first: with pipefail, grep -q quitting early would fail nft's side of a pipe.
in_set4() {
    local listing
    listing="$(in_firewall nft list set inet filter ftp_pinholes4 2>&1)"
    grep -qF "${CLIENT4} . ${SERVER4} . $1 " <<<"${listing}"
}
not_in_set4() { ! in_set4 "$1"; }
what="attach mode, IPv6 set deleted by the user"

drive_start v4 four
drive_passive pasv
port4="${DRIVE_PORT}"
wait_until 20 in_set4 "${port4}" || fail "${what}: pending PASV port ${port4} never reached set ftp_pinholes4"

# A rule references the set: delete that rule first (the rest of the chain stays).
handle="$(in_firewall nft -a list chain inet filter forward | sed -n 's/.*@ftp_pinholes6 .*# handle \([0-9]*\)$/\1/p')"
[[ -n "${handle}" ]] || fail "${what}: no rule using @ftp_pinholes6 in the user's forward chain; adapt this case"
in_firewall nft delete rule inet filter forward handle "${handle}"
in_firewall nft delete set inet filter ftp_pinholes6
drive_start v6 six
drive_passive epsv
wait_until 20 grep -q 'batches back off' "${PINHOLED_LOG}" ||
    fail "${what}: adds to the missing set should make batches back off; log: $(grep 'batch failed' "${PINHOLED_LOG}" | tail -1)"

drive_select four
drive_quit
wait_until 15 not_in_set4 "${port4}" ||
    fail "${what}: the IPv4 session quit, its element on port ${port4} is still in ftp_pinholes4 1.5 s later (held hostage by the IPv6 adds)"

# Back-off: about two failures per retry (100 ms doubling to 2 s), not one per loop round.
sleep 2
failures="$(grep -c 'batch failed' "${PINHOLED_LOG}" || true)"
[[ "${failures}" -le 30 ]] ||
    fail "${what}: 'batch failed' logged ${failures} times in ~3 s; expected back-off (at most ~20)"
lab_log "${what}: ${failures} failed batches logged"
drive_select six
drive_quit
