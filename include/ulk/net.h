/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ulk network configuration: interfaces, addresses, routes, neighbours and
 * sysctls of the kernel running inside this process.
 *
 * Everything here is done the way a program on a normal Linux system does
 * it: rtnetlink requests (NETLINK_ROUTE sockets inside ulk), device ioctls
 * and files under /proc/sys inside ulk. Nothing reaches into the kernel's
 * internals, so the kernel checks each request as it would for ip(8) or
 * sysctl(8), and what it accepts here it would accept there.
 *
 * Conventions:
 *  - Interfaces are named by index (ulk_if_index() turns a name into one).
 *  - Addresses are binary, in network byte order: a struct in_addr
 *    (4 bytes) for ULK_AF_INET, a struct in6_addr (16 bytes) for
 *    ULK_AF_INET6. The *_str() variants take text ("10.0.0.2/24",
 *    "fd00::2/64").
 *  - Returns are 0 (or a documented positive value) on success and a
 *    negative errno on failure; ulk_strerror() describes it. When the
 *    kernel explains why it refused a request, ulk_if_errmsg() has the
 *    explanation.
 *  - All functions need a running ulk (ulk_start()); without one they
 *    return -ESHUTDOWN. They may be called from any thread: each call
 *    uses its own socket inside ulk.
 *
 * Errors common to all requests, besides those listed per function:
 * -EINVAL for an argument the function rejects before asking the kernel;
 * -EAFNOSUPPORT for a family other than ULK_AF_INET/ULK_AF_INET6; -ENODEV
 * for an interface index that does not exist; -EPERM/-EACCES if the
 * kernel refuses the caller; -ENOMEM, -ENOBUFS; -EBADMSG if the kernel's
 * answer was malformed; -ETIMEDOUT if it never came (a kernel bug).
 */
#ifndef ULK_NET_H
#define ULK_NET_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- interfaces ------------------------------------------------------------ */

/**
 * ulk_if_index() - look up a network interface by name.
 * @name: the interface name inside ulk ("lo", "eth0").
 *
 * Return: the interface index (> 0); -ENODEV if ulk has no interface of
 * that name; -EINVAL if @name is NULL, empty, or longer than 15 bytes (no
 * interface can have such a name).
 */
int ulk_if_index(const char *name);

/**
 * ulk_if_name() - name of an interface.
 * @ifindex: interface index.
 * @name: receives the NUL-terminated name.
 * @len: size of @name; 16 bytes (IFNAMSIZ) always suffice.
 *
 * Return: 0; -ENODEV if there is no such interface; -ERANGE if @len is too
 * small for the name.
 */
int ulk_if_name(int ifindex, char *name, size_t len);

/**
 * ulk_if_set_up() - bring an interface up or down (ip link set up/down).
 * @ifindex: interface index.
 * @up: nonzero for up, 0 for down.
 *
 * Return: 0, or a negative errno (-ENODEV: no such interface).
 */
int ulk_if_set_up(int ifindex, int up);

/**
 * ulk_if_get_flags() - the interface flags.
 * @ifindex: interface index.
 *
 * Return: the ULK_IFF_* flags of <ulk/linux/if.h> (ULK_IFF_UP: brought up;
 * ULK_IFF_RUNNING, ULK_IFF_LOWER_UP: carrier), always >= 0; or a negative
 * errno (-ENODEV: no such interface).
 */
int ulk_if_get_flags(int ifindex);

/**
 * ulk_if_set_mtu() - set the MTU of an interface.
 * @ifindex: interface index.
 * @mtu: new MTU in bytes.
 *
 * Return: 0; -EINVAL if @mtu is not positive or outside the range the
 * device supports (ulk_if_errmsg() gives the range); -ENODEV.
 */
int ulk_if_set_mtu(int ifindex, int mtu);

/**
 * ulk_if_get_mtu() - the MTU of an interface.
 * @ifindex: interface index.
 *
 * Return: the MTU in bytes (> 0), or a negative errno (-ENODEV).
 */
int ulk_if_get_mtu(int ifindex);

/**
 * ulk_if_set_mac() - set the hardware (MAC) address of an interface.
 * @ifindex: interface index.
 * @mac: the new Ethernet address, 6 bytes.
 *
 * Return: 0; -EINVAL if @mac is NULL; -EADDRNOTAVAIL if the device refuses
 * the address (multicast, all zeros); -EOPNOTSUPP if the device has no
 * settable MAC address; -EBUSY if it must be down to change it; -ENODEV.
 */
