// SPDX-License-Identifier: GPL-2.0
/*
 * Network configuration of the kernel inside ulk: interfaces, addresses,
 * routes and neighbours (the API of <ulk/net.h>; sysctls are in sysctl.c).
 *
 * Each function builds the rtnetlink request that ip(8) would send for the
 * same command and lets lib/netlink.c exchange it with the kernel, so the
 * kernel validates and applies it exactly as it would on a normal system.
 * What we check ourselves is only what must be right before a request can
 * be built (pointers, families, prefix lengths) and what we read back
 * (every attribute's length before its value is used).
 */
#include <errno.h>
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <ulk/ulk.h>
#include <ulk/abi.h>
#include <ulk/net.h>

#include "netlink.h"

#define IFNAME_MAX	(ULK_IFNAMSIZ - 1)

/* Address length of @family, or -EAFNOSUPPORT. */
static int family_len(int family)
{
	switch (family) {
	case ULK_AF_INET:
		return 4;
	case ULK_AF_INET6:
		return 16;
	default:
		return -EAFNOSUPPORT;
	}
}

/* Largest prefix length of @family (which must be valid). */
static int family_bits(int family)
{
	return family == ULK_AF_INET ? 32 : 128;
}

/* --- interfaces ------------------------------------------------------------ */

/**
 * struct link_info - what RTM_GETLINK told us about one interface.
 * @index: interface index (0 until an answer arrived).
 * @flags: ULK_IFF_* flags.
 * @mtu: MTU, 0 if the kernel did not say.
 * @name: interface name, NUL-terminated ("" if not given).
 * @mac: hardware address, valid if @mac_len == 6.
 * @mac_len: length of the hardware address the kernel gave (0: none).
 */
struct link_info {
	int index;
	unsigned int flags;
	unsigned int mtu;
	char name[ULK_IFNAMSIZ];
	unsigned char mac[6];
	size_t mac_len;
};

static int link_cb(const struct ulk_nlmsghdr *nlh, void *arg)
{
	const struct ulk_rtattr *tb[ULK_IFLA_MTU + 1];
	struct link_info *li = arg;
	const struct ulk_ifinfomsg *ifi;
	const struct ulk_rtattr *a;
	int ret;

	if (nlh->nlmsg_type != ULK_RTM_NEWLINK)
		return 0;
	ret = ulk_nlreq_attrs(nlh, sizeof(*ifi), tb, ULK_IFLA_MTU);
	if (ret)
		return ret;
	ifi = ULK_NLMSG_DATA(nlh);
	if (ifi->ifi_index <= 0 || (li->index && ifi->ifi_index != li->index))
		return -EBADMSG;
	li->index = ifi->ifi_index;
	li->flags = ifi->ifi_flags;

	a = tb[ULK_IFLA_MTU];
	if (a) {
		if (ulk_nlreq_attr_len(a) != sizeof(uint32_t))
			return -EBADMSG;
		memcpy(&li->mtu, ulk_nlreq_attr_data(a), sizeof(uint32_t));
	}
	a = tb[ULK_IFLA_IFNAME];
	if (a) {
		size_t n = strnlen(ulk_nlreq_attr_data(a), ulk_nlreq_attr_len(a));

		if (n == ulk_nlreq_attr_len(a) || n > IFNAME_MAX)
			return -EBADMSG;	/* not terminated, or too long */
		memcpy(li->name, ulk_nlreq_attr_data(a), n + 1);
	}
	a = tb[ULK_IFLA_ADDRESS];
	if (a) {
		li->mac_len = ulk_nlreq_attr_len(a);
		if (li->mac_len == sizeof(li->mac))
			memcpy(li->mac, ulk_nlreq_attr_data(a), sizeof(li->mac));
	}
	return 0;
}

/*
 * Ask the kernel about one interface, by @ifindex or, if it is 0, by
 * @name. Return: 0 with @li filled, or a negative errno.
 */
