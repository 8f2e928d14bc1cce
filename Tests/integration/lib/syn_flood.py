#!/usr/bin/env python3
"""syn_flood.py SRC DST COUNT PORT_MIN PORT_MAX [SECONDS]: send COUNT raw TCP
SYNs (IPv4, or IPv6 if DST has a colon) from SRC (an address of this
namespace) to DST, destination ports
cycling through PORT_MIN..PORT_MAX, as fast as Python can (a scan of the data
range); with SECONDS, stop early once that long has passed. Bounded by COUNT;
run it only inside the lab's client namespace, with documentation addresses.
Prints how many it sent."""
import random
import socket
import struct
import sys
import time


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def main() -> None:
    src, dst = sys.argv[1], sys.argv[2]
    count, port_min, port_max = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    deadline = time.monotonic() + float(sys.argv[6]) if len(sys.argv) > 6 else None
    if ":" in dst:
        raw = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_TCP)
        # The kernel fills in the checksum (at offset 16) with its own pseudo-header.
        raw.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_CHECKSUM, 16)
        pseudo = None
    else:
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        pseudo = socket.inet_aton(src) + socket.inet_aton(dst)
    raw.bind((src, 0))  # the kernel writes the IP header: SRC must be its source
    sent = 0
    for i in range(count):
        if deadline is not None and i % 256 == 0 and time.monotonic() > deadline:
            break
        sport = 20000 + i % 30000
        dport = port_min + i % (port_max - port_min + 1)
        header = struct.pack("!HHIIBBHHH", sport, dport, random.getrandbits(32), 0, 5 << 4, 0x02, 64240, 0, 0)
        if pseudo is not None:
            csum = checksum(pseudo + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(header)) + header)
            header = header[:16] + struct.pack("!H", csum) + header[18:]
        raw.sendto(header, (dst, 0))
        sent += 1
    print(sent)


if __name__ == "__main__":
    main()
