#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Name resolution under ulk-run goes through ulk: curl and python3 resolve
# a name with a name server on the host side of the TAP (--dns), and the
# server sees the queries come from ulk's address, not the host's.
set -uo pipefail
. "$SRC_DIR/tests/run/programs_ns.sh"
programs_setup curl python3

ULK_NET+=(--dns $H4)
bg "$tmp/dns.out" in_ns python3 "$SRC_DIR/tests/run/dns_server.py" $H4 "$tmp/dns.log" \
	web.ulk.test=$H4,$H6
for _ in $(seq 100); do grep -q READY "$tmp/dns.out" && break; sleep 0.1; done
grep -q READY "$tmp/dns.out" || { bad "DNS server did not start"; cat "$tmp/dns.out"; exit 1; }
mkdir -p "$tmp/www" && echo hello >"$tmp/www/hello.txt"
bg "$tmp/http.out" in_ns python3 -m http.server 8081 --bind :: --directory "$tmp/www"
wait_port $H4 8081 || bad "host HTTP server did not start"

out=$(ulk curl -sS http://web.ulk.test:8081/hello.txt 2>&1)
[ "$out" = hello ] && pass "curl under ulk-run fetches http://web.ulk.test/" || bad "curl by name: $out"
out=$(ulk python3 -c "import socket; print(sorted({a[4][0] for a in socket.getaddrinfo('web.ulk.test', 80)}))" 2>&1)
[ "$out" = "['$H4', '$H6']" ] && pass "getaddrinfo gives A and AAAA: $out" || bad "getaddrinfo: $out"
out=$(ulk python3 -c "
import socket
try:
    socket.getaddrinfo('missing.ulk.test', 80)
except socket.gaierror as e:
    print(e.errno == socket.EAI_NONAME)" 2>&1)
[ "$out" = True ] && pass "an unknown name: EAI_NONAME" || bad "unknown name: $out"
out=$(ulk python3 -c "import socket; print(socket.getaddrinfo('localhost', 80)[0][4][0])" 2>&1)
grep -qE '^(127\.0\.0\.1|::1)$' <<<"$out" && pass "localhost from /etc/hosts: $out" || bad "localhost: $out"

out=$(ulk python3 -c "import socket; print(socket.gethostbyname_ex('web.ulk.test'))" 2>&1)
[ "$out" = "('web.ulk.test', [], ['$H4'])" ] && pass "gethostbyname_r: $out" || bad "gethostbyname_ex: $out"

srcs=$(cut -d' ' -f1 "$tmp/dns.log" | sort -u | tr '\n' ' ')
[ "$srcs" = "$U4 " ] && pass "every query came from ulk ($srcs)" || bad "queries came from: $srcs"
exit $fail
