"""What bench/syn-hold's analyses share: the phases, where each phase's
captures are, and the packets of one capture as tcpdump decodes them."""
import collections
import glob
import re
import subprocess

PHASES = ("kernel", "copies", "pinholed", "unguarded")

# `tcpdump -n -tt` lines: time, interface and direction (-i any only), addresses, flags.
LINE = re.compile(r"^(\d+\.\d+) (?:\S+\s+(In|Out)\s+)?IP6? (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\]")
FTP = re.compile(r": FTP: (\S+)")

Packet = collections.namedtuple("Packet", "time direction src sport dst dport flags ftp")


def files(lab, phase, kind=""):
    """The phase's captures, one per round: PHASE.rN.pcap, or PHASE-KIND.rN.pcap."""
    return sorted(glob.glob(f"{lab}/{phase}{'-' + kind if kind else ''}.r*.pcap"))


def packets(pcap):
    """The TCP packets of a capture; `ftp` is the first word of an FTP line (a
    reply code or a command), else None."""
    out = subprocess.run(["tcpdump", "-r", pcap, "-n", "-tt"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            t, direction, src, sport, dst, dport, flags = m.groups()
            ftp = FTP.search(line)
            yield Packet(float(t), direction, src, sport, dst, dport, flags, ftp.group(1) if ftp else None)
