# SPDX-License-Identifier: GPL-2.0
# Sourced by the tests/net scripts: a throwaway network namespace holding a
# TAP whose host side has the given addresses, plus PASS/FAIL helpers.
# Everything is removed on every exit path (the EXIT trap), including a
# server left running in $srv.
#
#   tap_ns_setup NAME TAPDEV CIDR4 [CIDR6]   sets $ns and $tmp, or exits 77
#                                            (skip) without root or TUN

fail=0
srv=
pass() { echo "PASS $*"; }
bad() { echo "FAIL $*"; fail=1; }

tap_ns_cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null
	[ -n "${ns:-}" ] && ip netns del "$ns" 2>/dev/null
	[ -n "${tmp:-}" ] && rm -rf "$tmp"
	return 0
}

tap_ns_setup() {
	local name=$1 dev=$2 cidr4=$3 cidr6=${4:-}

	if [ "$(id -u)" -ne 0 ]; then echo "skip: needs root (TAP and network namespaces)"; exit 77; fi
	if [ ! -c /dev/net/tun ]; then echo "skip: no /dev/net/tun"; exit 77; fi
	ns=$name$$
	tmp=$(mktemp -d)
	trap tap_ns_cleanup EXIT
	trap 'exit 130' INT TERM
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" tuntap add dev "$dev" mode tap
	ip -n "$ns" addr add "$cidr4" dev "$dev"
	[ -n "$cidr6" ] && ip -n "$ns" addr add "$cidr6" dev "$dev" nodad
	ip -n "$ns" link set "$dev" up
}