static int link_get(int ifindex, const char *name, struct link_info *li)
{
	struct ulk_ifinfomsg ifi = { .ifi_family = ULK_AF_UNSPEC };
	struct nlreq req;
	int ret;

	memset(li, 0, sizeof(*li));
	if (ifindex <= 0 && !name)
		return -ENODEV;
	ifi.ifi_index = ifindex;
	li->index = ifindex;
	ulk_nlreq_init(&req, ULK_RTM_GETLINK, 0, &ifi, sizeof(ifi));
	if (!ifindex)
		ulk_nlreq_put(&req, ULK_IFLA_IFNAME, name, strlen(name) + 1);
	ulk_nlreq_put_u32(&req, ULK_IFLA_EXT_MASK, ULK_RTEXT_FILTER_SKIP_STATS);
	ret = ulk_nlreq_get(&req, link_cb, li);
	if (ret == 0 && li->index <= 0)
		ret = -EBADMSG;		/* acknowledged, but no answer */
	return ret;
}

/*
 * Start an RTM_NEWLINK request changing @ifindex: the flags in @change are
 * set to their value in @flags; the caller adds attributes and sends it.
 */
static void link_req(struct nlreq *req, int ifindex, unsigned int flags,
		     unsigned int change)
{
	struct ulk_ifinfomsg ifi = {
		.ifi_family = ULK_AF_UNSPEC,
		.ifi_index = ifindex,
		.ifi_flags = flags,
		.ifi_change = change,
	};

	ulk_nlreq_init(req, ULK_RTM_NEWLINK, 0, &ifi, sizeof(ifi));
}

int ulk_if_index(const char *name)
{
	struct link_info li;
	size_t n;
	int ret;

	ulk_nlreq_errmsg_clear();
	if (!name)
		return -EINVAL;
	n = strnlen(name, IFNAME_MAX + 1);
	if (n == 0 || n > IFNAME_MAX)
		return -EINVAL;
	ret = link_get(0, name, &li);
	return ret ? ret : li.index;
}

int ulk_if_name(int ifindex, char *name, size_t len)
{
	struct link_info li;
	size_t n;
	int ret;

	ulk_nlreq_errmsg_clear();
	if (!name || !len)
		return -EINVAL;
	ret = link_get(ifindex, NULL, &li);
	if (ret)
		return ret;
	n = strlen(li.name);
	if (!n)
		return -EBADMSG;
	if (n >= len)
		return -ERANGE;
	memcpy(name, li.name, n + 1);
	return 0;
}

int ulk_if_set_up(int ifindex, int up)
{
	struct nlreq req;

	ulk_nlreq_errmsg_clear();
	if (ifindex <= 0)
		return -ENODEV;
	link_req(&req, ifindex, up ? ULK_IFF_UP : 0, ULK_IFF_UP);
	return ulk_nlreq_ack(&req);
}

int ulk_if_get_flags(int ifindex)
{
	struct link_info li;
	int ret;

	ulk_nlreq_errmsg_clear();
	ret = link_get(ifindex, NULL, &li);
	if (ret)
		return ret;
	return (int)(li.flags & 0x7fffffff);
}

int ulk_if_set_mtu(int ifindex, int mtu)
{
	struct nlreq req;

	ulk_nlreq_errmsg_clear();
	if (ifindex <= 0)
		return -ENODEV;
	if (mtu <= 0)
		return -EINVAL;
	link_req(&req, ifindex, 0, 0);
	ulk_nlreq_put_u32(&req, ULK_IFLA_MTU, (uint32_t)mtu);
	return ulk_nlreq_ack(&req);
}

int ulk_if_get_mtu(int ifindex)
{
	struct link_info li;
	int ret;

	ulk_nlreq_errmsg_clear();
	ret = link_get(ifindex, NULL, &li);
	if (ret)
		return ret;
	if (li.mtu == 0 || li.mtu > INT32_MAX)
		return -EBADMSG;
	return (int)li.mtu;
}

