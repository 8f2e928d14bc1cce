#!/usr/bin/python3
"""Anonymous read-only pyftpdlib server for the lab, one listener per address.

Usage: pyftpd.py --root DIR --ports MIN-MAX ADDRESS [ADDRESS...]
All listeners share pyftpdlib's default IOLoop, so one process serves them all.
"""
import argparse
import logging

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--ports", required=True, help="passive ports, MIN-MAX")
    parser.add_argument("addresses", nargs="+")
    args = parser.parse_args()

    low, high = (int(p) for p in args.ports.split("-"))
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(args.root, perm="elr")

    class LabHandler(FTPHandler):
        pass

    LabHandler.authorizer = authorizer
    LabHandler.passive_ports = range(low, high + 1)
    LabHandler.permit_foreign_addresses = False

    logging.basicConfig(level=logging.INFO, format="pyftpdlib %(message)s")
    servers = [FTPServer((address, 21), LabHandler) for address in args.addresses]
    for server in servers:
        logging.info("listening on %s", server.address)
    # Every FTPServer registered itself with the shared default IOLoop.
    servers[0].serve_forever(handle_exit=True)


if __name__ == "__main__":
    main()
