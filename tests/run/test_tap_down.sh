#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The host side of a running program's TAP goes down, then up again: the
# frames ulk sends meanwhile are dropped (the TAP says EIO while its
# interface is down), the device stays alive, and traffic resumes once the
# interface is up. Before, EIO was taken for "the TAP is gone": ulk said
# "peer gone; the link is down" and never sent again (seen as a set-up
# failure of net/test_tcp_timers when ulk's first frames beat the test's
# "ip link set up").
set -uo pipefail
. "$SRC_DIR/tests/run/programs_ns.sh"
programs_setup python3
mkfifo "$tmp/fifo"

ULK_TIMEOUT=60 ulk python3 -c "
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print('READY', flush=True)
# Datagrams out through the TAP all along, down or not.
t0 = time.time()
while time.time() - t0 < 3:
    u.sendto(b'x' * 100, ('$H4', 9))
    time.sleep(0.01)
print('SENT', flush=True)
for line in sys.stdin:
    break
s = socket.create_connection(('$H4', 8099), timeout=10)
s.sendall(b'after the link came back\n')
s.close()
print('DONE', flush=True)
" <"$tmp/fifo" >"$tmp/prog.out" 2>"$tmp/prog.err" &
prog=$!
exec 5>"$tmp/fifo"
for _ in $(seq 100); do grep -q READY "$tmp/prog.out" && break; sleep 0.1; done
ip -n "$ns" link set ulkp0 down
sleep 1
ip -n "$ns" link set ulkp0 up
for _ in $(seq 100); do grep -q SENT "$tmp/prog.out" && break; sleep 0.1; done
bg "$tmp/server.out" in_ns python3 -c "
import socket
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('$H4', 8099)); l.listen(1)
while True:
    c, _ = l.accept(); line = c.makefile().readline().strip()
    if line:
        print(line, flush=True); break"
wait_port $H4 8099 >/dev/null 2>&1 || true
echo go >&5
wait $prog
rc=$?
if grep -q "peer gone" "$tmp/prog.err"; then
	bad "ulk took the TAP for gone while it was only down: $(grep 'peer gone' "$tmp/prog.err")"
else
	pass "no 'peer gone' while the TAP was down"
fi
[ $rc = 0 ] && grep -q DONE "$tmp/prog.out" \
	&& pass "a TCP connection after the interface came back up works" \
	|| { bad "the program exited $rc after the link came back"; cat "$tmp/prog.out" "$tmp/prog.err"; }
sleep 0.3
grep -q "after the link came back" "$tmp/server.out" && pass "the host received it" \
	|| bad "the host server got: $(cat "$tmp/server.out")"
exit $fail
