// SPDX-License-Identifier: GPL-2.0
/*
 * The network configuration API of <ulk/net.h> on the loopback device:
 * interface lookup, up/down, MTU, MAC; IPv4 and IPv6 addresses (and TCP
 * over them inside ulk) and their listing, up to 500 at once (a multi-part
 * dump); routes, the default route included; neighbour entries; sysctls by
 * dotted name; and the errors for bad input.
 *
 * What the API did is verified independently of it: with this file's own
 * rtnetlink dumps (RTM_GETADDR, RTM_GETROUTE, RTM_GETNEIGH), device ioctls
 * (SIOCGIFINDEX, SIOCGIFFLAGS, SIOCGIFMTU) and /proc files inside ulk.
 */
#include "common.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sys/socket.h>

#include <ulk/net.h>

#define TCP_PORT	4711
#define NL_BUF		32768

static int lo;			/* ifindex of "lo" */

/* --- independent observation: raw rtnetlink dumps, ioctls ----------------- */

/* One route, address or neighbour as a dump reports it. */
struct obj {
	int family;
	int ifindex;
	int prefixlen;		/* address prefix or route dst_len */
	int table;		/* routes */
	int type;		/* routes: RTN_*; neighbours: NUD_* state */
	unsigned char addr[16];	/* IFA_LOCAL/ADDRESS, RTA_DST or NDA_DST */
	unsigned char gw[16];	/* RTA_GATEWAY */
	bool has_gw;
	unsigned char lladdr[6];
	bool has_lladdr;
};

#define MAX_OBJS 1024
static struct obj objs[MAX_OBJS];
static int nobjs;
static int dump_parts;		/* datagrams the last dump took */

static const struct ulk_rtattr *rta_next(const struct ulk_rtattr *rta,
					 const unsigned char *end)
{
	const unsigned char *p = (const unsigned char *)rta +
				 ULK_RTA_ALIGN(rta->rta_len);

	if (p + sizeof(*rta) > end)
		return NULL;
	rta = (const void *)p;
	if (rta->rta_len < sizeof(*rta) || p + rta->rta_len > end)
		return NULL;
	return rta;
}

static const struct ulk_rtattr *rta_first(const struct ulk_nlmsghdr *nlh,
					  size_t fixed)
{
	const unsigned char *end = (const unsigned char *)nlh + nlh->nlmsg_len;
	const struct ulk_rtattr *rta = (const void *)((const unsigned char *)nlh +
					ULK_NLMSG_SPACE(fixed));

	if ((const unsigned char *)rta + sizeof(*rta) > end ||
	    rta->rta_len < sizeof(*rta) ||
	    (const unsigned char *)rta + rta->rta_len > end)
		return NULL;
	return rta;
}

static void copy_attr(unsigned char *dst, size_t max,
		      const struct ulk_rtattr *rta)
{
	size_t n = rta->rta_len - ULK_RTA_LENGTH(0);

	memcpy(dst, ULK_RTA_DATA(rta), n < max ? n : max);
}

static void parse_obj(const struct ulk_nlmsghdr *nlh)
{
	const unsigned char *end = (const unsigned char *)nlh + nlh->nlmsg_len;
	const struct ulk_rtattr *rta;
	struct obj o;

	if (nobjs >= MAX_OBJS)
		return;
	memset(&o, 0, sizeof(o));
	switch (nlh->nlmsg_type) {
	case ULK_RTM_NEWADDR: {
		const struct ulk_ifaddrmsg *ifa = ULK_NLMSG_DATA(nlh);

		o.family = ifa->ifa_family;
		o.ifindex = ifa->ifa_index;
		o.prefixlen = ifa->ifa_prefixlen;
		for (rta = rta_first(nlh, sizeof(*ifa)); rta;
		     rta = rta_next(rta, end))
			if (rta->rta_type == ULK_IFA_LOCAL ||
			    (rta->rta_type == ULK_IFA_ADDRESS &&
			     o.family == ULK_AF_INET6))
				copy_attr(o.addr, 16, rta);
		break;
	}
	case ULK_RTM_NEWROUTE: {
		const struct ulk_rtmsg *rtm = ULK_NLMSG_DATA(nlh);

		o.family = rtm->rtm_family;
		o.prefixlen = rtm->rtm_dst_len;
		o.table = rtm->rtm_table;
		o.type = rtm->rtm_type;
		for (rta = rta_first(nlh, sizeof(*rtm)); rta;
		     rta = rta_next(rta, end)) {
			if (rta->rta_type == ULK_RTA_DST)
				copy_attr(o.addr, 16, rta);
			else if (rta->rta_type == ULK_RTA_GATEWAY) {
				copy_attr(o.gw, 16, rta);
				o.has_gw = true;
			} else if (rta->rta_type == ULK_RTA_OIF)
				copy_attr((unsigned char *)&o.ifindex, 4, rta);
			else if (rta->rta_type == ULK_RTA_TABLE)
				copy_attr((unsigned char *)&o.table, 4, rta);
		}
		break;
	}
	case ULK_RTM_NEWNEIGH: {
		const struct ulk_ndmsg *ndm = ULK_NLMSG_DATA(nlh);

		o.family = ndm->ndm_family;
		o.ifindex = ndm->ndm_ifindex;
		o.type = ndm->ndm_state;
		for (rta = rta_first(nlh, sizeof(*ndm)); rta;
		     rta = rta_next(rta, end)) {
			if (rta->rta_type == ULK_NDA_DST)
				copy_attr(o.addr, 16, rta);
			else if (rta->rta_type == ULK_NDA_LLADDR) {
				copy_attr(o.lladdr, 6, rta);
				o.has_lladdr = true;
			}
		}
		break;
	}
	default:
		return;
	}
	objs[nobjs++] = o;
}

/*
 * Dump with a request of @type for @family into objs[]. Return: the number
 * of objects, or a negative errno.
 */
