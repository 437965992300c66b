// SPDX-License-Identifier: GPL-2.0
/*
 * The program's interfaces are ulk's: getifaddrs(), if_nametoindex(),
 * if_indextoname(), if_nameindex() under ulk-run.
 *
 * glibc answers these through sockets it opens with internal calls, so
 * without these wrappers a program would list the host's interfaces and
 * addresses (and bind to addresses ulk does not have). Here the answers
 * come from ulk's kernel, by the same rtnetlink dumps glibc makes
 * (lib/netlink.c: every answer checked before use), in glibc's layout:
 *
 *  - getifaddrs(): one AF_PACKET entry per interface (its hardware and
 *    broadcast addresses, struct rtnl_link_stats as ifa_data), then one
 *    entry per address (netmask from the prefix; the broadcast address for
 *    broadcast interfaces, the peer for point-to-point ones), names and
 *    flags the interface's (an IPv4 address's label if it has one). The
 *    list is one allocation starting at its first entry, as glibc's, so
 *    glibc's freeifaddrs() frees it;
 *  - if_nameindex(): each name allocated apart, as glibc's
 *    if_freenameindex() frees them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ulk/ulk.h>
#include <ulk/abi.h>
#include <ulk/net.h>

#include "netlink.h"
#include "shim.h"

#define HWADDR_MAX	32

struct link {
	int index;
	unsigned int flags;
	unsigned short type;
	char name[IF_NAMESIZE];
	unsigned char hw[HWADDR_MAX], bcast[HWADDR_MAX];
	size_t hw_len, bcast_len;
	struct ulk_rtnl_link_stats stats;
	int has_stats;
};

struct addr {
	int family, index, prefix;
	unsigned char addr[16], peer[16], bcast[16];
	int has_peer, has_bcast;
	char label[IF_NAMESIZE];
};

/* What the dumps found; grown as answers arrive. */
struct dump {
	struct link *links;
	size_t n_links, cap_links;
	struct addr *addrs;
	size_t n_addrs, cap_addrs;
};

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	void *q;

	if (n < *cap)
		return p;
	*cap = *cap ? 2 * *cap : 8;
	q = realloc(p, *cap * size);
	if (!q)
		free(p);
	return q;
}

/* Copy attribute @a (at most @max bytes) to @dst; return its length. */
static size_t attr_copy(const struct ulk_rtattr *a, void *dst, size_t max)
{
	size_t n = ulk_nlreq_attr_len(a);

	if (n > max)
		n = max;
	memcpy(dst, ulk_nlreq_attr_data(a), n);
	return n;
}

static int link_cb(const struct ulk_nlmsghdr *nlh, void *arg)
{
	const struct ulk_rtattr *tb[ULK_IFLA_STATS + 1];
	const struct ulk_ifinfomsg *ifi;
	struct dump *d = arg;
	struct link *l;
	int ret;

	if (nlh->nlmsg_type != ULK_RTM_NEWLINK)
		return 0;
	ret = ulk_nlreq_attrs(nlh, sizeof(*ifi), tb, ULK_IFLA_STATS);
	if (ret)
		return ret;
	ifi = ULK_NLMSG_DATA(nlh);
	if (ifi->ifi_index <= 0 || !tb[ULK_IFLA_IFNAME])
		return -EBADMSG;
	d->links = grow(d->links, &d->cap_links, d->n_links, sizeof(*l));
	if (!d->links)
		return -ENOMEM;
	l = &d->links[d->n_links++];
	memset(l, 0, sizeof(*l));
	l->index = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	l->type = ifi->ifi_type;
	attr_copy(tb[ULK_IFLA_IFNAME], l->name, IF_NAMESIZE - 1);
	l->name[IF_NAMESIZE - 1] = '\0';
	if (tb[ULK_IFLA_ADDRESS])
		l->hw_len = attr_copy(tb[ULK_IFLA_ADDRESS], l->hw, HWADDR_MAX);
	if (tb[ULK_IFLA_BROADCAST])
		l->bcast_len = attr_copy(tb[ULK_IFLA_BROADCAST], l->bcast,
					 HWADDR_MAX);
	if (tb[ULK_IFLA_STATS] &&
	    ulk_nlreq_attr_len(tb[ULK_IFLA_STATS]) >= sizeof(l->stats)) {
		attr_copy(tb[ULK_IFLA_STATS], &l->stats, sizeof(l->stats));
		l->has_stats = 1;
	}
	return 0;
}

