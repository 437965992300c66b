#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ulk-proxy, first milestone (issue 10): a namespace guest whose link is a
# TAP that ulk-proxy holds; every TCP connection the guest makes is
# terminated in ulk and relayed from the host's namespace, where a server
# lives behind a veth (the "internet": 10.75.0.2, fd75::2). Checked:
#  - 200 MB each way to an address and port ulk has no listener for, IPv4,
#    every byte verified, the guest's half-close carried to the host and
#    the host's back; IPv6 too;
#  - the host's half-close first: the guest can still send;
#  - a reset on either side becomes a reset on the other;
#  - a closed host port: the guest's connection fails (reset: see relay.c
#    for why not refused);
#  - a --map entry reaches a server on the host's loopback, which the
#    default policy denies otherwise (and does: 169.254.169.254 is reset);
#  - --max-conns 20: of 25 connections, 5 are reset, and counted;
#  - UDP to an IPv4 and an IPv6 server: every answer comes back from the
#    address and port the guest sent to; the flows end after --udp-timeout;
#  - ping of a host-side address is answered (the echo relay), a ping of
#    an address nobody has is not (ulk itself answers none);
#  - the guest's resolver asking the gateway address gets answers from the
#    --dns server (forwarded as a --map of port 53);
#  - the proxy runs sandboxed once set up (nobody, no capabilities in any
#    thread, no_new_privs, a seccomp filter), and the relay works so;
#  - at SIGTERM the proxy exits 0 with its counters.
set -uo pipefail
. "$SRC_DIR/tests/net/tap_ns.sh"
command -v python3 >/dev/null || { echo "skip: python3 is not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "skip: needs root (namespaces, TAP)"; exit 77; }

tap_ns_setup proxyg_ ulkg0 10.74.0.2/24 fd74::2/64
g=$ns
s=proxys_$$
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$s" 2>/dev/null
	ip link del ulkpv0 2>/dev/null
	rm -rf "/etc/netns/$g"
	tap_ns_cleanup
}
trap cleanup EXIT
ip -n "$g" route add default via 10.74.0.1
ip -n "$g" -6 route add default via fd74::1
# The "internet": a namespace behind a veth from the host's namespace.
ip netns add "$s"
ip link add ulkpv0 type veth peer name eth0 netns "$s"
ip addr add 10.75.0.1/24 dev ulkpv0
ip addr add fd75::1/64 dev ulkpv0 nodad
ip link set ulkpv0 up
ip -n "$s" link set lo up
ip -n "$s" addr add 10.75.0.2/24 dev eth0
ip -n "$s" addr add fd75::2/64 dev eth0 nodad
ip -n "$s" link set eth0 up
guest=$SRC_DIR/tests/run/proxy_guest.py
ip netns exec "$s" python3 "$guest" server 10.75.0.2 9000 >"$tmp/srv4.out" 2>&1 & pids+=($!)
ip netns exec "$s" python3 "$guest" server fd75::2 9000 >"$tmp/srv6.out" 2>&1 & pids+=($!)
python3 "$guest" server 127.0.0.1 9107 >"$tmp/srvlo.out" 2>&1 & pids+=($!)
ip netns exec "$s" python3 "$guest" udpecho 10.75.0.2 5353 >"$tmp/udp4.out" 2>&1 & pids+=($!)
ip netns exec "$s" python3 "$guest" udpecho fd75::2 5353 >"$tmp/udp6.out" 2>&1 & pids+=($!)
ip netns exec "$s" python3 "$SRC_DIR/tests/run/dns_server.py" 10.75.0.2 "$tmp/dns.log" \
	web.proxy.test=10.75.0.2,fd75::2 >"$tmp/dns.out" 2>&1 & pids+=($!)
for f in srv4 srv6 srvlo udp4 udp6 dns; do
	for _ in $(seq 100); do grep -q READY "$tmp/$f.out" && break; sleep 0.1; done
done

"$BUILD_DIR/bin/ulk-proxy" --netns "/run/netns/$g" --tap ulkg0 --ip 10.74.0.1/24 \
	--ip6 fd74::1/64 --map 10.74.0.1:8080=127.0.0.1:9107 --max-conns 20 --udp-timeout 2 \
	--dns 10.75.0.2 --name "proxytest-$$" --pcap "$tmp/proxy.pcap" \
	>"$tmp/proxy.out" 2>"$tmp/proxy.err" &
proxy=$!
pids+=($proxy)
for _ in $(seq 100); do grep -q "serving the guest" "$tmp/proxy.err" && break; sleep 0.1; done
grep -q "serving the guest" "$tmp/proxy.err" || { bad "ulk-proxy did not start"; cat "$tmp/proxy.err"; exit 1; }

