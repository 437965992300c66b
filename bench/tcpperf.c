// SPDX-License-Identifier: GPL-2.0
/*
 * tcpperf: one small TCP benchmark tool for both stacks, so that ulk and
 * the host kernel are measured by the same code.
 *
 *   tcpperf [--ulk-tap IF --ip CIDR] server PORT COUNT
 *   tcpperf [--ulk-tap IF --ip CIDR] client ADDR PORT send|recv|rr AMOUNT
 *
 * With --ulk-tap the sockets are ulk's (booted on a TAP device); without,
 * the host's. The client sends a 16-byte request (mode, amount); the server
 * then receives AMOUNT bytes and acknowledges (send), sends AMOUNT bytes
 * (recv), or echoes AMOUNT one-byte round trips (rr). Both print one
 * machine-readable line per connection:
 *   client: "bulk mbps=M secs=S" or "rr p50_us=A p99_us=B"
 *   server: "server mode=X bytes=N cpu_s=C" (this process's CPU time)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ulk/ulk.h>
#include <ulk/net.h>
#include <ulk/netdev.h>

#define CHUNK (256 * 1024)

/* The few socket calls used, on either stack. */
struct stack {
	long (*socket)(long, long, long);
	long (*bind)(long, const void *, long);
	long (*listen)(long, long);
	long (*accept)(long);
	long (*connect)(long, const void *, long);
	long (*read)(long, void *, long);
	long (*write)(long, const void *, long);
	long (*nodelay)(long);
	long (*close)(long);
};