static int addr_cb(const struct ulk_nlmsghdr *nlh, void *arg)
{
	const struct ulk_rtattr *tb[ULK_IFA_BROADCAST + 1], *local, *address;
	const struct ulk_ifaddrmsg *ifa;
	struct dump *d = arg;
	struct addr *a;
	size_t alen;
	int ret;

	if (nlh->nlmsg_type != ULK_RTM_NEWADDR)
		return 0;
	ret = ulk_nlreq_attrs(nlh, sizeof(*ifa), tb, ULK_IFA_BROADCAST);
	if (ret)
		return ret;
	ifa = ULK_NLMSG_DATA(nlh);
	if (ifa->ifa_family == ULK_AF_INET)
		alen = 4;
	else if (ifa->ifa_family == ULK_AF_INET6)
		alen = 16;
	else
		return 0;
	if (ifa->ifa_prefixlen > alen * 8)
		return -EBADMSG;
	local = tb[ULK_IFA_LOCAL];
	address = tb[ULK_IFA_ADDRESS];
	if (!local)
		local = address;
	if (!local || ulk_nlreq_attr_len(local) != alen ||
	    (address && ulk_nlreq_attr_len(address) != alen))
		return -EBADMSG;
	d->addrs = grow(d->addrs, &d->cap_addrs, d->n_addrs, sizeof(*a));
	if (!d->addrs)
		return -ENOMEM;
	a = &d->addrs[d->n_addrs++];
	memset(a, 0, sizeof(*a));
	a->family = ifa->ifa_family == ULK_AF_INET ? AF_INET : AF_INET6;
	a->index = (int)ifa->ifa_index;
	a->prefix = ifa->ifa_prefixlen;
	memcpy(a->addr, ulk_nlreq_attr_data(local), alen);
	/* IFA_ADDRESS differs from IFA_LOCAL only on a point-to-point link. */
	if (address && memcmp(ulk_nlreq_attr_data(address), a->addr, alen)) {
		memcpy(a->peer, ulk_nlreq_attr_data(address), alen);
		a->has_peer = 1;
	}
	if (tb[ULK_IFA_BROADCAST] &&
	    ulk_nlreq_attr_len(tb[ULK_IFA_BROADCAST]) == alen) {
		memcpy(a->bcast, ulk_nlreq_attr_data(tb[ULK_IFA_BROADCAST]),
		       alen);
		a->has_bcast = 1;
	}
	if (tb[ULK_IFA_LABEL]) {
		attr_copy(tb[ULK_IFA_LABEL], a->label, IF_NAMESIZE - 1);
		a->label[IF_NAMESIZE - 1] = '\0';
	}
	return 0;
}

/* Dump ulk's links and, with @addrs, its addresses. Return 0 or -errno. */
static int dump(struct dump *d, int addrs)
{
	struct ulk_ifinfomsg ifi = { .ifi_family = ULK_AF_UNSPEC };
	struct ulk_ifaddrmsg ifa = { .ifa_family = ULK_AF_UNSPEC };
	struct nlreq req;
	int ret, tries;

	memset(d, 0, sizeof(*d));
	if (shim_unavailable())
		return -errno;
	/* A dump that changed under us says so (-EAGAIN): take it again. */
	for (tries = 0; tries < 5; tries++) {
		d->n_links = 0;
		ulk_nlreq_init(&req, ULK_RTM_GETLINK, ULK_NLM_F_DUMP, &ifi,
			       sizeof(ifi));
		ret = ulk_nlreq_get(&req, link_cb, d);
		if (ret != -EAGAIN)
			break;
	}
	for (tries = 0; !ret && addrs && tries < 5; tries++) {
		d->n_addrs = 0;
		ulk_nlreq_init(&req, ULK_RTM_GETADDR, ULK_NLM_F_DUMP, &ifa,
			       sizeof(ifa));
		ret = ulk_nlreq_get(&req, addr_cb, d);
		if (ret != -EAGAIN)
			break;
	}
	return ret;
}

static void dump_free(struct dump *d)
{
	free(d->links);
	free(d->addrs);
}

static const struct link *link_of(const struct dump *d, int index)
{
	size_t i;

	for (i = 0; i < d->n_links; i++)
		if (d->links[i].index == index)
			return &d->links[i];
	return NULL;
}

/* --- getifaddrs ------------------------------------------------------------ */

union sa_any {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_ll ll;
};

/* One entry of the list with everything it points to. */
struct entry {
	struct ifaddrs ifa;
	union sa_any addr, mask, dst;
	char name[IF_NAMESIZE];
	struct ulk_rtnl_link_stats stats;
};

static void set_ll(struct sockaddr_ll *ll, const struct link *l,
		   const unsigned char *hw, size_t len)
{
	ll->sll_family = AF_PACKET;
	ll->sll_ifindex = l->index;
	ll->sll_hatype = l->type;
	if (len > sizeof(ll->sll_addr))
		len = sizeof(ll->sll_addr);
	ll->sll_halen = (unsigned char)len;
	memcpy(ll->sll_addr, hw, len);
}

static void set_ip(union sa_any *u, int family, const unsigned char *bytes)
{
	if (family == AF_INET) {
		u->in.sin_family = AF_INET;
		memcpy(&u->in.sin_addr, bytes, 4);
	} else {
		u->in6.sin6_family = AF_INET6;
		memcpy(&u->in6.sin6_addr, bytes, 16);
	}
}

