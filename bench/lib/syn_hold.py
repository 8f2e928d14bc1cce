"""Reads bench/syn-hold's captures: per phase, the client's turnaround (the last
227/229 forwarded to it until its data SYN reaches the firewall) and each data
SYN's time inside the firewall (captured arriving, then leaving).

Usage: syn_hold.py LAB_DIR [PHASE=HELD ...]
"""
import glob
import re
import subprocess
import sys

LINE = re.compile(r"^(\d+\.\d+) \S+\s+(In|Out)\s+IP (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\]")
REPLY = re.compile(r": FTP: (\d{3}) ")


def percentile(values, f):
    """Nearest rank, as bench/run."""
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * f))]


def analyse(pcap):
    out = subprocess.run(["tcpdump", "-r", pcap, "-n", "-tt"], capture_output=True, text=True, check=True).stdout
    last_reply_out = {}  # client address -> when its last 227/229 left the firewall
    arrived = {}  # (src, sport, dst, dport) -> when the SYN came in
    turnaround, inside = [], []
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        t, direction, src, sport, dst, dport, flags = m.groups()
        reply = REPLY.search(line)
        code = reply.group(1) if reply else None
        t = float(t)
        if sport == "21" and code in ("227", "229") and direction == "Out":
            last_reply_out[dst] = t
        elif flags == "S" and dport != "21":
            key = (src, sport, dst, dport)
            if direction == "In":
                arrived[key] = t
                if src in last_reply_out:
                    turnaround.append(t - last_reply_out.pop(src))
            elif key in arrived:
                inside.append(t - arrived.pop(key))
    return turnaround, inside


def main():
    lab, held = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
    print(f"{'':12} {'SYNs':>6} {'client turnaround, median':>27} {'SYN inside the firewall: median':>33} {'p10':>6} {'p90':>6} {'held':>6}")
    for phase in ("kernel", "copies", "pinholed", "unguarded"):
        turnaround, inside = [], []
        for pcap in sorted(glob.glob(f"{lab}/{phase}.r*.pcap")):
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
