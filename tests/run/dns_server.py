#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
A DNS server just big enough for tests: answers A and AAAA queries over UDP
for the names given, NXDOMAIN for others, and logs each query's source
address and name, one line each, to LOG.

Usage: dns_server.py [--mode=MODE] ADDR LOG NAME=IPV4[,IPV6] ...
Prints READY once listening. MODE misbehaves as servers and paths do:
  dup    each A reply is sent twice, each AAAA reply 0.3 s late
  junk   no answers; a datagram that is not a reply to any query is sent
         back every 0.3 s for 10 s after each query
"""
import ipaddress
import socket
import struct
import sys
import threading
import time


def parse_name(msg, p):
    labels = []
    while msg[p]:
        labels.append(msg[p + 1:p + 1 + msg[p]].decode())
        p += msg[p] + 1
    return ".".join(labels).lower(), p + 1


def later(delay, fn, *args):
    t = threading.Timer(delay, fn, args)
    t.daemon = True
    t.start()


def junk(s, peer):
    for _ in range(33):
        try:
            s.sendto(b"\xff\xfe not a reply", peer)
        except OSError:
            pass
        time.sleep(0.3)


def main():
    args = sys.argv[1:]
    mode = ""
    if args and args[0].startswith("--mode="):
        mode = args.pop(0)[7:]
    addr, log = args[0], args[1]
    names = {}
    for spec in args[2:]:
        name, ips = spec.split("=")
        names[name.lower()] = [ipaddress.ip_address(x) for x in ips.split(",")]
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    print("READY", flush=True)
    with open(log, "a", buffering=1) as out:
        while True:
            msg, peer = s.recvfrom(1500)
            qid, _, qd = struct.unpack("!HHH", msg[:6])
            name, p = parse_name(msg, 12)
            qtype = struct.unpack("!H", msg[p:p + 2])[0]
            out.write("%s %s %d\n" % (peer[0], name, qtype))
            question = msg[12:p + 4]
            if mode == "junk":
                threading.Thread(target=junk, args=(s, peer), daemon=True).start()
                continue
            if name not in names:
                s.sendto(struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question, peer)
                continue
            want = 4 if qtype == 1 else 6 if qtype == 28 else 0
            answers = [a for a in names[name] if a.version == want]
            body = b""
            for a in answers:
                body += struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(a.packed)) + a.packed
            reply = struct.pack("!HHHHHH", qid, 0x8180, 1, len(answers), 0, 0) + question + body
            if mode == "dup" and qtype == 28:
                later(0.3, s.sendto, reply, peer)
                continue
            s.sendto(reply, peer)
            if mode == "dup":
                s.sendto(reply, peer)


main()
