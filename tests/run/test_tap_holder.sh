#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# "tap X: ... in use by process PID (COMM)" names the holder in ulk-run's
# own network namespace: two namespaces each have a TAP of the same name,
# held by a process each; ulk-run in the second is refused with the second
# holder's pid, not the first's (which it named before, being first in
# /proc: seen as "in use by process N (xfer)" while other test runs on the
# machine held a TAP of the same name).
set -uo pipefail

fail=0
pass() { echo "PASS $*"; }
bad() { echo "FAIL $*"; fail=1; }

if [ "$(id -u)" -ne 0 ]; then echo "skip: needs root (TAP and network namespaces)"; exit 77; fi
if [ ! -c /dev/net/tun ]; then echo "skip: no /dev/net/tun"; exit 77; fi
nsa=tapholda$$ nsb=tapholdb$$ dev=ulkhold0
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p

	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$nsa" && ip netns add "$nsb" || { echo "FAIL: ip netns add"; exit 1; }

# hold NS LOG: a process in NS that holds a TAP named $dev until killed.
hold() {
	ip netns exec "$1" python3 -c "
import fcntl, os, struct, time
fd = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', b'$dev', 0x0002 | 0x1000))
print('HELD', os.getpid(), flush=True)
time.sleep(60)" >"$2" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do grep -q HELD "$2" && break; sleep 0.05; done
	grep -q HELD "$2" || { echo "FAIL: no holder in $1:"; cat "$2"; exit 1; }
}

# The first holder has the lower pid: it comes first in /proc.
hold "$nsa" "$tmp/a"
hold "$nsb" "$tmp/b"
a=$(awk '/HELD/ { print $2 }' "$tmp/a")
b=$(awk '/HELD/ { print $2 }' "$tmp/b")

out=$(timeout 30 ip netns exec "$nsb" "$BUILD_DIR/bin/ulk-run" --net "tap:$dev" -- true 2>&1)
rc=$?
echo "ulk-run in $nsb: exit $rc: $out"
[ $rc = 2 ] && pass "ulk-run on a TAP in use is refused (exit 2)" || bad "ulk-run exit $rc, want 2"
if grep -q "in use by process $b (python3)" <<<"$out"; then
	pass "the holder named is the one in ulk-run's namespace (pid $b)"
else
	bad "the holder named is not pid $b of $nsb (pid $a holds the one in $nsa): $out"
fi
exit $fail
