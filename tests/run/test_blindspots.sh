#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Where the preload shim cannot see, ulk-run works or refuses, never
# silently uses the host's stack (issue: "fail closed where the shim
# cannot see"). tests/run/blindspots.c checks from inside a program:
# stdio on sockets, getifaddrs() and if_*(), /proc/net and /proc/sys/net
# read and written, SCM_RIGHTS and splice() of ulk sockets, raw socket()
# and io_uring_setup() system calls. Here, with unmodified tools: cat and
# sysctl(8) see ulk's files; a statically linked program is refused before
# it runs. Loopback only: no root needed.
set -uo pipefail

run=$BUILD_DIR/bin/ulk-run
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

out=$(timeout 60 "$run" -- "$BUILD_DIR/tests/run/blindspots" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] && grep -q "^all checks passed$" <<<"$out" || bad "blindspots exited $rc"

host=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)
out=$(timeout 30 "$run" --sysctl net.ipv4.tcp_keepalive_time=4321 -- cat /proc/sys/net/ipv4/tcp_keepalive_time 2>&1)
[ "$out" = 4321 ] && ok "cat /proc/sys/net/ipv4/tcp_keepalive_time under ulk-run: ulk's 4321 (host $host)" \
	|| bad "cat of a sysctl under ulk-run: '$out' (want 4321)"
out=$(timeout 30 "$run" -- cat /proc/net/dev 2>&1)
if grep -q "lo:" <<<"$out" && [ "$(grep -c ':' <<<"$out")" = 1 ]; then
	ok "cat /proc/net/dev under ulk-run: lo only (ulk's)"
else
	bad "cat /proc/net/dev under ulk-run:"; echo "$out"
fi
if command -v sysctl >/dev/null; then
	out=$(timeout 30 "$run" -- sysctl -w net.ipv4.tcp_keepalive_time=999 2>&1)
	after=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)
	if grep -q "= 999" <<<"$out" && [ "$after" = "$host" ]; then
		ok "sysctl -w under ulk-run writes ulk's setting ('$out'), the host's stays $after"
	else
		bad "sysctl -w under ulk-run: '$out', host now $after (was $host)"
	fi
	out=$(timeout 30 "$run" --sysctl net.core.somaxconn=777 -- sysctl -n net.core.somaxconn 2>&1)
	[ "$out" = 777 ] && ok "sysctl -n under ulk-run reads ulk's setting" || bad "sysctl -n: '$out'"
fi

# A statically linked program: refused, before it runs, with the reason.
printf '#include <stdio.h>\nint main(void){puts("ran");return 0;}\n' >"$tmp/s.c"
if cc -static -o "$tmp/static" "$tmp/s.c" 2>/dev/null; then
	out=$("$run" -- "$tmp/static" 2>&1)
	rc=$?
	if [ $rc = 126 ] && grep -q "statically linked" <<<"$out" && ! grep -q ran <<<"$out"; then
		ok "a static binary is refused (126): $out"
	else
		bad "static binary: exit $rc: $out"
	fi
else
	echo "note: no static libc here (libc6-dev's libc.a): the static-binary check is not run"
fi
exit $fail
