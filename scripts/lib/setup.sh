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
# proftpd-core is not installed but unpacked (see pinhole_unpacked_packages).
# shellcheck disable=SC2034
pinhole_lab_packages=(
    iproute2 nftables conntrack vsftpd python3 python3-pyftpdlib lftp curl iptables
    proftpd-core
)

# Packages pinhole_install_packages unpacks (dpkg-deb -x) into
# ${pinhole_unpack_root}/PACKAGE instead of installing them, after installing
# their dependencies: proftpd-core and vsftpd both provide and conflict with
# ftp-server, so apt-get cannot install both, and the lab runs both. Unpacked,
# proftpd-core runs no maintainer script (no service, no accounts) and is unknown
# to dpkg. Tests/integration/lib/lab.sh looks for proftpd in the same place.
pinhole_unpacked_packages=(proftpd-core)
pinhole_unpack_root=/opt/nft-pinhole-lab

# pinhole_install_packages PACKAGE...: apt-get update, then install PACKAGE...
# without recommends (unpacking those in pinhole_unpacked_packages), keeping
# package scripts from starting services (vsftpd) on this machine. Needs root.
pinhole_install_packages() {
    export DEBIAN_FRONTEND=noninteractive
    local policy_rc=/usr/sbin/policy-rc.d rc=0
    if [[ -e "${policy_rc}" ]]; then
        pinhole_apt_get "$@" || rc=$?
        return "${rc}"
    fi
    printf '#!/bin/sh\nexit 101\n' >"${policy_rc}"
    chmod 755 "${policy_rc}"
    # Interrupted, it must not stay: it would stop every later package from
    # starting its service on this machine.
    local callers_traps
    callers_traps="$(trap -p INT TERM)"
    trap 'rm -f /usr/sbin/policy-rc.d' INT TERM
    pinhole_apt_get "$@" || rc=$?
    rm -f "${policy_rc}"
    trap - INT TERM
    eval "${callers_traps}"
    return "${rc}"
}

# pinhole_apt_get PACKAGE...: apt-get update; install PACKAGE... except those in
# pinhole_unpacked_packages, which pinhole_unpack_package unpacks.
pinhole_apt_get() {
    local package unpacked install=() unpack=()
    for package in "$@"; do
        for unpacked in "${pinhole_unpacked_packages[@]}"; do
            if [[ "${package}" == "${unpacked}" ]]; then
                unpack+=("${package}")
                continue 2
            fi
        done
        install+=("${package}")
    done
    apt-get update || return
    if [[ "${#install[@]}" -gt 0 ]]; then
        apt-get install -y --no-install-recommends "${install[@]}" || return
    fi
    for package in "${unpack[@]}"; do
        pinhole_unpack_package "${package}" || return
    done
}

# pinhole_unpack_package PACKAGE: installs PACKAGE's dependencies (apt-get
# satisfy), then unpacks its .deb into ${pinhole_unpack_root}/PACKAGE (replacing
# an earlier copy). Its maintainer scripts do not run.
pinhole_unpack_package() {
    local package="$1" work rc=0
    work="$(mktemp -d)"
    # apt-get download fetches as the user _apt when it may write there.
    chown _apt "${work}" 2>/dev/null || true
    pinhole_unpack_in "${work}" "${package}" "${pinhole_unpack_root}/${package}" || rc=$?
    rm -rf "${work}"
    [[ "${rc}" -eq 0 ]] ||
        echo "pinhole_unpack_package: could not unpack ${package} into ${pinhole_unpack_root}/${package}" >&2
    return "${rc}"
}

# pinhole_unpack_in WORK_DIR PACKAGE DIR: pinhole_unpack_package's steps.
pinhole_unpack_in() {
    local work="$1" package="$2" dir="$3" deb depends
    (cd "${work}" && apt-get download "${package}") || return
    deb="$(find "${work}" -maxdepth 1 -name '*.deb' | head -n1)"
    [[ -n "${deb}" ]] || return 1
    depends="$(dpkg-deb -f "${deb}" Depends)" || return
    if [[ -n "${depends}" ]]; then
        apt-get satisfy -y --no-install-recommends "${depends}" || return
    fi
    rm -rf "${dir}" || return
    mkdir -p "${dir}" || return
    dpkg-deb -x "${deb}" "${dir}" || return
    echo "${package} $(dpkg-deb -f "${deb}" Version) unpacked into ${dir}"
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
