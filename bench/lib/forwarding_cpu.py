#!/usr/bin/python3
"""Where the forwarding CPU's time goes, per phase: reads `perf script` on stdin.

  perf script -F comm,tid,time,period,event,trace,ip,sym | forwarding_cpu.py RUN_DIR OFFSETS [--no-wakeups]

RUN_DIR is a bench/run results directory: its PHASE-WORKLOAD-FAMILY.rN.meta
files say when each timed loop ran (start_s, end_s: CLOCK_REALTIME), and
PHASE-WORKLOAD-FAMILY.rN how many transfers it completed. OFFSETS is a file of
lines `REALTIME MONOTONIC` (seconds), read before and after the run: perf
stamps its samples with CLOCK_MONOTONIC, and the two lines convert the loops'
times to it. The perf data holds cpu-clock samples of CPU 0 and the
sched:sched_waking events of the copies' reader (pinholed or tcpdump), both
with call chains (bench/forwarding-cpu records them; --no-wakeups: the
wakeups were not recorded).

Prints, per phase, workload and family: CPU 0's idle and busy time per
transfer, and the part of the busy time spent on each kernel path that pinholed or the kernel helper
adds (copies built, copies sent with the reader's wakeup, conntrack events,
queued SYNs, the FTP helper, the rest of the ruleset); then how many times
per transfer a copy, an event or a queued SYN woke the reader, by the
process on CPU 0 whose packet it was (the client's, or the server's and others').
"""
import bisect
import collections
import glob
import os
import re
import sys

HEADER = re.compile(r"^\s*(?P<comm>.+?)\s+(?P<tid>\d+)\s+(?P<time>\d+\.\d+):\s+(?P<period>\d+)\s+(?P<event>\S+):(?:\s(?P<rest>.*))?$")
META = re.compile(r"^(?P<stem>.+)\.r(?P<round>\d+)\.meta$")

# CPU 0 paths, tested in this order on each sample's call chain (innermost
# first); a sample counts for the first that matches.
PATHS = [
    ("copies sent", lambda s: "__nfulnl_send" in s),          # netlink_unicast + waking the reader
    ("copies built", lambda s: "nfulnl_log_packet" in s),
    ("ct events", lambda s: "ctnetlink_conntrack_event" in s),
    ("queued SYNs", lambda s: queued(s)),
    ("FTP helper", lambda s: helper(s)),
    ("other rules", lambda s: "nft_do_chain" in s),
]


# The bench's FTP clients (curl_loop.sh, session.py). On CPU 0 the rest is the
# server (vsftpd, whose per-session processes perf may not name) and kernel threads.
CLIENTS = {"curl", "python3"}


def helper(chain):
    """nf_conntrack_ftp's help(), called from nf_confirm."""
    return any(a == "help" and b == "nf_confirm" for a, b in zip(chain, chain[1:]))


def queued(chain):
    """nfnetlink_queue's enqueue (nfqnl_enqueue_packet, __nfqnl_enqueue_packet)."""
    return any(x.startswith(("nfqnl_", "__nfqnl_")) for x in chain)


def idle(chain):
    return "do_idle" in chain


def read_offsets(path):
    points = []
    with open(path) as f:
        for line in f:
            real, mono = line.split()
            points.append((float(real), float(mono)))
    if len(points) < 2:
        sys.exit("forwarding_cpu.py: %s needs two lines, before and after the run" % path)
    (r0, m0), (r1, m1) = points[0], points[-1]
    # Realtime may be slewed during the run: interpolate the offset linearly.
    return lambda real: real - ((r0 - m0) + ((r1 - m1) - (r0 - m0)) * (real - r0) / max(r1 - r0, 1e-9))


