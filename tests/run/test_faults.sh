#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Faults in the middle of verified transfers (tests/run/xfer.c) between
# the host and a program under ulk-run over a TAP. Each side must either
# recover or fail with a clear error; nothing may hang or spin.
#
#  1. the host peer is killed (SIGKILL) while it sends to ulk, and while
#     it receives from ulk: the server under ulk-run reports the broken
#     connection and goes on serving;
#  2. the program under ulk-run is killed while the host sends to it: a
#     new one on the same TAP and address answers the host's
#     retransmissions with a reset, so the host fails with "Connection
#     reset by peer" instead of waiting for minutes, and the new one
#     serves;
#  3. ulk is the client and its host peer is killed: its send fails with
#     ECONNRESET, its receive with a premature end of stream;
#  4. the host takes the TAP down for 2 s in the middle of transfers both
#     ways: ulk says the link is down (once) and the program sees its
#     interface lose IFF_RUNNING, nothing spins meanwhile, and once the
#     TAP is up again ulk says so, the program sees IFF_RUNNING again and
#     both transfers complete, every byte checked. Before, the first write
#     to the down TAP (EIO) was taken for the TAP's end: ulk declared the
#     device dead for good and the transfers hung;
#  5. a TAP that is down when the program starts: the link is down until
#     the host brings the TAP up, then a transfer goes through (before,
#     the device was dead from the first packet on).
#  6. the TAP deleted in the middle of a transfer from ulk: the program
#     sees its link go down, ulk says the TAP is gone, nothing spins, and
#     SIGTERM still ends the program although its data can go nowhere.
# (A deleted TAP while idle: test_tap_gone.sh; a process stopped for 30 s:
# test_sigstop.sh.)
set -uo pipefail
. "$SRC_DIR/tests/run/programs_ns.sh"

XF=$BUILD_DIR/tests/run/xfer
PORT=5411
MAC=02:00:00:61:00:02
[ -x "$XF" ] || { echo "FAIL $XF not built"; exit 1; }

tap_ns_setup faults_ ulkp0 $H4/24 $H6/64
trap programs_cleanup EXIT
ULK_NET=(--net tap:ulkp0 --ip $U4/24 --ip6 $U6/64 --mac $MAC)
hz=$(getconf CLK_TCK)

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }

