#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The preload shim's descriptor promises, checked by a plain program
# (tests/run/shim_fds.c) under ulk-run with loopback only: no root needed.
set -uo pipefail

out=$(timeout 120 "$BUILD_DIR/bin/ulk-run" -- "$BUILD_DIR/tests/run/shim_fds" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "FAIL: shim_fds exited $rc"; exit 1; }
grep -q "^all checks passed$" <<<"$out" || { echo "FAIL: no final verdict"; exit 1; }

# Ctrl-C reaches a Python program blocked in accept() inside ulk.
# (A background job starts with SIGINT ignored: Python is told to take it.)
"$BUILD_DIR/bin/ulk-run" -- python3 -c "
import signal, socket
signal.signal(signal.SIGINT, signal.default_int_handler)
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
print('READY', flush=True)
try:
    s.accept()
except KeyboardInterrupt:
    print('interrupted', flush=True)" >"$BUILD_DIR/test-logs/sigint.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q READY "$BUILD_DIR/test-logs/sigint.out" && break; sleep 0.05; done
sleep 0.2
kill -INT $pid
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
if kill -0 $pid 2>/dev/null; then
	kill -KILL $pid; echo "FAIL: SIGINT did not interrupt accept() in ulk"; exit 1
fi
grep -q interrupted "$BUILD_DIR/test-logs/sigint.out" && echo "ok   SIGINT interrupts a Python accept() blocked in ulk" \
	|| { echo "FAIL: no KeyboardInterrupt"; cat "$BUILD_DIR/test-logs/sigint.out"; exit 1; }