static int dump(int type, int family)
{
	static unsigned char buf[NL_BUF];
	static uint32_t seq = 1000;
	struct {
		struct ulk_nlmsghdr nlh;
		struct ulk_rtmsg rtm;	/* the largest of the fixed headers */
	} req;
	long fd, n;
	int ret = 0;

	nobjs = 0;
	dump_parts = 0;
	fd = ulk_sys_socket(ULK_AF_NETLINK, ULK_SOCK_RAW | ULK_SOCK_CLOEXEC,
			    ULK_NETLINK_ROUTE);
	if (fd < 0)
		return (int)fd;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_type = type;
	req.nlh.nlmsg_flags = ULK_NLM_F_REQUEST | ULK_NLM_F_DUMP;
	req.nlh.nlmsg_seq = ++seq;
	switch (type) {
	case ULK_RTM_GETADDR:
		req.nlh.nlmsg_len = ULK_NLMSG_LENGTH(sizeof(struct ulk_ifaddrmsg));
		break;
	case ULK_RTM_GETNEIGH:
		req.nlh.nlmsg_len = ULK_NLMSG_LENGTH(sizeof(struct ulk_ndmsg));
		break;
	default:
		req.nlh.nlmsg_len = ULK_NLMSG_LENGTH(sizeof(struct ulk_rtmsg));
	}
	req.rtm.rtm_family = family;	/* first byte of every fixed header */
	n = ulk_sys_sendto(fd, &req, req.nlh.nlmsg_len, 0, NULL, 0);
	if (n < 0) {
		ret = (int)n;
		goto out;
	}
	for (;;) {
		const struct ulk_nlmsghdr *nlh;
		long left;

		n = ulk_sys_recvfrom(fd, buf, sizeof(buf), 0, NULL, NULL);
		if (n <= 0) {
			ret = n ? (int)n : -EPIPE;
			goto out;
		}
		left = n;
		dump_parts++;
		for (nlh = (const void *)buf; ULK_NLMSG_OK(nlh, left);
		     nlh = ULK_NLMSG_NEXT(nlh, left)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == ULK_NLMSG_DONE)
				goto out;
			if (nlh->nlmsg_type == ULK_NLMSG_ERROR) {
				const struct ulk_nlmsgerr *e = ULK_NLMSG_DATA(nlh);

				ret = e->error ? e->error : -EPROTO;
				goto out;
			}
			parse_obj(nlh);
		}
	}
out:
	ulk_sys_close(fd);
	return ret < 0 ? ret : nobjs;
}

/* The dumped address @addr/@plen on @ifindex, or NULL. */
static const struct obj *find_addr(int family, int ifindex, const void *addr,
				   int plen)
{
	size_t alen = family == ULK_AF_INET ? 4 : 16;
	int i;

	for (i = 0; i < nobjs; i++)
		if (objs[i].family == family && objs[i].ifindex == ifindex &&
		    objs[i].prefixlen == plen && !memcmp(objs[i].addr, addr, alen))
			return &objs[i];
	return NULL;
}

/* The dumped main-table route to @dst/@plen, or NULL. */
static const struct obj *find_route(int family, const void *dst, int plen)
{
	static const unsigned char zero[16];
	size_t alen = family == ULK_AF_INET ? 4 : 16;
	int i;

	if (!dst)
		dst = zero;
	for (i = 0; i < nobjs; i++)
		if (objs[i].family == family && objs[i].table == ULK_RT_TABLE_MAIN &&
		    objs[i].prefixlen == plen && !memcmp(objs[i].addr, dst, alen))
			return &objs[i];
	return NULL;
}

static bool addr_dumped(int family, int ifindex, const void *addr, int plen)
{
	int n = dump(ULK_RTM_GETADDR, family);

	if (n < 0)
		NOTE("RTM_GETADDR dump failed: %s", errstr(n));
	return find_addr(family, ifindex, addr, plen) != NULL;
}

static long ifreq_ioctl(unsigned int cmd, struct ulk_ifreq *ifr)
{
	long fd, ret;

	fd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_DGRAM | ULK_SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	ret = ulk_sys_ioctl(fd, cmd, (long)ifr);
	ulk_sys_close(fd);
	return ret;
}

/* /proc/net/if_inet6 inside ulk has @addr with @plen on "lo". */
static bool in_if_inet6(const unsigned char addr[16], int plen)
{
	static char text[8192];
	char hex[33], want[64];
	int i;

	if (ulk_read_file("/proc/net/if_inet6", text, sizeof(text)) < 0)
		return false;
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", addr[i]);
	/* "<hex> <ifindex> <plen> <scope> <flags> <name>", hex fields */
	snprintf(want, sizeof(want), "%s %02x %02x", hex, lo, plen);
	return strstr(text, want) != NULL;
}

static void pton(int family, const char *s, void *out)
{
	if (inet_pton(family == ULK_AF_INET ? AF_INET : AF_INET6, s, out) != 1) {
		printf("FAIL test bug: bad address literal %s\n", s);
		exit(1);
	}
}

/* errno plus the kernel's explanation, if it gave one. */
static const char *why(int ret)
{
	static char bufs[4][384];
	static int next;
	char *b = bufs[next++ % 4];

	if (*ulk_if_errmsg() && ret < 0)
		snprintf(b, sizeof(bufs[0]), "%s; kernel: \"%s\"", errstr(ret),
			 ulk_if_errmsg());
	else
		snprintf(b, sizeof(bufs[0]), "%s",
			 errstr(ret));
	return b;
}

/* --- interfaces ------------------------------------------------------------ */

static void test_interfaces(void)
{
	struct ulk_ifreq ifr;
	char name[16];
	long r;
	int ret;

	lo = ulk_if_index("lo");
	if (!CHECK(lo > 0, "ulk_if_index(\"lo\") > 0 (got %s)", errstr(lo))) {
		printf("RESULT: no loopback device, nothing else can be tested\n");
		exit(1);
	}
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ulk_ifr_name, "lo");
	r = ifreq_ioctl(ULK_SIOCGIFINDEX, &ifr);
	CHECK(r == 0 && ifr.ulk_ifr_ifindex == lo,
	      "SIOCGIFINDEX agrees: lo is index %d (ioctl %s, index %d)", lo,
	      errstr(r), ifr.ulk_ifr_ifindex);

	ret = ulk_if_index("nosuch0");
	CHECK(ret == -ENODEV, "unknown interface \"nosuch0\" gives -ENODEV "
	      "(got %s)", errstr(ret));
	ret = ulk_if_index("");
	CHECK(ret == -EINVAL, "empty interface name gives -EINVAL (got %s)",
	      errstr(ret));
	ret = ulk_if_index("a-name-of-16-ch");
	CHECK(ret == -ENODEV, "15-character unknown name gives -ENODEV (got %s)",
	      errstr(ret));
	ret = ulk_if_index("a-name-of-16-chr");
	CHECK(ret == -EINVAL, "16-character name (over IFNAMSIZ-1) gives -EINVAL "
	      "(got %s)", errstr(ret));
	ret = ulk_if_index(NULL);
	CHECK(ret == -EINVAL, "NULL name gives -EINVAL (got %s)", errstr(ret));

	memset(name, 'x', sizeof(name));
	ret = ulk_if_name(lo, name, sizeof(name));
	CHECK(ret == 0 && strcmp(name, "lo") == 0,
	      "ulk_if_name(%d) is \"lo\" (got %s, \"%.15s\")", lo, errstr(ret),
	      ret == 0 ? name : "");
	ret = ulk_if_name(lo, name, 2);
	CHECK(ret == -ERANGE, "ulk_if_name into 2 bytes gives -ERANGE (got %s)",
	      errstr(ret));
	ret = ulk_if_name(9999, name, sizeof(name));
	CHECK(ret == -ENODEV, "ulk_if_name(9999) gives -ENODEV (got %s)",
	      errstr(ret));
	ret = ulk_if_set_up(9999, 1);
	CHECK(ret == -ENODEV, "ulk_if_set_up(9999) gives -ENODEV (got %s)",
	      why(ret));

	ret = ulk_if_set_up(lo, 1);
	CHECK(ret == 0, "bring lo up (got %s)", why(ret));
	ret = ulk_if_get_flags(lo);
	CHECK(ret >= 0 && (ret & ULK_IFF_UP) && (ret & ULK_IFF_LOOPBACK),
	      "ulk_if_get_flags(lo) has IFF_UP and IFF_LOOPBACK (got %s)",
	      errstr(ret));
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ulk_ifr_name, "lo");
	r = ifreq_ioctl(ULK_SIOCGIFFLAGS, &ifr);
	CHECK(r == 0 && (ifr.ulk_ifr_flags & ULK_IFF_UP),
	      "SIOCGIFFLAGS agrees: lo is up (ioctl %s, flags %#x)", errstr(r),
	      (unsigned int)(unsigned short)ifr.ulk_ifr_flags);
}

