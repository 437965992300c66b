#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Only a process that uses the network holds ulk's devices (tools/preload/
# boot.c: boot at the first socket), so children of a program under
# ulk-run can use the network one after another:
#  - bash -c 'curl A; curl B', timeout 10 curl, xargs -n1 curl, and a
#    pipeline curl | sha256sum: every fetch succeeds (each curl boots its
#    own ulk on the TAP the shell never held; before, the shell's ulk held
#    it and every curl failed with "already in use");
#  - setpriv dropping to nobody: no abort (ulk's threads, which do not
#    follow setpriv's per-thread capability changes, no longer exist in a
#    process that has made no socket); a program that drops privileges
#    after its first socket, as daemons do, keeps working;
#  - a second ulk-run on a TAP in use is refused before its program runs,
#    naming the process that holds it;
#  - a process with ulk sockets that forks: one line saying so, and the
#    child does not keep the TAP (a later ulk-run gets it once the parent
#    has gone).
set -uo pipefail
. "$SRC_DIR/tests/run/programs_ns.sh"
programs_setup curl python3 setpriv xargs sha256sum

www=$tmp/www
mkdir -p "$www"
head -c 100000 /dev/urandom >"$www/a.bin"
want=$(sha256sum <"$www/a.bin" | cut -d' ' -f1)
bg "$tmp/http.out" in_ns python3 -m http.server -b $H4 -d "$www" 8088
wait_port $H4 8088 || bad "the host HTTP server did not start"
url=http://$H4:8088/a.bin

out=$(ulk bash -c "curl -sS -o /dev/null -w '%{http_code}\n' $url; curl -sS -o /dev/null -w '%{http_code}\n' $url" 2>&1)
[ "$(grep -c '^200$' <<<"$out")" = 2 ] && pass "bash -c 'curl; curl': both fetches 200" \
	|| { bad "bash -c 'curl; curl'"; echo "$out"; }
out=$(ulk timeout 10 curl -sS -o /dev/null -w '%{http_code}\n' $url 2>&1)
[ "$out" = 200 ] && pass "timeout 10 curl: 200" || { bad "timeout 10 curl"; echo "$out"; }
out=$(printf '%s\n' $url $url $url | ulk xargs -n1 curl -sS -o /dev/null -w '%{http_code}\n' 2>&1)
[ "$(grep -c '^200$' <<<"$out")" = 3 ] && pass "xargs -n1 curl: 3 fetches 200" \
	|| { bad "xargs -n1 curl"; echo "$out"; }
out=$(ulk bash -c "curl -sS $url | sha256sum" 2>&1)
[ "${out%% *}" = "$want" ] && pass "curl | sha256sum: the checksum matches" \
	|| { bad "curl | sha256sum: $out"; }
out=$(ulk setpriv --reuid 65534 --regid 65534 --clear-groups true 2>&1)
rc=$?
[ $rc = 0 ] && pass "setpriv to nobody (no socket before): exit 0" || { bad "setpriv: exit $rc"; echo "$out"; }
# A daemon's order: its socket first (as root), then the drop, then service.
out=$(ulk python3 -c "
import os, socket
s = socket.create_connection(('$H4', 8088))
os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)
s.sendall(b'GET /a.bin HTTP/1.0\r\n\r\n'); n = 0
while True:
    d = s.recv(65536)
    if not d: break
    n += len(d)
print('uid', os.getuid(), 'got', n, flush=True)" 2>&1)
grep -q "uid 65534 got 100[0-9][0-9][0-9]$" <<<"$out" && pass "socket, then setresgid/setresuid to nobody, then a fetch: $out" \
	|| { bad "a privilege drop after the first socket"; echo "$out"; }

# A program holding the TAP; a second ulk-run on it.
ulk python3 -c "
import socket, time
s = socket.create_connection(('$H4', 8088)); print('HOLDING', flush=True); time.sleep(30)" >"$tmp/holder.out" 2>&1 &
holder=$!
for _ in $(seq 100); do grep -q HOLDING "$tmp/holder.out" && break; sleep 0.1; done
out=$(ulk touch "$tmp/ran" 2>&1)
rc=$?
if [ $rc = 2 ] && [ ! -e "$tmp/ran" ] && grep -q "in use by process [0-9]* (python3)" <<<"$out"; then
	pass "a second ulk-run on the TAP is refused: $out"
else
	bad "a second ulk-run on the TAP: exit $rc: $out"
fi
pkill -f "HOLDING" 2>/dev/null
wait $holder 2>/dev/null

# A forking process: the child keeps neither ulk nor the TAP.
out=$(ulk python3 -c "
import os, socket, sys, time
s = socket.create_connection(('$H4', 8088))
pid = os.fork()
if pid == 0:
    time.sleep(3); os._exit(0)
print('parent done', flush=True)" 2>&1)
grep -q "forked process [0-9]* with 1 ulk socket" <<<"$out" && pass "the fork was reported: $(grep forked <<<"$out")" \
	|| { bad "no line about the fork"; echo "$out"; }
out=$(ulk curl -sS -o /dev/null -w '%{http_code}\n' $url 2>&1)
[ "$out" = 200 ] && pass "while the forked child lives on, the next ulk-run gets the TAP" \
	|| { bad "the next ulk-run after the fork: $out"; }
exit $fail
