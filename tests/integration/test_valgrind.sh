#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The boot test under valgrind memcheck: no memory errors on the host side.
#
# Runs BUILD_DIR/tests/integration/test_boot (built by `make test`) under
# memcheck. The kernel runs its own allocator inside one region, which
# memcheck cannot follow, so errors are attributed to a side before judging:
# the innermost stack frame of an error that is ours (not valgrind's, not
# libc's) decides. Host side: lib/*.c, the generated syscall wrappers, the
# test itself. Kernel-side errors are counted and listed, but not failed. The test fails on any host-side error record, if test_boot's
# own checks fail under valgrind, or if valgrind cannot run it to the end.
# Skips (77) if valgrind is not installed.

set -uo pipefail

SRC_DIR=${SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build}
BIN=$BUILD_DIR/tests/integration/test_boot
LIMIT=${VALGRIND_TIMEOUT:-170}

if ! command -v valgrind >/dev/null; then
	echo "valgrind is not installed (scripts/deps.sh installs it)"
	exit 77
fi
if [ ! -x "$BIN" ]; then
	echo "FAIL: $BIN is not built (make test builds it)"
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "running test_boot under valgrind $(valgrind --version) (limit ${LIMIT}s)"
start=$SECONDS
timeout --kill-after=10 "$LIMIT" valgrind --tool=memcheck \
	--error-exitcode=99 --leak-check=no --num-callers=40 \
	--fullpath-after= --log-file="$work/vg.log" \
	"$BIN" >"$work/out.log" 2>&1
rc=$?
echo "valgrind exited $rc after $((SECONDS - start))s"

status=0
summary=$(grep -E '== ERROR SUMMARY:' "$work/vg.log" | tail -n 1 | sed 's/^==[0-9]*== //')
if [ -z "$summary" ]; then
	echo "FAIL valgrind did not finish (exit $rc); last lines of its log:"
	tail -n 30 "$work/vg.log" | sed 's/^/    /'
	echo "test_boot output:"
	tail -n 30 "$work/out.log" | sed 's/^/    /'
	echo "RESULT: valgrind run incomplete"
	exit 1
fi
echo "valgrind: $summary"

# test_boot's own verdict (its exit status is replaced by 99 on errors).
if grep -q '^RESULT: all [0-9]* checks passed' "$work/out.log"; then
	echo "PASS test_boot's checks pass under valgrind ($(grep '^RESULT:' "$work/out.log"))"
else
	echo "FAIL test_boot's checks under valgrind:"
	grep -E '^(FAIL|RESULT)' "$work/out.log" | sed 's/^/    /'
	tail -n 5 "$work/out.log" | sed 's/^/    /'
	status=1
fi
case $rc in
0 | 99) ;;
*)
	echo "FAIL valgrind/test_boot exited $rc (neither 0 nor valgrind's 99)"
	status=1
	;;
esac

# Split the log into error records and attribute each one. A record starts
# with a line at the margin ("Invalid read of size 8", possibly preceded by
# "Thread N:") and ends with an empty line; its own stack is the run of
# "at"/"by" frames right after the heading. Walking that stack from the top,
# frames in valgrind, libc or inlined system headers are passed over; the
# first frame that is ours decides:
#  - host: source under SRC_DIR/lib/ or SRC_DIR/tests/, or the generated
#    wrappers under BUILD_DIR/gen/ (host code is built with -g, and paths
#    are absolute thanks to --fullpath-after=, so the kernel's own lib/
#    under BUILD_DIR/linux does not pass for ours);
#  - kernel: a frame in the test binary without source (the kernel object
#    has no debug info), or source under BUILD_DIR/linux or BUILD_DIR/kernel.
# A record with neither (all in libc or the loader) counts as "other".
awk -v host="$SRC_DIR/lib/|$SRC_DIR/tests/|$BUILD_DIR/gen/" \
    -v kern="(in $BIN)|$BUILD_DIR/linux/|$BUILD_DIR/kernel/" '
function has_any(s, list,    n, i, parts) {
	n = split(list, parts, "|")
	for (i = 1; i <= n; i++)
		if (parts[i] != "" && index(s, parts[i]))
			return 1
	return 0
}
function flush() {
	if (inrec) {
		total++
		if (side == "host") {
			nhost++
			printf "HOST-SIDE ERROR:\n%s\n", rec
		} else if (side == "kernel") {
			nkern++
			if (nkern <= 3)
				printf "kernel-side (not failed):\n%s\n", rec
		} else {
			nother++
			if (nother <= 3)
				printf "neither side (not failed):\n%s\n", rec
		}
	}
	inrec = 0; rec = ""; side = ""; stack = 0
}
{
	sub(/^==[0-9]+== ?/, "")
}
/^$/ { flush(); thread = ""; next }
/^Thread [0-9]+:/ { thread = $0; next }
/^(Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap|Argument .* of function|Jump to the invalid address)/ {
	flush()
	inrec = 1; stack = 1; side = ""
	rec = "    " (thread != "" ? thread " " : "") $0
	next
}
inrec {
	rec = rec "\n    " $0
	if (!stack || $0 !~ /^ +(at|by) 0x/) {
		stack = 0
		next
	}
	if (side != "")
		next
	if (has_any($0, host))
		side = "host"
	else if (has_any($0, kern))
		side = "kernel"
}
END {
	flush()
	printf "error records: %d total, %d host-side, %d kernel-side, %d other\n", total, nhost, nkern, nother
	exit nhost > 0
}' "$work/vg.log"
attr=$?

if [ $attr -ne 0 ]; then
	echo "FAIL memcheck errors attributed to the host side (see above)"
	status=1
else
	echo "PASS no memcheck error attributed to the host side"
fi
if [ $status -eq 0 ]; then
	echo "RESULT: pass"
else
	echo "RESULT: fail"
fi
exit $status
