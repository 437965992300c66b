#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ulk-proxy's DHCP server (tools/proxy/dhcp.c): a guest namespace with no
# configuration at all runs busybox's udhcpc on its TAP and comes up with
# the lease ulk-proxy gives (the 15th address of the gateway's subnet, the
# gateway as router and name server, the link's MTU), then reaches a host
# server through the proxy. A second udhcpc run with the lease in hand
# (REQUEST for the same address) is ACKed. An inward port forward (-t)
# carries a verified transfer from a host client to a server in the guest.
# With --ip6, the guest's kernel takes an address by SLAAC from ulk's
# router advertisements, and ulk as its default router.
set -uo pipefail
. "$SRC_DIR/tests/net/tap_ns.sh"
for p in python3 busybox; do
	command -v $p >/dev/null || { echo "skip: $p is not installed"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "skip: needs root (namespaces, TAP)"; exit 77; }

# The guest: a namespace and its TAP, nothing configured.
tap_ns_setup proxyd_ ulkd0 0.0.0.0/32
g=$ns
ip -n "$g" addr flush dev ulkd0
s=proxyds_$$
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$s" 2>/dev/null
	ip link del ulkdv0 2>/dev/null
	tap_ns_cleanup
}
trap cleanup EXIT
ip netns add "$s"
ip link add ulkdv0 type veth peer name eth0 netns "$s"
ip addr add 10.77.0.1/24 dev ulkdv0
ip link set ulkdv0 up
ip -n "$s" link set lo up
ip -n "$s" addr add 10.77.0.2/24 dev eth0
ip -n "$s" link set eth0 up
guest=$SRC_DIR/tests/run/proxy_guest.py
ip netns exec "$s" python3 "$guest" server 10.77.0.2 9000 >"$tmp/srv.out" 2>&1 & pids+=($!)
for _ in $(seq 100); do grep -q READY "$tmp/srv.out" && break; sleep 0.1; done

"$BUILD_DIR/bin/ulk-proxy" --netns "/run/netns/$g" --tap ulkd0 --ip 10.76.0.1/24 --mtu 9000 -t 7100:9000 \
	--ip6 fd76::1/64 \
	>"$tmp/proxy.out" 2>"$tmp/proxy.err" &
proxy=$!
pids+=($proxy)
for _ in $(seq 100); do grep -q "serving the guest" "$tmp/proxy.err" && break; sleep 0.1; done

# udhcpc's script: say what came, and apply it as a stock script would.
cat >"$tmp/dhcp.sh" <<'SCRIPT'
#!/bin/sh
case "$1" in
bound|renew)
	echo "LEASE ip=$ip subnet=$subnet router=$router dns=$dns mtu=$mtu"
	ip addr add "$ip/$mask" dev "$interface" 2>/dev/null
	[ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
	ip route replace default via "$router" dev "$interface"
	;;
esac
SCRIPT
chmod +x "$tmp/dhcp.sh"
out=$(ip netns exec "$g" timeout 20 busybox udhcpc -i ulkd0 -f -q -n -t 5 -T 1 -s "$tmp/dhcp.sh" 2>&1)
echo "$out" | sed 's/^/    /'
grep -q "LEASE ip=10.76.0.15 subnet=255.255.255.0 router=10.76.0.1 dns=10.76.0.1 mtu=9000" <<<"$out" \
	&& pass "udhcpc got the lease: 10.76.0.15/24, router and DNS 10.76.0.1, MTU 9000" \
	|| bad "udhcpc did not get the expected lease"
out=$(ip netns exec "$g" timeout 120 python3 "$guest" guest bulk 10.77.0.2 9000 $((8 << 20)) 2>&1)
echo "    $out"
grep -q "^ok" <<<"$out" && pass "the configured guest reaches a host server through the proxy" || bad "no transfer after DHCP"
# Again, with the address in hand: udhcpc asks for it (-r) and is ACKed.
out=$(ip netns exec "$g" timeout 20 busybox udhcpc -i ulkd0 -f -q -n -t 5 -T 1 -r 10.76.0.15 -s "$tmp/dhcp.sh" 2>&1)
grep -q "LEASE ip=10.76.0.15" <<<"$out" && pass "a request for the leased address is acknowledged" \
	|| { bad "a second request"; echo "$out"; }
# IPv6 by SLAAC from ulk's router advertisements, ulk the default router.
for _ in $(seq 100); do
	a6=$(ip -n "$g" -6 addr show dev ulkd0 scope global | sed -n 's/.*inet6 \(fd76:[0-9a-f:]*\)\/64.*/\1/p' | head -1)
	[ -n "$a6" ] && break
	sleep 0.1
done
r6=$(ip -n "$g" -6 route show default | head -1)
if [ -n "$a6" ] && grep -q "via fe80::" <<<"$r6"; then
	pass "SLAAC: the guest took $a6/64 and a default route ($r6)"
else
	bad "no SLAAC address or default route (address '$a6', route '$r6')"
fi
# Inward: a host client on the forwarded port reaches a server in the guest.
ip netns exec "$g" python3 "$guest" server 10.76.0.15 9000 >"$tmp/gsrv.out" 2>&1 & pids+=($!)
for _ in $(seq 100); do grep -q READY "$tmp/gsrv.out" && break; sleep 0.1; done
out=$(timeout 120 python3 "$guest" guest bulk 127.0.0.1 7100 $((16 << 20)) 2>&1)
echo "    $out"
grep -q "^ok" <<<"$out" && pass "-t 7100:9000: a host client reaches the guest's server, every byte verified" \
	|| bad "the inward forward"
kill -TERM $proxy
wait $proxy
line=$(grep "dhcp-answers" "$tmp/proxy.err")
echo "    $line"
n=$(sed -n 's/.*dhcp-answers \([0-9]*\).*/\1/p' <<<"$line")
[ "${n:-0}" -ge 3 ] && pass "ulk-proxy counted $n DHCP answers" || bad "dhcp-answers ${n:-?}"
ra=$(sed -n 's/.*router-adverts \([0-9]*\).*/\1/p' <<<"$line")
[ "${ra:-0}" -ge 1 ] && pass "router advertisements sent: $ra" || bad "router-adverts ${ra:-?}"
fw=$(sed -n 's/.*forwarded \([0-9]*\).*/\1/p' <<<"$line")
[ "${fw:-0}" = 1 ] && pass "one forwarded connection counted" || bad "forwarded ${fw:-?}"
exit $fail
