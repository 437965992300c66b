#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Linking checks (design.md 3.5):
#  - libulk.so's dynamic symbol table defines only ulk_* names;
#  - libulk.so has no text relocations (no TEXTREL in readelf -d);
#  - tests/link/own_symbols.c, which defines its own memcpy, printk and
#    socket, links and boots against libulk.a, against libulk.so, linked
#    -static, and as an explicit PIE.
# Binaries go to BUILD_DIR/tests/link/ (named *.bin so tests/run.sh does not
# take them for tests).

set -uo pipefail

SRC_DIR=${SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build}
LIB=$BUILD_DIR/lib
OUT=$BUILD_DIR/tests/link
CC=${CC:-gcc}
CFLAGS=(-std=gnu11 -Wall -Wextra -Werror -O2 -g -I "$BUILD_DIR/include" -I "$SRC_DIR/include")

failures=0
pass() { echo "PASS $*"; }
fail() {
	echo "FAIL $*"
	failures=$((failures + 1))
}

for f in "$LIB/libulk.a" "$LIB/libulk.so"; do
	if [ ! -f "$f" ]; then
		echo "FAIL $f is not built (make lib)"
		exit 1
	fi
done
mkdir -p "$OUT"

# --- exported names ---------------------------------------------------------
# Version nodes (ULK_1) appear as absolute symbols; every other defined
# dynamic symbol must be ulk_*.
exports=$(nm -D --defined-only "$LIB/libulk.so" | awk '$2 != "A" { print $3 }' | sed 's/@.*//')
count=$(printf '%s\n' "$exports" | grep -c .)
bad=$(printf '%s\n' "$exports" | grep -v '^ulk_' | grep . || true)
if [ -z "$bad" ] && [ "$count" -gt 0 ]; then
	pass "libulk.so exports only ulk_* names ($count symbols)"
else
	fail "libulk.so exports non-ulk names ($count symbols): $(tr "\n" " " <<<"$bad" | head -c 400)"
fi
for sym in ulk_start ulk_halt ulk_syscall ulk_strerror ulk_trigger_irq ulk_sys_getppid; do
	if printf '%s\n' "$exports" | grep -qx "$sym"; then
		pass "libulk.so exports $sym"
	else
		fail "libulk.so does not export $sym"
	fi
done
for sym in memcpy printk socket panic strlen; do
	if printf '%s\n' "$exports" | grep -qx "$sym"; then
		fail "libulk.so exports the kernel's $sym"
	else
		pass "libulk.so does not export $sym"
	fi
done

# --- text relocations -------------------------------------------------------
if ! dyn=$(readelf -d "$LIB/libulk.so"); then
	fail "readelf -d libulk.so failed"
elif grep -q TEXTREL <<<"$dyn"; then
	fail "libulk.so has text relocations: $(grep TEXTREL <<<"$dyn" | tr -s ' ')"
else
	pass "libulk.so has no TEXTREL"
fi

# --- a program with its own memcpy, printk, socket --------------------------
# build NAME ARGS... : compile own_symbols.c into OUT/NAME.bin
build() {
	local name=$1
	shift
	if "$CC" "${CFLAGS[@]}" "$@" >"$OUT/$name.cc.log" 2>&1; then
		return 0
	fi
	fail "$name: does not link:"
	sed 's/^/    /' "$OUT/$name.cc.log" | head -n 30
	return 1
}

# run NAME [ELF check] : run OUT/NAME.bin and report
run() {
	local name=$1 bin=$OUT/$1.bin rc
	timeout --kill-after=5 60 "$bin" "$name" >"$OUT/$name.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q "^RESULT: $name: pass" "$OUT/$name.log"; then
		pass "$name: links, boots, uname works; $(grep '^     uname' "$OUT/$name.log" | sed 's/^ *//')"
	else
		fail "$name: exit $rc:"
		sed 's/^/    /' "$OUT/$name.log" | tail -n 20
	fi
}

SRC=$SRC_DIR/tests/link/own_symbols.c

if build static-archive "$SRC" -o "$OUT/static-archive.bin" "$LIB/libulk.a" -lpthread; then
	run static-archive
fi

if build shared "$SRC" -o "$OUT/shared.bin" -L"$LIB" -lulk -Wl,-rpath,"$LIB" -lpthread; then
	if readelf -d "$OUT/shared.bin" | grep -q 'NEEDED.*libulk\.so'; then
		pass "shared: the program needs libulk.so dynamically"
	else
		fail "shared: the program does not load libulk.so"
	fi
	run shared
fi

if build fully-static -static "$SRC" -o "$OUT/fully-static.bin" "$LIB/libulk.a" -lpthread; then
	if readelf -l "$OUT/fully-static.bin" | grep -q INTERP; then
		fail "fully-static: the program has an ELF interpreter (not static)"
	else
		pass "fully-static: the program is statically linked"
	fi
	run fully-static
fi

if build pie -fPIE -pie "$SRC" -o "$OUT/pie.bin" "$LIB/libulk.a" -lpthread; then
	if readelf -h "$OUT/pie.bin" | grep -q 'Type:.*DYN'; then
		pass "pie: the program is position independent (ELF type DYN)"
	else
		fail "pie: the program is not a PIE"
	fi
	run pie
fi

if [ $failures -eq 0 ]; then
	echo "RESULT: all link checks pass"
	exit 0
fi
echo "RESULT: $failures link checks failed"
exit 1
