#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Name resolution under ulk-run goes through ulk: curl and python3 resolve
# a name with a name server on the host side of the TAP (--dns), and the
# server sees the queries come from ulk's address, not the host's. And the
# ways it went wrong before (issue 9, item 13), with the namespace's own
# resolv.conf (ip netns exec binds /etc/netns/NS/resolv.conf over it):
#  - a resolv.conf naming a loopback stub (127.0.0.53): ulk-run says at
#    start that it cannot be reached and to give --dns, and a lookup fails
#    at once saying so (before: queries to ulk's own loopback, failing
#    after attempts x timeout, no hint); with systemd-resolved's upstream
#    list present, that list is used;
#  - junk datagrams from the server's address do not extend the timeout
#    (before: every one re-armed it);
#  - a duplicated A reply is not taken for the AAAA answer (before: the
#    lookup ended without the IPv6 address).
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
stop_bg

# The namespace's resolv.conf: a loopback stub, short timeouts.
trap 'rm -rf "/etc/netns/$ns"; programs_cleanup' EXIT
mkdir -p "/etc/netns/$ns"
printf 'nameserver 127.0.0.53\noptions timeout:1 attempts:1\n' >"/etc/netns/$ns/resolv.conf"
ULK_NET=("${ULK_NET[@]:0:${#ULK_NET[@]}-2}")	# without --dns
lookup='
import socket, time
t0 = time.time()
try:
    r = sorted({a[4][0] for a in socket.getaddrinfo("web.ulk.test", 80)})
except socket.gaierror as e:
    r = "error %d" % e.errno
print("%s after %.1f s" % (r, time.time() - t0))'
out=$(ulk python3 -c "$lookup" 2>&1)
echo "$out" | sed 's/^/    /'
if grep -q "127.0.0.53 is on the host's loopback.*give --dns" <<<"$out" &&
   grep -q "no name server to ask" <<<"$out" && grep -qE "^error -?[0-9]+ after 0\.[0-9] s" <<<"$out"; then
	pass "a loopback stub in resolv.conf: said at start, and the lookup fails at once saying --dns"
else
	bad "a loopback stub in resolv.conf"
fi
bg "$tmp/dns2.out" in_ns python3 "$SRC_DIR/tests/run/dns_server.py" $H4 "$tmp/dns2.log" web.ulk.test=$H4,$H6
for _ in $(seq 100); do grep -q READY "$tmp/dns2.out" && break; sleep 0.1; done
out=$(ip netns exec "$ns" unshare -m sh -c 'mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/resolve &&
	echo "nameserver $0" >/run/systemd/resolve/resolv.conf && exec timeout 30 "$@"' $H4 \
	"$BUILD_DIR/bin/ulk-run" "${ULK_NET[@]}" -- python3 -c "$lookup" 2>&1)
echo "$out" | sed 's/^/    /'
grep -q "lookups use $H4 (from /run/systemd/resolve/resolv.conf)" <<<"$out" && grep -q "^\['$H4', '$H6'\]" <<<"$out" \
	&& pass "a stub with systemd-resolved's upstream list: that list is used, and said" \
	|| bad "systemd-resolved's upstream list"
stop_bg

ULK_NET+=(--dns $H4)
bg "$tmp/dns3.out" in_ns python3 "$SRC_DIR/tests/run/dns_server.py" --mode=junk $H4 "$tmp/dns3.log"
for _ in $(seq 100); do grep -q READY "$tmp/dns3.out" && break; sleep 0.1; done
out=$(ulk python3 -c "$lookup" 2>&1)
echo "$out" | sed 's/^/    /'
secs=$(sed -n 's/^error .* after \([0-9.]*\) s$/\1/p' <<<"$out")
if [ -n "$secs" ] && awk "BEGIN { exit !($secs < 2.5) }" && grep -q "no answer from name server $H4" <<<"$out"; then
	pass "junk from the server does not extend the timeout: failed after $secs s (timeout:1), saying so"
else
	bad "with junk replies: $out"
fi
stop_bg
bg "$tmp/dns4.out" in_ns python3 "$SRC_DIR/tests/run/dns_server.py" --mode=dup $H4 "$tmp/dns4.log" web.ulk.test=$H4,$H6
for _ in $(seq 100); do grep -q READY "$tmp/dns4.out" && break; sleep 0.1; done
out=$(ulk python3 -c "$lookup" 2>&1)
grep -q "^\['$H4', '$H6'\]" <<<"$out" && pass "a duplicated A reply is not the AAAA answer: $out" \
	|| bad "with a duplicated A reply: $out"
exit $fail
