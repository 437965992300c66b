// SPDX-License-Identifier: GPL-2.0
/*
 * Transparent termination (lib/transparent.c, ulk-proxy's first piece):
 * one ulk kernel takes every connection and datagram another sends it,
 * whatever the destination, and learns each destination.
 *
 * Two processes, each with its kernel, linked by the pipe backend: the
 * "proxy" P (10.71.0.1, fd71::1) calls ulk_transparent_start() on its
 * interface; the "guest" G (10.71.0.2, fd71::2, default routes via P)
 * connects to addresses P does not have, on ports nothing listens on, and
 * sends a line on each. P accepts every connection on its one listener
 * and answers with the destination getsockname() gives; G checks it is the
 * one it connected to. A UDP datagram to an address P does not have is
 * answered from that address (a transparent socket bound to the
 * IP_ORIGDSTADDR the datagram came with), and G checks the source.
 */
#include "common.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <ulk/net.h>
#include <ulk/linux/if_addr.h>
#include <ulk/linux/in.h>
#include <ulk/linux/in6.h>

#include "net/netdev_helpers.h"

#define WATCHDOG_S	90
#define TABLE		100

static const char *const tcp_targets[] = {
	"93.184.216.34:80", "10.9.9.9:5555", "198.51.100.7:22",
	"10.71.0.1:7", "[2001:db8::1]:443", "[fd71::1]:9",
};
#define N_TCP	(sizeof(tcp_targets) / sizeof(tcp_targets[0]))
#define UDP_TARGET	"192.0.2.53:53"

/* The bytes of an IPv6 socket address's address. */
static unsigned char *a6(struct ulk_sockaddr_in6 *sa)
{
	return (unsigned char *)&sa->sin6_addr;
}

/* "a.b.c.d:port" or "[v6]:port" into a ulk IPv6 address (v4 mapped). */
static int parse(const char *text, struct ulk_sockaddr_in6 *sa)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	size_t n = colon ? (size_t)(colon - text) : 0;

	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = ULK_AF_INET6;
	if (!colon || n >= sizeof(host))
		return -1;
	sa->sin6_port = htons((unsigned short)atoi(colon + 1));
	if (text[0] == '[') {
		memcpy(host, text + 1, n - 2);
		host[n - 2] = 0;
		return inet_pton(AF_INET6, host, &sa->sin6_addr) == 1 ? 0 : -1;
	}
	memcpy(host, text, n);
	host[n] = 0;
	a6(sa)[10] = a6(sa)[11] = 0xff;
	return inet_pton(AF_INET, host, a6(sa) + 12) == 1 ? 0 : -1;
}

/* The reverse: v4-mapped addresses as IPv4. */
static void format(const struct ulk_sockaddr_in6 *sa, char *out, size_t len)
{
	const unsigned char *b = (const unsigned char *)&sa->sin6_addr;
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	char host[INET6_ADDRSTRLEN];

	if (!memcmp(b, mapped, 12)) {
		inet_ntop(AF_INET, b + 12, host, sizeof(host));
		snprintf(out, len, "%s:%u", host, ntohs(sa->sin6_port));
	} else {
		inet_ntop(AF_INET6, b, host, sizeof(host));
		snprintf(out, len, "[%s]:%u", host, ntohs(sa->sin6_port));
	}
}

static int configure(int dev, const char *ip4, const char *ip6,
		     const char *gw4, const char *gw6)
{
	unsigned char a[16];
	char cidr[64];
	int idx = ulk_netdev_ifindex(dev);

	if (idx < 0 || ulk_if_set_up(idx, 1) || ulk_if_set_up(1, 1))
		return -1;
	snprintf(cidr, sizeof(cidr), "%s/24", ip4);
	if (ulk_if_add_addr_str(idx, cidr))
		return -1;
	/* No duplicate address detection: the addresses work at once. */
	if (inet_pton(AF_INET6, ip6, a) != 1 ||
	    ulk_if_add_addr_flags(idx, ULK_AF_INET6, a, 64, ULK_IFA_F_NODAD))
		return -1;
	if (gw4 && (ulk_route_add_str("default", gw4, idx) ||
		    ulk_route_add_str("default", gw6, idx)))
		return -1;
	return idx;
}

static long read_line(long fd, char *buf, size_t len)
{
	size_t got = 0;
	long n;

	while (got + 1 < len) {
		n = ulk_sys_read(fd, buf + got, 1);
		if (n <= 0)
			break;
		if (buf[got++] == '\n')
			break;
	}
	buf[got] = 0;
	return (long)got;
}

/* --- P ------------------------------------------------------------------------ */