# wait_for FILE PATTERN SECONDS: until a line of FILE matches.
wait_for() {
	local i

	for i in $(seq $(($3 * 20))); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# progress_past FILE BYTES SECONDS: until the client's stderr shows BYTES.
progress_past() {
	local i n

	for i in $(seq $(($3 * 20))); do
		n=$(sed -n 's/^progress //p' "$1" 2>/dev/null | tail -1)
		[ "${n:-0}" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# xfer_under PID: the xfer process PID is or started (through ip netns
# exec, timeout, ulk-run), to be killed alone.
xfer_under() {
	local p

	for p in "$1" $(descendants "$1"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = xfer ] && { echo "$p"; return; }
	done
}

# start_server LOG: the server under ulk-run; sets $spid (its process).
start_server() {
	ULK_TIMEOUT=120 bg "$1" ulk "$XF" server $PORT --watch-link
	spid=
	if wait_for "$1" READY 15; then
		spid=$(pgrep -f "^$XF server $PORT" | head -1)
	fi
	[ -n "$spid" ] || { bad "the server did not start: $(cat "$1")"; exit 1; }
}

# client OUT ERR MODE BYTES [OPTS]: a host client in the background; $!.
client_bg() {
	local out=$1 err=$2; shift 2
	in_ns timeout 60 "$XF" client $U4 $PORT "$@" >"$out" 2>"$err" &
}

client() { in_ns timeout 60 "$XF" client $U4 $PORT "$@" 2>/dev/null; }

start_server "$tmp/srv.out"

# --- 1. the host peer killed mid-transfer ------------------------------------
for mode in send recv; do
	client_bg "$tmp/c.out" "$tmp/c.err" $mode $((512 << 20)) --rate 40
	c=$!
	if progress_past "$tmp/c.err" $((8 << 20)) 10; then
		kill -KILL "$(xfer_under $c)"
		wait $c 2>/dev/null
		if wait_for "$tmp/srv.out" "conn [0-9]+ $mode error" 5; then
			pass "host peer killed while $([ $mode = send ] && echo sending to || echo receiving from) ulk: the server says: $(grep -E "conn [0-9]+ $mode error" "$tmp/srv.out" | tail -1)"
		else
			bad "host peer killed ($mode): the server reported nothing in 5 s: $(tail -n 3 "$tmp/srv.out")"
		fi
	else
		bad "the $mode transfer did not start: $(cat "$tmp/c.out" "$tmp/c.err" | tail -3)"
		kill $c 2>/dev/null
	fi
done
for mode in send recv; do
	out=$(client $mode $((16 << 20)))
	[[ $out == ok* ]] && pass "the server still serves ($mode): $out" \
		|| bad "the server after its peers died ($mode): $out"
done

# --- 4. the TAP down for 2 s in the middle of transfers both ways -----------------
client_bg "$tmp/s.out" "$tmp/s.err" send $((96 << 20)) --rate 24 --seed 7; cs=$!
client_bg "$tmp/r.out" "$tmp/r.err" recv $((96 << 20)) --rate 24 --seed 8; cr=$!
if progress_past "$tmp/s.err" $((16 << 20)) 15 && progress_past "$tmp/r.err" $((16 << 20)) 15; then
	ip -n "$ns" link set ulkp0 down
	wait_for "$tmp/srv.out" "^link [a-z0-9]+ down" 3 \
		&& pass "the program saw its link go down: $(grep -E "^link [a-z0-9]+ down" "$tmp/srv.out" | head -1)" \
		|| bad "the program did not see its link go down"
	sleep 0.3
	t1=$(ticks "$spid"); sleep 1.5; t2=$(ticks "$spid")
	cpu=$(( ${t2:-0} - ${t1:-0} ))
	[ -n "$t2" ] && [ $cpu -le $((hz * 3 / 40)) ] \
		&& pass "while the TAP was down the process used $cpu ticks in 1.5 s (limit $((hz * 3 / 40)))" \
		|| bad "while the TAP was down the process used $cpu ticks in 1.5 s (limit $((hz * 3 / 40)); alive: ${t2:+yes})"
	ip -n "$ns" link set ulkp0 up
	ip -n "$ns" addr add $H6/64 dev ulkp0 nodad 2>/dev/null	# IPv6 drops it
	wait_for "$tmp/srv.out" "^link [a-z0-9]+ up" 5 \
		&& pass "the program saw its link come back: $(grep -E "^link [a-z0-9]+ up" "$tmp/srv.out" | head -1)" \
		|| bad "the program did not see its link come back"
	wait $cs; rs=$?
	wait $cr; rr=$?
	[ $rs -eq 0 ] && pass "host to ulk across the outage: $(cat "$tmp/s.out")" \
		|| bad "host to ulk across the outage (exit $rs): $(cat "$tmp/s.out")"
	[ $rr -eq 0 ] && pass "ulk to host across the outage: $(cat "$tmp/r.out")" \
		|| bad "ulk to host across the outage (exit $rr): $(cat "$tmp/r.out")"
	n=$(grep -c "ulkp0: carrier lost" "$tmp/srv.out")
	m=$(grep -c "ulkp0: carrier back" "$tmp/srv.out")
	[ "$n" = 1 ] && [ "$m" = 1 ] \
		&& pass "ulk said so once each way: $(grep -E 'ulkp0: carrier (lost|back)' "$tmp/srv.out" | tr '\n' '|')" \
		|| bad "ulk's messages: $n 'carrier lost', $m 'carrier back': $(grep '^ulk:' "$tmp/srv.out" | head -3)"
	grep -q "no more packets will pass" "$tmp/srv.out" \
		&& bad "ulk took the TAP for gone: $(grep 'no more packets' "$tmp/srv.out")"
else
	bad "the transfers before the outage did not start: $(tail -n 2 "$tmp/s.err" "$tmp/r.err" "$tmp/s.out" "$tmp/r.out")"
	kill $cs $cr 2>/dev/null
fi

# --- 2. the program under ulk-run killed while the host sends ------------------------
client_bg "$tmp/k.out" "$tmp/k.err" send $((512 << 20)) --rate 40; c=$!
if progress_past "$tmp/k.err" $((8 << 20)) 10; then
	kill -KILL "$spid"
	wait "${bg_pids[@]}" 2>/dev/null	# the TAP is free once it is gone
	bg_pids=()
	t0=$(date +%s)
	start_server "$tmp/srv2.out"
	wait $c; rc=$?
	t=$(( $(date +%s) - t0 ))
	[ $rc -eq 1 ] && grep -q "reset by peer" "$tmp/k.out" \
		&& pass "ulk killed while the host sent to it: a new ulk answered, the host failed in $t s: $(cat "$tmp/k.out")" \
		|| bad "ulk killed while the host sent to it: host client exit $rc after $t s: $(cat "$tmp/k.out")"
	out=$(client send $((16 << 20)))
	[[ $out == ok* ]] && pass "the new server serves: $out" || bad "the new server: $out"
else
	bad "the transfer to kill did not start: $(tail -n 2 "$tmp/k.err" "$tmp/k.out")"
	kill $c 2>/dev/null
fi
stop_bg

# --- 3. ulk the client, its host peer killed ------------------------------------------
for mode in send recv; do
	bg "$tmp/hs.out" in_ns "$XF" server 5412
	hs=${bg_pids[-1]}
	wait_for "$tmp/hs.out" READY 5 || bad "the host server did not start"
	ULK_TIMEOUT=60 ulk "$XF" client $H4 5412 $mode $((512 << 20)) --rate 40 \
		>"$tmp/u.out" 2>"$tmp/u.err" &
	u=$!
	if progress_past "$tmp/u.err" $((8 << 20)) 15; then
		t0=$(date +%s%N)
		kill -KILL "$(xfer_under $hs)"
		wait $u; rc=$?
		t=$(( ($(date +%s%N) - t0) / 1000000 ))
		[ $rc -eq 1 ] && grep -qE "^error after" "$tmp/u.out" && [ $t -lt 10000 ] \
			&& pass "ulk's client, its host peer killed ($mode): failed in $t ms: $(cat "$tmp/u.out")" \
			|| bad "ulk's client, its host peer killed ($mode): exit $rc after $t ms: $(cat "$tmp/u.out") $(tail -n 2 "$tmp/u.err")"
	else
		bad "ulk's client ($mode) did not start: $(tail -n 3 "$tmp/u.out" "$tmp/u.err")"
		kill $u 2>/dev/null
	fi
	stop_bg
done

# --- 5. the TAP down when the program starts --------------------------------------
ip -n "$ns" link set ulkp0 down
start_server "$tmp/srv3.out"
sleep 1			# ulk sends at boot (IPv6 DAD, MLD)
ip -n "$ns" link set ulkp0 up
ip -n "$ns" addr add $H6/64 dev ulkp0 nodad 2>/dev/null
sleep 0.5
out=$(client send $((16 << 20)))
[[ $out == ok* ]] && pass "a TAP down at start, then up: $out" \
	|| bad "a TAP down at start, then up: $out $(grep '^ulk:' "$tmp/srv3.out" | head -3)"
grep -q "ulkp0: no carrier" "$tmp/srv3.out" && grep -q "ulkp0: carrier back" "$tmp/srv3.out" \
	&& pass "ulk said the link was down at start, then up: $(grep -E 'ulkp0: (no carrier|carrier back)' "$tmp/srv3.out" | tr '\n' '|')" \
	|| bad "ulk's messages about a TAP down at start: $(grep '^ulk:' "$tmp/srv3.out" | head -3)"
grep -q "no more packets will pass" "$tmp/srv3.out" \
	&& bad "ulk took the down TAP for gone: $(grep 'no more packets' "$tmp/srv3.out")"

# --- 6. the TAP deleted in the middle of a transfer from ulk ------------------------
client_bg "$tmp/d.out" "$tmp/d.err" recv $((512 << 20)) --rate 40; c=$!
if progress_past "$tmp/d.err" $((8 << 20)) 10; then
	ip -n "$ns" link del ulkp0
	wait_for "$tmp/srv3.out" "^link [a-z0-9]+ down" 3 \
		&& pass "TAP deleted mid-transfer: the program saw its link go down" \
		|| bad "TAP deleted mid-transfer: the program did not see its link go down"
	sleep 0.3
	t1=$(ticks "$spid"); sleep 1.5; t2=$(ticks "$spid")
	cpu=$(( ${t2:-0} - ${t1:-0} ))
	[ -n "$t2" ] && [ $cpu -le $((hz * 3 / 40)) ] \
		&& pass "TAP deleted mid-transfer: the process used $cpu ticks in 1.5 s (limit $((hz * 3 / 40)))" \
		|| bad "TAP deleted mid-transfer: the process used $cpu ticks in 1.5 s (alive: ${t2:+yes})"
	grep -q "ulkp0: peer gone; the link is down" "$tmp/srv3.out" \
		&& pass "ulk said the TAP is gone: $(grep 'ulkp0: peer gone' "$tmp/srv3.out")" \
		|| bad "ulk did not say the TAP is gone: $(grep '^ulk:' "$tmp/srv3.out" | tail -n 2)"
	# Its unsent data cannot go anywhere: SIGTERM still ends it (the exit
	# flush gives up once nothing moves).
	t0=$(date +%s%N)
	kill -TERM "$spid"
	for _ in $(seq 150); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
	t=$(( ($(date +%s%N) - t0) / 1000000 ))
	kill -0 "$spid" 2>/dev/null && bad "TAP deleted: the program did not exit within 15 s of SIGTERM" \
		|| pass "TAP deleted: the program exited $t ms after SIGTERM"
else
	bad "the transfer before deleting the TAP did not start: $(tail -n 2 "$tmp/d.err" "$tmp/d.out")"
fi
kill "$(xfer_under $c)" 2>/dev/null	# the host's side waits for TCP's timeout
stop_bg
exit $fail
