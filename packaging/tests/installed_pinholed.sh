#!/usr/bin/env bash
# The INSTALLED pinholed and pinholectl (from the .deb) in the namespace lab: a
# pending PASV shows in `pinholectl list --json` and in the set, the data
# connection goes through it and closes it, QUIT closes the next one; then a
# 1 MiB download through pinholed. Run by packaging/test-deb after `dpkg -i`.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
export PINHOLED=/usr/sbin/pinholed PINHOLECTL=/usr/bin/pinholectl
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../Tests/integration/lib/lab.sh
source "${here}/../../Tests/integration/lib/lab.sh"
# shellcheck source=../../Tests/integration/lib/pending.sh
source "${LAB_LIB_DIR}/pending.sh"

lab_up
start_vsftpd v4
write_policy "${LAB_DIR}/policy.yaml" 30s
checked="$("${PINHOLECTL}" check "${LAB_DIR}/policy.yaml" 2>&1)" ||
    fail "installed pinholectl check of the lab policy failed: ${checked}"
start_pinholed "${LAB_DIR}/policy.yaml"
pending_passive_lifecycle v4
out="${LAB_DIR}/out/installed-curl.bin"
curl_get v4 big.bin "${out}" --disable-epsv ||
    fail "installed pinholed: curl PASV download of big.bin from ${SERVER4} failed (exit $?)"
expect_sha256 "installed pinholed: curl PASV download of big.bin from ${SERVER4}" "${out}"
expect_status "installed pinholed: after the download" pinholes_open=0 pinholes_used=2
stop_pinholed
lab_log "installed pinholed: pinholes opened and closed for real transfers"