int ulk_if_set_mac(int ifindex, const unsigned char mac[6])
{
	struct nlreq req;

	ulk_nlreq_errmsg_clear();
	if (!mac)
		return -EINVAL;
	if (ifindex <= 0)
		return -ENODEV;
	link_req(&req, ifindex, 0, 0);
	ulk_nlreq_put(&req, ULK_IFLA_ADDRESS, mac, 6);
	return ulk_nlreq_ack(&req);
}

int ulk_if_get_mac(int ifindex, unsigned char mac[6])
{
	struct link_info li;
	int ret;

	ulk_nlreq_errmsg_clear();
	if (!mac)
		return -EINVAL;
	ret = link_get(ifindex, NULL, &li);
	if (ret)
		return ret;
	if (li.mac_len != sizeof(li.mac))
		return -ENODATA;
	memcpy(mac, li.mac, sizeof(li.mac));
	return 0;
}

/* --- addresses ------------------------------------------------------------- */

/* Common checks of the address calls. Return: the address length or -errno. */
static int addr_check(int ifindex, int family, const void *addr, int prefixlen)
{
	int alen = family_len(family);

	if (alen < 0)
		return alen;
	if (!addr || prefixlen < 0 || prefixlen > family_bits(family))
		return -EINVAL;
	if (ifindex <= 0)
		return -ENODEV;
	return alen;
}

int ulk_if_add_addr_flags(int ifindex, int family, const void *addr,
			  int prefixlen, unsigned int flags)
{
	struct ulk_ifaddrmsg ifa = {
		.ifa_family = family,
		.ifa_prefixlen = prefixlen,
		.ifa_flags = flags & 0xff,
		.ifa_scope = ULK_RT_SCOPE_UNIVERSE,
		.ifa_index = ifindex,
	};
	struct nlreq req;
	int alen;

	ulk_nlreq_errmsg_clear();
	alen = addr_check(ifindex, family, addr, prefixlen);
	if (alen < 0)
		return alen;
	/* ip(8)'s defaults: loopback addresses are host-scoped. */
	if (family == ULK_AF_INET && ((const unsigned char *)addr)[0] == 127)
		ifa.ifa_scope = ULK_RT_SCOPE_HOST;

	ulk_nlreq_init(&req, ULK_RTM_NEWADDR,
		       ULK_NLM_F_CREATE | ULK_NLM_F_EXCL, &ifa, sizeof(ifa));
	ulk_nlreq_put(&req, ULK_IFA_LOCAL, addr, alen);
	ulk_nlreq_put(&req, ULK_IFA_ADDRESS, addr, alen);
	if (family == ULK_AF_INET && prefixlen <= 30) {
		uint32_t a, host = prefixlen ? 0xffffffffu >> prefixlen
					     : 0xffffffffu;

		memcpy(&a, addr, 4);
		a |= htonl(host);
		ulk_nlreq_put(&req, ULK_IFA_BROADCAST, &a, 4);
	}
	if (flags & ~0xffu)
		ulk_nlreq_put_u32(&req, ULK_IFA_FLAGS, flags);
	return ulk_nlreq_ack(&req);
}

int ulk_if_add_addr(int ifindex, int family, const void *addr, int prefixlen)
{
	return ulk_if_add_addr_flags(ifindex, family, addr, prefixlen, 0);
}

int ulk_if_del_addr(int ifindex, int family, const void *addr, int prefixlen)
{
	struct ulk_ifaddrmsg ifa = {
		.ifa_family = family,
		.ifa_prefixlen = prefixlen,
		.ifa_index = ifindex,
	};
	struct nlreq req;
	int alen;

	ulk_nlreq_errmsg_clear();
	alen = addr_check(ifindex, family, addr, prefixlen);
	if (alen < 0)
		return alen;
	ulk_nlreq_init(&req, ULK_RTM_DELADDR, 0, &ifa, sizeof(ifa));
	ulk_nlreq_put(&req, ULK_IFA_LOCAL, addr, alen);
	ulk_nlreq_put(&req, ULK_IFA_ADDRESS, addr, alen);
	return ulk_nlreq_ack(&req);
}