static void proxy_udp(const struct ulk_transparent *t)
{
	struct ulk_sockaddr_in6 from, dst = { 0 };
	char data[64], ctl[256], reply[128], text[80];
	struct ulk_iovec iov = { data, sizeof(data) };
	struct ulk_msghdr m = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct ulk_cmsghdr *c;
	long n, fd;
	int one = 1, found = 0;

	n = ulk_sys_recvmsg(t->udp, &m, 0);
	if (n < 0)
		return;
	for (c = (struct ulk_cmsghdr *)ctl;
	     (char *)c + sizeof(*c) <= ctl + m.msg_controllen && c->cmsg_len >= sizeof(*c);
	     c = (struct ulk_cmsghdr *)((char *)c + ((c->cmsg_len + 7) & ~7UL))) {
		if (c->cmsg_level == ULK_IPPROTO_IP && c->cmsg_type == ULK_IP_ORIGDSTADDR) {
			struct ulk_sockaddr_in *in = (void *)(c + 1);

			dst.sin6_family = ULK_AF_INET6;
			dst.sin6_port = in->sin_port;
			a6(&dst)[10] = a6(&dst)[11] = 0xff;
			memcpy(a6(&dst) + 12, &in->sin_addr, 4);
			found = 1;
		} else if (c->cmsg_level == ULK_IPPROTO_IPV6 &&
			   c->cmsg_type == ULK_IPV6_ORIGDSTADDR) {
			memcpy(&dst, c + 1, sizeof(dst));
			found = 1;
		}
	}
	if (!found)
		return;
	format(&dst, text, sizeof(text));
	snprintf(reply, sizeof(reply), "UDST %s", text);
	/* Answer as the destination the guest asked for. */
	fd = ulk_sys_socket(ULK_AF_INET6, ULK_SOCK_DGRAM, 0);
	ulk_sys_setsockopt(fd, ULK_IPPROTO_IP, ULK_IP_TRANSPARENT, (char *)&one, sizeof(one));
	ulk_sys_setsockopt(fd, ULK_IPPROTO_IPV6, ULK_IPV6_TRANSPARENT, (char *)&one, sizeof(one));
	if (ulk_sys_bind(fd, (void *)&dst, sizeof(dst)) == 0)
		ulk_sys_sendto(fd, reply, strlen(reply), 0, (void *)&from,
			       sizeof(from));
	ulk_sys_close(fd);
}

static int run_proxy(int cable, int to_parent, int from_parent)
{
	struct ulk_netdev_opts opts = { 0 };
	struct ulk_transparent t;
	int dev, idx, err, served = 0;
	char c = 'R';

	test_watchdog(WATCHDOG_S);
	dev = ulk_netdev_add_pipe_fd(cable, &opts);
	ulk_boot_or_die();
	idx = configure(dev, "10.71.0.1", "fd71::1", NULL, NULL);
	CHECK(idx > 0, "P: interface configured");
	err = ulk_transparent_start(idx, TABLE, &t);
	CHECK(err == 0, "P: ulk_transparent_start: %s", errstr(err));
	if (err) {
		printf("%s\n", ulk_transparent_errmsg());
		c = 'F';
	}
	if (write(to_parent, &c, 1) != 1 || err)
		return test_finish();
	while (served < (int)N_TCP + 1) {
		struct ulk_pollfd p[2] = {
			{ .fd = t.tcp, .events = ULK_POLLIN },
			{ .fd = t.udp, .events = ULK_POLLIN },
		};
		struct __ulk_kernel_timespec ts = { 20, 0 };
		struct ulk_sockaddr_in6 local;
		int llen = sizeof(local);
		char line[128], reply[256], text[80];
		long fd;

		if (ulk_sys_ppoll(p, 2, &ts, NULL, 0) <= 0)
			break;
		if (p[1].revents & ULK_POLLIN) {
			proxy_udp(&t);
			served++;
		}
		if (!(p[0].revents & ULK_POLLIN))
			continue;
		fd = ulk_sys_accept4(t.tcp, NULL, NULL, 0);
		if (fd < 0)
			continue;
		ulk_sys_getsockname(fd, (void *)&local, &llen);
		format(&local, text, sizeof(text));
		read_line(fd, line, sizeof(line));
		snprintf(reply, sizeof(reply), "DST %s GOT %s", text, line);
		ulk_sys_write(fd, reply, strlen(reply));
		ulk_sys_close(fd);
		served++;
	}
	CHECK(served == (int)N_TCP + 1, "P: served %d connections and datagrams", served);
	/* Up until the parent has G's report. */
	if (read(from_parent, &c, 1) < 0)
		c = 0;
	return test_finish();
}

