// SPDX-License-Identifier: GPL-2.0
/*
 * UDP, ICMP, backlog overflow and resets between ulk and the host kernel
 * over a TAP. The test moves itself into a new network namespace
 * (unshare), where ulk creates the TAP; both stacks are used from this one
 * process: host sockets on one side, ulk's on the other. Everything goes
 * away with the process. Needs root.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common.h"
#include <ulk/net.h>
#include <ulk/netdev.h>
#include <ulk/linux/if_addr.h>

#define HOST4 "10.81.0.1"
#define ULK4 "10.81.0.2"
#define HOST6 "fd81::1"
#define ULK6 "fd81::2"

static struct sockaddr_in sin4(const char *ip, int port)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

static struct sockaddr_in6 sin6(const char *ip, int port)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	inet_pton(AF_INET6, ip, &s.sin6_addr);
	return s;
}

static void host_timeout(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void ulk_timeout(long fd, int ms)
{
	struct { long sec, usec; } tv = { ms / 1000, (ms % 1000) * 1000 };

	ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_RCVTIMEO_OLD, &tv, sizeof(tv));
}

/* A ulk UDP echo server on port 7, answering @n datagrams. */
static void *ulk_udp_echo(void *arg)
{
	long fd = (long)arg;
	char buf[2048];

	for (int i = 0; i < 4; i++) {
		struct sockaddr_in6 from;
		int len = sizeof(from);
		long n = ulk_sys_recvfrom(fd, buf, sizeof(buf), 0,
					  (struct ulk_sockaddr *)&from, &len);

		if (n < 0)
			break;
		ulk_sys_sendto(fd, buf, n, 0, (struct ulk_sockaddr *)&from, len);
	}
	return NULL;
}

static void test_udp(void)
{
	struct sockaddr_in6 any6 = { .sin6_family = AF_INET6, .sin6_port = htons(7) };
	struct sockaddr_in dst4 = sin4(ULK4, 7);
	struct sockaddr_in6 dst6 = sin6(ULK6, 7);
	char buf[64];
	pthread_t t;
	long ufd;
	int zero = 0, hfd;
	long n;

	/* Host -> ulk echo, IPv4 and IPv6. */
	ufd = ulk_sys_socket(ULK_AF_INET6, ULK_SOCK_DGRAM, 0);
	ulk_sys_setsockopt(ufd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	n = ulk_sys_bind(ufd, (struct ulk_sockaddr *)&any6, sizeof(any6));
	CHECK(n == 0, "ulk UDP socket bound to port 7 (got %ld)", n);
	ulk_timeout(ufd, 5000);
	pthread_create(&t, NULL, ulk_udp_echo, (void *)ufd);
	for (int v6 = 0; v6 < 2; v6++) {
		for (int k = 0; k < 2; k++) {
			hfd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
			host_timeout(hfd, 3000);
			sendto(hfd, "echo me", 7, 0,
			       v6 ? (struct sockaddr *)&dst6 : (struct sockaddr *)&dst4,
			       v6 ? sizeof(dst6) : sizeof(dst4));
			n = recv(hfd, buf, sizeof(buf), 0);
			CHECK(n == 7 && !memcmp(buf, "echo me", 7),
			      "UDP host -> ulk echo over IPv%d, round %d (got %ld)",
			      v6 ? 6 : 4, k, n);
			close(hfd);
		}
	}
	pthread_join(t, NULL);
	ulk_sys_close(ufd);

	/* ulk -> host echo: the host answers on its side. */
	for (int v6 = 0; v6 < 2; v6++) {
		struct sockaddr_in h4 = sin4(HOST4, 9007);
		struct sockaddr_in6 h6 = sin6(HOST6, 9007);
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);

		hfd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
		bind(hfd, v6 ? (struct sockaddr *)&h6 : (struct sockaddr *)&h4,
		     v6 ? sizeof(h6) : sizeof(h4));
		host_timeout(hfd, 3000);
		ufd = ulk_sys_socket(v6 ? ULK_AF_INET6 : ULK_AF_INET, ULK_SOCK_DGRAM, 0);
		ulk_timeout(ufd, 3000);
		ulk_sys_sendto(ufd, "ping", 4, 0,
			       v6 ? (struct ulk_sockaddr *)&h6 : (struct ulk_sockaddr *)&h4,
			       v6 ? sizeof(h6) : sizeof(h4));
		n = recvfrom(hfd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n > 0)
			sendto(hfd, buf, n, 0, (struct sockaddr *)&from, fl);
		n = ulk_sys_recvfrom(ufd, buf, sizeof(buf), 0, NULL, NULL);
		CHECK(n == 4 && !memcmp(buf, "ping", 4),
		      "UDP ulk -> host echo over IPv%d (got %ld)", v6 ? 6 : 4, n);
		ulk_sys_close(ufd);
		close(hfd);
	}
}