#define MAC_FMT "%02x:%02x:%02x:%02x:%02x:%02x"
#define MAC_ARG(m) (m)[0], (m)[1], (m)[2], (m)[3], (m)[4], (m)[5]

/*
 * lo starts with an all-zero MAC and, like an Ethernet device, accepts a
 * new valid one while up (IFF_LIVE_ADDR_CHANGE); it refuses invalid ones.
 */
static void test_mac(void)
{
	static const unsigned char mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	static const unsigned char mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const unsigned char zero[6];
	struct ulk_ifreq ifr;
	unsigned char got[6];
	long r;
	int ret;

	memset(got, 0xee, sizeof(got));
	ret = ulk_if_get_mac(lo, got);
	CHECK(ret == 0 && !memcmp(got, zero, 6),
	      "ulk_if_get_mac(lo) is 00:00:00:00:00:00 (got %s, " MAC_FMT ")",
	      errstr(ret), MAC_ARG(got));
	ret = ulk_if_set_mac(lo, mac);
	CHECK(ret == 0, "set lo's MAC to " MAC_FMT " (got %s)", MAC_ARG(mac),
	      why(ret));
	memset(got, 0xee, sizeof(got));
	ret = ulk_if_get_mac(lo, got);
	CHECK(ret == 0 && !memcmp(got, mac, 6),
	      "ulk_if_get_mac(lo) reads it back (got %s, " MAC_FMT ")",
	      errstr(ret), MAC_ARG(got));
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ulk_ifr_name, "lo");
	r = ifreq_ioctl(ULK_SIOCGIFHWADDR, &ifr);
	CHECK(r == 0 && !memcmp(ifr.ulk_ifr_hwaddr.sa_data, mac, 6),
	      "SIOCGIFHWADDR agrees (ioctl %s, " MAC_FMT ")", errstr(r),
	      MAC_ARG((unsigned char *)ifr.ulk_ifr_hwaddr.sa_data));
	ret = ulk_if_set_mac(lo, mcast);
	CHECK(ret == -EADDRNOTAVAIL, "a multicast MAC gives -EADDRNOTAVAIL "
	      "(got %s)", why(ret));
	ret = ulk_if_set_mac(lo, zero);
	CHECK(ret == -EADDRNOTAVAIL, "an all-zero MAC gives -EADDRNOTAVAIL "
	      "(got %s)", why(ret));
	ret = ulk_if_set_mac(9999, mac);
	CHECK(ret == -ENODEV, "ulk_if_set_mac(9999) gives -ENODEV (got %s)",
	      why(ret));
	ret = ulk_if_set_mac(lo, NULL);
	CHECK(ret == -EINVAL, "ulk_if_set_mac(NULL) gives -EINVAL (got %s)",
	      errstr(ret));
	ret = ulk_if_get_mac(9999, got);
	CHECK(ret == -ENODEV, "ulk_if_get_mac(9999) gives -ENODEV (got %s)",
	      errstr(ret));
}

static void test_mtu(void)
{
	struct ulk_ifreq ifr;
	int ret, old;
	long r;

	old = ulk_if_get_mtu(lo);
	CHECK(old > 0, "ulk_if_get_mtu(lo) (got %s)", errstr(old));
	ret = ulk_if_set_mtu(lo, 1400);
	CHECK(ret == 0, "set lo MTU to 1400 (got %s)", why(ret));
	ret = ulk_if_get_mtu(lo);
	CHECK(ret == 1400, "ulk_if_get_mtu(lo) reads 1400 back (got %s)",
	      errstr(ret));
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ulk_ifr_name, "lo");
	r = ifreq_ioctl(ULK_SIOCGIFMTU, &ifr);
	CHECK(r == 0 && ifr.ulk_ifr_mtu == 1400,
	      "SIOCGIFMTU agrees: lo MTU is 1400 (ioctl %s, mtu %d)", errstr(r),
	      ifr.ulk_ifr_mtu);
	ret = ulk_if_set_mtu(lo, 0);
	CHECK(ret == -EINVAL, "MTU 0 gives -EINVAL (got %s)", errstr(ret));
	ret = ulk_if_set_mtu(lo, -1);
	CHECK(ret == -EINVAL, "MTU -1 gives -EINVAL (got %s)", errstr(ret));
	if (old > 0) {
		ret = ulk_if_set_mtu(lo, old);
		CHECK(ret == 0 && ulk_if_get_mtu(lo) == old,
		      "restore lo MTU to %d (got %s)", old, why(ret));
	}
}

/* --- addresses and TCP over them ------------------------------------------- */

struct client {
	int family;
	long ret;
	char reply[16];
};

static long make_addr(int family, const char *ip, int port,
		      struct ulk_sockaddr_in6 *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (family == ULK_AF_INET) {
		struct ulk_sockaddr_in *s4 = (struct ulk_sockaddr_in *)sa;

		s4->sin_family = ULK_AF_INET;
		s4->sin_port = htons(port);
		pton(family, ip, &s4->sin_addr);
		return sizeof(*s4);
	}
	sa->sin6_family = ULK_AF_INET6;
	sa->sin6_port = htons(port);
	pton(family, ip, &sa->sin6_addr);
	return sizeof(*sa);
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct ulk_sockaddr_in6 sa;
	long fd, len, n;

	len = make_addr(c->family, c->family == ULK_AF_INET ? "127.0.0.1" : "::1",
			TCP_PORT, &sa);
	fd = ulk_sys_socket(c->family, ULK_SOCK_STREAM | ULK_SOCK_CLOEXEC, 0);
	if (fd < 0) {
		c->ret = fd;
		return NULL;
	}
	c->ret = ulk_sys_connect(fd, (struct ulk_sockaddr *)&sa, len);
	if (c->ret == 0) {
		n = ulk_sys_sendto(fd, "ping", 4, 0, NULL, 0);
		if (n != 4)
			c->ret = n < 0 ? n : -EIO;
	}
	if (c->ret == 0) {
		n = ulk_sys_recvfrom(fd, c->reply, 4, ULK_MSG_WAITALL, NULL, NULL);
		if (n != 4)
			c->ret = n < 0 ? n : -EIO;
	}
	ulk_sys_close(fd);
	return NULL;
}

