#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# TCP with one tool (bench/tcpperf) on both stacks: the host kernel talking
# to a ulk server over a TAP (ulk), beside the host kernel talking to a host
# server across namespaces over veth (base). Figures, each per placement
# (same vCPU, split across two, unpinned; see bench/lib.sh), as the median
# (min..max) of $BENCH_RUNS runs interleaved ulk, base, ulk, base after a
# warm-up, every run a fresh server:
#
#   bulk-to-ulk, bulk-from-ulk   one connection, $BENCH_TCP_BYTES bytes, Mbit/s
#   cpu-per-gb-to-ulk, -from-ulk the same runs: machine-wide busy CPU time
#                                (/proc/stat, every thread of both sides,
#                                softirqs included) per GB, idle rate
#                                (reported as idle=) subtracted
#   rr-p50, rr-p99               $BENCH_TCP_RR one-byte round trips, us
#   crr-rate, crr-p50, crr-p99   $BENCH_TCP_CRR connections in turn, each
#                                connect, one-byte request and response,
#                                close: connections/s and us per connection
#   streams-to-ulk               $BENCH_TCP_STREAMS concurrent connections
#                                sharing $BENCH_TCP_BYTES, aggregate Mbit/s
#   cpu-per-gb-streams-to-ulk    the same runs' CPU time per GB
#
# Usage: bench/bench_tcp.sh BUILD_DIR. Needs root (namespaces, TAP); says
# so otherwise. Knobs: those of bench/lib.sh, and BENCH_TCP_BYTES
# (536870912), BENCH_TCP_RR (10000), BENCH_TCP_CRR (2000),
# BENCH_TCP_STREAMS (100).
set -euo pipefail

B=${1:?usage: bench/bench_tcp.sh BUILD_DIR}
T=$B/bench/tcpperf
BYTES=${BENCH_TCP_BYTES:-536870912}
RR=${BENCH_TCP_RR:-10000}
CRR=${BENCH_TCP_CRR:-2000}
STREAMS=${BENCH_TCP_STREAMS:-100}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_init bench_tcp
[ -x "$T" ] || bench_die "$T is missing (make $T)"

nu=bu$$ na=ba$$ nb=bb$$ tap=bt$$
H=10.78.0.1 U=10.78.0.2 VA=10.79.0.1 VB=10.79.0.2
bench_netns $nu $na $nb
bench_tap $nu $tap $H/24
bench_veth $na $VA/24 $nb $VB/24

# tcp SIDE MODE AMOUNT [CLIENT OPTIONS]: one run against a fresh server:
# ulk's on the TAP, or the host's across the veth. Records the client's
# key=value results and the window's cpu_per_gb.
tcp() {
	local side=$1 mode=$2 amount=$3 sns cns addr srv srvpin
	shift 3
	if [ "$side" = ulk ]; then
		bench_tap_fresh $nu $tap
		sns=$nu cns=$nu addr=$U srv=(--ulk-tap $tap --ip $U/24)
	else
		sns=$nb cns=$na addr=$VB srv=()
	fi
	bench_pin 1
	srvpin=("${PIN[@]}")
	bench_pin 2
	bench_pair out:READY 60 \
		"${srvpin[@]}" ip netns exec $sns "$T" "${srv[@]}" server 5201 0 ::client:: \
		"${PIN[@]}" ip netns exec $cns "$T" "$@" client $addr 5201 "$mode" "$amount" || return 1
	grep -q '_us=\|mbps=' "$BENCH_TMP/cli.out" || { BENCH_WHY="client printed: $(cat "$BENCH_TMP/cli.out")"; return 1; }
	bench_result "$(tail -1 "$BENCH_TMP/cli.out" | cut -d' ' -f2-)" "cpu_per_gb=$(bench_cpu_net "$amount")"
}

echo "bench_tcp: tcpperf, host kernel to ulk over a TAP (ulk) vs. host kernel to host kernel across namespaces over veth (base)"

bench_figure --idle to tcp send "$BYTES"
bench_report to bulk-to-ulk mbps Mbit/s
bench_report to cpu-per-gb-to-ulk cpu_per_gb s/GB
bench_figure --idle from tcp recv "$BYTES"
bench_report from bulk-from-ulk mbps Mbit/s
bench_report from cpu-per-gb-from-ulk cpu_per_gb s/GB
bench_figure rr tcp rr "$RR"
bench_report rr rr-p50 p50_us us
bench_report rr rr-p99 p99_us us
bench_figure crr tcp crr "$CRR"
bench_report crr crr-rate rate conn/s
bench_report crr crr-p50 p50_us us
bench_report crr crr-p99 p99_us us
bench_figure --idle streams tcp send "$BYTES" --streams "$STREAMS"
bench_report streams streams-to-ulk mbps Mbit/s
bench_report streams cpu-per-gb-streams-to-ulk cpu_per_gb s/GB
bench_finish
