# shellcheck shell=bash
# Counters the benchmark reads before and after each workload. Sourced by bench/run
# after Tests/integration/lib/lab.sh (uses in_client, PINHOLED_PID, lab.sh's pinholed_cpu_ticks and
# checks.sh's status_field).

# client_syn_retrans: TcpExt TCPSynRetrans of the client namespace (SYNs the
# client's kernel had to send again: the first one got no answer). Read straight
# from /proc/net/netstat, which shows the reader's namespace; nstat would keep its
# history in one per-user file shared by every namespace.
client_syn_retrans() {
    # shellcheck disable=SC2016 # awk's own \$ fields
    in_client awk '
        $1 == "TcpExt:" && !named { for (i = 2; i <= NF; i++) col[$i] = i; named = 1; next }
        $1 == "TcpExt:" && named { if ("TCPSynRetrans" in col) print $(col["TCPSynRetrans"]); found = 1 }
        END { if (!found || !("TCPSynRetrans" in col)) exit 1 }
    ' /proc/net/netstat
}

# pinholed_syns_held: SYNs pinholed's race guard has queued since it started
# (status's syns_held: data SYNs that reached the firewall before their pinhole
# was in the kernel, and took the user-space path); nothing without pinholed.
pinholed_syns_held() {
    [[ -z "${PINHOLED_PID}" ]] || status_field syns_held
}

# cpu_steal_ticks: CPU 0's steal ticks and the other CPUs' together, from
# /proc/stat (global, not per namespace): time a vCPU had work and the host
# ran something else. On a shared VM, a tail that only some phases show may
# be the host taking a CPU away: CPU 0 from the endpoints, or the other CPUs
# from pinholed (bench/FINDINGS.md, "Where the bursts come from").
cpu_steal_ticks() {
    awk '$1 == "cpu0" { c0 = $9 } $1 ~ /^cpu[0-9]+$/ && $1 != "cpu0" { rest += $9 } END { print c0 + 0, rest + 0 }' /proc/stat
}

# pinholed_status_kb KEY: a kB figure from /proc/PID/status (VmHWM, VmRSS).
pinholed_status_kb() {
    awk -v key="$1:" '$1 == key { print $2 }' "/proc/${PINHOLED_PID}/status"
}

# firewall_drops TABLE: packets counted by the drop rules of an nft table in the
# firewall namespace (the kernel helper's "ct state new counter drop" rules, or
# pinholed's "no pinhole" drop): unexpected data SYNs, retransmissions included.
firewall_drops() {
    # shellcheck disable=SC2016 # awk's own $ fields
    in_firewall nft list table inet "$1" 2>/dev/null | awk '
        /counter packets/ && /drop/ { for (i = 1; i < NF; i++) if ($i == "packets") sum += $(i + 1) }
        END { print sum + 0 }'
}