/*
 * Parse an IPv4 or IPv6 address of @len bytes at @s (not NUL-terminated).
 * Return: its family, with the address in @out (16 bytes), or -EINVAL.
 */
static int parse_addr(const char *s, size_t len, unsigned char out[16])
{
	char tmp[INET6_ADDRSTRLEN];
	int family;

	if (len == 0 || len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	family = memchr(tmp, ':', len) ? ULK_AF_INET6 : ULK_AF_INET;
	/* inet_pton() takes strict dotted quads and RFC 4291 text only. */
	if (inet_pton(family == ULK_AF_INET6 ? AF_INET6 : AF_INET, tmp,
		      out) != 1)
		return -EINVAL;
	return family;
}

/*
 * Parse "ADDRESS/PREFIXLEN". Return: the family with @addr and @prefixlen
 * set, or -EINVAL (no "/", bad address, prefix not 1-3 decimal digits or
 * too long for the family).
 */
static int parse_cidr(const char *cidr, unsigned char addr[16], int *prefixlen)
{
	const char *slash, *p;
	int family, plen = 0;

	if (!cidr)
		return -EINVAL;
	slash = strchr(cidr, '/');
	if (!slash)
		return -EINVAL;
	family = parse_addr(cidr, slash - cidr, addr);
	if (family < 0)
		return family;
	p = slash + 1;
	if (*p < '0' || *p > '9' || strlen(p) > 3)
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		plen = plen * 10 + (*p - '0');
	}
	if (plen > family_bits(family))
		return -EINVAL;
	*prefixlen = plen;
	return family;
}

int ulk_if_add_addr_str(int ifindex, const char *cidr)
{
	unsigned char addr[16];
	int family, plen;

	ulk_nlreq_errmsg_clear();
	family = parse_cidr(cidr, addr, &plen);
	if (family < 0)
		return family;
	return ulk_if_add_addr(ifindex, family, addr, plen);
}

int ulk_if_del_addr_str(int ifindex, const char *cidr)
{
	unsigned char addr[16];
	int family, plen;

	ulk_nlreq_errmsg_clear();
	family = parse_cidr(cidr, addr, &plen);
	if (family < 0)
		return family;
	return ulk_if_del_addr(ifindex, family, addr, plen);
}

/* State of an RTM_GETADDR dump for ulk_if_get_addrs(). */
struct addr_list {
	int ifindex;
	int family;		/* ULK_AF_UNSPEC: any */
	struct ulk_if_addr *addrs;
	int max;
	int count;		/* addresses seen, stored or not */
};

static int addr_cb(const struct ulk_nlmsghdr *nlh, void *arg)
{
	const struct ulk_rtattr *tb[ULK_IFA_FLAGS + 1];
	struct addr_list *al = arg;
	const struct ulk_ifaddrmsg *ifa;
	const struct ulk_rtattr *a;
	struct ulk_if_addr *out;
	int alen, ret;

	if (nlh->nlmsg_type != ULK_RTM_NEWADDR)
		return 0;
	ret = ulk_nlreq_attrs(nlh, sizeof(*ifa), tb, ULK_IFA_FLAGS);
	if (ret)
		return ret;
	ifa = ULK_NLMSG_DATA(nlh);
	/* The kernel filters by index and family; check, don't trust. */
	if ((int)ifa->ifa_index != al->ifindex ||
	    (al->family != ULK_AF_UNSPEC && ifa->ifa_family != al->family))
		return 0;
	alen = family_len(ifa->ifa_family);
	if (alen < 0)
		return 0;	/* a family we do not report */
	if (ifa->ifa_prefixlen > family_bits(ifa->ifa_family))
		return -EBADMSG;
	/* IFA_LOCAL is the address; IFA_ADDRESS the peer if both differ. */
	a = tb[ULK_IFA_LOCAL] ? tb[ULK_IFA_LOCAL] : tb[ULK_IFA_ADDRESS];
	if (!a || ulk_nlreq_attr_len(a) != (size_t)alen)
		return -EBADMSG;
	if (tb[ULK_IFA_FLAGS] &&
	    ulk_nlreq_attr_len(tb[ULK_IFA_FLAGS]) != sizeof(uint32_t))
		return -EBADMSG;

	if (al->count++ >= al->max)
		return 0;
	out = &al->addrs[al->count - 1];
	memset(out, 0, sizeof(*out));
	out->family = ifa->ifa_family;
	out->prefixlen = ifa->ifa_prefixlen;
	out->scope = ifa->ifa_scope;
	out->flags = ifa->ifa_flags;
	if (tb[ULK_IFA_FLAGS])
		memcpy(&out->flags, ulk_nlreq_attr_data(tb[ULK_IFA_FLAGS]),
		       sizeof(uint32_t));
	memcpy(out->addr, ulk_nlreq_attr_data(a), alen);
	return 0;
}

