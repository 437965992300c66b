#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Unmodified programs (iperf3, sockperf) under ulk-run, talking to the host
# kernel over a TAP, side by side with the same programs on the host kernel
# talking to itself across namespaces over veth, in one run. Prints
# iperf3-to-ulk, iperf3-from-ulk, iperf3-client-ulk, sockperf-avg,
# sockperf-p50, sockperf-p99, sockperf-client-ulk-p50 and
# sockperf-client-ulk-p99 lines in the benchmark format (ratio = ulk/base).
# Needs root (namespaces, TAP); says so otherwise.
set -euo pipefail

B=${1:?usage: bench/bench_programs.sh BUILD_DIR}
RUN=$B/bin/ulk-run
SECS=${BENCH_PROGRAMS_SECONDS:-5}

if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
	echo "bench_programs: skipped: needs root and /dev/net/tun (TAP and namespaces)"
	exit 0
fi
for p in iperf3 sockperf python3; do
	command -v $p >/dev/null || { echo "bench_programs: skipped: $p is not installed"; exit 0; }
done
[ -x "$RUN" ] || { echo "bench_programs: $RUN is missing (make lib)"; exit 1; }

nu=ulkpu$$ na=ulkpa$$ nb=ulkpb$$ tap=ulkpt$$
H=10.76.0.1 U=10.76.0.2 VA=10.77.0.1 VB=10.77.0.2
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for n in $nu $na $nb; do ip netns del "$n" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

for n in $nu $na $nb; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n $nu tuntap add dev $tap mode tap
ip -n $nu addr add $H/24 dev $tap
ip -n $nu link set $tap up
ip link add ulkpva$$ netns $na type veth peer name ulkpvb$$ netns $nb
ip -n $na addr add $VA/24 dev ulkpva$$
ip -n $nb addr add $VB/24 dev ulkpvb$$
ip -n $na link set ulkpva$$ up
ip -n $nb link set ulkpvb$$ up

# ulk PROGRAM ARGS...: exec PROGRAM under ulk-run on ulk's side of the TAP
# ($U). It execs: run it through start only.
ulk() {
	exec ip netns exec $nu "$RUN" --net tap:$tap --ip $U/24 -- "$@"
}
# on NS PROGRAM ARGS...: exec PROGRAM on the host kernel in namespace NS.
on() { local ns=$1; shift; exec ip netns exec "$ns" "$@"; }

# start NAME CMD...: CMD in the background (pid in $last), output in
# $tmp/NAME and $tmp/NAME.err. Every exec'ing layer keeps the pid, so
# killing $last kills the program itself.
declare -A cmds
start() {
	local name=$1; shift
	cmds[$name]="$*"
	"$@" >"$tmp/$name" 2>"$tmp/$name.err" &
	last=$!
	pids+=("$last")
}

# fail NAME WHAT: say what went wrong with NAME, show its output, exit 1.
fail() {
	echo "bench_programs: $1: $2"
	echo "  command: ${cmds[$1]}"
	echo "  --- stdout:"; sed 's/^/  /' "$tmp/$1"
	echo "  --- stderr:"; sed 's/^/  /' "$tmp/$1.err"
	exit 1
}