static void tcp_exchange(int family)
{
	const char *what = family == ULK_AF_INET ? "127.0.0.1" : "[::1]";
	struct client c = { .family = family };
	struct ulk_sockaddr_in6 sa;
	pthread_attr_t attr;
	pthread_t th;
	char req[8] = "";
	long lfd, cfd = -1, len, n, ret;
	int one = 1;

	len = make_addr(family, family == ULK_AF_INET ? "127.0.0.1" : "::1",
			TCP_PORT, &sa);
	lfd = ulk_sys_socket(family, ULK_SOCK_STREAM | ULK_SOCK_CLOEXEC, 0);
	if (!CHECK(lfd >= 0, "TCP %s: socket (got %s)", what, errstr(lfd)))
		return;
	ulk_sys_setsockopt(lfd, ULK_SOL_SOCKET, ULK_SO_REUSEADDR, &one,
			   sizeof(one));
	ret = ulk_sys_bind(lfd, (struct ulk_sockaddr *)&sa, len);
	if (ret == 0)
		ret = ulk_sys_listen(lfd, 4);
	if (!CHECK(ret == 0, "TCP %s: bind and listen on port %d (got %s)",
		   what, TCP_PORT, errstr(ret)))
		goto out;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1 << 20);
	if (!CHECK(pthread_create(&th, &attr, client_main, &c) == 0,
		   "TCP %s: start the client thread", what))
		goto out;
	cfd = ulk_sys_accept4(lfd, NULL, NULL, ULK_SOCK_CLOEXEC);
	if (cfd >= 0) {
		n = ulk_sys_recvfrom(cfd, req, 4, ULK_MSG_WAITALL, NULL, NULL);
		if (n == 4)
			n = ulk_sys_sendto(cfd, "pong", 4, 0, NULL, 0);
		CHECK(n == 4 && !memcmp(req, "ping", 4),
		      "TCP %s: server accepted, got \"ping\", answered (got %s, "
		      "\"%.4s\")", what, errstr(n), req);
	} else {
		CHECK(false, "TCP %s: accept (got %s)", what, errstr(cfd));
	}
	pthread_join(th, NULL);
	CHECK(c.ret == 0 && !memcmp(c.reply, "pong", 4),
	      "TCP %s: client connected, sent \"ping\", got \"pong\" (got %s, "
	      "\"%.4s\")", what, errstr(c.ret), c.reply);
out:
	if (cfd >= 0)
		ulk_sys_close(cfd);
	ulk_sys_close(lfd);
}

static void test_loopback_addresses(void)
{
	unsigned char a4[4], a6[16];
	int ret;

	/*
	 * When lo comes up the kernel itself gives it 127.0.0.1/8
	 * (inetdev_event) and ::1/128 (addrconf): adding them again is
	 * harmless and answered with -EEXIST.
	 */
	pton(ULK_AF_INET, "127.0.0.1", a4);
	ret = ulk_if_add_addr(lo, ULK_AF_INET, a4, 8);
	CHECK(ret == 0 || ret == -EEXIST, "add 127.0.0.1/8 to lo (got %s%s)",
	      why(ret), ret == -EEXIST ? ": already there, added by the "
	      "kernel when lo came up" : "");
	CHECK(addr_dumped(ULK_AF_INET, lo, a4, 8),
	      "RTM_GETADDR dump shows 127.0.0.1/8 on lo");

	pton(ULK_AF_INET6, "::1", a6);
	ret = ulk_if_add_addr_str(lo, "::1/128");
	CHECK(ret == 0 || ret == -EEXIST, "add ::1/128 to lo (got %s%s)",
	      why(ret), ret == -EEXIST ? ": already there, added by the "
	      "kernel when lo came up" : "");
	CHECK(addr_dumped(ULK_AF_INET6, lo, a6, 128),
	      "RTM_GETADDR dump shows ::1/128 on lo");
	CHECK(in_if_inet6(a6, 128), "/proc/net/if_inet6 shows ::1/128 on lo");

	ret = ulk_if_add_addr(lo, ULK_AF_INET, a4, 8);
	CHECK(ret == -EEXIST, "adding 127.0.0.1/8 again gives -EEXIST (got %s)",
	      why(ret));

	tcp_exchange(ULK_AF_INET);
	tcp_exchange(ULK_AF_INET6);
}

static void test_extra_addresses(void)
{
	unsigned char a4[4], a6[16];
	int ret;

	pton(ULK_AF_INET, "10.9.8.7", a4);
	ret = ulk_if_add_addr_str(lo, "10.9.8.7/24");
	CHECK(ret == 0, "add 10.9.8.7/24 to lo (got %s)", why(ret));
	CHECK(addr_dumped(ULK_AF_INET, lo, a4, 24),
	      "RTM_GETADDR dump shows 10.9.8.7/24 on lo");
	ret = ulk_if_add_addr_str(lo, "10.9.8.7/24");
	CHECK(ret == -EEXIST, "adding 10.9.8.7/24 again gives -EEXIST (got %s)",
	      why(ret));

	pton(ULK_AF_INET6, "fd00:9::7", a6);
	ret = ulk_if_add_addr_str(lo, "fd00:9::7/64");
	CHECK(ret == 0, "add fd00:9::7/64 to lo (got %s)", why(ret));
	CHECK(addr_dumped(ULK_AF_INET6, lo, a6, 64),
	      "RTM_GETADDR dump shows fd00:9::7/64 on lo");
	CHECK(in_if_inet6(a6, 64), "/proc/net/if_inet6 shows fd00:9::7/64 on lo");
}

/* Index in @list of @addr/@plen, or -1. */
static int find_listed(const struct ulk_if_addr *list, int n, int family,
		       const void *addr, int plen)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i].family == family && list[i].prefixlen == plen &&
		    !memcmp(list[i].addr, addr, family == ULK_AF_INET ? 4 : 16))
			return i;
	return -1;
}

/*
 * ulk_if_get_addrs() against the test's own dump, then with 500 more
 * addresses, which the kernel must dump in several datagrams.
 */
