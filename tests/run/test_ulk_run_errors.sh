#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ulk-run refuses bad settings before the program starts. For each bad
# command line (options, devices, --config files, the shim, the program):
# the exit status is 2 (127 or 126 for the program, as in a shell), stderr
# is one "ulk-run: ..." line naming the problem, and the program, here
# `touch MARKER`, did not run. Then the good path: --help, the environment
# the program gets (ULK_RUN_OPTS, LD_PRELOAD), the shim found beside
# ulk-run, the program's exit status passed through.
#
# The shim is never loaded for real: ULK_PRELOAD points at an empty file,
# which ld.so ignores with a warning, so no ulk boots and no root is needed.

set -uo pipefail

SRC_DIR=${SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build}
ULK_RUN=$BUILD_DIR/bin/ulk-run
SEP=$'\x1f'

if [ ! -x "$ULK_RUN" ]; then
	echo "FAIL $ULK_RUN is not built (make lib builds it)"
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/shim.so"
: >"$tmp/extra.so"
: >"$tmp/old.so"
export ULK_PRELOAD=$tmp/shim.so
unset LD_PRELOAD ULK_RUN_OPTS

passed=0 failed=0
pass() {
	echo "PASS $*"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL $*"
	failed=$((failed + 1))
}

# refuse STATUS WORD ARGS...: `ulk-run ARGS -- touch MARKER` must exit with
# STATUS, print one line with WORD on stderr, and not create MARKER.
refuse() {
	local want=$1 word=$2 rc what
	shift 2
	what="ulk-run $*"
	rm -f "$tmp/marker"
	"$ULK_RUN" "$@" -- touch "$tmp/marker" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ -e "$tmp/marker" ]; then
		fail "$what: the program ran"
	elif [ "$rc" -ne "$want" ]; then
		fail "$what: exit $rc, want $want; stderr: $(head -c 300 "$tmp/err")"
	elif ! grep -qF -- "$word" "$tmp/err"; then
		fail "$what: stderr lacks '$word': $(head -c 300 "$tmp/err")"
	elif [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q '^ulk-run: ' "$tmp/err"; then
		fail "$what: stderr is not one 'ulk-run: ' line: $(head -c 300 "$tmp/err")"
	else
		pass "$what: $(cat "$tmp/err")"
	fi
}

net=(--net "pipe:$tmp/p")

# --- bad options ---------------------------------------------------------
refuse 2 "unknown option --bogus" --bogus
refuse 2 "unknown option --ipv4" "${net[@]}" --ipv4 10.0.0.2/24
refuse 2 "--ip 10.0.0.300/24: not an IPv4 address/prefix" "${net[@]}" --ip 10.0.0.300/24
refuse 2 "--ip 10.0.0.2: not an IPv4 address/prefix" "${net[@]}" --ip=10.0.0.2
refuse 2 "--ip6 fd00::1/200: not an IPv6 address/prefix" "${net[@]}" --ip6 fd00::1/200
refuse 2 "--ip6 fd00:::1/64: not an IPv6" "${net[@]}" --ip6 fd00:::1/64
refuse 2 "--mac 02:00:00:00:00: not an Ethernet address" "${net[@]}" --mac 02:00:00:00:00
refuse 2 "multicast" "${net[@]}" --mac 01:00:5e:00:00:01
refuse 2 "all-zero" "${net[@]}" --mac 00:00:00:00:00:00
refuse 2 "--mtu 40: not an MTU (68..65535)" "${net[@]}" --mtu 40
refuse 2 "--mtu 70000: not an MTU" "${net[@]}" --mtu=70000
refuse 2 "the device already has --mtu" "${net[@]}" --mtu 1500 --mtu 9000
refuse 2 "--ip needs a --net before it" --ip 10.0.0.2/24 "${net[@]}"
refuse 2 "--mtu needs a --net before it" --mtu 1500
refuse 2 "unknown offload 'tx-bogus'" "${net[@]}" --offload tx-csum,tx-bogus
refuse 2 "--sysctl nodots=1: bad name" --sysctl nodots=1
refuse 2 "--sysctl net.ipv4.tcp_ecn: expected NAME=VALUE" --sysctl net.ipv4.tcp_ecn
refuse 2 "--sysctl net.ipv4.tcp_ecn=: empty value" --sysctl net.ipv4.tcp_ecn=
refuse 2 "--mem 1M: out of range (16M..64G)" --mem 1M
refuse 2 "--mem lots: not a size" --mem lots
refuse 2 "--gw 10.9.9.9: not inside the subnet" "${net[@]}" --ip 10.0.0.2/24 --gw 10.9.9.9
refuse 2 "--net eth0: expected tap:IFNAME, pipe:PATH" --net eth0
refuse 2 "--verbose takes no value" --verbose=yes

