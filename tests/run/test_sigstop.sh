#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A program under ulk-run stopped for 30 s (SIGSTOP, then SIGCONT) in the
# middle of two verified transfers with the host (tests/run/xfer.c), one
# each way. While it is stopped it uses no CPU and the transfers stand
# still; once it continues, ulk's clock has jumped 30 s and every timer
# is due at once: both transfers must resume within RESUME_S seconds and
# complete, every byte checked, the process must go idle again once they
# are done (no thread spins), and it still serves; the kernel's log
# (--verbose) shows no stall, warning or bug.
set -uo pipefail
. "$SRC_DIR/tests/run/programs_ns.sh"

XF=$BUILD_DIR/tests/run/xfer
PORT=5421
STOP_S=${SIGSTOP_SECONDS:-30}
RESUME_S=10
[ -x "$XF" ] || { echo "FAIL $XF not built"; exit 1; }

tap_ns_setup sigstop_ ulkp0 $H4/24 $H6/64
trap programs_cleanup EXIT
ULK_NET=(--net tap:ulkp0 --ip $U4/24 --mac 02:00:00:61:00:02 --verbose)
hz=$(getconf CLK_TCK)

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }
last_progress() { sed -n 's/^progress //p' "$1" 2>/dev/null | tail -1; }
progress_past() {
	local i n

	for i in $(seq $(($3 * 20))); do
		n=$(last_progress "$1")
		[ "${n:-0}" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

ULK_TIMEOUT=$((STOP_S + 90)) bg "$tmp/srv.out" ulk "$XF" server $PORT
for _ in $(seq 150); do grep -q READY "$tmp/srv.out" && break; sleep 0.1; done
pid=$(pgrep -f "^$XF server $PORT" | head -1)
[ -n "$pid" ] || { bad "the server did not start: $(cat "$tmp/srv.out")"; exit 1; }

BYTES=$((64 << 20))
in_ns timeout $((STOP_S + 60)) "$XF" client $U4 $PORT send $BYTES --rate 16 --seed 3 \
	>"$tmp/s.out" 2>"$tmp/s.err" & cs=$!
in_ns timeout $((STOP_S + 60)) "$XF" client $U4 $PORT recv $BYTES --rate 16 --seed 4 \
	>"$tmp/r.out" 2>"$tmp/r.err" & cr=$!
if ! progress_past "$tmp/s.err" $((12 << 20)) 15 || ! progress_past "$tmp/r.err" $((12 << 20)) 15; then
	bad "the transfers did not start: $(tail -2 "$tmp/s.err" "$tmp/r.err" "$tmp/s.out" "$tmp/r.out")"
	kill $cs $cr 2>/dev/null
	exit 1
fi

kill -STOP "$pid"
sleep 1
t1=$(ticks "$pid"); s1=$(last_progress "$tmp/s.err"); r1=$(last_progress "$tmp/r.err")
sleep $((STOP_S - 1))
t2=$(ticks "$pid"); s2=$(last_progress "$tmp/s.err"); r2=$(last_progress "$tmp/r.err")
[ "$t1" = "$t2" ] && [ "$r1" = "$r2" ] \
	&& pass "stopped for $STOP_S s: no CPU used, nothing received from ulk (host to ulk: ${s1:-0} -> ${s2:-0}, TCP's window)" \
	|| bad "while stopped: CPU ticks $t1 -> $t2, received from ulk $r1 -> $r2"
kill -CONT "$pid"
t0=$(date +%s%N)

# Both must move again soon, and finish.
resumed=
for _ in $(seq $((RESUME_S * 20))); do
	s3=$(last_progress "$tmp/s.err"); r3=$(last_progress "$tmp/r.err")
	if [ "${s3:-0}" -gt "${s2:-0}" ] && [ "${r3:-0}" -gt "${r2:-0}" ]; then
		resumed=$(( ($(date +%s%N) - t0) / 1000000 ))
		break
	fi
	sleep 0.05
done
[ -n "$resumed" ] && pass "both transfers moved again $resumed ms after SIGCONT" \
	|| bad "the transfers did not resume within $RESUME_S s (host to ulk ${s2:-0} -> ${s3:-0}, ulk to host ${r2:-0} -> ${r3:-0})"
wait $cs; rs=$?
wait $cr; rr=$?
[ $rs -eq 0 ] && pass "host to ulk across the stop: $(cat "$tmp/s.out")" \
	|| bad "host to ulk across the stop (exit $rs): $(cat "$tmp/s.out")"
[ $rr -eq 0 ] && pass "ulk to host across the stop: $(cat "$tmp/r.out")" \
	|| bad "ulk to host across the stop (exit $rr): $(cat "$tmp/r.out")"
grep -q "send ok $BYTES" "$tmp/srv.out" && pass "the server verified all $BYTES bytes it received" \
	|| bad "the server: $(grep conn "$tmp/srv.out" | tail -3)"

sleep 0.5
t1=$(ticks "$pid"); sleep 2; t2=$(ticks "$pid")
cpu=$(( ${t2:-0} - ${t1:-0} ))
[ -n "$t2" ] && [ $cpu -le $((hz / 10)) ] \
	&& pass "idle afterwards: $cpu ticks of CPU in 2 s (limit $((hz / 10)))" \
	|| bad "idle afterwards: $cpu ticks of CPU in 2 s (limit $((hz / 10)); alive: ${t2:+yes})"
out=$(in_ns timeout 30 "$XF" client $U4 $PORT recv $((16 << 20)) 2>/dev/null)
[[ $out == ok* ]] && pass "it still serves: $out" || bad "serving afterwards: $out"
# The kernel log (--verbose): a 30 s jump of the clock is no stall.
k=$(grep -E "stall|WARNING|BUG|Oops|lockup|hung task|Kernel panic" "$tmp/srv.out")
[ -z "$k" ] && pass "the kernel logged no stall, warning or bug" \
	|| bad "the kernel logged: $(echo "$k" | head -3)"
grep '^ulk:' "$tmp/srv.out" | head -3 | sed 's/^/     /'
exit $fail
