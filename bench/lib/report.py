#!/usr/bin/python3
"""Turns one benchmark run's raw files into the results table.

  report.py RUN_DIR

RUN_DIR holds run.meta (key=value lines: n, rounds, phases, families,
workloads, clk_tck, vmhwm_kb, ...) and, per PHASE (kernel, copies, pinholed, kernel2, pinholed_b),
WORKLOAD (curl, session), FAMILY (v4, v6) and ROUND:
PHASE-WORKLOAD-FAMILY.rROUND (one line per transfer: seconds, or `fail ...`)
and PHASE-WORKLOAD-FAMILY.rROUND.meta (syn_retrans, cpu_ticks, firewall_drops,
wall_s, start_s, end_s, exit, steal_cpu0_ticks, steal_other_ticks; syns_held
in pinholed's phases). The rounds are added up here.
Prints the table on stdout.
"""
import glob
import math
import os
import random
import statistics
import sys

# The phases: kernel, the helper; copies, the helper plus pinholed's copy rules
# and a listener that only reads them (optional); pinholed; kernel2, the helper
# measured a second time in each round (optional, BENCH_AA=1); pinholed_b,
# another pinholed build (optional, BENCH_COMPARE).
WORKLOAD_NAMES = {"curl": "curl, own session each", "session": "ftplib, one session"}
SLOW_SECONDS = 0.5  # a dropped data SYN costs ~1 s (the first retransmit)
# curl 7.88 sometimes starts a data connection only when its happy-eyeballs
# timer fires, 200 ms after the 229 (bench/FINDINGS.md, "curl's 200 ms stall"):
# a curl transfer between these bounds waited for that timer, not the firewall.
CURL_TIMER_SECONDS = (0.15, SLOW_SECONDS)

# The targets (informational: the benchmark reports them, nothing fails).
RATIO_TARGET = 1.1
# The ratios' 95% intervals: rounds resampled with replacement this many times.
BOOTSTRAP_SAMPLES = 1000
CPU_MS_TARGET = 1.0
RSS_MIB_TARGET = 30.0


def read_meta(path):
    meta = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                key, sep, value = line.rstrip("\n").partition("=")
                if sep:
                    meta[key] = value
    return meta


class Cell:
    """One phase x workload x family: its samples and counters."""

    def __init__(self, run_dir, phase, workload, family):
        stem = os.path.join(run_dir, "%s-%s-%s" % (phase, workload, family))
        self.times = []
        self.failures = 0
        self.round_times = {}  # round -> its transfers' times
        self.round_steal = {}  # round -> its loop's steal ticks (CPU 0, the other CPUs)
        self.syn_retrans = self.drops = self.syns_held = None
        self.cpu_ticks = 0
        self.wall_s = 0.0
        rounds = sorted(int(p[len(stem) + 2:]) for p in glob.glob(stem + ".r*") if p[len(stem) + 2:].isdigit())
        self.present = bool(rounds)
        for r in rounds:
            times = []
            with open("%s.r%d" % (stem, r)) as f:
                for line in f:
                    line = line.strip()
                    if line.startswith("fail"):
                        self.failures += 1
                    elif line:
                        times.append(float(line))
            self.times += times
            if times:
                self.round_times[r] = times
            meta = read_meta("%s.r%d.meta" % (stem, r))
            if "syn_retrans" in meta:
                self.syn_retrans = (self.syn_retrans or 0) + int(meta["syn_retrans"])
            if "firewall_drops" in meta:
                self.drops = (self.drops or 0) + int(meta["firewall_drops"])
            if "syns_held" in meta:
                self.syns_held = (self.syns_held or 0) + int(meta["syns_held"])
            if "steal_cpu0_ticks" in meta:
                self.round_steal[r] = (int(meta["steal_cpu0_ticks"]), int(meta.get("steal_other_ticks", "0")))
            self.cpu_ticks += int(meta.get("cpu_ticks", "0"))
            self.wall_s += float(meta.get("wall_s", "0"))

    @property
    def steal_ticks(self):
        """(CPU 0, the other CPUs) summed over the loops that counted; None without counts."""
        if not self.round_steal:
            return None
        return tuple(sum(ticks[i] for ticks in self.round_steal.values()) for i in (0, 1))

    @property
    def attempts(self):
        return len(self.times) + self.failures

    def median_ms(self):
        return median_ms(sorted(self.times))

    def p99_ms(self):
        return p99_ms(sorted(self.times))

    def slow(self):
        return sum(1 for t in self.times if t > SLOW_SECONDS)

    def curl_timer(self):
        low, high = CURL_TIMER_SECONDS
        return sum(1 for t in self.times if low < t <= high)

    def rounds_where(self, stolen):
        """The rounds with a steal count whose (CPU 0, other CPUs) ticks make
        `stolen` true, and their transfers' times."""
        rounds = [r for r, ticks in self.round_steal.items() if r in self.round_times and stolen(ticks)]
        return rounds, [t for r in rounds for t in self.round_times[r]]

    def p99_unstolen_ms(self):
        """p99 over the loops the host took no tick from, on any CPU; None
        without steal counts or without such loops."""
        _, times = self.rounds_where(lambda ticks: ticks == (0, 0))
        return p99_ms(sorted(times))


