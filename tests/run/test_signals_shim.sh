#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Signals for a plain program under ulk-run (tests/run/sigprog.c), loopback
# only, no root needed:
#  - a SIGTERM handler installed with signal() (SA_RESTART) interrupts a
#    poll() and a select() blocked on a ulk socket: EINTR, as Linux always
#    returns for them (an SSH server's way to notice SIGTERM);
#  - a program that blocks SIGTERM and takes it with sigwaitinfo() gets it
#    (no thread of ulk's takes it instead and dies of it);
#  - pthread_cancel() of a thread blocked in recv() on a ulk socket
#    cancels it, and the socket works afterwards.
set -uo pipefail

prog=$BUILD_DIR/tests/run/sigprog
fail=0
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

# run_term MODE: start MODE, SIGTERM it once READY, check it says so.
run_term() {
	local mode=$1 want=$2 pid i rc

	timeout 30 "$BUILD_DIR/bin/ulk-run" -- "$prog" "$mode" >"$tmp/$mode.out" 2>&1 &
	pid=$!
	for i in $(seq 100); do grep -q READY "$tmp/$mode.out" && break; sleep 0.1; done
	sleep 0.2
	# The program is ulk-run's child (ulk-run execs it: same pid).
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	if [ $rc -eq 0 ] && grep -q "$want" "$tmp/$mode.out"; then
		echo "PASS $mode: $(grep -v READY "$tmp/$mode.out" | head -1)"
	else
		echo "FAIL $mode: exit $rc"
		sed 's/^/    /' "$tmp/$mode.out"
		fail=1
	fi
}

run_term poll-term "poll returned -1 (Interrupted system call), handler ran 1"
run_term select-term "select returned -1 (Interrupted system call), handler ran 1"
run_term sigwait "took SIGTERM with sigwaitinfo"

out=$(timeout 30 "$BUILD_DIR/bin/ulk-run" -- "$prog" cancel 2>&1)
rc=$?
if [ $rc -eq 0 ]; then
	echo "PASS cancel: $(echo "$out" | grep -v READY | head -1)"
else
	echo "FAIL cancel: exit $rc"
	echo "$out" | sed 's/^/    /'
	fail=1
fi
exit $fail
