#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The TAP of a running program under ulk-run is deleted: ulk says so once
# on stderr, stops polling the dead descriptor (the I/O thread spun on it
# at 100% of a core before), and takes the link down, which the program
# sees (its interface loses IFF_RUNNING) while its process stays alive.
set -uo pipefail
. "$SRC_DIR/tests/run/programs_ns.sh"
programs_setup python3

ULK_TIMEOUT=40 ulk python3 -c "
import fcntl, socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
name = fcntl.ioctl(s.fileno(), 0x8910, struct.pack('16si', b'', 2))[:16].rstrip(b'\0')
def running():
    r = fcntl.ioctl(s.fileno(), 0x8913, struct.pack('16sH', name, 0))
    return struct.unpack('16sH', r[:18])[1] & 0x40
print('READY', name.decode(), 'running' if running() else 'not running', flush=True)
t0 = time.time()
while running() and time.time() - t0 < 20:
    time.sleep(0.05)
print('link down after %.1f s' % (time.time() - t0) if not running() else 'link still up', flush=True)
time.sleep(2)
print('DONE', flush=True)
" >"$tmp/prog.out" 2>"$tmp/prog.err" &
prog=$!
for _ in $(seq 100); do grep -q READY "$tmp/prog.out" && break; sleep 0.1; done
grep -q "READY .* running" "$tmp/prog.out" || { bad "the program did not start with its link up"; cat "$tmp/prog.out" "$tmp/prog.err"; }
pid=$(pgrep -f "import fcntl, socket" | head -1)
ip -n "$ns" link del ulkp0
sleep 0.5
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null; }
t1=$(ticks)
sleep 2
t2=$(ticks)
cpu=$(( ${t2:-0} - ${t1:-0} ))
hz=$(getconf CLK_TCK)
[ -n "$t2" ] && [ $cpu -lt $((hz / 5)) ] \
	&& pass "after the TAP went, the process used $cpu ticks of CPU in 2 s (limit $((hz / 5)))" \
	|| bad "after the TAP went, the process used ${cpu} ticks of CPU in 2 s (alive: ${t2:+yes})"
wait $prog
rc=$?
grep -q "link down after" "$tmp/prog.out" && pass "the program saw its link go down: $(grep 'link down' "$tmp/prog.out")" \
	|| bad "the program did not see the link go down: $(cat "$tmp/prog.out")"
[ $rc -eq 0 ] && grep -q DONE "$tmp/prog.out" && pass "the program went on and exited 0" \
	|| { bad "the program exited $rc"; cat "$tmp/prog.err"; }
n=$(grep -c "ulkp0.*link is down" "$tmp/prog.err")
[ "$n" = 1 ] && pass "ulk said so once: $(grep 'link is down' "$tmp/prog.err")" \
	|| { bad "ulk's message appeared $n times"; cat "$tmp/prog.err"; }
exit $fail