def median_ms(ordered):
    return statistics.median(ordered) * 1000 if ordered else None


def p99_ms(ordered):
    """Nearest-rank 99th percentile of sorted times."""
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)] * 1000 if ordered else None


def ratio_intervals(base, other):
    """95% intervals of the ratios other/base (pinholed/kernel, say) of the
    median and of the p99, by a paired bootstrap over rounds: each resample
    draws as many rounds as were run, with replacement, and pools the same
    rounds of both phases. Rounds, not transfers, are the unit because this
    VM's speed drifts over seconds: the transfers of one round are slow or
    fast together, and resampling them one by one would give intervals far
    too narrow. Seeded, so the same raw files always give the same report.
    None with fewer than 3 rounds."""
    rounds = sorted(set(base.round_times) & set(other.round_times))
    if len(rounds) < 3:
        return None
    rng = random.Random(20261206)
    medians, p99s = [], []
    for _ in range(BOOTSTRAP_SAMPLES):
        pick = [rng.choice(rounds) for _ in rounds]
        b = sorted(t for r in pick for t in base.round_times[r])
        o = sorted(t for r in pick for t in other.round_times[r])
        medians.append(median_ms(o) / median_ms(b))
        p99s.append(p99_ms(o) / p99_ms(b))

    def interval(values):
        values.sort()
        return values[int(0.025 * len(values))], values[int(0.975 * len(values)) - 1]

    return {"median": interval(medians), "p99": interval(p99s)}


def interval_text(found, statistic):
    """`lo-hi` of one of ratio_intervals' intervals, or `-` without one."""
    return "%.2f-%.2f" % found[statistic] if found else "-"


def fmt(value, digits=2):
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return "%.*f" % (digits, value)


def ratio(pinholed, kernel):
    if pinholed is None or kernel is None or kernel == 0:
        return None
    return pinholed / kernel


def run_arguments(argv, usage):
    """RUN_DIR from the command line, and its run.meta; exits with `usage` otherwise."""
    if len(argv) != 2:
        sys.exit(usage)
    return argv[1], read_meta(os.path.join(argv[1], "run.meta"))