int ulk_if_get_addrs(int ifindex, int family, struct ulk_if_addr *addrs,
		     int max)
{
	struct addr_list al = {
		.ifindex = ifindex, .family = family,
		.addrs = addrs, .max = max,
	};
	struct ulk_ifaddrmsg ifa = {
		.ifa_family = family,
		.ifa_index = ifindex,
	};
	struct link_info li;
	struct nlreq req;
	int ret, tries;

	ulk_nlreq_errmsg_clear();
	if (family != ULK_AF_UNSPEC && family_len(family) < 0)
		return -EAFNOSUPPORT;
	if (max < 0 || (max > 0 && !addrs))
		return -EINVAL;
	/* A dump of a missing interface is just empty: say -ENODEV instead. */
	ret = link_get(ifindex, NULL, &li);
	if (ret)
		return ret;
	/* A dump interrupted by a concurrent change is retried afresh. */
	for (tries = 0; tries < 3; tries++) {
		al.count = 0;
		ulk_nlreq_init(&req, ULK_RTM_GETADDR, ULK_NLM_F_DUMP, &ifa,
			       sizeof(ifa));
		ret = ulk_nlreq_get(&req, addr_cb, &al);
		if (ret != -EAGAIN)
			break;
	}
	return ret ? ret : al.count;
}

/* --- routes ---------------------------------------------------------------- */

/* Build and send RTM_NEWROUTE or RTM_DELROUTE (@add) as ip(8) does. */
static int route_req(bool add, int family, const void *dst, int prefixlen,
		     const void *gw, int ifindex)
{
	struct ulk_rtmsg rtm = {
		.rtm_family = family,
		.rtm_table = ULK_RT_TABLE_MAIN,
	};
	struct nlreq req;
	int alen = family_len(family);

	if (alen < 0)
		return alen;
	if (prefixlen < 0 || prefixlen > family_bits(family) ||
	    (prefixlen > 0 && !dst) || ifindex < 0)
		return -EINVAL;
	if (add && !gw && !ifindex)
		return -EINVAL;		/* nowhere to send the packets */
	rtm.rtm_dst_len = prefixlen;

	if (add) {
		rtm.rtm_protocol = ULK_RTPROT_BOOT;
		rtm.rtm_type = ULK_RTN_UNICAST;
		/* IPv4 on-link routes are link-scoped; IPv6 has no scopes. */
		rtm.rtm_scope = family == ULK_AF_INET && !gw ?
				ULK_RT_SCOPE_LINK : ULK_RT_SCOPE_UNIVERSE;
		ulk_nlreq_init(&req, ULK_RTM_NEWROUTE,
			       ULK_NLM_F_CREATE | ULK_NLM_F_EXCL,
			       &rtm, sizeof(rtm));
	} else {
		/* Protocol and type 0, scope NOWHERE: match any. */
		rtm.rtm_scope = ULK_RT_SCOPE_NOWHERE;
		ulk_nlreq_init(&req, ULK_RTM_DELROUTE, 0, &rtm, sizeof(rtm));
	}
	if (prefixlen > 0)
		ulk_nlreq_put(&req, ULK_RTA_DST, dst, alen);
	if (gw)
		ulk_nlreq_put(&req, ULK_RTA_GATEWAY, gw, alen);
	if (ifindex)
		ulk_nlreq_put_u32(&req, ULK_RTA_OIF, ifindex);
	return ulk_nlreq_ack(&req);
}

