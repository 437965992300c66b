#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# AF_PACKET under ulk-run: a raw socket in ulk sees the host's ping arrive
# on ulk's interface (and the host's own interfaces stay out of it).
set -uo pipefail
. "$SRC_DIR/tests/run/programs_ns.sh"
programs_setup python3 ping

bg "$tmp/sniff.out" ulk python3 -c "
import socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.settimeout(10)
print('READY', flush=True)
while True:
    f = s.recv(2048)
    if struct.unpack('!H', f[12:14])[0] == 0x0800 and f[23] == 1 and f[34] == 8:
        print('echo request from', socket.inet_ntoa(f[26:30]), flush=True)
        break"
for _ in $(seq 100); do grep -q READY "$tmp/sniff.out" && break; sleep 0.1; done
in_ns ping -c 3 -i 0.2 -W 1 $U4 >"$tmp/ping.out" 2>&1
wait "${bg_pids[0]}"
grep -q "echo request from $H4" "$tmp/sniff.out" && pass "an AF_PACKET socket in ulk sees the host's ping" \
	|| { bad "no ICMP echo request seen"; cat "$tmp/sniff.out" "$tmp/ping.out"; }
exit $fail