def main(argv):
    run_dir, meta = run_arguments(argv, __doc__)
    families = meta.get("families", "v4 v6").split()
    workloads = meta.get("workloads", "curl session").split()
    clk_tck = int(meta.get("clk_tck", "100"))
    rows = [(w, f) for w in workloads for f in families]
    phases = meta.get("phases", "kernel pinholed").split()
    cells = {(p, w, f): Cell(run_dir, p, w, f) for p in phases for (w, f) in rows}
    copies = "copies" in phases
    out = []
    say = out.append

    say("nft-pinhole benchmark: kernel ftp helper vs pinholed")
    say("  %s transfers per workload and family, the phases alternating in %s rounds; file %s; %s" % (
        meta.get("n", "?"), meta.get("rounds", "1"), meta.get("file", "small.txt"), meta.get("date", "")))
    say("  repo HEAD at run time %s; pinholed %s" % (meta.get("commit", "?"), meta.get("pinholed", "?")))
    say("  host: %s CPUs, load average at start %s; wall time %s s; client and server %s" % (
        meta.get("cpus", "?"), meta.get("load_start", "?"), meta.get("wall_s", "?"),
        "on CPU 0 only (BENCH_PIN_ENDPOINTS=1)" if meta.get("pin_endpoints") == "1" else "free to run on any CPU"))
    if meta.get("client_fifo") == "1":
        say("  the FTP client at SCHED_FIFO (BENCH_CLIENT_FIFO=1): the server cannot preempt it")
    if meta.get("idle_poll") == "1":
        say("  idle CPUs polled instead of halting, every phase (BENCH_IDLE_POLL=1: /dev/cpu_dma_latency held at 0)")
    elif meta.get("idle_poll") == "firewall":
        say("  the CPUs other than 0 polled when idle instead of halting, every phase (BENCH_IDLE_POLL=firewall)")
    if copies:
        say("  copies = the kernel helper plus pinholed's copy rules and a listener that only reads the copies")
    if "kernel2" in phases:
        say("  kernel again = the kernel helper measured a second time in every round")
    if "pinholed_b" in phases:
        say("  pinholed_b = another pinholed build (BENCH_COMPARE): %s" % meta.get("pinholed_b", "?"))
    if meta.get("curl_args"):
        say("  curl ran with BENCH_CURL_ARGS: %s" % meta["curl_args"])
    say("")

    label_width = 34
    intervals = {(w, f): ratio_intervals(cells[("kernel", w, f)], cells[("pinholed", w, f)]) for (w, f) in rows}

    def block(title, getter, digits=2, with_ratio=True, statistic=None, only=None):
        """One table; `statistic` ("median" or "p99") adds the ratio's 95% interval;
        `only` limits it to one workload's rows."""
        say(title)
        # The other build's counts sit beside pinholed's; its times have their own table.
        extra = ["pinholed_b"] if "pinholed_b" in phases and not with_ratio else []
        columns = ["kernel"] + (["copies"] if copies else []) + ["pinholed"] + extra
        widths = [10] * (len(columns) - len(extra)) + [11] * len(extra)
        if with_ratio:
            columns.append("ratio")
            widths.append(8)
            if statistic:
                columns.append("95% interval")
                widths.append(13)
            if copies:
                columns.append("copies/k")
                widths.append(9)
        say("%-*s" % (label_width, "") + "".join("%*s" % (wd, c) for wd, c in zip(widths, columns)))
        for (w, f) in rows:
            if only and w != only:
                continue
            k, p = getter(cells[("kernel", w, f)]), getter(cells[("pinholed", w, f)])
            values = [fmt(k, digits)] + ([fmt(getter(cells[("copies", w, f)]), digits)] if copies else [])
            values.append(fmt(p, digits))
            values += [fmt(getter(cells[(e, w, f)]), digits) for e in extra]
            if with_ratio:
                values.append(fmt(ratio(p, k), 2))
                if statistic:
                    values.append(interval_text(intervals[(w, f)], statistic))
                if copies:
                    values.append(fmt(ratio(getter(cells[("copies", w, f)]), k), 2))
            say("%-*s" % (label_width, "  %s %s" % (WORKLOAD_NAMES[w], f))
                + "".join("%*s" % (wd, v) for wd, v in zip(widths, values)))
        say("")

    block("Median time per transfer (ms)", Cell.median_ms, statistic="median")
    block("p99 time per transfer (ms, nearest rank)", Cell.p99_ms, statistic="p99")
    say("(the interval: a bootstrap over rounds, so it covers this VM's drift between rounds;")
    say(" with few rounds it is wide, and it narrows with more: BENCH_ROUNDS, N)")
    say("")

    def versus(title, base, other):
        """other / base per row: the median's and the p99's ratio, each with its interval."""
        say(title)
        for (w, f) in rows:
            b, o = cells[(base, w, f)], cells[(other, w, f)]
            found = ratio_intervals(b, o)
            say("%-*s median %s (%s)   p99 %s (%s)" % (
                label_width, "  %s %s" % (WORKLOAD_NAMES[w], f), fmt(ratio(o.median_ms(), b.median_ms())),
                interval_text(found, "median"), fmt(ratio(o.p99_ms(), b.p99_ms())), interval_text(found, "p99")))
        say("")

    if copies:
        # The copies are the floor any NFLOG reader stands on: this is what
        # pinholed itself adds to them (bench/FINDINGS.md, "Waking a halted vCPU").
        versus("What pinholed adds to its copies, same rounds: pinholed / copies", "copies", "pinholed")
    if "kernel2" in phases:
        versus("Noise floor (BENCH_AA=1): the kernel helper measured twice in each round, kernel again / kernel",
               "kernel", "kernel2")
    if "pinholed_b" in phases:
        versus("The other build (BENCH_COMPARE), same rounds: pinholed_b / pinholed", "pinholed", "pinholed_b")
    say("Per round: ratio of the medians, pinholed/kernel (lowest / median / highest)")
    for (w, f) in rows:
        k, p = cells[("kernel", w, f)].round_times, cells[("pinholed", w, f)].round_times
        rs = sorted(statistics.median(p[r]) / statistics.median(k[r]) for r in k if r in p)
        spread = "%.2f / %.2f / %.2f  (%d rounds)" % (rs[0], statistics.median(rs), rs[-1], len(rs)) if rs else "-"
        say("%-*s %s" % (label_width, "  %s %s" % (WORKLOAD_NAMES[w], f), spread))
    say("")
    block("Client SYN retransmissions (TcpExt TCPSynRetrans, client namespace)",
          lambda c: c.syn_retrans, with_ratio=False)
    block("Packets dropped by the firewall's drop rules (firewall namespace)",
          lambda c: c.drops, with_ratio=False)
    # A held SYN waits for pinholed on the client's path; a held SYN in more
    # than 1% of transfers reaches the p99 (bench/FINDINGS.md, "Copy polling").
    block("Data SYNs held by pinholed's race guard (status syns_held: they missed their pinhole in the kernel)",
          lambda c: c.syns_held, with_ratio=False)

    def stolen(which):
        """Percent of the loops' wall time the host ran something else on CPU 0
        (which=0) or on the other CPUs together (which=1)."""
        return lambda c: (100.0 * c.steal_ticks[which] / clk_tck / c.wall_s
                          if c.steal_ticks is not None and c.wall_s > 0 else None)

    # On a shared VM the host can take a CPU away mid-loop: a tail only some
    # phases show may be that, not their work (bench/README.md, "Reading it").
    block("CPU 0 stolen by the host (steal, %% of the loops' time; %d ms ticks)" % (1000 // clk_tck),
          stolen(0), digits=1, with_ratio=False)
    block("The other CPUs stolen by the host (steal, % of the loops' time, added up)", stolen(1), digits=1,
          with_ratio=False)

    def over_helper_p99(w, f):
        """Per 1,000 transfers over the helper's p99, in the loops the host
        stole from the other CPUs (pinholed's side) and in the rest, with their
        loop counts: a burst that only the stolen loops have is the host's."""
        limit = cells[("kernel", w, f)].p99_ms()

        def share(c, stolen):
            rounds, times = c.rounds_where(stolen)
            if not times or limit is None:
                return "-"
            return "%.1f (%d)" % (1000.0 * sum(1 for t in times if t * 1000 > limit) / len(times), len(rounds))

        return lambda c: ("%s / %s" % (share(c, lambda t: t[1] > 0), share(c, lambda t: t[1] == 0))
                          if c.round_steal else None)

    # The user-space phases need a CPU besides CPU 0 in the middle of each
    # transfer; the helper needs none (bench/FINDINGS.md, "Where the bursts come from").
    say("Transfers over the kernel helper's p99, per 1,000: in the loops where the host stole time from")
    say("the CPUs other than 0 / in the rest (how many loops each)")
    for (w, f) in rows:
        getter = over_helper_p99(w, f)
        say("  %s %s" % (WORKLOAD_NAMES[w], f))
        for p in phases:
            say("    %-12s %s" % (p, getter(cells[(p, w, f)]) or "-"))
    say("")
    block("p99 over the loops the host left alone (no steal on any CPU; ms)", Cell.p99_unstolen_ms)
    block("Transfers slower than %d ms" % (SLOW_SECONDS * 1000), lambda c: c.slow() if c.present else None,
          with_ratio=False)
    if "curl" in workloads:
        block("curl transfers of %d-%d ms (curl 7.88's 200 ms timer, see bench/FINDINGS.md)" % (
            CURL_TIMER_SECONDS[0] * 1000, CURL_TIMER_SECONDS[1] * 1000),
            lambda c: c.curl_timer() if c.present else None, with_ratio=False, only="curl")
    block("Failed transfers (of attempts)", lambda c: c.failures if c.present else None, with_ratio=False)

    def cpu_and_rss(phase, rss_key):
        """Prints PHASE's CPU per 1000 transfers and peak RSS; returns (ms per transfer, MiB)."""
        measured = [cells[(phase, w, f)] for (w, f) in rows]
        transfers = sum(len(c.times) for c in measured)
        cpu_s = sum(c.cpu_ticks for c in measured) / clk_tck
        cpu_ms_each = cpu_s / transfers * 1000 if transfers else None
        say("%s CPU (utime+stime, %d ticks/s) while the workloads ran" % (phase, clk_tck))
        for (w, f), c in zip(rows, measured):
            each = c.cpu_ticks / clk_tck / len(c.times) * 1000 if c.times else None
            say("  %-*s %8s s per 1000 transfers" % (label_width - 2, "%s %s" % (WORKLOAD_NAMES[w], f), fmt(each, 3)))
        say("  %-*s %8s s per 1000 transfers (%s s for %d transfers)" % (
            label_width - 2, "all", fmt(cpu_ms_each, 3), fmt(cpu_s, 2), transfers))
        rss_mib = int(meta[rss_key]) / 1024 if meta.get(rss_key) else None
        say("%s peak RSS (VmHWM): %s MiB" % (phase, fmt(rss_mib, 1)))
        return cpu_ms_each, rss_mib

    cpu_ms_each, rss_mib = cpu_and_rss("pinholed", "vmhwm_kb")
    if "pinholed_b" in phases:
        cpu_and_rss("pinholed_b", "vmhwm_b_kb")
    say("(the kernel helper's CPU and memory are in softirq and the conntrack tables:")
    say(" no per-process figure, so these have no kernel column and no ratio)")
    say("")

    say("Targets (informational)")

    def mark(ok):
        return "PASS" if ok else "MISS"

    for f in families:
        pin = [cells[("pinholed", w, f)] for w in workloads]
        if any(c.syn_retrans is None for c in pin):
            continue
        rtx = sum(c.syn_retrans for c in pin)
        n = sum(c.attempts for c in pin)
        say("  %s  0 client SYN retransmissions via pinholed, %s: %d in %d transfers" % (
            mark(rtx == 0 and n > 0), f, rtx, n))
    for (w, f) in rows:
        k, p = cells[("kernel", w, f)], cells[("pinholed", w, f)]
        for name, getter in (("median", Cell.median_ms), ("p99", Cell.p99_ms)):
            r = ratio(getter(p), getter(k))
            found = intervals[(w, f)]
            # Whether this run can tell: its interval lies on one side of the target.
            resolved = ""
            if found and r is not None:
                lo, hi = found[name]
                resolved = "; 95%% interval %.2f-%.2f%s" % (
                    lo, hi, ", not resolved at this N" if lo <= RATIO_TARGET < hi else "")
            say("  %s  %s within %.1fx of the kernel helper, %s %s: %sx%s" % (
                mark(r is not None and r <= RATIO_TARGET), name, RATIO_TARGET, WORKLOAD_NAMES[w], f, fmt(r, 2),
                resolved))
    say("  %s  pinholed CPU <= %.0f ms per transfer: %s ms" % (
        mark(cpu_ms_each is not None and cpu_ms_each <= CPU_MS_TARGET), CPU_MS_TARGET, fmt(cpu_ms_each, 3)))
    say("  %s  pinholed RSS <= %.0f MiB: %s MiB" % (
        mark(rss_mib is not None and rss_mib <= RSS_MIB_TARGET), RSS_MIB_TARGET, fmt(rss_mib, 1)))
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv)
