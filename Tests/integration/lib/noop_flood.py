#!/usr/bin/env python3
# Usage: noop_flood.py HOST COUNT [PAUSE_MS]
# One FTP control connection (anonymous login) that makes COUNT NOOP round trips
# as fast as the server answers (or PAUSE_MS apart), then QUITs. Prints
# "sent COUNT" on success.
import socket
import sys
import time

host, count = sys.argv[1], int(sys.argv[2])
pause = float(sys.argv[3]) / 1000 if len(sys.argv) > 3 else 0
s = socket.create_connection((host, 21), timeout=10)
s.recv(1000)
s.sendall(b"USER anonymous\r\n"); time.sleep(0.2); s.recv(1000)
s.sendall(b"PASS x\r\n"); time.sleep(0.3); s.recv(1000)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for _ in range(count):
    if pause:
        time.sleep(pause)
    s.sendall(b"NOOP\r\n")
    reply = b""
    while not reply.endswith(b"\r\n"):
        chunk = s.recv(1000)
        if not chunk:
            sys.exit("connection closed by the server")
        reply += chunk
s.sendall(b"QUIT\r\n")
s.recv(1000)
s.close()
print("sent", count)
