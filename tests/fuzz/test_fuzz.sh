#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The fuzz targets of tests/fuzz/ in the test suite: build them with clang
# (make fuzz-build) and run each for FUZZ_TEST_TIME seconds (default 40),
# two at a time, so the six take about two minutes on two cores. Fails on
# any crash, sanitizer report, leak or hang (tests/fuzz/run_fuzz.sh);
# prints each target's executions and coverage. `make fuzz` runs longer.

set -uo pipefail
: "${BUILD_DIR:?run by tests/run.sh}" "${SRC_DIR:?run by tests/run.sh}"

CC=${FUZZ_CC:-clang-14}
if ! command -v "$CC" >/dev/null; then
	echo "$CC is not installed (scripts/deps.sh installs clang-14)"
	exit 77
fi
rt=$("$CC" -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a
if [ ! -f "$rt" ]; then
	echo "libFuzzer is not installed ($rt; scripts/deps.sh installs libclang-rt-14-dev)"
	exit 77
fi

nice -n 10 make -C "$SRC_DIR" -s fuzz-build BUILD="$BUILD_DIR" FUZZ_CC="$CC" || {
	echo "make fuzz-build failed"
	exit 1
}
exec bash "$SRC_DIR/tests/fuzz/run_fuzz.sh" "$BUILD_DIR" "${FUZZ_TEST_TIME:-40}"
