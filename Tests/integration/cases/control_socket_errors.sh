#!/usr/bin/env bash
# Ways the packaged unit's sandbox can break start-up, each
# with an OS error that alone does not say why; pinholed exits 2 with advice
# (starting again fails the same way, and the unit does not restart on 2)
# and leaves no table behind:
# - ProtectSystem=strict makes every path but /run/nft-pinhole read-only: a
#   `socket:` elsewhere fails with EROFS (advice: ReadWritePaths=). Simulated
#   with a read-only tmpfs in a private mount namespace.
# - The unit keeps only CAP_NET_ADMIN, so giving the socket to `socket_group`
#   needs that group's membership: EPERM (advice: SupplementaryGroups=).
#   Simulated with setpriv dropping CAP_CHOWN and the supplementary groups.
# - No CAP_NET_ADMIN at all (User=, DynamicUser=): setpriv drops it.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_up
read_only="${LAB_DIR}/read-only"
mkdir -p "${read_only}"
write_policy "${LAB_DIR}/policy.yaml" 30s
sed -i "s|^socket: .*|socket: ${read_only}/control.sock|" "${LAB_DIR}/policy.yaml"
rc=0
# shellcheck disable=SC2016  # $1-$3 are the inner sh's arguments
out="$(in_firewall unshare -m sh -c 'mount -t tmpfs -o ro tmpfs "$1" && exec timeout 20 "$2" --policy "$3"' \
    sh "${read_only}" "${PINHOLED}" "${LAB_DIR}/policy.yaml" 2>&1)" || rc=$?
[[ "${rc}" -eq 2 ]] || fail "socket on a read-only file system: expected exit code 2, got ${rc}; output: ${out}"
[[ "${out}" == *"Read-only file system"*"ReadWritePaths="* ]] ||
    fail "socket on a read-only file system: expected the error to say why and suggest ReadWritePaths=, got: ${out}"
in_firewall nft list table inet pinhole >/dev/null 2>&1 &&
    fail "socket on a read-only file system: pinholed exited but left its table"
lab_log "socket on a read-only file system: exit 2, $(grep -o 'bind [^ ]*: Read-only file system' <<<"${out}" | head -n1 || echo "${out}")"

sed -i "s|^socket: .*|socket: ${LAB_DIR}/control.sock\nsocket_group: daemon|" "${LAB_DIR}/policy.yaml"
rc=0
out="$(in_firewall setpriv --inh-caps=-chown --bounding-set=-chown --clear-groups \
    timeout 20 "${PINHOLED}" --policy "${LAB_DIR}/policy.yaml" 2>&1)" || rc=$?
[[ "${rc}" -eq 2 ]] || fail "socket_group without CAP_CHOWN or membership: expected exit code 2, got ${rc}; output: ${out}"
[[ "${out}" == *"chown ${LAB_DIR}/control.sock to group"*"Operation not permitted"*"SupplementaryGroups="* ]] ||
    fail "socket_group without CAP_CHOWN or membership: expected the chown error with SupplementaryGroups= advice, got: ${out}"
[[ ! -e "${LAB_DIR}/control.sock" ]] || fail "socket_group without CAP_CHOWN or membership: pinholed left its socket behind"
in_firewall nft list table inet pinhole >/dev/null 2>&1 &&
    fail "socket_group without CAP_CHOWN or membership: pinholed exited but left its table"
lab_log "socket_group without CAP_CHOWN or membership: exit 2, with the SupplementaryGroups= advice"

# A socket_group that names no group of this host is a policy error: exit 2,
# which the unit does not restart (RestartPreventExitStatus), with the key's
# position; `pinholectl check` says the same; nothing is installed.
missing_group="no-such-group-$$"
sed -i "s|^socket_group: .*|socket_group: ${missing_group}|" "${LAB_DIR}/policy.yaml"
line="$(grep -n '^socket_group:' "${LAB_DIR}/policy.yaml" | cut -d: -f1)"
want="${LAB_DIR}/policy.yaml:${line}:15: error: socket_group: no group \"${missing_group}\" on this host"
expect_start_refused "socket_group ${missing_group}" "${LAB_DIR}/policy.yaml" 2 "${want}"
in_firewall nft list table inet pinhole >/dev/null 2>&1 &&
    fail "socket_group ${missing_group}: pinholed refused the policy but left a table"
rc=0
out="$("${PINHOLECTL}" check "${LAB_DIR}/policy.yaml" 2>&1)" || rc=$?
[[ "${rc}" -eq 1 && "${out}" == *"${want}"* ]] ||
    fail "pinholectl check of a policy with socket_group ${missing_group}: expected exit 1 and \"${want}\", got ${rc}: ${out}"
lab_log "socket_group ${missing_group}: pinholed exit 2, pinholectl check exit 1, both at line ${line}"

# Without CAP_NET_ADMIN (a unit's User=, DynamicUser=, or a
# CapabilityBoundingSet= without it) every netlink call fails with EPERM, which
# libnftables words as "cache initialization failed": pinholed names the
# capability and exits 2 (no restart loop) before any of them.
sed -i "/^socket_group:/d" "${LAB_DIR}/policy.yaml"
rc=0
out="$(in_firewall setpriv --inh-caps=-net_admin --bounding-set=-net_admin \
    timeout 20 "${PINHOLED}" --policy "${LAB_DIR}/policy.yaml" 2>&1)" || rc=$?
[[ "${rc}" -eq 2 && "${out}" == *"pinholed needs CAP_NET_ADMIN"*"CapabilityBoundingSet="* ]] ||
    fail "without CAP_NET_ADMIN: expected exit 2 naming the capability, got ${rc}: ${out}"
[[ "${out}" != *"cache initialization failed"* ]] || fail "without CAP_NET_ADMIN: a netlink call was still tried: ${out}"
lab_log "without CAP_NET_ADMIN: exit 2, the capability named"
