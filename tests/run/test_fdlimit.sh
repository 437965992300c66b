#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A program under ulk-run gets as many sockets as on the host under its
# descriptor limit: each ulk socket costs the program one descriptor (its
# own) and ulk one more, placed above the soft limit when the hard limit
# allows (lib/hostfd.c); the program's numbers all stay below its limit.
# With soft and hard limits equal, each socket costs two descriptors
# under the limit (before: three, 339 sockets under 1024). And a forked
# child's wait on a socket inherited from its parent returns at once
# (before: it blocked forever), the call after failing with a clear error.
# Loopback only: no root needed.
set -uo pipefail

prog=$BUILD_DIR/tests/run/fdlimit
run=$BUILD_DIR/bin/ulk-run
fail=0
hard=$(ulimit -H -n)
if [ "$hard" != unlimited ] && [ "$hard" -lt 2112 ]; then
	echo "skip: the hard descriptor limit ($hard) leaves no room above 1024"
	exit 77
fi

count() {	# $1: the label, rest: the command; prints the count
	local out label=$1
	shift
	out=$("$@" count 2>&1)
	echo "$out" | sed "s/^/    $label: /" >&2
	sed -n 's/^sockets \([0-9]*\) .*/\1/p' <<<"$out"
}

host=$(ulimit -S -n 1024; count host "$prog")
ulk=$(ulimit -S -n 1024; count ulk "$run" -- "$prog")
echo "soft limit 1024, hard $hard: host $host sockets, ulk $ulk"
if [ -z "$host" ] || [ -z "$ulk" ]; then
	echo "FAIL: a count is missing"; fail=1
elif [ "$ulk" -lt $((host - 4)) ]; then
	echo "FAIL: ulk gives $ulk sockets, the host $host"; fail=1
else
	echo "ok   as many sockets as on the host (host $host, ulk $ulk)"
fi

# No room above the limit: one extra descriptor per socket.
tight=$(ulimit -n 1024; count "ulk, soft = hard" "$run" -- "$prog")
echo "soft = hard = 1024: ulk $tight sockets"
if [ -z "$tight" ] || [ "$tight" -lt $(((host - 40) / 2)) ]; then
	echo "FAIL: with soft = hard, ulk gives ${tight:-no} sockets (at most 2 descriptors each: >= $(((host - 40) / 2)))"; fail=1
else
	echo "ok   soft = hard: $tight sockets (two descriptors each)"
fi

out=$(timeout 60 "$run" -- "$prog" fork 2>&1)
rc=$?
echo "$out"
if [ $rc -ne 0 ]; then echo "FAIL: fdlimit fork exited $rc"; fail=1; fi
exit $fail
