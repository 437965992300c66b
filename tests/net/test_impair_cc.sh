#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# TCP sender throughput through a bad network, ulk against the host kernel
# with the same congestion control on both ends (CUBIC, then BBR): ulk's
# TCP is the kernel's, so as a sender under loss it must do what the host
# kernel does. (An earlier note had ulk-as-sender at 47 Mbit/s against
# 1.5 Gbit/s the other way: the host ran BBR, ulk CUBIC, and ulk's timers
# were late.)
#
# ulk's device drops 1%, duplicates 0.5%, reorders 1% and corrupts 0.05% of
# wire segments in each direction (fixed seed); tcpperf moves BYTES_cc with
# every byte verified, ulk -> host (ulk sends) and host -> ulk (the host
# sends), runs interleaved after a warm-up. Asserted per algorithm: the
# median ulk-as-sender rate is at least 0.8 of the median host-as-sender
# rate. Two processes, as in use (the server under ulk, the client on the
# host), in a throwaway namespace; needs root and /dev/net/tun.
set -uo pipefail

B=${BUILD_DIR:?run through tests/run.sh}
T=$B/bench/tcpperf
# CUBIC under 1% loss runs at a few hundred Mbit/s; BBR at gigabits, and
# its rate needs longer runs to settle (128 MiB runs swung 0.7..1.1).
BYTES_cubic=${IMPAIR_CC_BYTES_CUBIC:-67108864}
BYTES_bbr=${IMPAIR_CC_BYTES_BBR:-536870912}
RUNS=${IMPAIR_CC_RUNS:-5}
IMPAIR=${IMPAIR_CC_RATES:-0.01,0.005,0.01,0.0005}
MIN_RATIO=0.8
# shellcheck source=tests/net/tap_ns.sh
. "${SRC_DIR:-.}/tests/net/tap_ns.sh"
tap_ns_setup ulkcc ulkcc0 10.84.0.1/24

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rate() { sed -n 's/^bulk mbps=\([0-9.]*\).*/\1/p' <<<"$1"; }

for cc in cubic bbr; do
	bytes_var=BYTES_$cc
	BYTES=${!bytes_var}
	# Per connection on both ends (TCP_CONGESTION): the host refuses a
	# namespace default other than its own.
	ip netns exec "$ns" timeout 300 "$T" --ulk-tap ulkcc0 --ip 10.84.0.2/24 \
		--impair "$IMPAIR" --cc $cc \
		server 5601 $((2 * RUNS + 1)) >"$tmp/srv.$cc" 2>&1 &
	srv=$!
	for _ in $(seq 200); do grep -q READY "$tmp/srv.$cc" && break; sleep 0.05; done
	grep -q READY "$tmp/srv.$cc" || { bad "$cc: ulk server did not start: $(cat "$tmp/srv.$cc")"; exit 1; }
	ip netns exec "$ns" timeout 60 "$T" --cc $cc client 10.84.0.2 5601 recv 16777216 >/dev/null
	: >"$tmp/ulk.$cc"; : >"$tmp/host.$cc"
	for run in $(seq "$RUNS"); do
		for dir in recv send; do
			out=$(ip netns exec "$ns" timeout 120 "$T" --verify --cc $cc client 10.84.0.2 5601 $dir "$BYTES" 2>&1)
			r=$(rate "$out")
			who=$([ $dir = recv ] && echo ulk || echo host)
			if [ -z "$r" ]; then
				bad "$cc run $run, $who sends: $out"
				continue
			fi
			echo "$r" >>"$tmp/$who.$cc"
			echo "     $cc run $run: $who -> $([ $who = ulk ] && echo host || echo ulk): $r Mbit/s"
		done
	done
	wait "$srv"; rc=$?; srv=
	[ $rc -eq 0 ] || bad "$cc: ulk side exited with $rc: $(tail -3 "$tmp/srv.$cc")"
	grep -q MISMATCH "$tmp/srv.$cc" && bad "$cc: corrupted data reached ulk's application: $(grep MISMATCH "$tmp/srv.$cc")"
	u=$(median <"$tmp/ulk.$cc"); h=$(median <"$tmp/host.$cc")
	retrans=$(sed -n 's/.*RetransSegs=\([0-9]*\).*/\1/p' "$tmp/srv.$cc" | head -1)
	if awk -v u="${u:-0}" -v h="${h:-0}" -v m=$MIN_RATIO 'BEGIN { exit !(h > 0 && u / h >= m) }'; then
		pass "$cc on both ends: ulk as sender $u Mbit/s, host as sender $h Mbit/s (medians of $RUNS): ratio $(awk -v u="$u" -v h="$h" 'BEGIN { printf "%.2f", u / h }') (at least $MIN_RATIO); every byte verified; ulk RetransSegs=$retrans"
	else
		bad "$cc on both ends: ulk as sender ${u:-?} Mbit/s, host as sender ${h:-?} Mbit/s (medians of $RUNS): ratio below $MIN_RATIO"
	fi
done

[ $fail -eq 0 ] && echo "RESULT: pass" || echo "RESULT: fail"
exit $fail
