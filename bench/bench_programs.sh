#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Unmodified programs under ulk-run, talking to the host kernel over a TAP
# (ulk), beside the same programs on the host kernel talking to each other
# across namespaces over veth (base). Each figure per placement (same vCPU,
# split across two, unpinned; see bench/lib.sh) as the median (min..max) of
# $BENCH_RUNS runs interleaved ulk, base, ulk, base after a warm-up, each
# run with a fresh server; ratio = ulk/base:
#
#   iperf3-to-ulk, iperf3-from-ulk   iperf3 server under ulk-run, the host's
#                                    client sending (-R: receiving), Mbit/s
#   iperf3-client-ulk                iperf3 client under ulk-run sending to a
#                                    host server, Mbit/s
#   sockperf-avg, -p50, -p99         sockperf ping-pong, server under
#                                    ulk-run, us
#   sockperf-client-ulk-p50, -p99    the client under ulk-run, us
#   nginx-rps, nginx-p99             single-process nginx under ulk-run
#                                    serving a 1 KiB file to wrk on the host
#                                    (1 thread, keep-alive, 100 connections):
#                                    requests/s and wrk's p99 latency, us
#   redis-rps, redis-p99             redis-server under ulk-run (epoll, no
#                                    persistence), redis-benchmark GET from
#                                    the host with 100 connections
#
# Each timed run lasts $BENCH_SECONDS (whole seconds); redis runs are
# $BENCH_REDIS_REQUESTS requests (30000). Usage: bench/bench_programs.sh
# BUILD_DIR. Needs root (namespaces, TAP); says so otherwise. Knobs: those
# of bench/lib.sh.
set -euo pipefail

B=${1:?usage: bench/bench_programs.sh BUILD_DIR}
RUN=$B/bin/ulk-run
REDIS_N=${BENCH_REDIS_REQUESTS:-30000}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_init bench_programs
bench_need iperf3 sockperf nginx wrk redis-server redis-benchmark
[ -x "$RUN" ] || bench_die "$RUN is missing (make lib)"
case $BENCH_SECONDS in '' | *[!0-9]* | 0) bench_die "BENCH_SECONDS must be whole seconds here" ;; esac
S=$BENCH_SECONDS

nu=pu$$ na=pa$$ nb=pb$$ tap=pt$$
H=10.76.0.1 U=10.76.0.2 VA=10.77.0.1 VB=10.77.0.2
bench_netns $nu $na $nb
bench_tap $nu $tap $H/24
bench_veth $na $VA/24 $nb $VB/24

mkdir -p "$BENCH_TMP/www"
head -c 1024 /dev/urandom >"$BENCH_TMP/www/small.bin"

# ends SIDE ROLE: the commands for the two ends of one run. ROLE is
# "server" (ulk's side, end 1, serves) or "client" (ulk's side is the
# client). Sets SRV and CLI (command prefixes, pinned for the placement),
# A (the server's address) and SNS (a namespace that reaches it).
ends() {
	local side=$1 role=$2 one two

	if [ "$side" = ulk ]; then
		bench_tap_fresh $nu $tap
		one=(ip netns exec $nu "$RUN" --net tap:$tap --ip $U/24 --gw $H --)
		two=(ip netns exec $nu)
		[ "$role" = server ] && A=$U || A=$H
		SNS=$nu
	else
		one=(ip netns exec $nb) two=(ip netns exec $na)
		A=$VB SNS=$na
		[ "$role" = server ] || { one=(ip netns exec $na) two=(ip netns exec $nb); }
	fi
	bench_pin 1
	one=("${PIN[@]}" "${one[@]}")
	bench_pin 2
	two=("${PIN[@]}" "${two[@]}")
	if [ "$role" = server ]; then SRV=("${one[@]}") CLI=("${two[@]}"); else SRV=("${two[@]}") CLI=("${one[@]}"); fi
}

# field FILE AWK-ARGS...: a number out of a client's output, or failure.
field() {
	local v

	v=$(awk "${@:2}" "$BENCH_TMP/$1")
	[ -n "$v" ] || { BENCH_WHY="no result in $1: $(tail -c 300 "$BENCH_TMP/$1" | tr '\n' ' ')"; return 1; }
	echo "$v"
}

# iperf SIDE ROLE [CLIENT OPTIONS]: one iperf3 run, the receiver's Mbit/s.
iperf() {
	local side=$1 role=$2 v
	shift 2
	ends "$side" "$role"
	bench_pair "out:Server listening" $((S + 30)) \
		"${SRV[@]}" iperf3 -s -p 5201 --forceflush ::client:: \
		"${CLI[@]}" iperf3 -c $A -p 5201 -t "$S" -f m --connect-timeout 3000 "$@" || return 1
	v=$(field cli.out '/receiver/ { for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") v = $(i - 1) } END { print v }') || return 1
	bench_result mbps="$v"
}

