# SPDX-License-Identifier: GPL-2.0
# Sourced by the tests/run scripts that run real programs under ulk-run in
# a throwaway namespace with a TAP (tests/net/tap_ns.sh does the set-up and
# removes everything on exit). The host side of the TAP is 10.61.0.1 and
# fd61::1; ulk's side 10.61.0.2 and fd61::2.

# shellcheck source=../net/tap_ns.sh
. "$SRC_DIR/tests/net/tap_ns.sh"

H4=10.61.0.1 U4=10.61.0.2 H6=fd61::1 U6=fd61::2
ULK_NET=(--net tap:ulkp0 --ip $U4/24 --ip6 $U6/64)
bg_pids=()

programs_setup() {
	local prog

	for prog in "$@"; do
		command -v "$prog" >/dev/null || { echo "skip: $prog is not installed"; exit 77; }
	done
	tap_ns_setup "${1}_" ulkp0 $H4/24 $H6/64
	trap programs_cleanup EXIT
}

programs_cleanup() {
	stop_bg
	tap_ns_cleanup
}

# in_ns CMD...: run on the host side, in the namespace.
in_ns() { ip netns exec "$ns" "$@"; }

# ulk CMD...: run CMD under ulk-run with ulk's side of the TAP, for at most
# $ULK_TIMEOUT seconds (default 60). One at a time: the TAP is theirs.
ulk() {
	timeout "${ULK_TIMEOUT:-60}" ip netns exec "$ns" \
		"$BUILD_DIR/bin/ulk-run" "${ULK_NET[@]}" -- "$@"
}

# descendants PID: PID's children, theirs, and so on.
descendants() {
	local c

	for c in $(pgrep -P "$1"); do
		echo "$c"
		descendants "$c"
	done
}

# stop_bg: stop the background programs, and wait (10 s at most) until
# every process under them has gone: a program under ulk-run that takes
# SIGTERM flushes its connections before it exits, and holds the TAP
# until then.
stop_bg() {
	local p all=() i alive

	# $p may be a subshell running a function: signal its children too.
	for p in "${bg_pids[@]}"; do
		all+=("$p" $(descendants "$p"))
		pkill -TERM -P "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	for i in $(seq 100); do
		alive=0
		for p in "${all[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	bg_pids=()
}

# bg LOG CMD...: start CMD in the background, output to LOG.
bg() { local log=$1; shift; "$@" >"$log" 2>&1 & bg_pids+=($!); }

# wait_port ADDR PORT: until something accepts there (10 s at most).
wait_port() {
	local i

	for i in $(seq 100); do
		in_ns timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "nothing listens on $1 port $2"
	return 1
}

# json_field FILE EXPR: a value out of iperf3 -J output (python3 expression on j).
json_field() {
	python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null
}
