# shellcheck shell=bash
# Assertions on pinholed's view (pinholectl) and on the kernel's (nft sets).
# Sourced by lab.sh; every wait is bounded.

PINHOLE_TABLE=pinhole

# pinhole_check find|absent KEY=VALUE...: one look at `pinholectl list --json`;
# CHECK_OUT says what was seen.
pinhole_check() {
    local verb="$1" json
    shift
    if ! json="$(ctl list --json 2>&1)"; then
        CHECK_OUT="pinholectl list --json failed: ${json}"
        return 1
    fi
    CHECK_OUT="$("${LAB_PYTHON}" "${LAB_LIB_DIR}/check_json.py" "${verb}" "$@" <<<"${json}")"
}

# expect_pinhole SCENARIO KEY=VALUE...: within 2 s, list --json has a matching entry.
expect_pinhole() {
    local scenario="$1"
    shift
    wait_until 20 pinhole_check find "$@" ||
        fail "${scenario}: expected a pinhole with $* in 'pinholectl list --json' within 2 s; ${CHECK_OUT}"
}

# expect_no_pinhole SCENARIO TENTHS KEY=VALUE...: within TENTHS/10 s no entry matches.
expect_no_pinhole() {
    local scenario="$1" tenths="$2"
    shift 2
    wait_until "${tenths}" pinhole_check absent "$@" ||
        fail "${scenario}: expected no pinhole with $* within $((tenths / 10)).$((tenths % 10)) s; ${CHECK_OUT}"
}

pinhole_count() {
    ctl list --json | "${LAB_PYTHON}" "${LAB_LIB_DIR}/check_json.py" count
}

# status_field KEY: one field of `pinholectl status --json`.
status_field() {
    ctl status --json | "${LAB_PYTHON}" "${LAB_LIB_DIR}/check_json.py" get "$1"
}

# status_check NAME=VALUE...: one look at `pinholectl status --json`.
status_check() {
    local json want key value got
    if ! json="$(ctl status --json 2>&1)"; then
        CHECK_OUT="pinholectl status --json failed: ${json}"
        return 1
    fi
    CHECK_OUT=""
    for want in "$@"; do
        key="${want%%=*}"
        value="${want#*=}"
        got="$("${LAB_PYTHON}" "${LAB_LIB_DIR}/check_json.py" get "${key}" <<<"${json}")" || got="(missing: ${got})"
        if [[ "${got}" != "${value}" ]]; then
            CHECK_OUT="${CHECK_OUT}${key} is ${got}, expected ${value}; "
        fi
    done
    if [[ -n "${CHECK_OUT}" ]]; then
        CHECK_OUT="${CHECK_OUT}status: $(tr -s ' \n' ' ' <<<"${json}")"
        return 1
    fi
}

# expect_status SCENARIO NAME=VALUE...: the counters reach these values within 1 s.
expect_status() {
    local scenario="$1"
    shift
    wait_until 10 status_check "$@" || fail "${scenario}: ${CHECK_OUT}"
}

# set_listing 4|6: the kernel's pinhole set in the firewall namespace.
set_listing() {
    in_firewall nft list set inet "${PINHOLE_TABLE}" "pinholes$1" 2>&1
}

set_has() {
    CHECK_OUT="$(set_listing "$1")"
    grep -qF "$2 . $3 . $4" <<<"${CHECK_OUT}"
}

set_lacks() {
    CHECK_OUT="$(set_listing "$1")"
    ! grep -qF "$2 . $3 . $4" <<<"${CHECK_OUT}"
}

set_empty() {
    CHECK_OUT="$(set_listing "$1")"
    grep -q "pinholes$1" <<<"${CHECK_OUT}" && ! grep -q 'elements' <<<"${CHECK_OUT}"
}

# expect_set_element SCENARIO 4|6 INITIATOR RESPONDER PORT
expect_set_element() {
    wait_until 20 set_has "$2" "$3" "$4" "$5" ||
        fail "$1: expected element '$3 . $4 . $5' in set inet ${PINHOLE_TABLE} pinholes$2, got: $(tr -s '\t\n' '  ' <<<"${CHECK_OUT}")"
}

# expect_no_set_element SCENARIO TENTHS 4|6 INITIATOR RESPONDER PORT
expect_no_set_element() {
    wait_until "$2" set_lacks "$3" "$4" "$5" "$6" ||
        fail "$1: expected no element '$4 . $5 . $6' in set inet ${PINHOLE_TABLE} pinholes$3, got: $(tr -s '\t\n' '  ' <<<"${CHECK_OUT}")"
}

# expect_set_empty SCENARIO TENTHS 4|6
expect_set_empty() {
    wait_until "$2" set_empty "$3" ||
        fail "$1: expected set inet ${PINHOLE_TABLE} pinholes$3 to be empty, got: $(tr -s '\t\n' '  ' <<<"${CHECK_OUT}")"
}

# expect_blocked SCENARIO PORT: a raw connect from the current ftplib client to its
# server's PORT must time out (dropped by the firewall; a refusal would mean the SYN
# reached the server).
expect_blocked() {
    drive connect "$2"
    [[ "${DRIVE_REPLY}" == timeout ]] ||
        fail "$1: a new connection from the client to ${DRIVE_HOSTS[${DRIVE_NAME}]} port $2 should be dropped by the firewall (timeout), got: ${DRIVE_REPLY}"
}

# pinhole_table_present: is pinholed's table in the firewall namespace?
pinhole_table_present() {
    in_firewall nft list tables | grep -qx "table inet ${PINHOLE_TABLE}"
}

# client_syn_retransmissions: the client namespace's TcpExtTCPSynRetrans (absolute),
# read from the kernel's counter with nstat -az (0 when the kernel has no such line).
client_syn_retransmissions() {
    in_client nstat -az TcpExtTCPSynRetrans |
        awk '$1 == "TcpExtTCPSynRetrans" { print $2; found = 1 } END { if (!found) print 0 }'
}