int ulk_if_set_mac(int ifindex, const unsigned char mac[6]);

/**
 * ulk_if_get_mac() - the hardware (MAC) address of an interface.
 * @ifindex: interface index.
 * @mac: receives the Ethernet address, 6 bytes.
 *
 * Return: 0; -EINVAL if @mac is NULL; -ENODATA if the device has no 6-byte
 * hardware address (an IP-only device); -ENODEV.
 */
int ulk_if_get_mac(int ifindex, unsigned char mac[6]);

/* --- addresses ------------------------------------------------------------- */

/**
 * ulk_if_add_addr() - add an IPv4 or IPv6 address to an interface
 * (ip addr add ADDR/PREFIXLEN dev IF).
 * @ifindex: interface index.
 * @family: ULK_AF_INET or ULK_AF_INET6.
 * @addr: the address, 4 or 16 bytes in network byte order.
 * @prefixlen: prefix length, 0..32 (IPv4) or 0..128 (IPv6).
 *
 * IPv4 addresses get the subnet's broadcast address when the prefix is at
 * most /30, and host scope when they are in 127.0.0.0/8, as ip(8) does.
 * The kernel adds the prefix route. IPv6 addresses on a device that does
 * duplicate address detection are tentative (not usable as a source) for
 * about a second; ulk_if_add_addr_flags() with ULK_IFA_F_NODAD avoids it.
 *
 * Return: 0; -EINVAL for a NULL @addr or a prefix length out of range;
 * -EEXIST if the interface already has the address; -ENODEV.
 */
int ulk_if_add_addr(int ifindex, int family, const void *addr, int prefixlen);

/**
 * ulk_if_add_addr_flags() - ulk_if_add_addr() with address flags.
 * @ifindex: interface index.
 * @family: ULK_AF_INET or ULK_AF_INET6.
 * @addr: the address, 4 or 16 bytes in network byte order.
 * @prefixlen: prefix length.
 * @flags: ULK_IFA_F_* of <ulk/linux/if_addr.h>: ULK_IFA_F_NODAD (IPv6: no
 *	duplicate address detection), ULK_IFA_F_NOPREFIXROUTE (no prefix
 *	route), ULK_IFA_F_HOMEADDRESS, ULK_IFA_F_MANAGETEMPADDR,
 *	ULK_IFA_F_MCAUTOJOIN; the kernel rejects or ignores the others.
 *
 * Return: as ulk_if_add_addr().
 */
int ulk_if_add_addr_flags(int ifindex, int family, const void *addr,
			  int prefixlen, unsigned int flags);

/**
 * ulk_if_del_addr() - remove an address from an interface.
 * @ifindex: interface index.
 * @family: ULK_AF_INET or ULK_AF_INET6.
 * @addr: the address, 4 or 16 bytes in network byte order.
 * @prefixlen: its prefix length, as it was added.
 *
 * Return: 0; -EADDRNOTAVAIL if the interface has no such address with that
 * prefix length; -EINVAL; -ENODEV.
 */
int ulk_if_del_addr(int ifindex, int family, const void *addr, int prefixlen);

/**
 * ulk_if_add_addr_str() - ulk_if_add_addr() from text.
 * @ifindex: interface index.
 * @cidr: "ADDRESS/PREFIXLEN": a dotted-quad IPv4 address ("10.0.0.2/24")
 *	or an IPv6 address ("fd00::2/64"), then "/" and the prefix length
 *	in decimal. Nothing else: no spaces, no host names, no zone.
 *
 * Return: as ulk_if_add_addr(); -EINVAL if @cidr is NULL, is not an
 * address, has no "/PREFIXLEN", or has a prefix length that is not a
 * decimal number or is larger than 32 (IPv4) or 128 (IPv6).
 */
int ulk_if_add_addr_str(int ifindex, const char *cidr);

/**
 * ulk_if_del_addr_str() - ulk_if_del_addr() from text.
 * @ifindex: interface index.
 * @cidr: "ADDRESS/PREFIXLEN" as for ulk_if_add_addr_str().
 *
 * Return: as ulk_if_del_addr(); -EINVAL for bad text, as for
 * ulk_if_add_addr_str().
 */
int ulk_if_del_addr_str(int ifindex, const char *cidr);

