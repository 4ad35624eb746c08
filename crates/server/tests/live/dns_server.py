"""A small authoritative DNS server for the live tests, on dnslib (pip install dnslib).

Usage: python3 dns_server.py ZONE_FILE

Listens on UDP 127.0.0.1 at a port the OS picks and prints that port on the first line of
its standard output. Answers TXT questions from ZONE_FILE, a JSON object of name -> list of
values, read again for every question so that a test can publish records while it runs.
Any other name is NXDOMAIN.
"""

import json
import socket
import sys

from dnslib import QTYPE, RCODE, RR, TXT, DNSRecord


def records(zone_file):
    try:
        with open(zone_file, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def main():
    zone_file = sys.argv[1]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    while True:
        data, peer = sock.recvfrom(4096)
        try:
            query = DNSRecord.parse(data)
        except Exception:  # a malformed packet is dropped, as a real server would
            continue
        reply = query.reply()
        name = str(query.q.qname).rstrip(".").lower()
        values = records(zone_file).get(name)
        if values is None:
            reply.header.rcode = RCODE.NXDOMAIN
        elif query.q.qtype == QTYPE.TXT:
            for value in values:
                reply.add_answer(RR(query.q.qname, QTYPE.TXT, rdata=TXT(value), ttl=1))
        sock.sendto(reply.pack(), peer)


if __name__ == "__main__":
    main()
