#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# TCP through a bad network: ulk's device drops 5%, duplicates 2%,
# reorders 5% and corrupts 0.1% of packets in each direction (fixed seed).
# 256 MB each way between the host kernel and ulk must still arrive
# byte-identical, and ulk's own counters must show the loss was real
# (retransmissions in /proc/net/snmp, the filter's drop counts). Runs in a
# throwaway network namespace; needs root and /dev/net/tun.
set -uo pipefail

B=${BUILD_DIR:?run through tests/run.sh}
T=$B/bench/tcpperf
BYTES=${IMPAIR_TEST_BYTES:-268435456}
# shellcheck source=tests/net/tap_ns.sh
. "${SRC_DIR:-.}/tests/net/tap_ns.sh"
tap_ns_setup ulki ulki0 10.83.0.1/24

ip netns exec "$ns" timeout 400 "$T" --ulk-tap ulki0 --ip 10.83.0.2/24 \
	--impair 0.05,0.02,0.05,0.001 server 5501 2 >"$tmp/srv" 2>&1 &
srv=$!
for _ in $(seq 200); do grep -q READY "$tmp/srv" && break; sleep 0.05; done
grep -q READY "$tmp/srv" || { echo "FAIL ulk server did not start: $(cat "$tmp/srv")"; exit 1; }

for mode in send recv; do
	out=$(ip netns exec "$ns" timeout 180 "$T" --verify client 10.83.0.2 5501 "$mode" "$BYTES" 2>&1)
	if [ $? -eq 0 ] && [[ $out == bulk* ]]; then
		pass "$mode ($([ $mode = send ] && echo host to ulk || echo ulk to host)) through the impaired link: $BYTES bytes identical, $out"
	else
		bad "$mode through the impaired link: $out"
	fi
done
wait "$srv"; rc=$?; srv=
[ $rc -eq 0 ] || bad "ulk side exited with $rc: $(tail -3 "$tmp/srv")"
grep -q MISMATCH "$tmp/srv" && bad "ulk received corrupted data: $(grep MISMATCH "$tmp/srv")"

num() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$tmp/srv" | head -1; }
retrans=$(num RetransSegs); dropped=$(num dropped); dup=$(num duplicated)
reord=$(num reordered); corr=$(num corrupted)
echo "     impairment: dropped=$dropped duplicated=$dup reordered=$reord corrupted=$corr; ulk RetransSegs=$retrans"
if [ "${dropped:-0}" -gt 0 ] && [ "${dup:-0}" -gt 0 ] && [ "${reord:-0}" -gt 0 ] && [ "${corr:-0}" -gt 0 ]; then
	pass "the filter dropped, duplicated, reordered and corrupted packets"
else
	bad "the filter did not do all four (dropped=$dropped duplicated=$dup reordered=$reord corrupted=$corr)"
fi
if [ "${retrans:-0}" -gt 0 ]; then
	pass "ulk's /proc/net/snmp shows the loss was real: RetransSegs=$retrans"
else
	bad "no retransmissions counted in ulk's /proc/net/snmp (RetransSegs=$retrans)"
fi

[ $fail -eq 0 ] && echo "RESULT: pass" || echo "RESULT: fail"
exit $fail
