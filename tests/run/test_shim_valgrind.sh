#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The preload shim under valgrind memcheck: the descriptor test program
# (tests/run/shim_fds.c: poll/select/epoll, dup, fork, exec, signals,
# threads) with the shim preloaded, no memory error anywhere.
set -uo pipefail

command -v valgrind >/dev/null || { echo "skip: valgrind is not installed"; exit 77; }
log=$BUILD_DIR/test-logs/shim-valgrind.out
mkdir -p "$(dirname "$log")"
# valgrind adds its own preloads to the program's LD_PRELOAD.
ULK_RUN_OPTS= LD_PRELOAD=$BUILD_DIR/lib/libulk-preload.so \
	timeout "${VALGRIND_TIMEOUT:-170}" valgrind --quiet --error-exitcode=99 \
	"$BUILD_DIR/tests/run/shim_fds" >"$log" 2>&1
rc=$?
grep -E "^(FAIL|==)" "$log" | head -40
case $rc in
0) grep -q "^all checks passed$" "$log" && echo "PASS no memory errors, all checks passed" && exit 0
   echo "FAIL: no verdict from shim_fds"; exit 1 ;;
99) echo "FAIL: valgrind found memory errors"; exit 1 ;;
*) echo "FAIL: exit $rc under valgrind"; tail -20 "$log"; exit 1 ;;
esac
