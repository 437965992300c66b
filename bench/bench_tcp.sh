#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# TCP between the host kernel and ulk over a TAP, side by side with the
# host kernel talking to itself across namespaces over veth, in one run.
# Prints bulk-to-ulk, bulk-from-ulk, rr-p50, rr-p99 and cpu-per-gb lines in
# the benchmark format. Needs root (namespaces, TAP); says so otherwise.
set -euo pipefail

B=${1:?usage: bench/bench_tcp.sh BUILD_DIR}
T=$B/bench/tcpperf
BYTES=${BENCH_TCP_BYTES:-1073741824}
RR=${BENCH_TCP_RR:-20000}

if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
	echo "bench_tcp: skipped: needs root and /dev/net/tun (TAP and namespaces)"
	exit 0
fi

nu=ulkbu$$ na=ulkba$$ nb=ulkbb$$
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for n in $nu $na $nb; do ip netns del "$n" 2>/dev/null || true; done
	rm -f "$B"/bench/.srv.*
}
trap cleanup EXIT INT TERM

for n in $nu $na $nb; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n $nu tuntap add dev ulkb0 mode tap
ip -n $nu addr add 10.78.0.1/24 dev ulkb0
ip -n $nu link set ulkb0 up
ip link add ulkbva$$ netns $na type veth peer name ulkbvb$$ netns $nb
ip -n $na addr add 10.79.0.1/24 dev ulkbva$$
ip -n $nb addr add 10.79.0.2/24 dev ulkbvb$$
ip -n $na link set ulkbva$$ up
ip -n $nb link set ulkbvb$$ up

# run_side NAME SERVER_NS CLIENT_NS ADDR [server args...]: three connections.
run_side() {
	local name=$1 sns=$2 cns=$3 addr=$4; shift 4
	local out=$B/bench/.srv.$name
	ip netns exec "$sns" "$T" "$@" server 5201 3 >"$out" 2>&1 &
	pids+=($!)
	for _ in $(seq 200); do grep -q READY "$out" && break; sleep 0.05; done
	grep -q READY "$out" || { echo "bench_tcp: $name server did not start:"; cat "$out"; exit 1; }
	ip netns exec "$cns" "$T" client "$addr" 5201 send "$BYTES" >"$out.send"
	ip netns exec "$cns" "$T" client "$addr" 5201 recv "$BYTES" >"$out.recv"
	ip netns exec "$cns" "$T" client "$addr" 5201 rr "$RR" >"$out.rr"
	wait "${pids[-1]}"
}

field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" "$1" | head -1; }
srvcpu() { awk -v m="$2" '$2=="mode="m {sub("cpu_s=","",$4); print $4}' "$1"; }

run_side ulk $nu $nu 10.78.0.2 --ulk-tap ulkb0 --ip 10.78.0.2/24
run_side veth $nb $na 10.79.0.2

line() { # NAME ULK BASE UNIT
	awk -v n="$1" -v u="$2" -v b="$3" -v unit="$4" 'BEGIN {
		printf "%s: ulk=%s %s base=%s %s ratio=%.2f\n", n, u, unit, b, unit, (b > 0 ? u / b : 0) }'
}
S=$B/bench/.srv
line bulk-to-ulk "$(field $S.ulk.send mbps)" "$(field $S.veth.send mbps)" Mbit/s
line bulk-from-ulk "$(field $S.ulk.recv mbps)" "$(field $S.veth.recv mbps)" Mbit/s
line rr-p50 "$(field $S.ulk.rr p50_us)" "$(field $S.veth.rr p50_us)" us
line rr-p99 "$(field $S.ulk.rr p99_us)" "$(field $S.veth.rr p99_us)" us
gb=$(awk -v b="$BYTES" 'BEGIN { print 2 * b / 1e9 }')
cu=$(awk -v a="$(srvcpu $S.ulk s)" -v b="$(srvcpu $S.ulk r)" -v g="$gb" 'BEGIN { printf "%.3f", (a + b) / g }')
cb=$(awk -v a="$(srvcpu $S.veth s)" -v b="$(srvcpu $S.veth r)" -v g="$gb" 'BEGIN { printf "%.3f", (a + b) / g }')
line cpu-per-gb "$cu" "$cb" s/GB
