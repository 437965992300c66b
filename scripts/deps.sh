#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages that ulk's build and tests need.
#
# Usage: scripts/deps.sh [--check]
#
# Fast and silent when everything is present: one dpkg-query, no apt. Only
# the missing packages are installed, and the package lists are refreshed
# only when there are none yet, or when an install from stale lists fails.
# --check installs nothing: exit 0 if all is present, 1 otherwise.

set -euo pipefail

# Keep one package per line so additions diff cleanly.
PACKAGES=(
	linux-source-6.12	# the kernel tree we build from
	gcc
	libc6-dev		# gcc only recommends it; headers and crt files
	make
	bc			# kernel build: timeconst.h
	flex
	bison
	libelf-dev
	libssl-dev
	xz-utils		# unpacks the kernel tarball
	python3			# scripts/export_headers.py, gen_syscalls.py
	rsync			# kernel headers_install
	binutils		# ld -r, objcopy, readelf (TEXTREL check)
	valgrind
	iproute2		# integration tests: ip netns, tuntap
	procps
	ethtool			# run/test_ulkctl: ethtool -k/-i/-S through ulkctl
	libpcap-dev		# ulkctl capture: filters compiled with libpcap
	tcpdump			# run/test_ulkctl: tcpdump -r of a capture
	curl			# make demo: the host fetches from ulk
	iputils-ping		# tests/net: ping ulk from the host
	util-linux		# unshare, nsenter
	coreutils		# timeout(1) in tests/run.sh
	libjson-c-dev		# ulk-run --config
	iperf3			# tests/run, bench: unmodified programs under ulk-run
	sockperf
	nginx-light
	wrk			# bench: HTTP request rate against nginx
	redis-server		# bench: an epoll server under ulk-run (run by the bench, not as a service)
	redis-tools		# bench: redis-benchmark drives it
	busybox			# tests/run/test_proxy_dhcp: the guest's DHCP client (udhcpc)
	clang-14		# make fuzz, tests/fuzz: the fuzz targets
	libclang-rt-14-dev	# libFuzzer and the sanitizer runtimes for clang-14
)
KERNEL_TARBALL=/usr/src/linux-source-6.12.tar.xz

check_only=0
case "${1:-}" in
--check) check_only=1 ;;
"") ;;
*)
	echo "usage: $0 [--check]" >&2
	exit 2
	;;
esac

# Print the packages of PACKAGES that are not fully installed.
missing_packages() {
	local installed pkg

	# Unknown packages make dpkg-query complain and exit non-zero; they
	# are simply absent from its output, which is all we need.
	installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' \
		"${PACKAGES[@]}" 2>/dev/null | awk '$2 == "ii" { print $1 }' || true)
	for pkg in "${PACKAGES[@]}"; do
		grep -qxF "$pkg" <<<"$installed" || echo "$pkg"
	done
}

mapfile -t missing < <(missing_packages)

if [ ${#missing[@]} -eq 0 ]; then
	if [ ! -f "$KERNEL_TARBALL" ]; then
		echo "deps.sh: $KERNEL_TARBALL is missing although linux-source-6.12 is installed; reinstall it: apt-get install --reinstall linux-source-6.12" >&2
		exit 1
	fi
	exit 0
fi

if [ $check_only -eq 1 ]; then
	echo "deps.sh: missing packages: ${missing[*]}" >&2
	exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
	as_root=()
elif sudo -n true 2>/dev/null; then
	as_root=(sudo -n)
else
	echo "deps.sh: missing packages: ${missing[*]}; install them as root: apt-get install ${missing[*]}" >&2
	exit 1
fi

apt_update() {
	# Some configured sources may be unreachable; what the others give
	# may still be enough, so let the install decide.
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get update -qq || echo "deps.sh: apt-get update reported errors; trying anyway" >&2
}

apt_install() {
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_failed() {
	echo "deps.sh: apt-get install failed for: ${missing[*]}" >&2
	exit 1
}

echo "deps.sh: installing ${missing[*]}"
lists_fresh=0
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
	apt_update
	lists_fresh=1
fi
if ! apt_install; then
	[ $lists_fresh -eq 0 ] || install_failed
	# The lists may be old enough that the versions they name are gone.
	apt_update
	apt_install || install_failed
fi

mapfile -t missing < <(missing_packages)
if [ ${#missing[@]} -ne 0 ]; then
	echo "deps.sh: still missing after install: ${missing[*]}" >&2
	exit 1
fi
if [ ! -f "$KERNEL_TARBALL" ]; then
	echo "deps.sh: $KERNEL_TARBALL not found after installing linux-source-6.12" >&2
	exit 1
fi