/* --- G ------------------------------------------------------------------------ */

static int run_guest(int cable, int to_parent, int from_parent)
{
	struct ulk_netdev_opts opts = { 0 };
	struct ulk_sockaddr_in6 sa, from;
	char want[256], got[256], line[64];
	int dev, idx, flen;
	size_t i;
	long fd, n;
	char c;

	test_watchdog(WATCHDOG_S);
	dev = ulk_netdev_add_pipe_fd(cable, &opts);
	ulk_boot_or_die();
	idx = configure(dev, "10.71.0.2", "fd71::2", "10.71.0.1", "fd71::1");
	CHECK(idx > 0, "G: interface configured, default routes via P");
	if (read(from_parent, &c, 1) != 1)	/* P is ready */
		return test_finish();
	for (i = 0; i < N_TCP; i++) {
		struct __ulk_kernel_old_timeval tv = { 10, 0 };

		parse(tcp_targets[i], &sa);
		fd = ulk_sys_socket(ULK_AF_INET6, ULK_SOCK_STREAM, 0);
		ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_RCVTIMEO_OLD, (char *)&tv, sizeof(tv));
		ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_SNDTIMEO_OLD, (char *)&tv, sizeof(tv));
		n = ulk_sys_connect(fd, (void *)&sa, sizeof(sa));
		if (!CHECK(n == 0, "G: connect to %s: %s", tcp_targets[i], errstr(n))) {
			ulk_sys_close(fd);
			continue;
		}
		snprintf(line, sizeof(line), "hello %zu\n", i);
		ulk_sys_write(fd, line, strlen(line));
		n = read_line(fd, got, sizeof(got));
		snprintf(want, sizeof(want), "DST %s GOT %s", tcp_targets[i], line);
		CHECK(n > 0 && !strcmp(got, want), "G: %s answered by P's one listener, which saw the destination (\"%.*s\")",
		      tcp_targets[i], (int)strcspn(got, "\n"), got);
		ulk_sys_close(fd);
	}
	/* UDP to an address nobody has, answered from that address. */
	parse(UDP_TARGET, &sa);
	fd = ulk_sys_socket(ULK_AF_INET6, ULK_SOCK_DGRAM, 0);
	{
		struct __ulk_kernel_old_timeval tv = { 10, 0 };

		ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_RCVTIMEO_OLD, (char *)&tv, sizeof(tv));
	}
	ulk_sys_sendto(fd, "q", 1, 0, (void *)&sa, sizeof(sa));
	flen = sizeof(from);
	n = ulk_sys_recvfrom(fd, got, sizeof(got) - 1, 0, (void *)&from, &flen);
	got[n > 0 ? n : 0] = 0;
	format(&from, want, sizeof(want));
	CHECK(n > 0 && !strcmp(got, "UDST " UDP_TARGET) && !strcmp(want, UDP_TARGET),
	      "G: UDP to %s answered from %s: \"%s\"", UDP_TARGET, want, got);
	ulk_sys_close(fd);
	c = test_failures ? 'F' : 'K';
	if (write(to_parent, &c, 1) != 1)
		return 1;
	return test_finish();
}

/* --- the parent --------------------------------------------------------------- */

static pid_t spawn(int (*fn)(int, int, int), int cable, int other, int *to,
		   int *from)
{
	int up[2], down[2];
	pid_t pid;

	if (pipe(up) || pipe(down))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(other);
		close(up[0]);
		close(down[1]);
		exit(fn(cable, up[1], down[0]));
	}
	close(cable);
	close(up[1]);
	close(down[0]);
	*from = up[0];
	*to = down[1];
	return pid;
}

int main(void)
{
	int sv[2], p_to, p_from, g_to, g_from, st_p = 0, st_g = 0;
	pid_t p, g;
	char c = 0;

	test_watchdog(WATCHDOG_S + 30);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		return 1;
	p = spawn(run_proxy, sv[0], sv[1], &p_to, &p_from);
	g = spawn(run_guest, sv[1], -1, &g_to, &g_from);
	if (read(p_from, &c, 1) == 1 && c == 'R') {
		if (write(g_to, "g", 1) != 1)
			return 1;
		if (read(g_from, &c, 1) < 0)
			c = 0;
	}
	close(p_to);
	close(g_to);
	waitpid(g, &st_g, 0);
	waitpid(p, &st_p, 0);
	CHECK(WIFEXITED(st_p) && WEXITSTATUS(st_p) == 0, "the proxy side passed");
	CHECK(WIFEXITED(st_g) && WEXITSTATUS(st_g) == 0, "the guest side passed");
	return test_finish();
}
