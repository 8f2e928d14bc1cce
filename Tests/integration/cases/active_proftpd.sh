#!/usr/bin/env bash
# Active FTP (PORT / EPRT) to proftpd through pinholed (active: true, passive: false,
# enforce: true): curl, lftp and ftplib, IPv4 and IPv6, 1 MiB with matching sha256;
# proftpd connects back only for the transfer command, so a pending PORT/EPRT shows
# as an active pinhole server -> client; refused RETRs close their pinholes; without
# pinholed its saved table blocks the server's connections back to the client.
set -euo pipefail
# shellcheck source=../lib/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lab.sh"
# shellcheck source=../lib/active.sh
source "${LAB_LIB_DIR}/active.sh"

active_lab_up start_proftpd
write_active_policy "${LAB_DIR}/policy.yaml" 30s
start_pinholed "${LAB_DIR}/policy.yaml"
active_pending v4
active_pending v6
active_downloads "proftpd via pinholed"
wait_until 20 status_check pinholes_open=0 ||
    fail "proftpd active via pinholed: all sessions ended, expected no open pinhole; ${CHECK_OUT}"
used="$(status_field pinholes_used)"
# 2 pending NLSTs, 7 downloads, 2 listings: one pinhole each.
[[ "${used}" -ge 11 ]] ||
    fail "proftpd active via pinholed: 11 data connections were made, pinholes_used is ${used}"
# Refused RETRs after PORT: proftpd answers 550 for a missing file without
# connecting back, so each refused one's pinhole closes (rejected_by_server)
# instead of filling the session's limit of 4; the 6th transfer works.
got="$(in_client timeout 60 "${LAB_PYTHON}" "${LAB_LIB_DIR}/ftpclient.py" get-after-refused "${SERVER4}" 5 small.txt 2>&1)" || fail "proftpd active: five refused RETRs, then RETR small.txt in the same session failed: $(tr '\n' ' ' <<<"${got}")"
[[ "$(grep -c ': 550$' <<<"${got}")" == 5 && "${got}" == *"small.txt: "*" bytes"* ]] ||
    fail "proftpd active: expected five 550s and then small.txt, got: $(tr '\n' ' ' <<<"${got}")"
rejected="$(grep -c 'pinhole closed .*mode=active .*reason=rejected_by_server' "${PINHOLED_LOG}" || true)"
[[ "${rejected}" -ge 5 ]] ||
    fail "proftpd active: five refused RETRs should close their pinholes (reason=rejected_by_server), the log has ${rejected}"
lab_log "proftpd active: five refused RETRs closed their pinholes; the next RETR worked"
active_blocked_without_pinholed "proftpd active"