static unsigned short csum(const void *p, int len)
{
	const unsigned char *b = p;
	unsigned long s = 0;

	for (int i = 0; i + 1 < len; i += 2)
		s += (b[i] << 8) | b[i + 1];
	if (len & 1)
		s += b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons(~s & 0xffff);
}

static void test_ping_from_ulk(void)
{
	for (int v6 = 0; v6 < 2; v6++) {
		unsigned char req[16] = { v6 ? 128 : 8, 0, 0, 0, 0x12, 0x34, 0, 1,
					  'u', 'l', 'k', '!' };
		struct sockaddr_in h4 = sin4(HOST4, 0);
		struct sockaddr_in6 h6 = sin6(HOST6, 0);
		unsigned char buf[256];
		long fd, n;
		int ok = 0;

		fd = ulk_sys_socket(v6 ? ULK_AF_INET6 : ULK_AF_INET, ULK_SOCK_RAW,
				    v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
		if (!v6) {
			unsigned short c = csum(req, sizeof(req));

			memcpy(req + 2, &c, 2);
		}
		ulk_timeout(fd, 3000);
		n = ulk_sys_sendto(fd, req, sizeof(req), 0,
				   v6 ? (struct ulk_sockaddr *)&h6 : (struct ulk_sockaddr *)&h4,
				   v6 ? sizeof(h6) : sizeof(h4));
		for (int tries = 0; n >= 0 && tries < 5 && !ok; tries++) {
			unsigned char *icmp;

			n = ulk_sys_recvfrom(fd, buf, sizeof(buf), 0, NULL, NULL);
			if (n <= 0)
				break;
			/* IPv4 raw sockets deliver the IP header too. */
			icmp = v6 ? buf : buf + (buf[0] & 0xf) * 4;
			ok = icmp[0] == (v6 ? 129 : 0) && icmp[4] == 0x12 &&
			     icmp[5] == 0x34;
		}
		CHECK(ok, "ping ulk -> host over IPv%d: echo reply received",
		      v6 ? 6 : 4);
		ulk_sys_close(fd);
	}
}

/* "TCP: inuse N" from ulk's /proc/net/sockstat. */
static long ulk_tcp_inuse(void)
{
	char buf[1024], *p;

	if (ulk_read_file("/proc/net/sockstat", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "TCP: inuse ");
	return p ? atol(p + 11) : -1;
}

static long wait_inuse(long want)
{
	long v = -1;

	for (int i = 0; i < 100; i++) {
		v = ulk_tcp_inuse();
		if (v == want)
			break;
		usleep(20000);
	}
	return v;
}

static void test_backlog_and_reset(void)
{
	struct sockaddr_in any = sin4("0.0.0.0", 8001), dst = sin4(ULK4, 8001);
	struct linger lg = { 1, 0 };
	int hfd[24], accepted = 0, one = 1;
	long lfd, c, n, base = ulk_tcp_inuse();
	char ch;

	lfd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_STREAM, 0);
	ulk_sys_setsockopt(lfd, ULK_SOL_SOCKET, ULK_SO_REUSEADDR, &one, sizeof(one));
	ulk_sys_bind(lfd, (struct ulk_sockaddr *)&any, sizeof(any));
	n = ulk_sys_listen(lfd, 2);
	CHECK(n == 0, "ulk listens with a backlog of 2 (got %ld)", n);

	/* More connections than the backlog holds, none accepted yet. */
	for (int i = 0; i < 24; i++) {
		hfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(hfd[i], (struct sockaddr *)&dst, sizeof(dst));
	}
	usleep(300000);
	ulk_sys_fcntl(lfd, F_SETFL, O_NONBLOCK);
	while ((c = ulk_sys_accept4(lfd, NULL, NULL, 0)) >= 0) {
		accepted++;
		ulk_sys_close(c);
	}
	CHECK(accepted >= 1 && accepted <= 24,
	      "backlog overflow: %d of 24 connections accepted, the rest held off", accepted);
	for (int i = 0; i < 24; i++)
		close(hfd[i]);
	ulk_sys_close(lfd);
	n = wait_inuse(base);
	CHECK(n == base, "after the overflow every ulk TCP socket is released (inuse %ld, was %ld)",
	      n, base);

	/* The peer resets an established connection. */
	lfd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_STREAM, 0);
	ulk_sys_setsockopt(lfd, ULK_SOL_SOCKET, ULK_SO_REUSEADDR, &one, sizeof(one));
	ulk_sys_bind(lfd, (struct ulk_sockaddr *)&any, sizeof(any));
	ulk_sys_listen(lfd, 4);
	hfd[0] = socket(AF_INET, SOCK_STREAM, 0);
	n = connect(hfd[0], (struct sockaddr *)&dst, sizeof(dst));
	c = ulk_sys_accept4(lfd, NULL, NULL, 0);
	CHECK(n == 0 && c >= 0, "host connects, ulk accepts (%ld, %ld)", n, c);
	setsockopt(hfd[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(hfd[0]);
	ulk_timeout(c, 3000);
	n = ulk_sys_read(c, &ch, 1);
	CHECK(n == -ECONNRESET, "ulk's read after the host's reset fails with ECONNRESET (got %s)",
	      ulk_strerror((int)n));
	ulk_sys_close(c);
	ulk_sys_close(lfd);
	n = wait_inuse(base);
	CHECK(n == base, "after the reset every ulk TCP socket is released (inuse %ld, was %ld)",
	      n, base);
}

int main(void)
{
	struct ulk_netdev_opts opts = { 0 };
	unsigned char in6[16];
	int dev, ifindex;
	long n;

	if (geteuid() != 0)
		test_skip("needs root (network namespace and TAP)");
	if (access("/dev/net/tun", F_OK))
		test_skip("no /dev/net/tun");
	if (unshare(CLONE_NEWNET)) {
		printf("FAIL unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 1;
	}
	test_watchdog(120);
	dev = ulk_netdev_add_tap("ulkp0", &opts);
	CHECK(dev >= 0, "ulk creates TAP ulkp0 (%d %s)", dev, ulk_netdev_last_error());
	if (dev < 0)
		return test_finish();
	ulk_boot_or_die();
	if (system("ip link set lo up && ip addr add " HOST4 "/24 dev ulkp0 && "
		   "ip addr add " HOST6 "/64 dev ulkp0 nodad && ip link set ulkp0 up")) {
		printf("FAIL configuring the host side with ip(8)\n");
		return 1;
	}
	ifindex = ulk_netdev_ifindex(dev);
	CHECK(ifindex > 0, "the device has an interface in ulk (%d)", ifindex);
	CHECK(ulk_if_set_up(ifindex, 1) == 0, "ulk side up");
	CHECK(ulk_if_add_addr_str(ifindex, ULK4 "/24") == 0, "ulk address " ULK4 "/24");
	inet_pton(AF_INET6, ULK6, in6);
	CHECK(ulk_if_add_addr_flags(ifindex, ULK_AF_INET6, in6, 64, ULK_IFA_F_NODAD) == 0,
	      "ulk address " ULK6 "/64");

	test_udp();
	test_ping_from_ulk();
	test_backlog_and_reset();

	/* Bad configuration gets clear errors. */
	CHECK(ulk_netdev_add_tap("", NULL) == -EINVAL || ulk_netdev_add_tap("", NULL) == -EBUSY,
	      "an empty TAP name is refused (%s)", ulk_netdev_last_error());
	n = ulk_netdev_add_tap("lo", NULL);
	CHECK(n < 0, "a TAP name that cannot be opened (lo, not a TAP) is refused: %s (%s)",
	      ulk_strerror((int)n), ulk_netdev_last_error());
	CHECK(ulk_if_add_addr_str(ifindex, "10.1.2.3/33") == -EINVAL, "a /33 IPv4 prefix is refused");
	CHECK(ulk_if_index("nosuch0") == -ENODEV, "an unknown interface is refused with ENODEV");

	ulk_halt();
	return test_finish();
}