static long neg(long r) { return r < 0 ? -errno : r; }
static long h_socket(long a, long b, long c) { return neg(socket(a, b, c)); }
static long h_bind(long fd, const void *sa, long l) { return neg(bind(fd, sa, l)); }
static long h_listen(long fd, long b) { return neg(listen(fd, b)); }
static long h_accept(long fd) { return neg(accept(fd, NULL, NULL)); }
static long h_connect(long fd, const void *sa, long l) { return neg(connect(fd, sa, l)); }
static long h_read(long fd, void *b, long n) { return neg(read(fd, b, n)); }
static long h_write(long fd, const void *b, long n) { return neg(write(fd, b, n)); }
static long h_close(long fd) { return neg(close(fd)); }
static long h_nodelay(long fd)
{
	int one = 1;

	return neg(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
}

static long u_bind(long fd, const void *sa, long l) { return ulk_sys_bind(fd, sa, l); }
static long u_accept(long fd) { return ulk_sys_accept4(fd, NULL, NULL, 0); }
static long u_connect(long fd, const void *sa, long l) { return ulk_sys_connect(fd, sa, l); }
static long u_nodelay(long fd)
{
	int one = 1;

	return ulk_sys_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static const struct stack host = {
	h_socket, h_bind, h_listen, h_accept, h_connect, h_read, h_write,
	h_nodelay, h_close,
};
static const struct stack ulk = {
	ulk_sys_socket, u_bind, ulk_sys_listen, u_accept, u_connect,
	ulk_sys_read, ulk_sys_write, u_nodelay, ulk_sys_close,
};
static const struct stack *st = &host;

static void die(const char *what, long err)
{
	fprintf(stderr, "tcpperf: %s: %s\n", what, ulk_strerror((int)err));
	exit(1);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void write_all(long fd, const char *buf, long n)
{
	while (n > 0) {
		long w = st->write(fd, buf, n);

		if (w <= 0)
			die("write", w ? w : -EPIPE);
		buf += w;
		n -= w;
	}
}

static void read_all(long fd, char *buf, long n)
{
	while (n > 0) {
		long r = st->read(fd, buf, n);

		if (r <= 0)
			die("read", r ? r : -ECONNRESET);
		buf += r;
		n -= r;
	}
}

static long long sink(long fd, long long amount, char *buf)
{
	long long got = 0;

	while (got < amount) {
		long want = amount - got < CHUNK ? (long)(amount - got) : CHUNK;
		long r = st->read(fd, buf, want);

		if (r <= 0)
			die("read", r ? r : -ECONNRESET);
		got += r;
	}
	return got;
}

static void source(long fd, long long amount, char *buf)
{
	while (amount > 0) {
		long n = amount < CHUNK ? (long)amount : CHUNK;

		write_all(fd, buf, n);
		amount -= n;
	}
}

static void server(int port, int count)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	char *buf = calloc(1, CHUNK);
	long fd, r;

	fd = st->socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket", fd);
	r = st->bind(fd, &sin, sizeof(sin));
	if (r)
		die("bind", r);
	r = st->listen(fd, 8);
	if (r)
		die("listen", r);
	printf("READY\n");
	fflush(stdout);
	for (int i = 0; i < count; i++) {
		long long req[2];
		double cpu0;
		long c = st->accept(fd);

		if (c < 0)
			die("accept", c);
		st->nodelay(c);
		read_all(c, (char *)req, sizeof(req));
		cpu0 = cpu_seconds();
		if (req[0] == 's') {
			sink(c, req[1], buf);
			write_all(c, "k", 1);
		} else if (req[0] == 'r') {
			source(c, req[1], buf);
		} else {
			for (long long k = 0; k < req[1]; k++) {
				read_all(c, buf, 1);
				write_all(c, buf, 1);
			}
		}
		printf("server mode=%c bytes=%lld cpu_s=%.3f\n", (char)req[0],
		       req[1], cpu_seconds() - cpu0);
		fflush(stdout);
		st->close(c);
	}
	st->close(fd);
	free(buf);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void client(const char *addr, int port, const char *mode,
		   long long amount)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	long long req[2] = { !strcmp(mode, "send") ? 's' :
			     !strcmp(mode, "recv") ? 'r' : 'p', amount };
	char *buf = calloc(1, CHUNK);
	double t0, *lat;
	long fd, r;

	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		die("bad address", -EINVAL);
	fd = st->socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket", fd);
	r = st->connect(fd, &sin, sizeof(sin));
	if (r)
		die("connect", r);
	st->nodelay(fd);
	write_all(fd, (char *)req, sizeof(req));
	t0 = now();
	if (req[0] == 's') {
		source(fd, amount, buf);
		read_all(fd, buf, 1);
	} else if (req[0] == 'r') {
		sink(fd, amount, buf);
	} else {
		lat = calloc(amount, sizeof(*lat));
		for (long long k = 0; k < amount; k++) {
			double s = now();

			write_all(fd, "x", 1);
			read_all(fd, buf, 1);
			lat[k] = (now() - s) * 1e6;
		}
		qsort(lat, amount, sizeof(*lat), cmp_double);
		printf("rr p50_us=%.1f p99_us=%.1f\n", lat[amount / 2],
		       lat[amount * 99 / 100]);
		free(lat);
		goto out;
	}
	printf("bulk mbps=%.0f secs=%.3f\n", amount * 8 / (now() - t0) / 1e6,
	       now() - t0);
out:
	st->close(fd);
	free(buf);
}

static void boot_ulk(const char *tap, const char *cidr)
{
	int dev = ulk_netdev_add_tap(tap, NULL), ifindex;
	long err;

	if (dev < 0) {
		fprintf(stderr, "tcpperf: TAP %s: %s\n", tap,
			ulk_netdev_last_error());
		exit(1);
	}
	err = ulk_start(NULL);
	if (err)
		die("ulk_start", err);
	ifindex = ulk_netdev_ifindex(dev);
	if (ifindex < 0)
		die("interface", ifindex);
	err = ulk_if_set_up(ifindex, 1);
	if (!err)
		err = ulk_if_add_addr_str(ifindex, cidr);
	if (err)
		die("configure", err);
	st = &ulk;
}

int main(int argc, char **argv)
{
	int i = 1;

	if (argc > 4 && !strcmp(argv[1], "--ulk-tap") && !strcmp(argv[3], "--ip")) {
		boot_ulk(argv[2], argv[4]);
		i = 5;
	}
	if (argc - i == 3 && !strcmp(argv[i], "server"))
		server(atoi(argv[i + 1]), atoi(argv[i + 2]));
	else if (argc - i == 5 && !strcmp(argv[i], "client"))
		client(argv[i + 1], atoi(argv[i + 2]), argv[i + 3],
		       atoll(argv[i + 4]));
	else {
		fprintf(stderr, "usage: tcpperf [--ulk-tap IF --ip CIDR] server PORT COUNT\n"
			"       tcpperf [--ulk-tap IF --ip CIDR] client ADDR PORT send|recv|rr AMOUNT\n");
		return 2;
	}
	if (st == &ulk)
		ulk_halt();
	return 0;
}