/**
 * struct ulk_if_addr - one address of an interface, as ulk_if_get_addrs()
 * reports it.
 * @family: ULK_AF_INET or ULK_AF_INET6.
 * @prefixlen: prefix length.
 * @scope: ULK_RT_SCOPE_* (ULK_RT_SCOPE_UNIVERSE 0, ULK_RT_SCOPE_LINK 253,
 *	ULK_RT_SCOPE_HOST 254).
 * @flags: ULK_IFA_F_* (ULK_IFA_F_TENTATIVE: IPv6 duplicate address
 *	detection still running; ULK_IFA_F_PERMANENT: configured, not
 *	autoconfigured).
 * @addr: the address in network byte order; the first 4 bytes for IPv4.
 */
struct ulk_if_addr {
	int family;
	int prefixlen;
	int scope;
	unsigned int flags;
	unsigned char addr[16];
};

/**
 * ulk_if_get_addrs() - list the addresses of an interface (ip addr show).
 * @ifindex: interface index.
 * @family: ULK_AF_INET, ULK_AF_INET6, or ULK_AF_UNSPEC for both.
 * @addrs: receives up to @max addresses (may be NULL if @max is 0).
 * @max: capacity of @addrs.
 *
 * Return: the number of addresses the interface has, which may be more
 * than @max (then only the first @max are stored: call again with more
 * room); -EINVAL for a NULL @addrs with a positive @max or a negative
 * @max; -EAFNOSUPPORT; -ENODEV if there is no such interface; -EAGAIN if
 * addresses kept changing while they were listed.
 */
int ulk_if_get_addrs(int ifindex, int family, struct ulk_if_addr *addrs,
		     int max);

/* --- routes ---------------------------------------------------------------- */

/**
 * ulk_route_add() - add a unicast route to the main table
 * (ip route add DST/PREFIXLEN [via GW] [dev IF]).
 * @family: ULK_AF_INET or ULK_AF_INET6.
 * @dst: destination prefix (4 or 16 bytes, network byte order, host bits
 *	zero), or NULL for the default route.
 * @prefixlen: its length, 0..32 or 0..128; 0 makes the default route (and
 *	@dst is then ignored).
 * @gw: the gateway (same family), or NULL for an on-link route.
 * @ifindex: the outgoing interface, or 0 to let the kernel find it from
 *	@gw.
 *
 * Return: 0; -EINVAL if neither @gw nor @ifindex is given, @dst is NULL
 * with a nonzero @prefixlen, the prefix length is out of range, or the
 * kernel refuses the route (host bits set in @dst, gateway not reachable:
 * ulk_if_errmsg() says which); -EEXIST if the same route exists;
 * -ENETUNREACH if no interface reaches @gw; -ENODEV.
 */
int ulk_route_add(int family, const void *dst, int prefixlen, const void *gw,
		  int ifindex);

/**
 * ulk_route_del() - remove a route from the main table.
 * @family: ULK_AF_INET or ULK_AF_INET6.
 * @dst: destination prefix, or NULL for the default route.
 * @prefixlen: its length (0: default route).
 * @gw: the gateway to match, or NULL to match any.
 * @ifindex: the interface to match, or 0 to match any.
 *
 * Return: 0; -ESRCH if no such route exists; -EINVAL; -ENODEV.
 */
int ulk_route_del(int family, const void *dst, int prefixlen, const void *gw,
		  int ifindex);

/**
 * ulk_route_add_str() - ulk_route_add() from text.
 * @dst: "PREFIX/LEN" ("10.20.0.0/16", "fd00:20::/64", "0.0.0.0/0",
 *	"::/0") or "default": the IPv4 default route, or the IPv6 one if
 *	@gw is an IPv6 address.
 * @gw: gateway address ("10.0.0.1", "fd00::1"), or NULL for on-link.
 * @ifindex: outgoing interface, or 0 (then @gw is needed).
 *
 * Return: as ulk_route_add(); -EINVAL also for text that is not a prefix
 * (no "/LEN", bad address, LEN too large) or a gateway of the other family.
 */
int ulk_route_add_str(const char *dst, const char *gw, int ifindex);

/**
 * ulk_route_del_str() - ulk_route_del() from text.
 * @dst: as for ulk_route_add_str().
 * @gw: gateway to match, or NULL to match any.
 * @ifindex: interface to match, or 0 to match any.
 *
 * Return: as ulk_route_del(), and -EINVAL for bad text.
 */
int ulk_route_del_str(const char *dst, const char *gw, int ifindex);

/* --- neighbours ------------------------------------------------------------ */

