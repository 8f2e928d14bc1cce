#!/usr/bin/env bash
# A start-up that fails after installing the table leaves no table behind. The
# kernel refuses the race guard's queue rule of table pinhole (LD_PRELOAD shim
# fail_queue_rule), after the nft script created the table: pinholed exits 1
# naming the chain, within seconds, and leaves no table and no control socket.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"
# shellcheck source=../lib/preload.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/preload.sh"

lab_up
preload_pinholed fail_queue_rule FAIL_QUEUE_RULE_TABLE=pinhole
write_policy "${LAB_DIR}/policy.yaml" 30s
rc=0
out="$(in_firewall timeout 20 "${PINHOLED}" --policy "${LAB_DIR}/policy.yaml" 2>&1)" || rc=$?
lab_log "pinholed exited ${rc}: $(tail -n1 <<<"${out}")"
[[ "${out}" == *"[preload] broke the NFQUEUE rule of table inet pinhole"* ]] ||
    fail "the fail_queue_rule shim did not act: ${out}"
[[ "${rc}" -eq 1 ]] || fail "start-up whose queue rule the kernel refuses: expected exit code 1, got ${rc}; output: ${out}"
[[ "${out}" == *"chain inet pinhole syn_guard"* ]] ||
    fail "start-up whose queue rule the kernel refuses: expected the error to name chain inet pinhole syn_guard, got: ${out}"
tables="$(in_firewall nft list tables)"
[[ -z "${tables}" ]] || fail "after the failed start-up: expected no table left, got: $(tr '\n' ' ' <<<"${tables}")"
[[ ! -e "${LAB_DIR}/control.sock" ]] || fail "after the failed start-up: the control socket ${LAB_DIR}/control.sock was left behind"