#define MANY 500
static void test_list_addresses(void)
{
	static struct ulk_if_addr list[MAX_OBJS];
	struct { int family; const char *ip; int plen; } want[] = {
		{ ULK_AF_INET, "127.0.0.1", 8 }, { ULK_AF_INET, "10.9.8.7", 24 },
		{ ULK_AF_INET6, "::1", 128 }, { ULK_AF_INET6, "fd00:9::7", 64 },
	};
	unsigned char a[16];
	int i, n, n4, n6, ret, bad;

	n = ulk_if_get_addrs(lo, ULK_AF_UNSPEC, list, MAX_OBJS);
	dump(ULK_RTM_GETADDR, ULK_AF_INET);
	for (i = 0, n4 = 0; i < nobjs; i++)
		n4 += objs[i].ifindex == lo;
	dump(ULK_RTM_GETADDR, ULK_AF_INET6);
	for (i = 0, n6 = 0; i < nobjs; i++)
		n6 += objs[i].ifindex == lo;
	CHECK(n == n4 + n6, "ulk_if_get_addrs(lo) lists as many addresses as "
	      "the dumps show (got %s, dumps %d + %d)", errstr(n), n4, n6);
	for (i = 0; i < (int)(sizeof(want) / sizeof(want[0])); i++) {
		int k;

		pton(want[i].family, want[i].ip, a);
		k = n > 0 ? find_listed(list, n < MAX_OBJS ? n : MAX_OBJS,
					want[i].family, a, want[i].plen) : -1;
		CHECK(k >= 0, "ulk_if_get_addrs(lo) lists %s/%d (scope %d, "
		      "flags %#x)", want[i].ip, want[i].plen,
		      k >= 0 ? list[k].scope : -1, k >= 0 ? list[k].flags : 0);
	}
	ret = ulk_if_get_addrs(lo, ULK_AF_INET6, list, MAX_OBJS);
	CHECK(ret == n6, "ulk_if_get_addrs(lo, AF_INET6) lists only IPv6: %d "
	      "(got %s)", n6, errstr(ret));
	ret = ulk_if_get_addrs(lo, ULK_AF_INET, list, 1);
	CHECK(ret == n4, "with room for 1 it still counts all %d IPv4 "
	      "addresses (got %s)", n4, errstr(ret));
	ret = ulk_if_get_addrs(lo, ULK_AF_INET, NULL, 0);
	CHECK(ret == n4, "with no room it counts them too (got %s)",
	      errstr(ret));
	ret = ulk_if_get_addrs(lo, ULK_AF_INET, NULL, 4);
	CHECK(ret == -EINVAL, "NULL list with room 4 gives -EINVAL (got %s)",
	      errstr(ret));
	ret = ulk_if_get_addrs(9999, ULK_AF_UNSPEC, list, MAX_OBJS);
	CHECK(ret == -ENODEV, "ulk_if_get_addrs(9999) gives -ENODEV (got %s)",
	      why(ret));
	ret = ulk_if_get_addrs(lo, 5, list, MAX_OBJS);
	CHECK(ret == -EAFNOSUPPORT, "ulk_if_get_addrs(family 5) gives "
	      "-EAFNOSUPPORT (got %s)", errstr(ret));

	for (i = 0, bad = 0; i < MANY; i++) {
		a[0] = 10; a[1] = 77; a[2] = i / 250; a[3] = i % 250 + 1;
		ret = ulk_if_add_addr(lo, ULK_AF_INET, a, 32);
		if (ret && !bad++)
			NOTE("adding 10.77.%d.%d/32: %s", a[2], a[3], why(ret));
	}
	CHECK(!bad, "add %d addresses 10.77.x.y/32 to lo (%d failed)", MANY,
	      bad);
	ret = ulk_if_get_addrs(lo, ULK_AF_INET, list, MAX_OBJS);
	for (i = 0, bad = 0; i < MANY && ret > 0; i++) {
		a[0] = 10; a[1] = 77; a[2] = i / 250; a[3] = i % 250 + 1;
		bad += find_listed(list, ret < MAX_OBJS ? ret : MAX_OBJS,
				   ULK_AF_INET, a, 32) < 0;
	}
	CHECK(ret == n4 + MANY && !bad, "ulk_if_get_addrs(lo) lists all %d "
	      "(got %s, %d missing)", n4 + MANY, errstr(ret), bad);
	n = dump(ULK_RTM_GETADDR, ULK_AF_INET);
	CHECK(dump_parts > 1, "the same dump took several datagrams (%d), so "
	      "the listing went through a multi-part dump (dump %s)",
	      dump_parts, errstr(n));
	for (i = 0, bad = 0; i < MANY; i++) {
		a[0] = 10; a[1] = 77; a[2] = i / 250; a[3] = i % 250 + 1;
		bad += ulk_if_del_addr(lo, ULK_AF_INET, a, 32) != 0;
	}
	ret = ulk_if_get_addrs(lo, ULK_AF_INET, list, MAX_OBJS);
	CHECK(!bad && ret == n4, "delete them again: %d IPv4 addresses left "
	      "(got %s, %d deletions failed)", n4, errstr(ret), bad);
}

static void test_extra_addresses_del(void)
{
	unsigned char a4[4], a6[16];
	int ret;

	pton(ULK_AF_INET, "10.9.8.7", a4);
	pton(ULK_AF_INET6, "fd00:9::7", a6);
	ret = ulk_if_del_addr(lo, ULK_AF_INET, a4, 24);
	CHECK(ret == 0, "delete 10.9.8.7/24 from lo (got %s)", why(ret));
	CHECK(!addr_dumped(ULK_AF_INET, lo, a4, 24),
	      "RTM_GETADDR dump no longer shows 10.9.8.7/24");
	ret = ulk_if_del_addr_str(lo, "10.9.8.7/24");
	CHECK(ret == -EADDRNOTAVAIL, "deleting 10.9.8.7/24 again gives "
	      "-EADDRNOTAVAIL (got %s)", why(ret));

	ret = ulk_if_del_addr_str(lo, "fd00:9::7/64");
	CHECK(ret == 0, "delete fd00:9::7/64 from lo (got %s)", why(ret));
	CHECK(!addr_dumped(ULK_AF_INET6, lo, a6, 64),
	      "RTM_GETADDR dump no longer shows fd00:9::7/64");
	CHECK(!in_if_inet6(a6, 64),
	      "/proc/net/if_inet6 no longer shows fd00:9::7/64");
	ret = ulk_if_del_addr(lo, ULK_AF_INET6, a6, 64);
	CHECK(ret == -EADDRNOTAVAIL, "deleting fd00:9::7/64 again gives "
	      "-EADDRNOTAVAIL (got %s)", why(ret));
}