int ulk_route_add(int family, const void *dst, int prefixlen, const void *gw,
		  int ifindex)
{
	ulk_nlreq_errmsg_clear();
	return route_req(true, family, dst, prefixlen, gw, ifindex);
}

int ulk_route_del(int family, const void *dst, int prefixlen, const void *gw,
		  int ifindex)
{
	ulk_nlreq_errmsg_clear();
	return route_req(false, family, dst, prefixlen, gw, ifindex);
}

/* Parse the text arguments of ulk_route_{add,del}_str() and do it. */
static int route_str(bool add, const char *dst, const char *gw, int ifindex)
{
	unsigned char d[16], g[16];
	int family, gfamily = 0, plen = 0;

	if (!dst)
		return -EINVAL;
	if (gw) {
		gfamily = parse_addr(gw, strlen(gw), g);
		if (gfamily < 0)
			return gfamily;
	}
	if (strcmp(dst, "default") == 0) {
		family = gfamily ? gfamily : ULK_AF_INET;
	} else {
		family = parse_cidr(dst, d, &plen);
		if (family < 0)
			return family;
	}
	if (gfamily && gfamily != family)
		return -EINVAL;
	return route_req(add, family, plen ? d : NULL, plen, gw ? g : NULL,
			 ifindex);
}

int ulk_route_add_str(const char *dst, const char *gw, int ifindex)
{
	ulk_nlreq_errmsg_clear();
	return route_str(true, dst, gw, ifindex);
}

int ulk_route_del_str(const char *dst, const char *gw, int ifindex)
{
	ulk_nlreq_errmsg_clear();
	return route_str(false, dst, gw, ifindex);
}

/* --- neighbours ------------------------------------------------------------ */

int ulk_neigh_add(int ifindex, int family, const void *addr,
		  const unsigned char mac[6])
{
	struct ulk_ndmsg ndm = {
		.ndm_family = family,
		.ndm_ifindex = ifindex,
		.ndm_state = ULK_NUD_PERMANENT,
	};
	struct nlreq req;
	int alen = family_len(family);

	ulk_nlreq_errmsg_clear();
	if (alen < 0)
		return alen;
	if (!addr || !mac)
		return -EINVAL;
	if (ifindex <= 0)
		return -ENODEV;
	ulk_nlreq_init(&req, ULK_RTM_NEWNEIGH,
		       ULK_NLM_F_CREATE | ULK_NLM_F_REPLACE, &ndm, sizeof(ndm));
	ulk_nlreq_put(&req, ULK_NDA_DST, addr, alen);
	ulk_nlreq_put(&req, ULK_NDA_LLADDR, mac, 6);
	return ulk_nlreq_ack(&req);
}

int ulk_neigh_del(int ifindex, int family, const void *addr)
{
	struct ulk_ndmsg ndm = {
		.ndm_family = family,
		.ndm_ifindex = ifindex,
	};
	struct nlreq req;
	int alen = family_len(family);

	ulk_nlreq_errmsg_clear();
	if (alen < 0)
		return alen;
	if (!addr)
		return -EINVAL;
	if (ifindex <= 0)
		return -ENODEV;
	ulk_nlreq_init(&req, ULK_RTM_DELNEIGH, 0, &ndm, sizeof(ndm));
	ulk_nlreq_put(&req, ULK_NDA_DST, addr, alen);
	return ulk_nlreq_ack(&req);
}
