#!/usr/bin/python3
"""Echoes one byte on each connection to HOST:FIRST_PORT .. FIRST_PORT+PORTS-1.

  echo_server.py HOST FIRST_PORT PORTS

One connection at a time, as connect_loop.py makes them: accept, echo the
byte, wait for the client's close, close. Runs until killed.
"""
import selectors
import socket
import sys


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    host, first, ports = argv[1], int(argv[2]), int(argv[3])
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sel = selectors.DefaultSelector()
    for port in range(first, first + ports):
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(64)
        sel.register(listener, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            conn, _ = key.fileobj.accept()
            with conn:
                conn.settimeout(5.0)
                try:
                    conn.sendall(conn.recv(1))
                    conn.recv(1)  # the client's FIN
                except OSError:
                    pass


if __name__ == "__main__":
    main(sys.argv)
