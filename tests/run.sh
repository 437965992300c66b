#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ulk test runner.
#
# Usage: tests/run.sh [--sanitized SAN_BUILD_DIR] BUILD_DIR [FILTER...]
#
# Runs, in name order, every executable BUILD_DIR/tests/DIR/test_* (built
# from tests/DIR/test_*.c) and every script tests/DIR/test_*.sh (run with
# bash, BUILD_DIR and SRC_DIR in the environment). With --sanitized, then
# every executable SAN_BUILD_DIR/tests/DIR/test_* of a `make SANITIZE=1`
# build (the unit and integration tiers and net/'s programs with ASan and
# UBSan, their options built into them: tests/sanitizers.c), named
# asan/DIR/test_x; the scripts run once, against BUILD_DIR. With FILTERs,
# only tests whose name (DIR/test_x, DIR/test_x.sh or asan/DIR/test_x)
# contains one of them run: `tests/run.sh build unit/ integration/` runs
# two tiers.
#
# A test passes with exit 0 and skips with exit 77, printing the reason as
# its last line; anything else fails. Each runs under a timeout (TEST_TIMEOUT
# seconds, default 300) with its output in BUILD_DIR/test-logs/NAME.log,
# shown only on failure. Exits 1 if any test failed or none ran: a run of
# nothing means the build is broken, not that all is well.
#
# TEST_WRAPPER, if set, is a command line put before every test executable
# of BUILD_DIR (not the scripts, not the sanitized ones): TEST_WRAPPER=
# 'valgrind -q' runs them under memcheck.

set -uo pipefail

usage() {
	echo "usage: $0 [--sanitized SAN_BUILD_DIR] BUILD_DIR [FILTER...]" >&2
	exit 2
}

SAN_DIR=
if [ "${1:-}" = --sanitized ]; then
	[ $# -ge 2 ] || usage
	[ -d "$2" ] || { echo "run.sh: no sanitized build directory '$2'" >&2; exit 2; }
	SAN_DIR=$(cd "$2" && pwd)
	shift 2
fi
if [ $# -lt 1 ]; then usage; fi
[ -d "$1" ] || { echo "run.sh: no build directory '$1'" >&2; exit 2; }

BUILD_DIR=$(cd "$1" && pwd)
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shift
FILTERS=("$@")
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
LOG_DIR=$BUILD_DIR/test-logs
export BUILD_DIR SRC_DIR

if ! [[ $TEST_TIMEOUT =~ ^[0-9]+(\.[0-9]+)?[smhd]?$ ]]; then
	echo "run.sh: TEST_TIMEOUT='$TEST_TIMEOUT' is not a duration" >&2
	exit 2
fi
command -v timeout >/dev/null || { echo "run.sh: needs timeout(1)" >&2; exit 2; }

# PREFIX KIND DIR: name<TAB>KIND<TAB>path of DIR's test executables, one
# line each; names are PREFIX plus the path relative to tests/.
list_bins() {
	local f name

	for f in "$3"/tests/*/test_*; do
		name=${f#"$3"/tests/}
		# Object and dependency files sit beside the binaries.
		[[ $name == */*.* ]] && continue
		[ -f "$f" ] && [ -x "$f" ] && printf '%s%s\t%s\t%s\n' "$1" "$name" "$2" "$f"
	done
}

# Every test in the order they run: BUILD_DIR's and the scripts by name,
# then the sanitized ones by name.
list_tests() {
	local f

	{
		list_bins "" bin "$BUILD_DIR"
		for f in "$SRC_DIR"/tests/*/test_*.sh; do
			[ -f "$f" ] || continue
			printf '%s\tsh\t%s\n' "${f#"$SRC_DIR"/tests/}" "$f"
		done
	} | LC_ALL=C sort
	if [ -n "$SAN_DIR" ]; then
		list_bins asan/ sanitized "$SAN_DIR" | LC_ALL=C sort
	fi
}

# Whether test NAME is selected by the FILTERs (all are without any).
selected() {
	local f

	[ ${#FILTERS[@]} -eq 0 ] && return 0
	for f in "${FILTERS[@]}"; do
		[[ $1 == *"$f"* ]] && return 0
	done
	return 1
}

# Microseconds since the epoch, from bash itself (no fork per reading).
now_us() {
	local t=${EPOCHREALTIME/[.,]/}

	echo "${t#0}"
}

passed=0 failed=0 skipped=0

while IFS=$'\t' read -r name kind path; do
	selected "$name" || continue

	log=$LOG_DIR/$name.log
	mkdir -p "$(dirname "$log")"
	case $kind in
	sh) cmd=(bash "$path") ;;
	bin)
		# shellcheck disable=SC2206 # split on purpose: a command line
		cmd=(${TEST_WRAPPER:-} "$path")
		;;
	*) cmd=("$path") ;;
	esac

	start=$(now_us)
	# The outer braces drop bash's own "Segmentation fault" notice:
	# the FAIL line already names the signal.
	{
		(cd "$SRC_DIR" && exec timeout --kill-after=10 \
			"$TEST_TIMEOUT" "${cmd[@]}") </dev/null >"$log" 2>&1
		rc=$?
	} 2>/dev/null
	elapsed=$(( $(now_us) - start ))
	secs=$(printf '%d.%d' $((elapsed / 1000000)) $((elapsed / 100000 % 10)))

	case $rc in
	0)
		echo "PASS $name (${secs}s)"
		passed=$((passed + 1))
		;;
	77)
		reason=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)
		echo "SKIP $name: ${reason:-no reason given}"
		skipped=$((skipped + 1))
		;;
	*)
		case $rc in
		124) why="timed out after $TEST_TIMEOUT s" ;;
		137) why="killed by SIGKILL: timed out, or out of memory" ;;
		*)
			why="exit $rc"
			[ "$rc" -gt 128 ] && why="$why, signal $((rc - 128))"
			;;
		esac
		echo "FAIL $name ($why)"
		echo "---- last 40 lines of $log"
		tail -n 40 "$log" | sed 's/^/    /'
		echo "----"
		failed=$((failed + 1))
		;;
	esac
done < <(list_tests)

echo "$passed passed, $failed failed, $skipped skipped"

if [ $((passed + failed + skipped)) -eq 0 ]; then
	if [ ${#FILTERS[@]} -gt 0 ]; then
		echo "run.sh: no test matches '${FILTERS[*]}'" >&2
	else
		echo "run.sh: no tests found: is $BUILD_DIR built?" >&2
	fi
	exit 1
fi
[ "$failed" -eq 0 ]
