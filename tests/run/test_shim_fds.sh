#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The preload shim's descriptor promises, checked by a plain program
# (tests/run/shim_fds.c) under ulk-run with loopback only: no root needed.
set -uo pipefail

out=$(timeout 120 "$BUILD_DIR/bin/ulk-run" -- "$BUILD_DIR/tests/run/shim_fds" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "FAIL: shim_fds exited $rc"; exit 1; }
grep -q "^all checks passed$" <<<"$out" || { echo "FAIL: no final verdict"; exit 1; }
