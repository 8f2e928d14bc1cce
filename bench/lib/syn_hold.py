"""Reads bench/syn-hold's captures: per phase, the client's turnaround (the last
227/229 forwarded to it until its data SYN reaches the firewall) and each data
SYN's time inside the firewall (captured arriving, then leaving).

Usage: syn_hold.py LAB_DIR [PHASE=HELD ...]
"""
import sys

import captures


def percentile(values, f):
    """The value at index int(n * f) of the sorted values (bench/run's p99 rounds up instead)."""
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * f))]


def analyse(pcap):
    last_reply_out = {}  # client address -> when its last 227/229 left the firewall
    arrived = {}  # (src, sport, dst, dport) -> when the SYN came in
    turnaround, inside = [], []
    for p in captures.packets(pcap):
        if p.sport == "21" and p.ftp in ("227", "229") and p.direction == "Out":
            last_reply_out[p.dst] = p.time
        elif p.flags == "S" and p.dport != "21":
            key = (p.src, p.sport, p.dst, p.dport)
            if p.direction == "In":
                arrived[key] = p.time
                if p.src in last_reply_out:
                    turnaround.append(p.time - last_reply_out.pop(p.src))
            elif key in arrived:
                inside.append(p.time - arrived.pop(key))
    return turnaround, inside


def main():
    lab, held = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
    print(f"{'':12} {'SYNs':>6} {'client turnaround, median':>27} {'SYN inside the firewall: median':>33} {'p10':>6} {'p90':>6} {'held':>6}")
    for phase in captures.PHASES:
        turnaround, inside = [], []
        for pcap in captures.files(lab, phase):
            t, i = analyse(pcap)
            turnaround += t
            inside += i
        if not inside:
            print(f"{phase:12} no data SYNs captured")
            continue
        us = lambda v: f"{v * 1e6:.0f} us"
        print(f"{phase:12} {len(inside):>6} {us(percentile(turnaround, 0.5)) if turnaround else '-':>27} "
              f"{us(percentile(inside, 0.5)):>33} {us(percentile(inside, 0.1)):>6} {us(percentile(inside, 0.9)):>6} "
              f"{held.get(phase, '-'):>6}")


if __name__ == "__main__":
    main()