# --- devices this machine does not have ----------------------------------
tap=ulkno$$
while [ -e "/sys/class/net/$tap" ]; do tap=${tap}x; done
refuse 2 "tap:$tap: no such interface" --net "tap:$tap"
refuse 2 "pipe:$tmp/nodir/p: directory $tmp/nodir does not exist" --net "pipe:$tmp/nodir/p"

# --- --config files --------------------------------------------------------
printf '{"net": [{"dev": "pipe:%s/p",\n  "ip": ["10.0.0.2/24"] oops}]}\n' "$tmp" >"$tmp/invalid.json"
printf '{"net": [], "colour": "red"}\n' >"$tmp/key.json"
printf '{"net": [{"dev": "pipe:%s/p", "mtu": "1500"}]}\n' "$tmp" >"$tmp/type.json"
printf '{"net": [{"dev": "pipe:%s/p", "mtu": 10}]}\n' "$tmp" >"$tmp/value.json"
refuse 2 "$tmp/none.json: No such file or directory" --config "$tmp/none.json"
refuse 2 "$tmp/invalid.json: invalid JSON at line 2" --config "$tmp/invalid.json"
refuse 2 "$tmp/key.json: unknown key \"colour\"" --config "$tmp/key.json"
refuse 2 "$tmp/type.json: \"net[0].mtu\": expected an integer, got string" --config "$tmp/type.json"
refuse 2 "$tmp/value.json: --mtu 10: not an MTU" --config "$tmp/value.json"
refuse 2 "only one --config" --config "$tmp/value.json" --config="$tmp/key.json"

# --- the shim and the program ----------------------------------------------
ULK_PRELOAD=$tmp/none.so refuse 2 "preload shim $tmp/none.so" "${net[@]}"
refuse 2 "--preload $tmp/none.so: No such file" --preload "$tmp/none.so"

"$ULK_RUN" --verbose >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "no program" "$tmp/err"; then
	pass "ulk-run without a program: exit 2, $(cat "$tmp/err")"
else
	fail "ulk-run without a program: exit $rc: $(cat "$tmp/err")"
fi

prog=ulk-no-such-program-$$
"$ULK_RUN" "${net[@]}" -- "$prog" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 127 ] && grep -qF "$prog: command not found" "$tmp/err"; then
	pass "missing program: exit 127, $(cat "$tmp/err")"
else
	fail "missing program: exit $rc, want 127: $(cat "$tmp/err")"
fi
"$ULK_RUN" -- "$tmp/extra.so" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 126 ] && grep -qF "Permission denied" "$tmp/err"; then
	pass "program not executable: exit 126"
else
	fail "program not executable: exit $rc, want 126: $(cat "$tmp/err")"
fi

# --- --help -------------------------------------------------------------------
"$ULK_RUN" --help >"$tmp/out" 2>"$tmp/err"
rc=$?
missing=
for opt in --net --ip --ip6 --mtu --mac --offload --gw --gw6 --sysctl \
	   --mem --verbose --config --preload --help; do
	grep -qe "^ *$opt " "$tmp/out" || missing="$missing $opt"
done
if [ "$rc" -eq 0 ] && [ -z "$missing" ] && [ ! -s "$tmp/err" ]; then
	pass "--help: exit 0, lists every option"
else
	fail "--help: exit $rc, options missing:${missing:- none}"
fi

