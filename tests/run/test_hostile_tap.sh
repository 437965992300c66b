#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Hostile traffic through a TAP: a server under ulk-run (tests/run/xfer.c)
# takes verified transfers both ways from the host while
# tests/run/hostile_frames.c floods it, through an AF_PACKET socket on the
# host's end of its TAP, with HOSTILE_FRAMES (default 100,000) random and
# malformed frames taken by the TAP: garbage, bad IPv4, IPv6 and TCP
# headers, tiny, overlapping and never-completed fragments, random TCP
# flags and options, a SYN flood, bad ARP, VLAN and LLC frames.
#
# Then a second flood as large (another seed) during more transfers.
#
# Checks: the floods were delivered; every transfer during them and one
# after them arrived intact (every byte checked); the process survives;
# its resident memory (VmRSS) stays bounded: at most RSS_FIRST_KB more
# after the first flood, at most RSS_SECOND_KB more after the second
# (what the kernel holds under a flood is bounded by its own limits, so
# more of the same must not take more: a leak would); once it is over the
# process is idle (no thread spins: at most 5% of a core over 2 s); it
# still exits on SIGTERM.
#
# The first flood's growth is mostly fragments: each family's queues hold
# up to ipfrag_high_thresh counted by the skbs' truesize, but a fragment
# in a mergeable receive buffer keeps the whole 32 KiB page it was cut
# from: with the kernel's 4 MB, some 2,000 never-completed fragments held
# about 60 MB of ulk's memory (resident from then on) until they expire,
# 30 s later. So the thresholds scale with ulk's memory (1/128 of it:
# 2 MB at 256 MiB, about 32 MB held), and a last flood against a server
# with --mem 32M must leave it alive and serving.
set -uo pipefail
. "$SRC_DIR/tests/run/programs_ns.sh"

XF=$BUILD_DIR/tests/run/xfer
HF=$BUILD_DIR/tests/run/hostile_frames
FRAMES=${HOSTILE_FRAMES:-100000}
RSS_FIRST_KB=$((96 * 1024))
RSS_SECOND_KB=$((8 * 1024))
PORT=5401
MAC=02:00:00:61:00:02
for f in "$XF" "$HF"; do [ -x "$f" ] || { echo "FAIL $f not built"; exit 1; }; done

tap_ns_setup hostile_ ulkp0 $H4/24 $H6/64
trap programs_cleanup EXIT
ULK_NET=(--net tap:ulkp0 --ip $U4/24 --ip6 $U6/64 --mac $MAC --gw $H4)

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
hz=$(getconf CLK_TCK)

ULK_TIMEOUT=200 bg "$tmp/srv.out" ulk "$XF" server $PORT
for _ in $(seq 100); do grep -q READY "$tmp/srv.out" && break; sleep 0.1; done
pid=$(pgrep -f "^$XF server $PORT" | head -1)
if ! grep -q READY "$tmp/srv.out" || [ -z "$pid" ]; then
	bad "the server did not start: $(cat "$tmp/srv.out")"
	exit 1
fi

# client MODE BYTES: one verified transfer from the host, its result line.
client() { in_ns timeout 60 "$XF" client $U4 $PORT "$@" 2>/dev/null; }

# A transfer each way first, so that the buffers a transfer uses are
# resident before the measurement starts.
for mode in send recv; do
	out=$(client $mode $((32 << 20)))
	[[ $out == ok* ]] || bad "transfer ($mode) before the flood: $out"
done
rss0=$(rss "$pid")

# Transfers both ways, one after another in each direction, until the
# flood is over.
loop() {
	local mode=$1 n=0
	while [ -d "$tmp" ] && [ ! -e "$tmp/stop" ]; do
		n=$((n + 1))
		echo "$(client "$mode" $((48 << 20)) --seed $n)"
	done
}

# flood N SEED: one flood during transfers both ways; sets $rss_after.
flood() {
	local lp1 lp2 frc delivered mode n bytes others

	rm -f "$tmp/stop"
	loop send >"$tmp/send.log" & lp1=$!
	loop recv >"$tmp/recv.log" & lp2=$!
	bg_pids+=($lp1 $lp2)
	sleep 0.3
	in_ns "$HF" ulkp0 "$FRAMES" $MAC $U4 $H4 $U6 $PORT "$2" >"$tmp/flood.out" 2>&1
	frc=$?
	touch "$tmp/stop"
	wait $lp1 $lp2
	rss_after=$(rss "$pid")
	[ $frc -eq 0 ] && pass "flood $1: $(head -1 "$tmp/flood.out")" \
		|| bad "flood $1: the frame generator failed ($frc): $(cat "$tmp/flood.out")"
	echo "     kinds: $(sed -n '2,$p' "$tmp/flood.out" | tr -s ' \n' ' ')"
	delivered=$(sed -n 's/.*delivered \([0-9]*\).*/\1/p' "$tmp/flood.out")
	[ "${delivered:-0}" -ge "$FRAMES" ] && pass "flood $1: $delivered hostile frames went into the TAP for ulk" \
		|| bad "flood $1: only ${delivered:-0} hostile frames were delivered (want $FRAMES)"
	if kill -0 "$pid" 2>/dev/null; then pass "flood $1: the server survived"; else bad "flood $1: the server died: $(tail -5 "$tmp/srv.out")"; fi
	for mode in send recv; do
		n=$(grep -c '^ok' "$tmp/$mode.log")
		bytes=$(awk '/^ok/ {s += $3} END {print s + 0}' "$tmp/$mode.log")
		others=$(grep -v '^ok' "$tmp/$mode.log")
		if [ "$n" -gt 0 ] && [ -z "$others" ]; then
			pass "flood $1: $n transfers $([ $mode = send ] && echo host to ulk || echo ulk to host) during it, $bytes bytes, every byte verified"
		else
			bad "flood $1 ($mode): $n transfers ok, others: $(echo "$others" | head -3)"
		fi
	done
}