def read_windows(run_dir, to_mono):
    """[(start, end, key)] in monotonic seconds, sorted; and transfers per key."""
    windows, transfers = [], collections.Counter()
    for meta_path in glob.glob(os.path.join(run_dir, "*.r*.meta")):
        m = META.match(os.path.basename(meta_path))
        if not m:
            continue
        with open(meta_path) as f:
            meta = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
        if "start_s" not in meta or "end_s" not in meta:
            continue
        phase, workload, family = m["stem"].split("-", 2)
        key = (phase, workload, family)
        samples = meta_path[: -len(".meta")]
        with open(samples) as f:
            transfers[key] += sum(1 for line in f if line.strip() and not line.startswith("fail"))
        windows.append((to_mono(float(meta["start_s"])), to_mono(float(meta["end_s"])), key))
    if not windows:
        sys.exit("forwarding_cpu.py: no loop in %s has start_s and end_s in its .meta" % run_dir)
    windows.sort()
    return windows, transfers


def find(windows, starts, t):
    i = bisect.bisect_right(starts, t) - 1
    if i >= 0 and windows[i][0] <= t <= windows[i][1]:
        return windows[i][2]
    return None


def parse(lines, windows):
    """Adds up the perf samples of each loop: (idle ns, busy ns, ns per path, wakeups by cause), per loop key."""
    starts = [w[0] for w in windows]
    busy_ns, idle_ns = collections.Counter(), collections.Counter()
    path_ns = collections.defaultdict(collections.Counter)
    wakes = collections.defaultdict(collections.Counter)

    def account(sample):
        if sample is None:
            return
        t, comm, period, event, chain = sample
        key = find(windows, starts, t)
        if key is None:
            return
        if event.startswith("cpu-clock"):
            if idle(chain):
                idle_ns[key] += period
                return
            busy_ns[key] += period
            for name, test in PATHS:
                if test(chain):
                    path_ns[key][name] += period
                    break
        elif event == "sched:sched_waking":
            path = "copy" if "nfulnl_log_packet" in chain else "ct event" if "ctnetlink_conntrack_event" in chain \
                else "queued SYN" if queued(chain) else "other"
            wakes[key]["%s (%s)" % (path, "client" if comm in CLIENTS else "server, other")] += 1

    sample = None
    for line in lines:
        if not line.strip():
            continue
        # A call chain's lines start with a tab; a sample's header may start
        # with spaces (perf right-aligns the command name).
        m = None if line.startswith("\t") else HEADER.match(line)
        if m:
            account(sample)
            sample = (float(m["time"]), m["comm"], int(m["period"]), m["event"], [])
        elif sample is not None:
            parts = line.split()
            if len(parts) >= 2:
                sample[4].append(parts[1])
    account(sample)
    return idle_ns, busy_ns, path_ns, wakes


def main(argv):
    if len(argv) not in (3, 4) or argv[3:] not in ([], ["--no-wakeups"]):
        sys.exit(__doc__)
    windows, transfers = read_windows(argv[1], read_offsets(argv[2]))
    idle_ns, busy_ns, path_ns, wakes = parse(sys.stdin, windows)
    keys = [k for k in sorted(transfers, key=lambda k: (k[1], k[2], k[0])) if transfers[k]]
    label = lambda k: "%s %s %s" % (k[1], k[2], k[0])
    per = lambda ns, k: ns / 1000.0 / transfers[k]
    names = [name for name, _ in PATHS]
    print("CPU 0 (the client, the server and the forwarding of their packets), microseconds per transfer")
    print("(busy includes the loops' own work, e.g. starting a curl per transfer)")
    print("  %-30s %8s %8s" % ("", "idle", "busy") + "".join("%14s" % n for n in names))
    for key in keys:
        print("  %-30s %8.1f %8.1f" % (label(key), per(idle_ns[key], key), per(busy_ns[key], key))
              + "".join("%14.1f" % per(path_ns[key][name], key) for name in names))
    print()
    if argv[3:]:
        print("Wakeups of the copies' reader: not recorded (FORWARDING_CPU_WAKEUPS=0)")
    else:
        print("Wakeups of the copies' reader per transfer (sched_waking on CPU 0: what woke it, whose packet)")
        for key in keys:
            parts = ["%s %.2f" % (k, c / transfers[key]) for k, c in sorted(wakes[key].items(), key=lambda kv: -kv[1])]
            print("  %-30s %s" % (label(key), ", ".join(parts) if parts else "none"))
    print()
    print("(transfers per row: %s)" % ", ".join(sorted({str(transfers[k]) for k in keys})))


if __name__ == "__main__":
    main(sys.argv)