static void test_bad_addresses(void)
{
	static const char *const bad[] = {
		"10.0.0.1/33", "fd00::1/129", "10.0.0.1", "fd00::1",
		"garbage/24", "10.0.0.1/", "10.0.0.1/2x", "10.0.0.1/-1",
		"10.0.0.256/24", "10.0.0/24", "/24", "", "10.0.0.1/0024",
		" 10.0.0.1/24", "10.0.0.1/24 ", "fd00::1%lo/64", "fd00:::1/64",
	};
	unsigned char a4[4] = { 10, 0, 0, 1 };
	size_t i;
	int ret;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = ulk_if_add_addr_str(lo, bad[i]);
		CHECK(ret == -EINVAL, "ulk_if_add_addr_str(\"%s\") gives -EINVAL "
		      "(got %s)", bad[i], why(ret));
	}
	ret = ulk_if_add_addr_str(lo, NULL);
	CHECK(ret == -EINVAL, "ulk_if_add_addr_str(NULL) gives -EINVAL (got %s)",
	      errstr(ret));
	ret = ulk_if_add_addr(lo, ULK_AF_INET, a4, 33);
	CHECK(ret == -EINVAL, "ulk_if_add_addr(IPv4, /33) gives -EINVAL (got %s)",
	      errstr(ret));
	ret = ulk_if_add_addr(lo, ULK_AF_INET6, a4, 129);
	CHECK(ret == -EINVAL, "ulk_if_add_addr(IPv6, /129) gives -EINVAL "
	      "(got %s)", errstr(ret));
	ret = ulk_if_add_addr(lo, ULK_AF_INET, a4, -1);
	CHECK(ret == -EINVAL, "ulk_if_add_addr(IPv4, /-1) gives -EINVAL (got %s)",
	      errstr(ret));
	ret = ulk_if_add_addr(lo, 99, a4, 8);
	CHECK(ret == -EAFNOSUPPORT, "ulk_if_add_addr(family 99) gives "
	      "-EAFNOSUPPORT (got %s)", errstr(ret));
	ret = ulk_if_add_addr(9999, ULK_AF_INET, a4, 8);
	CHECK(ret == -ENODEV, "ulk_if_add_addr(ifindex 9999) gives -ENODEV "
	      "(got %s)", why(ret));
	ret = ulk_if_add_addr_str(9999, "10.0.0.1/8");
	CHECK(ret == -ENODEV, "ulk_if_add_addr_str(ifindex 9999) gives -ENODEV "
	      "(got %s)", why(ret));
}

/* --- routes ---------------------------------------------------------------- */

static void test_routes(void)
{
	unsigned char d4[4], g4[4], d6[16], zero[16] = { 0 };
	char gwtext[INET_ADDRSTRLEN];
	const struct obj *o;
	int ret, n;

	/* 10.20.0.0/16 dev lo */
	pton(ULK_AF_INET, "10.20.0.0", d4);
	ret = ulk_route_add(ULK_AF_INET, d4, 16, NULL, lo);
	CHECK(ret == 0, "add route 10.20.0.0/16 dev lo (got %s)", why(ret));
	n = dump(ULK_RTM_GETROUTE, ULK_AF_INET);
	o = find_route(ULK_AF_INET, d4, 16);
	CHECK(o && o->ifindex == lo && !o->has_gw,
	      "RTM_GETROUTE dump shows 10.20.0.0/16 dev lo in table main "
	      "(dump %s, found %s, oif %d)", errstr(n), o ? "yes" : "no",
	      o ? o->ifindex : 0);
	ret = ulk_route_add_str("10.20.0.0/16", NULL, lo);
	CHECK(ret == -EEXIST, "adding it again gives -EEXIST (got %s)",
	      why(ret));
	ret = ulk_route_del(ULK_AF_INET, d4, 16, NULL, lo);
	CHECK(ret == 0, "delete route 10.20.0.0/16 dev lo (got %s)", why(ret));
	dump(ULK_RTM_GETROUTE, ULK_AF_INET);
	CHECK(!find_route(ULK_AF_INET, d4, 16),
	      "RTM_GETROUTE dump no longer shows 10.20.0.0/16");
	ret = ulk_route_del_str("10.20.0.0/16", NULL, lo);
	CHECK(ret == -ESRCH, "deleting it again gives -ESRCH (got %s)",
	      why(ret));

	/* 10.30.0.0/16 via 10.9.8.1 (on lo's 10.9.8.0/24) */
	pton(ULK_AF_INET, "10.30.0.0", d4);
	pton(ULK_AF_INET, "10.9.8.1", g4);
	ret = ulk_route_add_str("10.30.0.0/16", "10.9.8.1", 0);
	CHECK(ret == 0, "add route 10.30.0.0/16 via 10.9.8.1 (device found by "
	      "the kernel) (got %s)", why(ret));
	dump(ULK_RTM_GETROUTE, ULK_AF_INET);
	o = find_route(ULK_AF_INET, d4, 16);
	CHECK(o && o->has_gw && !memcmp(o->gw, g4, 4) && o->ifindex == lo,
	      "RTM_GETROUTE dump shows 10.30.0.0/16 via 10.9.8.1 dev lo "
	      "(found: %s, gateway %s, oif %d)", o ? "yes" : "no",
	      o && o->has_gw ? inet_ntop(AF_INET, o->gw, gwtext,
					 sizeof(gwtext)) : "none",
	      o ? o->ifindex : 0);
	ret = ulk_route_del(ULK_AF_INET, d4, 16, g4, 0);
	CHECK(ret == 0, "delete route 10.30.0.0/16 via 10.9.8.1 (got %s)",
	      why(ret));

	/* IPv4 default route */
	ret = ulk_route_add_str("default", NULL, lo);
	CHECK(ret == 0, "add IPv4 default route dev lo (got %s)", why(ret));
	dump(ULK_RTM_GETROUTE, ULK_AF_INET);
	o = find_route(ULK_AF_INET, NULL, 0);
	CHECK(o && o->ifindex == lo && !o->has_gw,
	      "RTM_GETROUTE dump shows default dev lo (found: %s, oif %d)",
	      o ? "yes" : "no", o ? o->ifindex : 0);
	ret = ulk_route_add(ULK_AF_INET, NULL, 0, NULL, lo);
	CHECK(ret == -EEXIST, "adding the default route again gives -EEXIST "
	      "(got %s)", why(ret));
	ret = ulk_route_del(ULK_AF_INET, NULL, 0, NULL, 0);
	CHECK(ret == 0, "delete the IPv4 default route (got %s)", why(ret));
	dump(ULK_RTM_GETROUTE, ULK_AF_INET);
	CHECK(!find_route(ULK_AF_INET, NULL, 0),
	      "RTM_GETROUTE dump no longer shows an IPv4 default route");

	/* IPv6: fd00:20::/64 dev lo, and the default route */
	pton(ULK_AF_INET6, "fd00:20::", d6);
	ret = ulk_route_add_str("fd00:20::/64", NULL, lo);
	CHECK(ret == 0, "add route fd00:20::/64 dev lo (got %s)", why(ret));
	dump(ULK_RTM_GETROUTE, ULK_AF_INET6);
	o = find_route(ULK_AF_INET6, d6, 64);
	CHECK(o != NULL, "RTM_GETROUTE dump shows fd00:20::/64 (type %d: the "
	      "kernel makes IPv6 routes via lo unreachable)", o ? o->type : -1);
	ret = ulk_route_del(ULK_AF_INET6, d6, 64, NULL, lo);
	CHECK(ret == 0, "delete route fd00:20::/64 dev lo (got %s)", why(ret));
	dump(ULK_RTM_GETROUTE, ULK_AF_INET6);
	CHECK(!find_route(ULK_AF_INET6, d6, 64),
	      "RTM_GETROUTE dump no longer shows fd00:20::/64");

	ret = ulk_route_add_str("::/0", NULL, lo);
	CHECK(ret == 0, "add IPv6 default route dev lo (got %s)", why(ret));
	dump(ULK_RTM_GETROUTE, ULK_AF_INET6);
	CHECK(find_route(ULK_AF_INET6, zero, 0) != NULL,
	      "RTM_GETROUTE dump shows the IPv6 default route");
	ret = ulk_route_del_str("::/0", NULL, lo);
	CHECK(ret == 0, "delete the IPv6 default route (got %s)", why(ret));

	/* bad requests */
	ret = ulk_route_add_str("10.20.0.0/33", NULL, lo);
	CHECK(ret == -EINVAL, "route to 10.20.0.0/33 gives -EINVAL (got %s)",
	      errstr(ret));
	ret = ulk_route_add_str("10.20.0.0", NULL, lo);
	CHECK(ret == -EINVAL, "route to 10.20.0.0 without /LEN gives -EINVAL "
	      "(got %s)", errstr(ret));
	ret = ulk_route_add_str("fd00::/64", "10.0.0.1", lo);
	CHECK(ret == -EINVAL, "IPv6 route via an IPv4 gateway gives -EINVAL "
	      "(got %s)", errstr(ret));
	ret = ulk_route_add_str("10.20.0.0/16", NULL, 0);
	CHECK(ret == -EINVAL, "route with neither gateway nor device gives "
	      "-EINVAL (got %s)", errstr(ret));
	ret = ulk_route_add(ULK_AF_INET, NULL, 8, NULL, lo);
	CHECK(ret == -EINVAL, "route with NULL dst and /8 gives -EINVAL "
	      "(got %s)", errstr(ret));
	ret = ulk_route_add_str("10.20.0.1/16", NULL, lo);
	CHECK(ret == -EINVAL && *ulk_if_errmsg(),
	      "route 10.20.0.1/16 (host bits set) refused by the kernel with "
	      "-EINVAL and an explanation (got %s)", why(ret));
	ret = ulk_route_add_str("10.40.0.0/16", "10.50.0.1", 0);
	CHECK(ret == -ENETUNREACH, "route via unreachable gateway 10.50.0.1 "
	      "gives -ENETUNREACH (got %s)", why(ret));
	ret = ulk_route_add_str("10.20.0.0/16", NULL, 9999);
	CHECK(ret == -ENODEV, "route via ifindex 9999 gives -ENODEV (got %s)",
	      why(ret));
	ret = ulk_route_add(7, d4, 16, NULL, lo);
	CHECK(ret == -EAFNOSUPPORT, "route of family 7 gives -EAFNOSUPPORT "
	      "(got %s)", errstr(ret));
}