flood 1 42
rss1=$rss_after
flood 2 4242
rss2=$rss_after
[ -n "$rss0" ] && [ -n "$rss1" ] && [ $((rss1 - rss0)) -le $RSS_FIRST_KB ] \
	&& pass "resident memory bounded: VmRSS $rss0 kB before the floods, $rss1 kB after the first (at most +$RSS_FIRST_KB kB)" \
	|| bad "resident memory: VmRSS ${rss0:-?} kB before the floods, ${rss1:-?} kB after the first (at most +$RSS_FIRST_KB kB)"
[ -n "$rss2" ] && [ -n "$rss1" ] && [ $((rss2 - rss1)) -le $RSS_SECOND_KB ] \
	&& pass "no more memory for more of the same: VmRSS $rss2 kB after the second flood (at most +$RSS_SECOND_KB kB)" \
	|| bad "resident memory grew with the second flood: VmRSS ${rss1:-?} kB -> ${rss2:-?} kB (at most +$RSS_SECOND_KB kB)"

# Idle: nothing left to do but timers (fragment queues expire in 30 s).
sleep 0.5
t1=$(ticks "$pid"); sleep 2; t2=$(ticks "$pid")
cpu=$(( ${t2:-0} - ${t1:-0} ))
[ -n "$t2" ] && [ $cpu -le $((hz / 10)) ] \
	&& pass "idle after the flood: $cpu ticks of CPU in 2 s (limit $((hz / 10)), $hz a second)" \
	|| bad "idle after the flood: ${cpu} ticks of CPU in 2 s (limit $((hz / 10)); alive: ${t2:+yes})"

for mode in send recv; do
	out=$(client $mode $((64 << 20)) --seed 99)
	[[ $out == ok* ]] && pass "after the flood ($mode): $out" || bad "after the flood ($mode): $out"
done
errs=$(grep -E "error|MISMATCH|bad request" "$tmp/srv.out")
[ -z "$errs" ] && pass "the server logged no failed connection" \
	|| bad "the server logged: $(echo "$errs" | head -3)"
grep -E "^ulk:" "$tmp/srv.out" | head -5 | sed 's/^/     /'

t0=$(date +%s%N)
stop_bg
t=$(( ($(date +%s%N) - t0) / 1000000 ))
kill -0 "$pid" 2>/dev/null && bad "the server did not exit on SIGTERM" \
	|| pass "the server exited on SIGTERM in $t ms"

# The same flood against a server with little memory (--mem 32M). Before
# the fragment thresholds scaled with memory (kernel/arch/ulk/kernel/
# netmem.c), never-completed fragments pinned all of it and the kernel
# panicked: "Out of memory and no killable processes".
ULK_NET+=(--mem 32M)
ULK_TIMEOUT=100 bg "$tmp/srv32.out" ulk "$XF" server $PORT
for _ in $(seq 100); do grep -q READY "$tmp/srv32.out" && break; sleep 0.1; done
pid=$(pgrep -f "^$XF server $PORT" | head -1)
if [ -n "$pid" ]; then
	out=$(client send $((16 << 20)))
	in_ns "$HF" ulkp0 "$FRAMES" $MAC $U4 $H4 $U6 $PORT 7 >"$tmp/flood32.out" 2>&1
	sleep 0.5
	if kill -0 "$pid" 2>/dev/null; then
		pass "--mem 32M: the server survived the flood ($(head -1 "$tmp/flood32.out"); VmRSS $(rss "$pid") kB)"
	else
		bad "--mem 32M: the server died in the flood: $(grep -E 'Out of memory|panic' "$tmp/srv32.out" | head -2)"
	fi
	for mode in send recv; do
		out=$(client $mode $((16 << 20)))
		[[ $out == ok* ]] && pass "--mem 32M, after the flood ($mode): $out" \
			|| bad "--mem 32M, after the flood ($mode): $out"
	done
else
	bad "--mem 32M: the server did not start: $(cat "$tmp/srv32.out")"
fi
stop_bg
exit $fail
