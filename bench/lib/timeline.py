"""Reads bench/syn-hold's client-side captures: for every curl transfer, the
time from one step to the next (control SYN, each FTP reply and command, the
data connection's SYN, SYN-ACK, first data and FIN), and prints the median of
each step per phase. Only transfers whose steps come in the most common order
count (a reply split over two packets, say, changes the order).

Usage: timeline.py LAB_DIR
"""
import collections
import statistics
import sys

from captures import PHASES, files, packets


def transfers(pcap):
    """Each control connection's steps as (name, time), in capture order."""
    steps, current = {}, None
    for p in packets(pcap):
        sport, dport, flags, t = p.sport, p.dport, p.flags, p.time
        if dport == "21" and flags == "S":
            current = sport
            steps[current] = [("control SYN", t)]
            continue
        if current is None:
            continue
        s = steps[current]
        if p.ftp and "21" in (sport, dport):
            s.append((("reply " if sport == "21" else "command ") + p.ftp, t))
        elif "21" not in (sport, dport):
            name = {"S": "data SYN", "S.": "data SYN-ACK"}.get(flags)
            if name is None and "P" in flags and not any(n == "first data" for n, _ in s):
                name = "first data"
            if name is None and "F" in flags and not any(n == "data FIN" for n, _ in s):
                name = "data FIN"
            if name:
                s.append((name, t))
    return list(steps.values())


def main():
    lab = sys.argv[1]
    per_phase = {p: [t for pcap in files(lab, p, "client") for t in transfers(pcap)] for p in PHASES}
    # The most common order of steps across all phases.
    orders = collections.Counter(tuple(n for n, _ in s) for ts in per_phase.values() for s in ts)
    if not orders:
        print("timeline: no transfers captured")
        return
    order, _ = orders.most_common(1)[0]
    print("Median time of each step since the one before (us), client side:")
    print(f"  {'step':22}" + "".join(f"{p:>11}" for p in PHASES))
    rows = {p: [s for s in per_phase[p] if tuple(n for n, _ in s) == order] for p in PHASES}
    for i in range(1, len(order)):
        cells = []
        for p in PHASES:
            gaps = [s[i][1] - s[i - 1][1] for s in rows[p]]
            cells.append(f"{statistics.median(gaps) * 1e6:.0f}" if gaps else "-")
        print(f"  {order[i]:22}" + "".join(f"{c:>11}" for c in cells))
    totals = [f"{statistics.median([s[-1][1] - s[0][1] for s in rows[p]]) * 1e3:.2f} ms" if rows[p] else "-" for p in PHASES]
    print(f"  {'whole transfer':22}" + "".join(f"{c:>11}" for c in totals))
    print(f"  {'transfers counted':22}" + "".join(f"{len(rows[p]):>11}" for p in PHASES))


if __name__ == "__main__":
    main()
