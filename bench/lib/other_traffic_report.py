#!/usr/bin/python3
"""The table of one bench/other-traffic run.

  other_traffic_report.py RUN_DIR

RUN_DIR holds run.meta and, per PHASE (none, pinholed, pinholed_b), FAMILY and
ROUND, PHASE-connect-FAMILY.rROUND (seconds per connection, or `fail ...`) and
its .meta (busy_ticks: the whole machine's CPU over the loop).
"""
import os
import sys

from report import Cell, fmt, interval_text, ratio, ratio_intervals, read_meta, run_arguments


def busy_ticks(run_dir, phase, family):
    total = 0
    prefix = "%s-connect-%s.r" % (phase, family)
    for name in os.listdir(run_dir):
        if name.startswith(prefix) and name.endswith(".meta"):
            total += int(read_meta(os.path.join(run_dir, name)).get("busy_ticks", "0"))
    return total


def main(argv):
    run_dir, meta = run_arguments(argv, __doc__)
    phases = meta.get("phases", "none pinholed").split()
    families = meta.get("families", "v4 v6").split()
    clk_tck = int(meta.get("clk_tck", "100"))
    cells = {(p, f): Cell(run_dir, p, "connect", f) for p in phases for f in families}
    say = print
    say("nft-pinhole: what pinholed costs connections it does not inspect")
    say("  %s connections per phase and family in %s rounds; %s; repo HEAD %s; %s CPUs, load %s" % (
        meta.get("n", "?"), meta.get("rounds", "?"), meta.get("date", ""), meta.get("commit", "?"),
        meta.get("cpus", "?"), meta.get("load_start", "?")))
    say("  none = conntrack only; pinholed = %s, guarding another server" % meta.get("pinholed", "?"))
    if "pinholed_b" in phases:
        say("  pinholed_b = %s" % meta.get("pinholed_b", "?"))
    say("")
    say("%-12s %-11s %10s %10s %8s %12s" % ("", "phase", "median ms", "p99 ms", "failed", "CPU µs each"))
    for f in families:
        for p in phases:
            c = cells[(p, f)]
            cpu = busy_ticks(run_dir, p, f) / clk_tck * 1e6 / len(c.times) if c.times else None
            say("%-12s %-11s %10s %10s %8d %12s" % (
                "connect " + f, p, fmt(c.median_ms(), 3), fmt(c.p99_ms(), 3), c.failures, fmt(cpu, 0)))
    say("(CPU: the whole machine's busy time during the loops, client and server included)")
    say("")
    pairs = [("none", "pinholed")] + ([("pinholed", "pinholed_b")] if "pinholed_b" in phases else [])
    for base, other in pairs:
        say("%s / %s (95%% interval, a bootstrap over rounds)" % (other, base))
        for f in families:
            b, o = cells[(base, f)], cells[(other, f)]
            found = ratio_intervals(b, o)
            say("  connect %s   median %s (%s)   p99 %s (%s)" % (
                f, fmt(ratio(o.median_ms(), b.median_ms())), interval_text(found, "median"),
                fmt(ratio(o.p99_ms(), b.p99_ms())), interval_text(found, "p99")))
        say("")


if __name__ == "__main__":
    main(sys.argv)
