#!/usr/bin/env python3
# Usage: hold_nfgroup.py queue|log NUMBER
# Binds NFQUEUE NUMBER or NFLOG group NUMBER on its own netfilter netlink socket,
# as another program would, prints "bound queue|log NUMBER", and holds the bind
# (never reading, never giving a verdict) until killed, at most 10 minutes.
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
# (subsystem << 8 | CONFIG message): NFQNL_MSG_CONFIG, NFULNL_MSG_CONFIG.
CONFIG = {"queue": (3 << 8) | 2, "log": (4 << 8) | 1}
CFG_CMD, CMD_BIND = 1, 1  # NFQA_CFG_CMD / NFULA_CFG_CMD, NF*_CFG_CMD_BIND

kind, number = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
s.bind((0, 0))
payload = struct.pack("BBH", socket.AF_UNSPEC, 0, socket.htons(number))  # nfgenmsg, res_id big-endian
payload += struct.pack("HH", 8, CFG_CMD) + struct.pack("BBH", CMD_BIND, 0, 0)
s.send(struct.pack("IHHII", 16 + len(payload), CONFIG[kind], NLM_F_REQUEST | NLM_F_ACK, 1, 0) + payload)
err = -struct.unpack_from("i", s.recv(4096), 16)[0]
if err:
    sys.exit(f"bind {kind} {number}: errno {err}")
print(f"bound {kind} {number}", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
time.sleep(600)