/* --- neighbours ------------------------------------------------------------ */

/*
 * On loopback and point-to-point devices the kernel keeps one IPv4
 * neighbour, keyed 0.0.0.0, whatever address it is given (arp_constructor
 * rewrites the key): an entry added for 10.9.8.9 on lo is found, shown and
 * deleted as 0.0.0.0. IPv6 keeps the address.
 */
static void test_neighbours(void)
{
	static const unsigned char mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const struct {
		int family;
		const char *ip;		/* what we add */
		const char *key;	/* what the kernel keeps on lo */
	} cases[] = {
		{ ULK_AF_INET, "10.9.8.9", "0.0.0.0" },
		{ ULK_AF_INET6, "fd00:9::9", "fd00:9::9" },
	};
	unsigned char a[16], k[16];
	size_t i;
	int ret, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t alen = cases[i].family == ULK_AF_INET ? 4 : 16;
		const struct obj *o = NULL;

		pton(cases[i].family, cases[i].ip, a);
		pton(cases[i].family, cases[i].key, k);
		ret = ulk_neigh_add(lo, cases[i].family, a, mac);
		if (!CHECK(ret == 0, "add permanent neighbour %s lladdr "
			   MAC_FMT " on lo (got %s)", cases[i].ip,
			   MAC_ARG(mac), why(ret)))
			continue;
		ret = dump(ULK_RTM_GETNEIGH, cases[i].family);
		for (j = 0; j < nobjs; j++)
			if (objs[j].ifindex == lo &&
			    !memcmp(objs[j].addr, k, alen))
				o = &objs[j];
		CHECK(o && (o->type & ULK_NUD_PERMANENT) && o->has_lladdr &&
		      !memcmp(o->lladdr, mac, 6),
		      "RTM_GETNEIGH dump shows it on lo as %s, PERMANENT, "
		      "with that lladdr (dump %s, found %s, state %#x)",
		      cases[i].key, errstr(ret), o ? "yes" : "no",
		      o ? o->type : 0);
		ret = ulk_neigh_add(lo, cases[i].family, a, mac);
		CHECK(ret == 0, "adding it again replaces it (got %s)", why(ret));
		ret = ulk_neigh_del(lo, cases[i].family, k);
		CHECK(ret == 0, "delete neighbour %s (got %s)", cases[i].key,
		      why(ret));
		ret = ulk_neigh_del(lo, cases[i].family, k);
		CHECK(ret == -ENOENT, "deleting it again gives -ENOENT (got %s)",
		      why(ret));
	}
	pton(ULK_AF_INET, "10.9.8.9", a);
	ret = ulk_neigh_add(9999, ULK_AF_INET, a, mac);
	CHECK(ret == -ENODEV, "neighbour on ifindex 9999 gives -ENODEV (got %s)",
	      why(ret));
	ret = ulk_neigh_add(lo, 3, a, mac);
	CHECK(ret == -EAFNOSUPPORT, "neighbour of family 3 gives -EAFNOSUPPORT "
	      "(got %s)", errstr(ret));
	ret = ulk_neigh_add(lo, ULK_AF_INET, a, NULL);
	CHECK(ret == -EINVAL, "neighbour without MAC gives -EINVAL (got %s)",
	      errstr(ret));
	ret = ulk_neigh_del(lo, ULK_AF_INET, NULL);
	CHECK(ret == -EINVAL, "deleting a neighbour without address gives "
	      "-EINVAL (got %s)", errstr(ret));
}

/* --- sysctls --------------------------------------------------------------- */

