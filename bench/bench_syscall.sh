#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# System-call cost inside ulk beside the host kernel (build/bench/
# bench_syscall, one process per measurement, ulk booted only in ulk's),
# per placement, as the median (min..max) of $BENCH_RUNS runs interleaved
# ulk, host, ulk, host after a warm-up (bench/lib.sh):
#
#   getppid            ns per call (each run: median of 20 batches of
#                      100,000); one thread, so placements same (pinned)
#                      and unpinned only
#   eventfd-pingpong   ns per round trip of two threads over two eventfds;
#                      split puts the two threads on different vCPUs (ulk's
#                      own threads with the initiator)
#
# Usage: bench/bench_syscall.sh BUILD_DIR. No root needed. Knobs: those of
# bench/lib.sh.
set -euo pipefail

B=${1:?usage: bench/bench_syscall.sh BUILD_DIR}
X=$B/bench/bench_syscall
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_init bench_syscall --no-root
[ -x "$X" ] || bench_die "$X is missing (make $X)"

# sys SIDE TEST: one measurement; "split" pins the two threads apart inside.
sys() {
	local side=$1 what=$2 split=()

	[ "$side" = ulk ] || side=host
	bench_pin 1
	[ "$BENCH_PLACEMENT" != split ] || split=(--split "$BENCH_CPU_A,$BENCH_CPU_B")
	bench_run sys 60 "${PIN[@]}" "$X" "$what" "$side" "${split[@]}" || return 1
	grep -q '^ns=' "$BENCH_TMP/sys.out" || { BENCH_WHY="printed: $(cat "$BENCH_TMP/sys.out")"; return 1; }
	bench_result "$(cat "$BENCH_TMP/sys.out")"
}

bench_figure --one-end getppid sys getppid
bench_report getppid getppid ns ns
bench_figure pingpong sys pingpong
bench_report pingpong eventfd-pingpong ns ns
bench_finish