# sock SIDE ROLE: one sockperf ping-pong run: average, p50 and p99 in us.
sock() {
	local side=$1 role=$2 avg p50 p99
	ends "$side" "$role"
	bench_pair "tcp:$SNS:$A:11111" $((S + 30)) \
		"${SRV[@]}" sockperf sr --tcp -i $A -p 11111 ::client:: \
		"${CLI[@]}" sockperf pp --tcp -i $A -p 11111 -t "$S" || return 1
	avg=$(field cli.out '/Summary: Latency is/ { print $(NF - 1) }') || return 1
	p50=$(field cli.out '/percentile 50.000 =/ { print $NF }') || return 1
	p99=$(field cli.out '/percentile 99.000 =/ { print $NF }') || return 1
	bench_result avg="$avg" p50="$p50" p99="$p99"
}

# nginx_conf DIR: a single-process nginx configuration (no fork: ulk-run
# serves no child) with everything under DIR, serving $BENCH_TMP/www.
nginx_conf() {
	mkdir -p "$1"
	cat >"$1/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
error_log $1/error.log;
pid $1/nginx.pid;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 1000000;
	client_body_temp_path $1/body;
	proxy_temp_path $1/proxy;
	fastcgi_temp_path $1/fastcgi;
	uwsgi_temp_path $1/uwsgi;
	scgi_temp_path $1/scgi;
	server { listen 8080; root $BENCH_TMP/www; }
}
CONF
}

# to_us VALUE: wrk's latency ("812.00us", "1.52ms", "1.01s") in us.
to_us() {
	awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		printf "%.1f", u == "ms" ? n * 1000 : u == "s" ? n * 1e6 : n }'
}

# http SIDE: wrk against nginx: requests/s and p99 (us). Error responses
# or socket errors fail the run.
http() {
	local side=$1 rps p99 d=$BENCH_TMP/nginx-$1
	ends "$side" server
	nginx_conf "$d"
	bench_pair "tcp:$SNS:$A:8080" $((S + 30)) \
		"${SRV[@]}" nginx -c "$d/nginx.conf" -e "$d/error.log" ::client:: \
		"${CLI[@]}" wrk -t 1 -c 100 -d "${S}s" --latency "http://$A:8080/small.bin" || return 1
	if grep -q 'Non-2xx\|Socket errors' "$BENCH_TMP/cli.out"; then
		BENCH_WHY="wrk: $(grep 'Non-2xx\|Socket errors' "$BENCH_TMP/cli.out" | tr '\n' ' ')"
		return 1
	fi
	rps=$(field cli.out '/^Requests\/sec:/ { print $2 }') || return 1
	p99=$(field cli.out '$1 == "99%" { print $2 }') || return 1
	bench_result rps="$rps" p99="$(to_us "$p99")"
}

# redis SIDE: redis-benchmark GET against redis-server: requests/s and
# p99 (us).
redis() {
	local side=$1 rps p99
	ends "$side" server
	bench_pair "tcp:$SNS:$A:6379" $((S + 60)) \
		"${SRV[@]}" redis-server --port 6379 --bind 0.0.0.0 --protected-mode no \
		--save '' --appendonly no --daemonize no --dir "$BENCH_TMP" ::client:: \
		"${CLI[@]}" redis-benchmark -h $A -p 6379 -c 100 -n "$REDIS_N" -t get --csv || return 1
	rps=$(field cli.out -F'"' '$2 == "GET" { print $4 }') || return 1
	p99=$(field cli.out -F'"' '$2 == "GET" { print $14 * 1000 }') || return 1
	bench_result rps="$rps" p99="$p99"
}

echo "bench_programs: unmodified programs under ulk-run over a TAP (ulk)" \
	"vs. the same on the host kernel across namespaces over veth (base)"

bench_figure iperf-to iperf server
bench_report iperf-to iperf3-to-ulk mbps Mbit/s
bench_figure iperf-from iperf server -R
bench_report iperf-from iperf3-from-ulk mbps Mbit/s
bench_figure iperf-client iperf client
bench_report iperf-client iperf3-client-ulk mbps Mbit/s
bench_figure sockperf sock server
bench_report sockperf sockperf-avg avg us
bench_report sockperf sockperf-p50 p50 us
bench_report sockperf sockperf-p99 p99 us
bench_figure sockperf-client sock client
bench_report sockperf-client sockperf-client-ulk-p50 p50 us
bench_report sockperf-client sockperf-client-ulk-p99 p99 us
bench_figure nginx http
bench_report nginx nginx-rps rps req/s
bench_report nginx nginx-p99 p99 us
bench_figure redis redis
bench_report redis redis-rps rps req/s
bench_report redis redis-p99 p99 us
bench_finish