static void sysctl_round_trip(const char *name, const char *value)
{
	char old[256], got[256];
	int ret;

	ret = ulk_sysctl_get(name, old, sizeof(old));
	CHECK(ret >= 0, "read %s (got %s, \"%s\")", name, errstr(ret),
	      ret >= 0 ? old : "");
	ret = ulk_sysctl_set(name, value);
	CHECK(ret == 0, "set %s=%s (got %s)", name, value, errstr(ret));
	ret = ulk_sysctl_get(name, got, sizeof(got));
	CHECK(ret == (int)strlen(value) && strcmp(got, value) == 0,
	      "read %s back: \"%s\", no newline (got %s, \"%s\")", name, value,
	      errstr(ret), ret >= 0 ? got : "");
}

/* @s with newlines shown as "\\n", for one-line messages. */
static const char *visible(const char *s)
{
	static char out[128];
	size_t o = 0;

	for (; *s && o < sizeof(out) - 3; s++) {
		if (*s == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
	return out;
}

static void test_sysctls(void)
{
	static const char *const bad[] = {
		"", ".", "net..ipv4.tcp_syncookies", ".net.core.somaxconn",
		"net.core.somaxconn.", "net/core/somaxconn", "net.core/../somaxconn",
		"net.core.somaxconn=1024", "net.core.some maxconn",
		"net.core.somaxconn\n",
	};
	char buf[256], file[64];
	size_t i;
	long fd, r;
	int ret;

	sysctl_round_trip("net.ipv4.tcp_congestion_control", "bbr");
	/* It took effect: a new TCP socket uses BBR. */
	fd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_STREAM, 0);
	if (fd >= 0) {
		int len = sizeof(buf);

		memset(buf, 0, sizeof(buf));
		r = ulk_sys_getsockopt(fd, ULK_IPPROTO_TCP, ULK_TCP_CONGESTION,
				       buf, &len);
		CHECK(r == 0 && strcmp(buf, "bbr") == 0,
		      "a new TCP socket uses \"bbr\" (getsockopt %s, \"%.16s\")",
		      errstr(r), buf);
		ulk_sys_close(fd);
	}
	sysctl_round_trip("net.core.somaxconn", "1024");
	r = ulk_read_file("/proc/sys/net/core/somaxconn", file, sizeof(file));
	CHECK(r > 0 && strcmp(file, "1024\n") == 0,
	      "/proc/sys/net/core/somaxconn reads \"1024\\n\" (got %s)",
	      errstr(r));
	sysctl_round_trip("net.ipv6.conf.all.forwarding", "1");
	sysctl_round_trip("net.ipv6.conf.all.forwarding", "0");
	sysctl_round_trip("net.ipv4.tcp_rmem", "4096\t131072\t6291456");

	ret = ulk_sysctl_set("net.ipv4.tcp_congestion_control", "nosuchcc");
	CHECK(ret == -EINVAL, "setting an unknown congestion control gives "
	      "-EINVAL (got %s)", errstr(ret));
	ret = ulk_sysctl_set("net.core.somaxconn", "lots");
	CHECK(ret == -EINVAL, "setting somaxconn to \"lots\" gives -EINVAL "
	      "(got %s)", errstr(ret));
	ret = ulk_sysctl_get("net.ipv4.tcp_congestion_control", buf,
			     sizeof(buf));
	CHECK(ret == 3 && strcmp(buf, "bbr") == 0,
	      "failed sets left the value alone: \"bbr\" (got %s, \"%s\")",
	      errstr(ret), ret >= 0 ? buf : "");

	ret = ulk_sysctl_get("net.ipv4.no_such_sysctl", buf, sizeof(buf));
	CHECK(ret == -ENOENT, "reading net.ipv4.no_such_sysctl gives -ENOENT "
	      "(got %s)", errstr(ret));
	ret = ulk_sysctl_set("net.ipv4.no_such_sysctl", "1");
	CHECK(ret == -ENOENT, "setting net.ipv4.no_such_sysctl gives -ENOENT "
	      "(got %s)", errstr(ret));
	ret = ulk_sysctl_get("net.core.somaxconn.x", buf, sizeof(buf));
	CHECK(ret == -ENOENT, "net.core.somaxconn.x gives -ENOENT (got %s)",
	      errstr(ret));
	ret = ulk_sysctl_get("net.ipv4", buf, sizeof(buf));
	CHECK(ret == -EISDIR, "net.ipv4 (a directory) gives -EISDIR (got %s)",
	      errstr(ret));
	ret = ulk_sysctl_get("net.ipv4.tcp_congestion_control", buf, 3);
	CHECK(ret == -ERANGE, "reading \"bbr\" into 3 bytes gives -ERANGE "
	      "(got %s)", errstr(ret));
	ret = ulk_sysctl_get("net.ipv4.tcp_congestion_control", buf, 4);
	CHECK(ret == 3 && strcmp(buf, "bbr") == 0,
	      "reading \"bbr\" into 4 bytes works (got %s)", errstr(ret));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = ulk_sysctl_get(bad[i], buf, sizeof(buf));
		CHECK(ret == -EINVAL, "bad sysctl name \"%s\" gives -EINVAL "
		      "(got %s)", visible(bad[i]), errstr(ret));
	}
	ret = ulk_sysctl_get(NULL, buf, sizeof(buf));
	CHECK(ret == -EINVAL, "NULL sysctl name gives -EINVAL (got %s)",
	      errstr(ret));
	ret = ulk_sysctl_set("net.core.somaxconn", NULL);
	CHECK(ret == -EINVAL, "NULL sysctl value gives -EINVAL (got %s)",
	      errstr(ret));
}

static void test_down(void)
{
	int ret;

	ret = ulk_if_set_up(lo, 0);
	CHECK(ret == 0, "bring lo down (got %s)", why(ret));
	ret = ulk_if_get_flags(lo);
	CHECK(ret >= 0 && !(ret & ULK_IFF_UP),
	      "ulk_if_get_flags(lo) no longer has IFF_UP (got %s)", errstr(ret));
	ret = ulk_if_set_up(lo, 1);
	CHECK(ret == 0 && (ulk_if_get_flags(lo) & ULK_IFF_UP),
	      "bring lo up again (got %s)", why(ret));
}

int main(void)
{
	int ret;

	test_watchdog(120);
	ret = ulk_if_index("lo");
	CHECK(ret == -ESHUTDOWN, "before ulk_start(): ulk_if_index gives "
	      "-ESHUTDOWN (got %s)", errstr(ret));
	ulk_boot_or_die();

	test_interfaces();
	test_mac();
	test_loopback_addresses();
	test_extra_addresses();
	test_bad_addresses();
	test_routes();
	test_neighbours();
	test_list_addresses();
	test_extra_addresses_del();
	test_mtu();
	test_sysctls();
	test_down();
	return test_finish();
}
