#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A pipe peer gone, killed or restarted, around verified transfers
# (tests/run/xfer.c): two programs under ulk-run linked by a named pipe
# (--net pipe:PATH:a / :b), server on end a, client on end b.
#
#  0. clients one after another on end b, each a new ulk-run: every one
#     gets through;
#  1. the client is killed (SIGKILL) while it sends: a new client on end b
#     is reached by the server's device again and its transfers both ways
#     go through. Before, the new client failed with "No route to host":
#     the server's end stayed connected to the dead client's socket,
#     which made the host refuse the new one's datagrams (EPERM) until
#     the server sent something, and a server waiting for clients sends
#     nothing (with random MACs, one client in two of step 0 failed so
#     too: whether the server happened to send after the previous one
#     had gone). Now an idle named end connects again every second;
#  2. the server is killed while a client sends: a new server on end a
#     answers the client's retransmissions with a reset, so the client
#     fails with "Connection reset by peer" instead of waiting, and the
#     new server serves.
# Each end keeps its MAC address across restarts (--mac), as a service's
# configuration would: a new random one is only learnt by the peer when
# its ARP entry goes stale, some 30-50 s later.
# Needs no root: nothing touches the host's network.
set -uo pipefail

XF=$BUILD_DIR/tests/run/xfer
RUN=$BUILD_DIR/bin/ulk-run
[ -x "$XF" ] || { echo "FAIL $XF not built"; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
pass() { echo "PASS $*"; }
bad() { echo "FAIL $*"; fail=1; }
A=(--net "pipe:$tmp/link:a" --ip 10.63.0.1/24 --mac 02:00:00:63:00:01)
B=(--net "pipe:$tmp/link:b" --ip 10.63.0.2/24 --mac 02:00:00:63:00:02)

wait_for() {
	local i
	for i in $(seq $(($3 * 20))); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
progress_past() {
	local i n
	for i in $(seq $(($3 * 20))); do
		n=$(sed -n 's/^progress //p' "$1" 2>/dev/null | tail -1)
		[ "${n:-0}" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# server LOG: a server on end a; sets $srv (its process: ulk-run execs it).
server() {
	timeout 60 "$RUN" "${A[@]}" -- "$XF" server 5431 >"$1" 2>&1 &
	srv=$!
	pids+=($srv)
	wait_for "$1" READY 15 || { bad "the server did not start: $(cat "$1")"; exit 1; }
}

# client OUT ERR ARGS...: a client on end b in the background; $cl.
client_bg() {
	local out=$1 err=$2; shift 2
	timeout 60 "$RUN" "${B[@]}" -- "$XF" client 10.63.0.1 5431 "$@" >"$out" 2>"$err" &
	cl=$!
	pids+=($cl)
}

# client ARGS...: one transfer on end b, retried while the link comes up.
client() {
	local out i
	for i in $(seq 20); do
		out=$(timeout 30 "$RUN" "${B[@]}" -- "$XF" client 10.63.0.1 5431 "$@" 2>/dev/null)
		[[ $out == "error after 0: "* ]] || break
		sleep 0.2
	done
	echo "$out"
}

# A process that timeout(1) started: the program, which ulk-run became.
child_of() { pgrep -P "$1" | head -1; }

server "$tmp/srv.out"

# --- 0. clients one after another ---------------------------------------------
ok=0
for i in 1 2 3 4; do
	out=$(timeout 30 "$RUN" "${B[@]}" -- "$XF" client 10.63.0.1 5431 recv $((4 << 20)) 2>/dev/null)
	[[ $out == ok* ]] && ok=$((ok + 1)) || echo "     client $i: $out"
done
[ $ok = 4 ] && pass "4 clients one after another on end b: all got through" \
	|| bad "4 clients one after another on end b: $ok got through"

# --- 1. the client killed while it sends -----------------------------------
client_bg "$tmp/c.out" "$tmp/c.err" send $((512 << 20)) --rate 40
if progress_past "$tmp/c.err" $((8 << 20)) 20; then
	kill -KILL "$(child_of $cl)"
	wait $cl 2>/dev/null
	for mode in send recv; do
		out=$(client $mode $((16 << 20)))
		[[ $out == ok* ]] && pass "client killed mid-transfer; a new client ($mode): $out" \
			|| bad "client killed mid-transfer; a new client ($mode): $out"
	done
else
	bad "the transfer did not start: $(tail -n 3 "$tmp/c.out" "$tmp/c.err")"
fi

# --- 2. the server killed while a client sends --------------------------------
client_bg "$tmp/k.out" "$tmp/k.err" send $((512 << 20)) --rate 40
if progress_past "$tmp/k.err" $((8 << 20)) 20; then
	kill -KILL "$(child_of $srv)"
	wait $srv 2>/dev/null
	t0=$(date +%s)
	server "$tmp/srv2.out"
	wait $cl; rc=$?
	t=$(( $(date +%s) - t0 ))
	[ $rc -eq 1 ] && grep -q "reset by peer" "$tmp/k.out" \
		&& pass "server killed mid-transfer: a new server answered, the client failed in $t s: $(cat "$tmp/k.out")" \
		|| bad "server killed mid-transfer: the client exited $rc after $t s: $(cat "$tmp/k.out")"
	out=$(client send $((16 << 20)))
	[[ $out == ok* ]] && pass "the new server serves: $out" || bad "the new server: $out"
else
	bad "the transfer to the server to kill did not start: $(tail -n 3 "$tmp/k.out" "$tmp/k.err")"
fi
exit $fail