static void set_mask(union sa_any *u, int family, int prefix)
{
	unsigned char m[16] = { 0 };
	int i;

	for (i = 0; i < prefix; i++)
		m[i / 8] |= (unsigned char)(0x80 >> (i % 8));
	set_ip(u, family, m);
}

/* An IPv6 link-local address's scope: its interface. */
static void set_scope(union sa_any *u, int index)
{
	const unsigned char *b = u->in6.sin6_addr.s6_addr;

	if (u->sa.sa_family == AF_INET6 && b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		u->in6.sin6_scope_id = (uint32_t)index;
}

int getifaddrs(struct ifaddrs **ifap)
{
	struct entry *e, *list;
	struct dump d;
	size_t n, i, k = 0;
	int ret;

	ret = dump(&d, 1);
	if (ret) {
		dump_free(&d);
		errno = -ret;
		return -1;
	}
	n = d.n_links + d.n_addrs;
	*ifap = NULL;
	if (!n) {
		dump_free(&d);
		return 0;
	}
	list = calloc(n, sizeof(*list));
	if (!list) {
		dump_free(&d);
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < d.n_links; i++) {
		const struct link *l = &d.links[i];

		e = &list[k++];
		memcpy(e->name, l->name, IF_NAMESIZE);
		e->ifa.ifa_name = e->name;
		e->ifa.ifa_flags = l->flags;
		set_ll(&e->addr.ll, l, l->hw, l->hw_len);
		e->ifa.ifa_addr = &e->addr.sa;
		if (l->bcast_len) {
			set_ll(&e->dst.ll, l, l->bcast, l->bcast_len);
			e->ifa.ifa_broadaddr = &e->dst.sa;
		}
		if (l->has_stats) {
			e->stats = l->stats;
			e->ifa.ifa_data = &e->stats;
		}
	}
	for (i = 0; i < d.n_addrs; i++) {
		const struct addr *a = &d.addrs[i];
		const struct link *l = link_of(&d, a->index);

		if (!l)
			continue;	/* its link went between the dumps */
		e = &list[k++];
		memcpy(e->name, a->family == AF_INET && a->label[0] ?
		       a->label : l->name, IF_NAMESIZE);
		e->ifa.ifa_name = e->name;
		e->ifa.ifa_flags = l->flags;
		set_ip(&e->addr, a->family, a->addr);
		set_scope(&e->addr, a->index);
		e->ifa.ifa_addr = &e->addr.sa;
		set_mask(&e->mask, a->family, a->prefix);
		e->ifa.ifa_netmask = &e->mask.sa;
		if ((l->flags & IFF_POINTOPOINT) && a->has_peer) {
			set_ip(&e->dst, a->family, a->peer);
			e->ifa.ifa_dstaddr = &e->dst.sa;
		} else if ((l->flags & IFF_BROADCAST) && a->has_bcast) {
			set_ip(&e->dst, a->family, a->bcast);
			e->ifa.ifa_broadaddr = &e->dst.sa;
		}
	}
	for (i = 0; i + 1 < k; i++)
		list[i].ifa.ifa_next = &list[i + 1].ifa;
	dump_free(&d);
	*ifap = &list[0].ifa;
	return 0;
}

/* --- interface names and indices ------------------------------------------ */

unsigned int if_nametoindex(const char *name)
{
	int idx;

	if (!name) {
		errno = EINVAL;
		return 0;
	}
	if (shim_unavailable())
		return 0;
	idx = ulk_if_index(name);
	if (idx <= 0) {
		errno = ENODEV;
		return 0;
	}
	return (unsigned int)idx;
}

char *if_indextoname(unsigned int index, char name[IF_NAMESIZE])
{
	const struct link *l;
	struct dump d;
	int ret;

	ret = dump(&d, 0);
	l = ret ? NULL : link_of(&d, (int)index);
	if (l) {
		memcpy(name, l->name, IF_NAMESIZE);
	} else {
		errno = ret ? -ret : ENXIO;
		name = NULL;
	}
	dump_free(&d);
	return name;
}

struct if_nameindex *if_nameindex(void)
{
	struct if_nameindex *v;
	struct dump d;
	size_t i;
	int ret;

	ret = dump(&d, 0);
	if (ret) {
		dump_free(&d);
		errno = -ret;
		return NULL;
	}
	v = calloc(d.n_links + 1, sizeof(*v));
	for (i = 0; v && i < d.n_links; i++) {
		v[i].if_index = (unsigned int)d.links[i].index;
		v[i].if_name = strdup(d.links[i].name);
		if (!v[i].if_name) {
			if_freenameindex(v);
			v = NULL;
		}
	}
	dump_free(&d);
	if (!v)
		errno = ENOBUFS;
	return v;
}
