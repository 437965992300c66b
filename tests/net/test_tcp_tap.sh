#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# TCP between the host kernel and ulk over a TAP, IPv4 and IPv6, both
# directions, 256 MB each way with every byte verified; once with all
# offloads on (and large segments must really cross the TAP), once with
# all off. Also: ping from the host to ulk, and a connect to a closed port
# on ulk is refused. Runs in a throwaway network namespace, removed on
# every exit path. Needs root and /dev/net/tun.
set -uo pipefail

B=${BUILD_DIR:?run through tests/run.sh}
T=$B/bench/tcpperf
BYTES=${TAP_TEST_BYTES:-268435456}
# shellcheck source=tests/net/tap_ns.sh
. "${SRC_DIR:-.}/tests/net/tap_ns.sh"
[ -x "$T" ] || { echo "FAIL $T not built"; exit 1; }
tap_ns_setup ulkt ulkt0 10.80.0.1/24 fd80::1/64

# start_server NAME COUNT [tcpperf options]: ulk server in the namespace.
start_server() {
	local name=$1 count=$2; shift 2
	ip netns exec "$ns" timeout 120 "$T" --ulk-tap ulkt0 --ip 10.80.0.2/24 \
		--ip6 fd80::2/64 "$@" server 5301 "$count" >"$tmp/$name" 2>&1 &
	srv=$!
	for _ in $(seq 200); do grep -q READY "$tmp/$name" && return 0; sleep 0.05; done
	bad "$name: ulk server did not start: $(cat "$tmp/$name")"
	return 1
}

finish_server() {
	local name=$1
	wait "$srv"; local rc=$?
	srv=
	[ $rc -eq 0 ] || bad "$name: ulk side exited with $rc: $(tail -3 "$tmp/$name")"
	grep -q MISMATCH "$tmp/$name" && bad "$name: ulk side saw corrupted data: $(grep MISMATCH "$tmp/$name")"
}

# transfer NAME ADDR: host -> ulk and ulk -> host, verified.
transfer() {
	local name=$1 addr=$2 out
	for mode in send recv; do
		out=$(ip netns exec "$ns" timeout 60 "$T" --verify client "$addr" 5301 "$mode" "$BYTES" 2>&1)
		if [ $? -eq 0 ] && [[ $out == bulk* ]]; then
			pass "$name $mode ($([ $mode = send ] && echo host to ulk || echo ulk to host)): $BYTES bytes verified, $out"
		else
			bad "$name $mode: $out"
		fi
	done
}

large() { sed -n "s/.*$2=\([0-9]*\).*/\1/p" "$tmp/$1" | head -1; }

# --- offloads on ---
if start_server on 4; then
	if ip netns exec "$ns" ping -c 2 -W 2 -q 10.80.0.2 >/dev/null; then pass "ping host -> ulk (IPv4)"; else bad "ping host -> ulk (IPv4)"; fi
	if ip netns exec "$ns" ping -6 -c 2 -W 2 -q fd80::2 >/dev/null; then pass "ping host -> ulk (IPv6)"; else bad "ping host -> ulk (IPv6)"; fi
	out=$(ip netns exec "$ns" timeout 10 "$T" client 10.80.0.2 5399 send 1 2>&1)
	if [[ $out == *refused* ]]; then pass "connect to a closed port on ulk is refused ($out)"; else bad "closed port: $out"; fi
	transfer "offloads on, IPv4" 10.80.0.2
	transfer "offloads on, IPv6" fd80::2
	finish_server on
	tx=$(large on tx_large); rx=$(large on rx_large)
	if [ "${tx:-0}" -gt 0 ] && [ "${rx:-0}" -gt 0 ]; then
		pass "offloads on: frames above 32 KiB crossed the TAP ($tx sent by ulk, $rx received)"
	else
		bad "offloads on: no large frames crossed the TAP (tx_large=$tx rx_large=$rx): $(grep netdev "$tmp/on")"
	fi
fi

# --- offloads off ---
if start_server off 4 --offload none; then
	transfer "offloads off, IPv4" 10.80.0.2
	transfer "offloads off, IPv6" fd80::2
	finish_server off
	tx=$(large off tx_large); rx=$(large off rx_large)
	if [ "${tx:-1}" -eq 0 ] && [ "${rx:-1}" -eq 0 ]; then
		pass "offloads off: no frame above 32 KiB crossed (tx_large=$tx rx_large=$rx)"
	else
		bad "offloads off: large frames crossed anyway (tx_large=$tx rx_large=$rx)"
	fi
fi

[ $fail -eq 0 ] && echo "RESULT: pass" || echo "RESULT: fail"
exit $fail