/**
 * ulk_neigh_add() - add or replace a permanent neighbour (ARP or NDP)
 * entry (ip neigh replace ADDR lladdr MAC nud permanent dev IF).
 * @ifindex: interface index.
 * @family: ULK_AF_INET (ARP) or ULK_AF_INET6 (neighbour discovery).
 * @addr: the neighbour's IP address, 4 or 16 bytes, network byte order.
 * @mac: its Ethernet address, 6 bytes.
 *
 * An entry the kernel already has for @addr (learned or permanent) is
 * replaced. On loopback and point-to-point devices the kernel keeps a
 * single IPv4 entry keyed 0.0.0.0, whatever @addr is (upstream behaviour):
 * it is shown, and must be deleted, as 0.0.0.0.
 *
 * Return: 0; -EINVAL for NULL arguments or an entry the kernel refuses;
 * -ENODEV.
 */
int ulk_neigh_add(int ifindex, int family, const void *addr,
		  const unsigned char mac[6]);

/**
 * ulk_neigh_del() - remove a neighbour entry.
 * @ifindex: interface index.
 * @family: ULK_AF_INET or ULK_AF_INET6.
 * @addr: the neighbour's IP address.
 *
 * Return: 0; -ENOENT if there is no entry for @addr on the interface;
 * -EINVAL; -ENODEV.
 */
int ulk_neigh_del(int ifindex, int family, const void *addr);

/* --- diagnostics ----------------------------------------------------------- */

/**
 * ulk_if_errmsg() - the kernel's explanation of the last refused request.
 *
 * rtnetlink explains many refusals ("Invalid prefix for given prefix
 * length", "Nexthop has invalid gateway"). This is that text for the most
 * recent ulk_if_*(), ulk_route_*() or ulk_neigh_*() request made by the
 * calling thread, in addition to the errno it returned.
 *
 * Return: a NUL-terminated string owned by the calling thread, valid until
 * its next call of those functions; "" if the request succeeded or the
 * kernel gave no text. Never NULL.
 */
const char *ulk_if_errmsg(void);

/* --- sysctls --------------------------------------------------------------- */

/**
 * ulk_sysctl_get() - read a kernel parameter by its dotted name.
 * @name: the name, as sysctl(8) writes it: "net.ipv4.tcp_congestion_control",
 *	"net.ipv6.conf.all.forwarding". It is the path under /proc/sys inside
 *	ulk with "/" written as ".". Components are separated by single dots
 *	and may not be empty; "/", whitespace, control characters and "=" are
 *	refused (so an interface whose name contains a dot cannot be named).
 * @buf: receives the value, NUL-terminated, without its trailing newline.
 *	Values with several fields keep the kernel's separators (tabs).
 * @len: size of @buf.
 *
 * Return: the length of the value (>= 0, not counting the NUL); -EINVAL
 * for a NULL/malformed @name, NULL @buf or zero @len; -ENOENT if there is
 * no such sysctl; -EISDIR if @name is a directory of sysctls, not one;
 * -EACCES if it cannot be read (write-only); -ERANGE if the value does
 * not fit in @buf; -ENAMETOOLONG for a name longer than 255 bytes.
 */
int ulk_sysctl_get(const char *name, char *buf, size_t len);

/**
 * ulk_sysctl_set() - write a kernel parameter by its dotted name.
 * @name: the name, as for ulk_sysctl_get().
 * @value: the value as text ("bbr", "1024", "4096 131072 6291456"); a
 *	newline is appended, as sysctl(8) does, so "" clears a string.
 *
 * Return: 0; -EINVAL for a bad @name, a NULL @value or a value the kernel
 * rejects (not a number, out of range, unknown congestion control...);
 * -ENOENT if there is no such sysctl; -EISDIR; -EACCES if it is read-only;
 * -ENAMETOOLONG. The kernel refuses some values with -ENOENT (an unknown
 * congestion control); that is returned as -EINVAL, so that -ENOENT always
 * means the sysctl does not exist.
 */
int ulk_sysctl_set(const char *name, const char *value);

/* --- transparent termination (ulk-proxy) ----------------------------------- */

/**
 * struct ulk_transparent - the sockets of ulk_transparent_start(), ulk
 * descriptors.
 * @tcp: a listener taking every TCP connection from the interface.
 * @udp: a socket taking every UDP datagram from the interface.
 * @link: the BPF link that steers them; closing it ends the steering.
 */
struct ulk_transparent {
	int tcp;
	int udp;
	int link;
};

int ulk_transparent_start(int ifindex, int table, struct ulk_transparent *out);
const char *ulk_transparent_errmsg(void);

#ifdef __cplusplus
}
#endif

#endif /* ULK_NET_H */
