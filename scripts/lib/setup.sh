# Sourced by scripts/test and scripts/demo (bash): the Debian packages they need,
# installing them with apt-get, and finding the Swift 6 toolchain. sudo's
# secure_path drops /opt/swift/usr/bin, so `sudo scripts/...` must not rely on
# `swift` being on PATH.
# shellcheck shell=bash

# Building pinholed: the C libraries it links.
# shellcheck disable=SC2034  # used by the scripts that source this file
pinhole_build_packages=(
    libnftnl-dev libmnl-dev libnetfilter-conntrack-dev libnfnetlink-dev libnftables-dev
    pkg-config
)

# The namespace lab (scripts/demo, the integration tests): namespaces, firewall
# tools, FTP servers and clients; iptables for the xtables extensions that let
# `nft list` print the race guard's xt NFQUEUE rule as `queue num N`.
# shellcheck disable=SC2034
pinhole_lab_packages=(
    iproute2 nftables conntrack vsftpd python3 python3-pyftpdlib lftp curl iptables
)

# pinhole_install_packages PACKAGE...: apt-get update, then install PACKAGE...
# without recommends, keeping package scripts from starting services (vsftpd)
# on this machine. Needs root.
pinhole_install_packages() {
    export DEBIAN_FRONTEND=noninteractive
    local policy_rc=/usr/sbin/policy-rc.d rc=0
    if [[ -e "${policy_rc}" ]]; then
        { apt-get update && apt-get install -y --no-install-recommends "$@"; } || rc=$?
        return "${rc}"
    fi
    printf '#!/bin/sh\nexit 101\n' >"${policy_rc}"
    chmod 755 "${policy_rc}"
    # Interrupted, it must not stay: it would stop every later package from
    # starting its service on this machine.
    local callers_traps
    callers_traps="$(trap -p INT TERM)"
    trap 'rm -f /usr/sbin/policy-rc.d' INT TERM
    { apt-get update && apt-get install -y --no-install-recommends "$@"; } || rc=$?
    rm -f "${policy_rc}"
    trap - INT TERM
    eval "${callers_traps}"
    return "${rc}"
}

# pinhole_find_swift: prints the swift driver to use: $SWIFT, else swift on
# PATH, else /opt/swift/usr/bin/swift; fails when there is none.
pinhole_find_swift() {
    if [[ -n "${SWIFT:-}" ]]; then
        printf '%s' "${SWIFT}"
    elif command -v swift >/dev/null; then
        command -v swift
    elif [[ -x /opt/swift/usr/bin/swift ]]; then
        printf '%s' /opt/swift/usr/bin/swift
    else
        return 1
    fi
}

# pinhole_require_swift SCRIPT: sets `swift` to pinhole_find_swift's answer or
# exits with a message naming SCRIPT.
pinhole_require_swift() {
    swift="$(pinhole_find_swift)" || {
        echo "$1: no Swift toolchain found; install Swift 6 from https://www.swift.org/install/ (it looks for \$SWIFT, swift on PATH, then /opt/swift/usr/bin/swift)" >&2
        exit 1
    }
}
