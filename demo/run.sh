#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot ulk and show it, then show its TCP/IP stack at work.
#
# As root: a TAP device in a throwaway network namespace, ulk serving HTTP
# on it, the host's curl fetching the page. Without root: the same exchange
# between two ulk processes over the pipe backend. Everything created is
# removed on every exit path.
set -euo pipefail

B=${1:?usage: demo/run.sh BUILD_DIR}
"$B/demo"

echo
echo "== Networking =="
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
	echo "(not root or no /dev/net/tun: two ulk processes over a socketpair instead of a TAP)"
	exec "$B/net_demo" pipe
fi

ns=ulkdemo$$
srv=
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add dev ulk0 mode tap
ip -n "$ns" addr add 10.77.0.1/24 dev ulk0
ip -n "$ns" link set ulk0 up
echo "host side: TAP ulk0 with 10.77.0.1/24 in namespace $ns"

out=$(mktemp)
ip netns exec "$ns" "$B/net_demo" tap ulk0 10.77.0.2/24 >"$out" 2>&1 &
srv=$!
for _ in $(seq 100); do
	grep -q READY "$out" && break
	kill -0 "$srv" 2>/dev/null || break
	sleep 0.05
done
cat "$out"
echo "host curl -> http://10.77.0.2:8080/ :"
ip netns exec "$ns" curl -sS -i --max-time 10 http://10.77.0.2:8080/
wait "$srv"
srv=
sed -n '/ulk server got/p' "$out"
rm -f "$out"
