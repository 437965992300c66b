#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# exit() from a signal handler flushes: a program under ulk-run sends 4 MiB
# to a host receiver that reads slowly, blocks in recv(), and exits from its
# SIGTERM handler (tests/run/sigprog.c exit-handler). The handler runs
# outside the interrupted recv() (lib/signals.c), so the exit path's ulk
# calls work and every byte arrives, followed by the FIN. Before, each of
# them failed with EDEADLK and the data was lost.
set -uo pipefail
. "$SRC_DIR/tests/run/programs_ns.sh"
programs_setup python3

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
pkill -TERM -f "sigprog exit-handler"
wait $tx
rc=$?
[ $rc -eq 0 ] && pass "the sender exited 0 from its SIGTERM handler" \
	|| { bad "the sender exited $rc"; cat "$tmp/tx.out"; }
wait "${bg_pids[0]}"
got=$(sed -n 's/^got //p' "$tmp/rx.out")
[ "$got" = 4194304 ] && pass "all 4194304 bytes and the FIN arrived" \
	|| { bad "received ${got:-nothing} of 4194304 bytes"; cat "$tmp/rx.out"; }
exit $fail
