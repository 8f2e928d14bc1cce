#!/usr/bin/python3
"""N sequential TCP connections, each one timed: connect, one byte each way, close.

  connect_loop.py HOST FIRST_PORT PORTS N OUT

The destination port cycles through FIRST_PORT .. FIRST_PORT+PORTS-1, so that
the client's TIME_WAIT sockets (it closes first) never run out of local ports:
a local port can be reused towards another destination port. Writes one line
per connection to OUT: seconds, or `fail MESSAGE`. Every operation has a
timeout; after 10 failures in a row it gives up (exit 1).
"""
import socket
import sys
import time

TIMEOUT = 5.0
MAX_FAILURES_IN_A_ROW = 10


def main(argv):
    if len(argv) != 6:
        sys.exit(__doc__)
    host, first, ports, count, out_path = argv[1], int(argv[2]), int(argv[3]), int(argv[4]), argv[5]
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    in_a_row = 0
    with open(out_path, "w") as out:
        for n in range(count):
            start = time.perf_counter()
            try:
                with socket.socket(family, socket.SOCK_STREAM) as s:
                    s.settimeout(TIMEOUT)
                    s.connect((host, first + n % ports))
                    s.sendall(b"x")
                    if s.recv(1) != b"x":
                        raise OSError("no echo")
                out.write("%.6f\n" % (time.perf_counter() - start))
                in_a_row = 0
            except OSError as error:
                out.write("fail %s\n" % error)
                in_a_row += 1
                if in_a_row >= MAX_FAILURES_IN_A_ROW:
                    out.flush()
                    sys.exit("connect_loop.py: %d failures in a row, giving up" % in_a_row)


if __name__ == "__main__":
    main(sys.argv)
