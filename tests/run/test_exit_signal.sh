#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Deaths other than a clean exit() flush too (tools/preload/boot.c):
#  - exit() from a signal handler: a program under ulk-run sends 4 MiB
# to a host receiver that reads slowly, blocks in recv(), and exits from its
# SIGTERM handler (tests/run/sigprog.c exit-handler). The handler runs
# outside the interrupted recv() (lib/signals.c), so the exit path's ulk
# calls work and every byte arrives, followed by the FIN. Before, each of
# them failed with EDEADLK and the data was lost;
#  - SIGTERM at its default action (python3 leaves it so): the shim flushes
#    before the process dies of it (status 143);
#  - os._exit() right after the last send (no destructors run).
set -uo pipefail
. "$SRC_DIR/tests/run/programs_ns.sh"
programs_setup python3

# term_child PID PATTERN: SIGTERM the process under PID whose command line
# has PATTERN (never another test's: pkill -f matched processes anywhere).
term_child() {
	local p

	# The program itself: timeout(1) above it has the same text in its
	# arguments, and would pass a second SIGTERM on, killing the program
	# in the middle of its flush.
	for p in $(descendants "$1"); do
		case $(cat "/proc/$p/comm" 2>/dev/null) in
		timeout|ip) continue ;;
		esac
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "$2" && kill -TERM "$p"
	done
}

# wait_rx N: wait for receiver N (at most 30 s; a receiver that never
# sees its end of stream fails the test instead of hanging it).
wait_rx() {
	local p=${bg_pids[$1]} i

	for i in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$p" 2>/dev/null; then
		bad "receiver $1 still waiting for the end of the stream after 30 s"
		kill "$p"
	fi
	wait "$p"
}

bg "$tmp/rx.out" in_ns python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$H4', 7002)); s.listen(1); print('READY', flush=True)
c, _ = s.accept(); time.sleep(0.5); n = 0
while True:
    d = c.recv(1 << 16)
    if not d: break
    n += len(d); time.sleep(0.002)
print('got', n, flush=True)"
for _ in $(seq 100); do grep -q READY "$tmp/rx.out" && break; sleep 0.1; done

ulk "$BUILD_DIR/tests/run/sigprog" exit-handler $H4 7002 >"$tmp/tx.out" 2>&1 &
tx=$!
for _ in $(seq 200); do grep -q READY "$tmp/tx.out" && break; sleep 0.1; done
grep -q READY "$tmp/tx.out" || bad "the sender never got to its recv()"
term_child $tx "sigprog exit-handler"
wait $tx
rc=$?
[ $rc -eq 0 ] && pass "the sender exited 0 from its SIGTERM handler" \
	|| { bad "the sender exited $rc"; cat "$tmp/tx.out"; }
wait_rx 0
got=$(sed -n 's/^got //p' "$tmp/rx.out")
[ "$got" = 4194304 ] && pass "all 4194304 bytes and the FIN arrived" \
	|| { bad "received ${got:-nothing} of 4194304 bytes"; cat "$tmp/rx.out"; }
# receiver FILE PORT: a slow host reader in the background, reporting "got N".
receiver() {
	bg "$1" in_ns python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$H4', $2)); s.listen(1); print('READY', flush=True)
c, _ = s.accept(); time.sleep(0.5); n = 0
while True:
    d = c.recv(1 << 16)
    if not d: break
    n += len(d); time.sleep(0.002)
print('got', n, flush=True)"
	for _ in $(seq 100); do grep -q READY "$1" && break; sleep 0.1; done
}

receiver "$tmp/rx2.out" 7003
ulk python3 -c "
import socket, time
s = socket.create_connection(('$H4', 7003)); s.sendall(b'x' * 4194304)
print('SENT', flush=True); time.sleep(60)" >"$tmp/tx2.out" 2>&1 &
tx=$!
for _ in $(seq 200); do grep -q SENT "$tmp/tx2.out" && break; sleep 0.1; done
term_child $tx "time.sleep(60)"
wait $tx
rc=$?
[ $rc -eq 143 ] && pass "SIGTERM at its default: the sender died of it (143)" \
	|| { bad "the SIGTERMed sender exited $rc"; cat "$tmp/tx2.out"; }
wait_rx 1
got=$(sed -n 's/^got //p' "$tmp/rx2.out")
[ "$got" = 4194304 ] && pass "...and all 4194304 bytes and the FIN arrived" \
	|| { bad "after SIGTERM: received ${got:-nothing} of 4194304 bytes"; cat "$tmp/rx2.out"; }

receiver "$tmp/rx3.out" 7004
ulk python3 -c "
import os, socket
s = socket.create_connection(('$H4', 7004)); s.sendall(b'x' * 4194304); os._exit(7)"
rc=$?
[ $rc -eq 7 ] && pass "os._exit(7) right after the last send: exit 7" || bad "os._exit: exit $rc"
wait_rx 2
got=$(sed -n 's/^got //p' "$tmp/rx3.out")
[ "$got" = 4194304 ] && pass "...and all 4194304 bytes and the FIN arrived" \
	|| { bad "after _exit: received ${got:-nothing} of 4194304 bytes"; cat "$tmp/rx3.out"; }
exit $fail
