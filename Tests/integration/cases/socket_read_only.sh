#!/usr/bin/env bash
# The packaged unit's ProtectSystem=strict makes every path but
# /run/nft-pinhole read-only. A policy whose `socket:` lies elsewhere then
# fails with EROFS, which alone does not say why: pinholed exits 1 with
# advice (ReadWritePaths=), and leaves no table behind. Simulated with a
# read-only tmpfs in a private mount namespace.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"

lab_up
read_only="${LAB_DIR}/read-only"
mkdir -p "${read_only}"
write_policy "${LAB_DIR}/policy.yaml" 30s
sed -i "s|^socket: .*|socket: ${read_only}/control.sock|" "${LAB_DIR}/policy.yaml"
rc=0
out="$(in_firewall unshare -m sh -c 'mount -t tmpfs -o ro tmpfs "$1" && exec timeout 20 "$2" --policy "$3"' \
    sh "${read_only}" "${PINHOLED}" "${LAB_DIR}/policy.yaml" 2>&1)" || rc=$?
[[ "${rc}" -eq 1 ]] || fail "socket on a read-only file system: expected exit code 1, got ${rc}; output: ${out}"
[[ "${out}" == *"Read-only file system"*"ReadWritePaths="* ]] ||
    fail "socket on a read-only file system: expected the error to say why and suggest ReadWritePaths=, got: ${out}"
in_firewall nft list table inet pinhole >/dev/null 2>&1 &&
    fail "socket on a read-only file system: pinholed exited but left its table"
lab_log "socket on a read-only file system: exit 1, $(grep -o 'bind [^ ]*: Read-only file system' <<<"${out}" | head -n1 || echo "${out}")"
