#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ip(8) and ss(8) under ulk-run see ulk's interfaces and sockets, not the
# host's; --sysctl reaches ulk's kernel (ss -ti shows bbr on a live
# connection); a setting the kernel refuses stops the program before main.
set -uo pipefail
. "$SRC_DIR/tests/run/programs_ns.sh"
programs_setup ip ss iperf3

out=$(ulk ip addr 2>&1)
grep -q "inet $U4/24" <<<"$out" && grep -q "inet6 $U6/64" <<<"$out" \
	&& pass "ip addr shows ulk's addresses" || { bad "ip addr: no $U4 or $U6"; echo "$out"; }
grep -q "ulkp0\|$H4" <<<"$out" && { bad "ip addr shows the host's TAP"; echo "$out"; } \
	|| pass "ip addr does not show the host's interfaces"
out=$(ulk ip route 2>&1)
grep -q "10.61.0.0/24 dev" <<<"$out" && pass "ip route shows ulk's routes" || { bad "ip route"; echo "$out"; }

# A host listener in the namespace must not show up in ulk's ss.
bg "$tmp/srv-host" in_ns iperf3 -s -p 5301
wait_port $H4 5301 || bad "host iperf3 server did not start"
out=$(ulk ss -tan 2>&1)
grep -q ":5301" <<<"$out" && { bad "ss -tan shows the host's listener"; echo "$out"; } \
	|| pass "ss -tan does not show the host's sockets"

hold=(--preload "$BUILD_DIR/tests/run/libholdconn.so")
out=$(ULK_NET+=(--sysctl net.ipv4.tcp_congestion_control=bbr "${hold[@]}");
      ulk env HOLD_CONN=$H4:5301 ss -tin 2>&1)
grep -q "ESTAB.*$U4:[0-9]* *$H4:5301" <<<"$out" && pass "ss -tan shows ulk's live connection" \
	|| { bad "ss shows no live connection"; echo "$out"; }
grep -qw bbr <<<"$out" && pass "--sysctl tcp_congestion_control=bbr: ss -ti shows bbr" \
	|| { bad "no bbr in ss -ti"; echo "$out"; }
out=$(ULK_NET+=("${hold[@]}"); ulk env HOLD_CONN=$H4:5301 ss -tin 2>&1)
grep -qw cubic <<<"$out" && pass "without the sysctl: cubic" || { bad "no cubic by default"; echo "$out"; }

out=$(ULK_NET+=(--sysctl net.ipv4.no_such_setting=1); ulk touch "$tmp/started" 2>&1)
rc=$?
[ $rc -ne 0 ] && [ ! -e "$tmp/started" ] && grep -q "no_such_setting" <<<"$out" \
	&& pass "a sysctl ulk does not have: '$out', exit $rc, program not started" \
	|| bad "unknown sysctl: exit $rc, output '$out'"
exit $fail
