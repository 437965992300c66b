#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the fuzz targets built by `make fuzz-build`.
#
# Usage: tests/fuzz/run_fuzz.sh BUILD_DIR SECONDS [TARGET...]
#
# Each target (default: all of BUILD_DIR/fuzz/fuzz_*) runs for SECONDS,
# FUZZ_JOBS of them at a time (default 2), niced. It starts from its seed
# corpus in the tree (tests/fuzz/corpus/TARGET, regression inputs
# included, which run first) and from what earlier runs found, kept in
# BUILD_DIR/fuzz/corpus/TARGET; the tree's corpus is never written. A
# crash, a sanitizer report, a leak, a timeout (10 s per input) or an
# out-of-memory is a failure: the input goes to BUILD_DIR/fuzz/artifacts/,
# and the end of the log (BUILD_DIR/fuzz/logs/TARGET.log) is shown.
# Prints one line per target: executions, coverage (libFuzzer's cov: and
# ft:) and corpus size. Exits 1 if any target failed.

set -uo pipefail

if [ $# -lt 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then
	echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2
	exit 2
fi
BUILD_DIR=$(cd "$1" && pwd) || exit 2
SECS=$2
shift 2
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
JOBS=${FUZZ_JOBS:-2}
FUZZ_DIR=$BUILD_DIR/fuzz

# Largest input per target: what its format needs, no more (longer
# inputs only slow the mutations down).
max_len() {
	case $1 in
	virtqueue) echo 8192 ;;
	pipe | vnet_hdr) echo 16384 ;;
	dns) echo 1500 ;;
	config) echo 8192 ;;
	*) echo 4096 ;;
	esac
}

if [ $# -eq 0 ]; then
	for f in "$FUZZ_DIR"/fuzz_*; do
		[ -x "$f" ] && set -- "$@" "${f##*/fuzz_}"
	done
fi
if [ $# -eq 0 ]; then
	echo "run_fuzz.sh: no fuzz targets in $FUZZ_DIR: run make fuzz-build" >&2
	exit 1
fi
mkdir -p "$FUZZ_DIR/logs" "$FUZZ_DIR/artifacts"

# One target, in the background of the caller; its exit code is libFuzzer's.
run_one() {
	local t=$1 work=$FUZZ_DIR/corpus/$1

	mkdir -p "$work"
	nice -n 10 "$FUZZ_DIR/fuzz_$t" -max_total_time="$SECS" \
		-max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$FUZZ_DIR/artifacts/$t-" \
		"$work" "$SRC_DIR/tests/fuzz/corpus/$t" \
		>"$FUZZ_DIR/logs/$t.log" 2>&1
}

# Summary of a finished target from its log.
report() {
	local t=$1 rc=$2 log=$FUZZ_DIR/logs/$1.log done runs

	done=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ] && [ -n "$done" ]; then
		printf 'PASS fuzz_%s: %s executions in %s s, %s\n' "$t" \
			"${runs:-?}" "$SECS" \
			"$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' <<<"$done")"
		return 0
	fi
	printf 'FAIL fuzz_%s (exit %s): log %s\n' "$t" "$rc" "$log"
	grep -E 'ERROR|SUMMARY|fuzz_check|Test unit written|runtime error' "$log" |
		head -n 20 | sed 's/^/    /'
	tail -n 30 "$log" | sed 's/^/    /'
	return 1
}

failed=0
targets=("$@")
i=0
while [ $i -lt ${#targets[@]} ]; do
	pids=() batch=()
	for ((k = 0; k < JOBS && i < ${#targets[@]}; k++, i++)); do
		batch+=("${targets[$i]}")
		run_one "${targets[$i]}" &
		pids+=($!)
	done
	for k in "${!pids[@]}"; do
		wait "${pids[$k]}"
		rc=$?
		report "${batch[$k]}" "$rc" || failed=$((failed + 1))
	done
done

echo "fuzz: ${#targets[@]} targets, $failed failed"
[ "$failed" -eq 0 ]