# The sandbox: nobody, no capabilities in any thread, no_new_privs, seccomp.
st=/proc/$proxy/status
caps=$(cat /proc/$proxy/task/*/status | awk '/^CapEff/ {print $2}' | sort -u | tr '\n' ' ')
if grep -q "^Uid:[[:space:]]*65534" "$st" && grep -q "^NoNewPrivs:[[:space:]]*1" "$st" &&
   grep -q "^Seccomp:[[:space:]]*2" "$st" && [ "$caps" = "0000000000000000 " ]; then
	pass "ulk-proxy runs sandboxed: uid 65534, no capabilities in its $(ls /proc/$proxy/task | wc -l) threads, no_new_privs, seccomp"
else
	bad "ulk-proxy's sandbox: $(grep -E '^(Uid|NoNewPrivs|Seccomp)' "$st" | tr '\n' ' ') CapEff: $caps"
fi

# ulkctl reaches the sandboxed proxy's kernel: its link and address.
out=$(timeout 20 "$BUILD_DIR/bin/ulkctl" "proxytest-$$" -- ip -br addr 2>&1)
grep -q "10.74.0.1/24" <<<"$out" && pass "ulkctl proxytest -- ip -br addr: $(grep 10.74 <<<"$out" | tr -s ' ')" \
	|| { bad "ulkctl against the sandboxed proxy"; echo "$out"; }

gcase() { timeout 120 ip netns exec "$g" python3 "$guest" guest "$@"; }
check() { local out; out=$(gcase "$@" 2>&1); echo "    $out"; grep -q "^ok" <<<"$out" || fail=1; }

check bulk 10.75.0.2 9000 $((200 << 20))
check bulk fd75::2 9000 $((20 << 20))
check hostfirst 10.75.0.2 9000
sleep 0.5
grep -q "GOT bye from the guest" "$tmp/srv4.out" && pass "the guest's data after the host's half-close reached the host" \
	|| bad "the host did not get the guest's data after its half-close: $(cat "$tmp/srv4.out")"
check reset 10.75.0.2 9000
check guestreset 10.75.0.2 9000
sleep 1
grep -q "PEER RESET" "$tmp/srv4.out" && pass "the guest's reset reached the host as a reset" \
	|| bad "the host saw: $(grep PEER "$tmp/srv4.out")"
check refused 10.75.0.2 9999
check bulk 10.74.0.1 8080 $((1 << 20))
check refused 169.254.169.254 80
check limit 10.75.0.2 9000 25 20
check udp 10.75.0.2 5353
check udp fd75::2 5353
# The guest's resolver asks the gateway; the proxy forwards to --dns.
mkdir -p "/etc/netns/$g"
echo "nameserver 10.74.0.1" >"/etc/netns/$g/resolv.conf"
out=$(ip netns exec "$g" python3 -c "
import socket
print(sorted({a[4][0] for a in socket.getaddrinfo('web.proxy.test', 80)}))" 2>&1)
rm -rf "/etc/netns/$g"
[ "$out" = "['10.75.0.2', 'fd75::2']" ] && pass "the guest resolves a name through the gateway's DNS forwarding: $out" \
	|| bad "DNS through the gateway: $out"
out=$(ip netns exec "$g" ping -c 3 -i 0.2 -W 2 10.75.0.2 2>&1)
grep -q "3 received" <<<"$out" && pass "ping of a host-side address through the echo relay: $(grep -o '[0-9]* received' <<<"$out")" \
	|| { bad "ping of 10.75.0.2 through the proxy"; echo "$out"; }
if ip netns exec "$g" ping -q -c 1 -W 1 203.0.113.1 >/dev/null 2>&1; then
	bad "a ping to an unreachable address was answered (by ulk itself)"
else
	pass "a ping to an unreachable address is not answered"
fi
sleep 2.5	# both flows idle past --udp-timeout 2

kill -TERM $proxy
wait $proxy
rc=$?
line=$(grep "accepted" "$tmp/proxy.err")
echo "    $line"
[ $rc = 0 ] && pass "ulk-proxy exited 0 at SIGTERM" || { bad "ulk-proxy exited $rc"; tail -20 "$tmp/proxy.err"; }
if command -v tcpdump >/dev/null; then
	n=$(tcpdump -nr "$tmp/proxy.pcap" 'icmp and host 10.75.0.2' 2>/dev/null | wc -l)
	[ "$n" -gt 0 ] && pass "--pcap, written by the sandboxed proxy: $(tcpdump -nr "$tmp/proxy.pcap" 2>/dev/null | wc -l) frames, $n of the guest's pings" \
		|| bad "--pcap: no ICMP of the guest in $(tcpdump -nr "$tmp/proxy.pcap" 2>&1 | head -3)"
fi
lim=$(sed -n 's/.*refused-limit \([0-9]*\).*/\1/p' <<<"$line")
pol=$(sed -n 's/.*refused-policy \([0-9]*\).*/\1/p' <<<"$line")
toh=$(sed -n 's/.*bytes-to-host \([0-9]*\).*/\1/p' <<<"$line")
[ "${lim:-0}" = 5 ] && pass "the limit's counter: 5" || bad "refused-limit ${lim:-?} (want 5)"
ereq=$(sed -n 's/.*echo-requests \([0-9]*\).*/\1/p' <<<"$line")
erep=$(sed -n 's/.*echo-replies \([0-9]*\).*/\1/p' <<<"$line")
[ "${erep:-0}" = 3 ] && [ "${ereq:-0}" = 4 ] && pass "echo counted: 4 requests relayed, 3 replies" \
	|| bad "echo-requests ${ereq:-?} echo-replies ${erep:-?} (want 4 and 3)"
[ "${pol:-0}" -ge 1 ] && pass "the policy's counter: $pol" || bad "refused-policy ${pol:-?}"
[ "${toh:-0}" -ge $((221 << 20)) ] && pass "bytes to the host counted: $toh" || bad "bytes-to-host ${toh:-?}"
flows=$(sed -n 's/.*udp-flows \([0-9]*\).*/\1/p' <<<"$line")
ended=$(sed -n 's/.*udp-flows-ended \([0-9]*\).*/\1/p' <<<"$line")
[ "${flows:-0}" = 3 ] && [ "${ended:-0}" = 3 ] && pass "three UDP flows (two echo servers, DNS), all ended after --udp-timeout" \
	|| bad "UDP flows ${flows:-?}, ended ${ended:-?} (want 3 and 3)"
exit $fail
