#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# iperf3 under ulk-run, as server and as client, both directions, against
# the host kernel's iperf3 over a TAP.
set -uo pipefail
. "$SRC_DIR/tests/run/programs_ns.sh"
programs_setup iperf3

# rate LOG: received bits per second of an iperf3 -J run, or nothing.
rate() { json_field "$1" 'int(j["end"]["sum_received"]["bits_per_second"])'; }

check_run() { # NAME LOG
	local bps
	bps=$(rate "$2")
	if [ -n "$bps" ] && [ "$bps" -gt 0 ]; then
		pass "$1: $((bps / 1000000)) Mbit/s"
	else
		bad "$1: no result"; cat "$2"
	fi
}

# wait_port's probe is a connection too: iperf3 -s takes it for a client,
# fails that test and only then listens again ("test #2", written at once
# with --forceflush); a client that comes in between is reset (every run
# with a sanitized shim, whose server is slower to give the probe up).
listening_again() { # LOG
	local i

	for i in $(seq 100); do
		grep -q "(test #2)" "$1" && return 0
		sleep 0.1
	done
	echo "iperf3 server did not listen again after the probe"
	return 1
}

bg "$tmp/srv-ulk" ulk iperf3 -s -p 5201 --forceflush
wait_port $U4 5201 || bad "iperf3 server under ulk-run did not start"
listening_again "$tmp/srv-ulk" || bad "iperf3 server under ulk-run after the probe"
in_ns timeout 30 iperf3 -c $U4 -p 5201 -t 2 -J >"$tmp/c1" 2>&1
check_run "host client -> ulk server" "$tmp/c1"
in_ns timeout 30 iperf3 -c $U4 -p 5201 -t 2 -R -J >"$tmp/c2" 2>&1
check_run "host client <- ulk server (-R)" "$tmp/c2"
in_ns timeout 30 iperf3 -6 -c $U6 -p 5201 -t 2 -J >"$tmp/c3" 2>&1
check_run "host client -> ulk server over IPv6" "$tmp/c3"

stop_bg
bg "$tmp/srv-host" in_ns iperf3 -s -p 5202 --forceflush
wait_port $H4 5202 || bad "host iperf3 server did not start"
listening_again "$tmp/srv-host" || bad "host iperf3 server after the probe"
ulk iperf3 -c $H4 -p 5202 -t 2 -J >"$tmp/c4" 2>&1
check_run "ulk client -> host server" "$tmp/c4"
ulk iperf3 -c $H4 -p 5202 -t 2 -R -J >"$tmp/c5" 2>&1
check_run "ulk client <- host server (-R)" "$tmp/c5"
exit $fail