# --- the good path: what the program is given ----------------------------------
# show ARGS...: run `ulk-run ARGS -- sh` printing ULK_RUN_OPTS and LD_PRELOAD
# (one per line, the separator shown as '|') into $tmp/env.
show() {
	rm -f "$tmp/env"
	"$@" -- sh -c 'printf "%s\n%s\n" "$ULK_RUN_OPTS" "$LD_PRELOAD" >"$0"' \
		"$tmp/env" 2>"$tmp/err"
}
expect_env() {
	local what=$1 opts=$2 preload=$3 got

	got=$(tr "$SEP" '|' <"$tmp/env" 2>/dev/null)
	if [ "$got" = "$opts"$'\n'"$preload" ]; then
		pass "$what"
	else
		fail "$what: got '$got', want '$opts' and '$preload'; stderr: $(head -c 300 "$tmp/err")"
	fi
}

shim=$(realpath "$tmp/shim.so")
show "$ULK_RUN" "${net[@]}" --ip=10.0.0.2/24 --mtu 9000 --offload none \
	--sysctl net.ipv4.tcp_ecn=1
expect_env "options reach the program in ULK_RUN_OPTS" \
	"--net|pipe:$tmp/p|--ip|10.0.0.2/24|--mtu|9000|--offload|none|--sysctl|net.ipv4.tcp_ecn=1" \
	"$shim"

printf '{"net": [{"dev": "pipe:%s/p", "ip": "10.0.0.2/24", "mtu": 1500}],\n "mem": "64M"}\n' \
	"$tmp" >"$tmp/good.json"
show env LD_PRELOAD="$tmp/old.so" "$ULK_RUN" --config "$tmp/good.json" \
	--ip 10.0.0.3/24 --preload "$tmp/extra.so" --verbose
expect_env "--config expanded in place, --preload and old LD_PRELOAD kept" \
	"--net|pipe:$tmp/p|--ip|10.0.0.2/24|--mtu|1500|--mem|64M|--ip|10.0.0.3/24|--verbose" \
	"$shim:$tmp/extra.so:$tmp/old.so"

mkdir -p "$tmp/inst/bin" "$tmp/inst/lib"
cp "$ULK_RUN" "$tmp/inst/bin/ulk-run"
: >"$tmp/inst/lib/libulk-preload.so"
ULK_PRELOAD= show "$tmp/inst/bin/ulk-run"
expect_env "without ULK_PRELOAD, the shim is found in ../lib" "" \
	"$(realpath "$tmp/inst/lib/libulk-preload.so")"
rm "$tmp/inst/lib/libulk-preload.so"
ULK_PRELOAD= "$tmp/inst/bin/ulk-run" -- true 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "preload shim" "$tmp/err"; then
	pass "without ULK_PRELOAD or ../lib/libulk-preload.so: exit 2"
else
	fail "no shim at all: exit $rc: $(cat "$tmp/err")"
fi

"$ULK_RUN" "${net[@]}" sh -c 'exit 7' 2>/dev/null
rc=$?
[ "$rc" -eq 7 ] && pass "the program's exit status (7) passes through" ||
	fail "program exiting 7: ulk-run exited $rc"

# A program that gains privileges would silently bypass the shim.
capped=$(command -v ping)
if [ "$(id -u)" -eq 0 ] && getcap "$capped" 2>/dev/null | grep -q cap_net_raw &&
	command -v setpriv >/dev/null; then
	# Copies nobody can reach, wherever the build directory is.
	chmod o+rx "$tmp"
	cp "$ULK_RUN" "$tmp/ulk-run-copy" && chmod o+rx "$tmp/ulk-run-copy"
	: >"$tmp/shim-copy.so" && chmod o+r "$tmp/shim-copy.so"
	ULK_PRELOAD="$tmp/shim-copy.so" setpriv --reuid=nobody --regid=nogroup \
		--clear-groups "$tmp/ulk-run-copy" -- "$capped" -c1 127.0.0.1 \
		>/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 2 ] && grep -q "gains privileges" "$tmp/err"; then
		pass "a program with file capabilities is refused (exit 2)"
	else
		fail "ping with file capabilities as nobody: exit $rc: $(cat "$tmp/err")"
	fi
else
	echo "(not checked: a program with file capabilities needs root, setpriv and a capped ping)"
fi

echo "RESULT: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
