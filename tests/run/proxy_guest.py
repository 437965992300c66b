#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
The guest's and the servers' sides of tests/run/test_proxy.sh.

  proxy_guest.py server ADDR PORT       the host-side server (see MODES)
  proxy_guest.py udpecho ADDR PORT      a UDP server answering "pong X" to "ping X"
  proxy_guest.py guest CASE ARGS...     one guest check; prints "ok ..." or
                                        "FAIL ..." and exits 0 or 1

The server reads a one-line mode from each connection:
  bulk N        read until EOF, reply with the sha256 of what came, then N
                bytes of the pattern stream, then close
  hostfirst     send "hello from the host", shut down writing, read until
                EOF, print what came ("GOT ...")
  reset         reset the connection (SO_LINGER 0, close)
  hold          keep the connection open, idle
  peerreset     wait for the peer's reset and print "PEER RESET" (or what
                happened instead)
"""
import hashlib
import socket
import struct
import sys
import threading
import time


def pattern(n):
    """n bytes of a reproducible stream (sha256 counter blocks)."""
    out, i = bytearray(), 0
    while len(out) < n:
        out += hashlib.sha256(i.to_bytes(8, "little")).digest() * 64
        i += 1
    return bytes(out[:n])


CHUNK = pattern(1 << 20)


def stream(sock, n):
    h, left = hashlib.sha256(), n
    while left:
        part = CHUNK[:min(left, len(CHUNK))]
        sock.sendall(part)
        h.update(part)
        left -= len(part)
    return h.hexdigest()


def expected(n):
    h, left = hashlib.sha256(), n
    while left:
        part = CHUNK[:min(left, len(CHUNK))]
        h.update(part)
        left -= len(part)
    return h.hexdigest()


def read_line(sock):
    line = b""
    while not line.endswith(b"\n"):
        c = sock.recv(1)
        if not c:
            break
        line += c
    return line.decode().strip()


def serve_one(c):
    try:
        mode = read_line(c).split()
        if not mode:
            return
        if mode[0] == "bulk":
            h = hashlib.sha256()
            while True:
                d = c.recv(1 << 16)
                if not d:
                    break
                h.update(d)
            c.sendall((h.hexdigest() + "\n").encode())
            stream(c, int(mode[1]))
        elif mode[0] == "hostfirst":
            c.sendall(b"hello from the host\n")
            c.shutdown(socket.SHUT_WR)
            got = b""
            while True:
                d = c.recv(4096)
                if not d:
                    break
                got += d
            print("GOT %s" % got.decode().strip(), flush=True)
        elif mode[0] == "reset":
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif mode[0] == "hold":
            c.settimeout(60)
            c.recv(1)
        elif mode[0] == "peerreset":
            c.settimeout(20)
            try:
                d = c.recv(10)
                print("PEER EOF" if not d else "PEER DATA", flush=True)
            except ConnectionResetError:
                print("PEER RESET", flush=True)
    except OSError as e:
        print("server error: %s" % e, flush=True)
    finally:
        c.close()


def server(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    l = socket.socket(fam, socket.SOCK_STREAM)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((addr, int(port)))
    l.listen(128)
    print("READY", flush=True)
    while True:
        c, _ = l.accept()
        threading.Thread(target=serve_one, args=(c,), daemon=True).start()


def udpecho(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((addr, int(port)))
    print("READY", flush=True)
    while True:
        d, peer = u.recvfrom(65536)
        if d.startswith(b"ping"):
            u.sendto(b"pong" + d[4:], peer)


def connect(addr, port, timeout=20):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((addr, int(port)))
    return s


def guest(case, args):
    if case == "bulk":
        addr, port, n = args[0], args[1], int(args[2])
        t0 = time.time()
        s = connect(addr, port)
        s.sendall(b"bulk %d\n" % n)
        sent = stream(s, n)
        s.shutdown(socket.SHUT_WR)
        got_sum = read_line(s)
        h, total = hashlib.sha256(), 0
        while True:
            d = s.recv(1 << 16)
            if not d:
                break
            h.update(d)
            total += len(d)
        dt = time.time() - t0
        if got_sum != sent or total != n or h.hexdigest() != expected(n):
            print("FAIL bulk %s:%s: sent sha %s, host saw %s; got %d bytes" % (
                addr, port, sent[:12], got_sum[:12], total))
            return 1
        print("ok   %d bytes each way to %s:%s, every byte verified, both "
              "half-closes carried (%.1f s, %.2f Gbit/s both ways)" % (
                  n, addr, port, dt, 2 * n * 8 / dt / 1e9))
        return 0
    if case == "hostfirst":
        s = connect(args[0], args[1])
        s.sendall(b"hostfirst\n")
        got = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            got += d
        s.sendall(b"bye from the guest")
        s.shutdown(socket.SHUT_WR)
        time.sleep(0.5)
        s.close()
        if got.strip() != b"hello from the host":
            print("FAIL hostfirst: got %r" % got)
            return 1
        print("ok   the host's half-close reached the guest, which could still send")
        return 0
    if case == "reset":
        s = connect(args[0], args[1])
        s.sendall(b"reset\n")
        try:
            d = s.recv(10)
            print("FAIL host reset: the guest got %r, not a reset" % d)
            return 1
        except ConnectionResetError:
            print("ok   the host's reset reached the guest as a reset")
            return 0
    if case == "guestreset":
        s = connect(args[0], args[1])
        s.sendall(b"peerreset\n")
        time.sleep(0.5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        print("ok   the guest reset its connection")
        return 0
    if case == "refused":
        try:
            s = connect(args[0], args[1])
            d = s.recv(10)
            print("FAIL a closed host port: the guest got %r" % d)
            return 1
        except (ConnectionResetError, ConnectionRefusedError) as e:
            print("ok   a closed host port: the guest's connection fails (%s)" % type(e).__name__)
            return 0
    if case == "limit":
        addr, port, n, limit = args[0], args[1], int(args[2]), int(args[3])
        socks, resets = [], 0
        for _ in range(n):
            try:
                s = connect(addr, port)
                s.sendall(b"hold\n")
            except ConnectionResetError:	# the reset beat connect()'s return
                resets += 1
                continue
            socks.append(s)
        time.sleep(1)
        for s in socks:
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    resets += 1
            except BlockingIOError:
                pass
            except ConnectionResetError:
                resets += 1
        ok = resets == n - limit
        print("%s %d connections with --max-conns %d: %d reset" % (
            "ok  " if ok else "FAIL", n, limit, resets))
        for s in socks:
            s.close()
        return 0 if ok else 1
    if case == "udp":
        addr, port = args[0], int(args[1])
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.settimeout(5)
        ok = 0
        for i in range(20):
            u.sendto(b"ping %d" % i, (addr, port))
            d, src = u.recvfrom(100)
            ok += d == b"pong %d" % i and src[0] == addr and src[1] == port
        big = bytes(range(256)) * 32
        u.sendto(b"ping" + big, (addr, port))
        d, src = u.recvfrom(65536)
        ok += d == b"pong" + big
        print("%s UDP to %s:%d: %d of 21 answers right, from %s:%d" % (
            "ok  " if ok == 21 else "FAIL", addr, port, ok, src[0], src[1]))
        return 0 if ok == 21 else 1
    print("FAIL unknown case %s" % case)
    return 1


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "udpecho":
        udpecho(sys.argv[2], sys.argv[3])
    else:
        sys.exit(guest(sys.argv[2], sys.argv[3:]))
