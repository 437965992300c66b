#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Nothing sent is lost when a program under ulk-run exits: it writes 20 MB
# to a host receiver that starts reading a second later and then reads
# slowly (about 25 MB/s), and exits as soon as its last write returns, with
# megabytes still in its send buffer; the shim keeps ulk running until TCP
# has delivered them.
set -uo pipefail
. "$SRC_DIR/tests/run/programs_ns.sh"
programs_setup python3

bg "$tmp/rx.out" in_ns python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$H4', 7001)); s.listen(1); print('READY', flush=True)
c, _ = s.accept(); time.sleep(1); n = 0
while True:
    d = c.recv(1 << 18)
    if not d: break
    n += len(d); time.sleep(0.01)
print('got', n, flush=True)"
for _ in $(seq 100); do grep -q READY "$tmp/rx.out" && break; sleep 0.1; done
start=$EPOCHREALTIME
# The sender first closes every descriptor but 0-2, as daemons do: ulk's
# own (the TAP) must survive that.
ulk python3 -c "
import os, socket
for fd in range(3, 1024):
    try:
        os.close(fd)
    except OSError:
        pass
s = socket.create_connection(('$H4', 7001)); s.sendall(b'x' * 20000000)" \
	|| bad "the sender under ulk-run failed"
wait "${bg_pids[0]}"
got=$(sed -n 's/^got //p' "$tmp/rx.out")
[ "$got" = 20000000 ] && pass "all 20000000 bytes arrived after the sender exited" \
	|| { bad "received ${got:-nothing} of 20000000 bytes"; cat "$tmp/rx.out"; }
echo "sender ran for $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}') s"
exit $fail