# finish NAME PID SECONDS: wait for PID (started as NAME) at most SECONDS;
# its exit status in $rc. A hang fails the run.
finish() {
	local name=$1 pid=$2 i
	for ((i = 0; i < $3 * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		fail "$name" "still running after $3 s (killed)"
	fi
	rc=0; wait "$pid" || rc=$?
	for i in "${!pids[@]}"; do [ "${pids[$i]}" != "$pid" ] || unset "pids[$i]"; done
}

# run NAME SECONDS CMD...: CMD in the foreground, at most SECONDS; status in $rc.
run() { local name=$1 t=$2; shift 2; start "$name" "$@"; finish "$name" $last "$t"; }

# stop NAME PID: stop a server that should still be running.
stop() {
	kill -0 "$2" 2>/dev/null || { wait "$2" || true; fail "$1" "exited early"; }
	kill "$2"
	finish "$1" "$2" 10
}

# wait_listen NAME PID NS PORT: until a host kernel server listens.
wait_listen() {
	local i
	for i in $(seq 200); do
		ip netns exec "$3" ss -Htln "sport = :$4" | grep -q . && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	fail "$1" "not listening on port $4"
}

# wait_connect NAME PID NS ADDR PORT: until a connection there succeeds (a
# server under ulk-run: its socket is in ulk, out of the host's ss's sight).
wait_connect() {
	local i
	for i in $(seq 100); do
		ip netns exec "$3" timeout 1 bash -c "exec 3<>/dev/tcp/$4/$5" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	fail "$1" "nothing accepts connections on $4 port $5"
}

# iperf3 -J output: received Mbit/s, or "error: ..." (iperf3 3.12 exits 0
# after printing a JSON error).
mbps() {
	python3 - "$1" <<'EOF'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
    print("error: " + j["error"] if "error" in j else
          "%.1f" % (j["end"]["sum_received"]["bits_per_second"] / 1e6))
except Exception as e:
    print("error: no iperf3 result (%s)" % e)
EOF
}

# iperf NAME SERVER_CMD... -- CLIENT_CMD...: one iperf3 -s -1 run; result in
# $tmp/NAME.mbps. A server under ulk-run cannot be probed (iperf3 -1 takes
# the probe for its one client and exits), so a refused client is retried.
iperf() {
	local name=$1 srv=() r; shift
	while [ "$1" != -- ]; do srv+=("$1"); shift; done; shift
	start "$name-server" "${srv[@]}"
	local spid=$last
	[ "${srv[0]}" = ulk ] || wait_listen "$name-server" $spid "${srv[1]}" 5201
	local until=$((SECONDS + 10))
	while :; do
		run "$name" $((SECS + 20)) "$@"
		r=$(mbps "$tmp/$name")
		case $r in
		*"unable to connect"*) kill -0 $spid 2>/dev/null && [ $SECONDS -lt $until ] && { sleep 0.1; continue; } ;;
		esac
		break
	done
	[ "$rc" -eq 0 ] && [ "${r%%:*}" != error ] || fail "$name" "exit status $rc, $r"
	finish "$name-server" $spid 15
	[ "$rc" -eq 0 ] || fail "$name-server" "exit status $rc"
	echo "$r" >"$tmp/$name.mbps"
}

# sock NAME SERVER_CMD... -- CLIENT_CMD...: one sockperf ping-pong run;
# client output in $tmp/NAME.
sock() {
	local name=$1 srv=(); shift
	while [ "$1" != -- ]; do srv+=("$1"); shift; done; shift
	start "$name-server" "${srv[@]}"
	local spid=$last
	if [ "${srv[0]}" = ulk ]; then
		wait_connect "$name-server" $spid $nu $U 11111
	else
		wait_listen "$name-server" $spid "${srv[1]}" 11111
	fi
	run "$name" $((SECS + 20)) "$@"
	[ "$rc" -eq 0 ] && grep -q 'percentile 99.000 =' "$tmp/$name" || fail "$name" "exit status $rc, no percentiles"
	stop "$name-server" $spid
}

C=(iperf3 -t "$SECS" -J --connect-timeout 1000)
P=(sockperf pp --tcp -p 11111 -t "$SECS")
echo "bench_programs: unmodified iperf3 and sockperf under ulk-run over a TAP (ulk)" \
	"vs. the same on the host kernel across namespaces over veth (base)"

iperf to-ulk ulk iperf3 -s -1 -- on $nu "${C[@]}" -c $U
iperf to-base on $nb iperf3 -s -1 -- on $na "${C[@]}" -c $VB
iperf from-ulk ulk iperf3 -s -1 -- on $nu "${C[@]}" -c $U -R
iperf from-base on $nb iperf3 -s -1 -- on $na "${C[@]}" -c $VB -R
iperf client-ulk on $nu iperf3 -s -1 -- ulk "${C[@]}" -c $H
iperf client-base on $nb iperf3 -s -1 -- on $na "${C[@]}" -c $VB

sock sp-ulk ulk sockperf sr --tcp -i $U -p 11111 -- on $nu "${P[@]}" -i $U
sock sp-base on $nb sockperf sr --tcp -i $VB -p 11111 -- on $na "${P[@]}" -i $VB
sock spc-ulk on $nu sockperf sr --tcp -i $H -p 11111 -- ulk "${P[@]}" -i $H
sock spc-base on $nb sockperf sr --tcp -i $VB -p 11111 -- on $na "${P[@]}" -i $VB

mb() { cat "$tmp/$1.mbps"; }
pct() { sed -n "s/.*percentile $2 = *\([0-9.]*\).*/\1/p" "$tmp/$1"; }
avg() { sed -n 's/.*Summary: Latency is \([0-9.]*\) usec.*/\1/p' "$tmp/$1"; }
line() { # NAME ULK BASE UNIT
	awk -v n="$1" -v u="$2" -v b="$3" -v unit="$4" 'BEGIN {
		printf "%s: ulk=%s %s base=%s %s ratio=%.2f\n", n, u, unit, b, unit, (b > 0 ? u / b : 0) }'
}
line iperf3-to-ulk "$(mb to-ulk)" "$(mb to-base)" Mbit/s
line iperf3-from-ulk "$(mb from-ulk)" "$(mb from-base)" Mbit/s
line iperf3-client-ulk "$(mb client-ulk)" "$(mb client-base)" Mbit/s
line sockperf-avg "$(avg sp-ulk)" "$(avg sp-base)" us
line sockperf-p50 "$(pct sp-ulk 50.000)" "$(pct sp-base 50.000)" us
line sockperf-p99 "$(pct sp-ulk 99.000)" "$(pct sp-base 99.000)" us
line sockperf-client-ulk-p50 "$(pct spc-ulk 50.000)" "$(pct spc-base 50.000)" us
line sockperf-client-ulk-p99 "$(pct spc-ulk 99.000)" "$(pct spc-base 99.000)" us
