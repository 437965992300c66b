#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# sockperf TCP ping-pong with either side under ulk-run, the other on the
# host kernel, over a TAP.
set -uo pipefail
. "$SRC_DIR/tests/run/programs_ns.sh"
programs_setup sockperf

check_pp() { # NAME LOG
	local lat
	lat=$(sed -n 's/.*Summary: Latency is \([0-9.]*\) usec.*/\1/p' "$2")
	if [ -n "$lat" ] && ! grep -q ERROR "$2"; then
		pass "$1: $lat us"
	else
		bad "$1: no latency"; tail -20 "$2"
	fi
}

bg "$tmp/srv-ulk" ulk sockperf sr --tcp -i $U4 -p 11111
wait_port $U4 11111 || bad "sockperf server under ulk-run did not start"
in_ns timeout 30 sockperf pp --tcp -i $U4 -p 11111 -t 2 >"$tmp/c1" 2>&1
check_pp "host client, server under ulk-run" "$tmp/c1"
stop_bg

bg "$tmp/srv-host" in_ns sockperf sr --tcp -i $H4 -p 11112
wait_port $H4 11112 || bad "host sockperf server did not start"
ulk sockperf pp --tcp -i $H4 -p 11112 -t 2 >"$tmp/c2" 2>&1
check_pp "client under ulk-run, host server" "$tmp/c2"
exit $fail
