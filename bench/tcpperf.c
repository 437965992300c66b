// SPDX-License-Identifier: GPL-2.0
/*
 * tcpperf: one small TCP benchmark tool for both stacks, so that ulk and
 * the host kernel are measured by the same code.
 *
 *   tcpperf [OPTIONS] server PORT COUNT
 *   tcpperf [OPTIONS] client ADDR PORT send|recv|rr AMOUNT
 *
 * Options: --ulk-tap IF (sockets are ulk's, booted on that TAP; without it
 * the host's), --ip CIDR and --ip6 CIDR (ulk's addresses), --offload none,
 * --impair DROP,DUP,REORDER,CORRUPT (probabilities applied to the ulk
 * device in both directions, fixed seed), --verify (the byte stream is a pseudo-random sequence both sides
 * generate, and the receiver checks every byte; slower, for tests).
 * ADDR may be IPv4 or IPv6; the server listens on both.
 *
 * The client sends a 24-byte request (mode, amount, verify); the server
 * then receives AMOUNT bytes and acknowledges (send), sends AMOUNT bytes
 * (recv), or echoes AMOUNT one-byte round trips (rr). Both print one
 * machine-readable line per connection:
 *   client: "bulk mbps=M secs=S" or "rr p50_us=A p99_us=B"
 *   server: "server mode=X bytes=N cpu_s=C" (this process's CPU time)
 * With --verify a mismatch prints "MISMATCH at offset N" and exits 3. A ulk
 * process prints its device's counters at exit:
 *   "netdev tx_packets=.. tx_large=.. rx_packets=.. rx_large=.. offloads=0x.."
 * (large = frames above 32 KiB).
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
#include <stdint.h>
#include <unistd.h>

#include <ulk/ulk.h>
#include <ulk/net.h>
#include <ulk/netdev.h>
#include <ulk/abi.h>
#include <ulk/linux/if_addr.h>

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
	long (*v6only_off)(long);
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

static long h_v6only_off(long fd)
{
	int zero = 0;

	return neg(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)));
}

static long u_v6only_off(long fd)
{
	int zero = 0;

	return ulk_sys_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				  sizeof(zero));
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
	h_nodelay, h_v6only_off, h_close,
};
static const struct stack ulk = {
	ulk_sys_socket, u_bind, ulk_sys_listen, u_accept, u_connect,
	ulk_sys_read, ulk_sys_write, u_nodelay, u_v6only_off, ulk_sys_close,
};
static const struct stack *st = &host;
static int ulk_dev = -1;

/*
 * The verified byte stream: xorshift64* output, 8 bytes per step. Each
 * direction of a connection has its own generator, started from the same
 * seed on both ends.
 */
struct pattern {
	uint64_t state;
	unsigned char word[8];
	unsigned int pos;
};

static void pattern_init(struct pattern *p)
{
	p->state = 0x9e3779b97f4a7c15ULL;
	p->pos = 8;
}

static void pattern_fill(struct pattern *p, unsigned char *buf, long n)
{
	for (long i = 0; i < n; i++) {
		if (p->pos == 8) {
			uint64_t x = p->state;

			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			p->state = x;
			x *= 0x2545f4914f6cdd1dULL;
			memcpy(p->word, &x, 8);
			p->pos = 0;
		}
		buf[i] = p->word[p->pos++];
	}
}

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

static long long sink(long fd, long long amount, char *buf, int verify)
{
	static unsigned char ref[CHUNK];
	struct pattern pat;
	long long got = 0;

	pattern_init(&pat);
	while (got < amount) {
		long want = amount - got < CHUNK ? (long)(amount - got) : CHUNK;
		long r = st->read(fd, buf, want);

		if (r <= 0)
			die("read", r ? r : -ECONNRESET);
		if (verify) {
			pattern_fill(&pat, ref, r);
			if (memcmp(ref, buf, r)) {
				long i = 0;

				while (ref[i] == (unsigned char)buf[i])
					i++;
				printf("MISMATCH at offset %lld\n", got + i);
				fflush(stdout);
				exit(3);
			}
		}
		got += r;
	}
	return got;
}

static void source(long fd, long long amount, char *buf, int verify)
{
	struct pattern pat;

	pattern_init(&pat);
	while (amount > 0) {
		long n = amount < CHUNK ? (long)amount : CHUNK;

		if (verify)
			pattern_fill(&pat, (unsigned char *)buf, n);
		write_all(fd, buf, n);
		amount -= n;
	}
}

static void server(int port, int count)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(port) };
	char *buf = calloc(1, CHUNK);
	long fd, r;

	fd = st->socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket", fd);
	st->v6only_off(fd);
	r = st->bind(fd, &sin6, sizeof(sin6));
	if (r)
		die("bind", r);
	r = st->listen(fd, 8);
	if (r)
		die("listen", r);
	printf("READY\n");
	fflush(stdout);
	for (int i = 0; i < count; i++) {
		long long req[3];
		double cpu0;
		long c = st->accept(fd);

		if (c < 0)
			die("accept", c);
		st->nodelay(c);
		read_all(c, (char *)req, sizeof(req));
		cpu0 = cpu_seconds();
		if (req[0] == 's') {
			sink(c, req[1], buf, req[2]);
			write_all(c, "k", 1);
		} else if (req[0] == 'r') {
			source(c, req[1], buf, req[2]);
			/* Wait for the client to have it all before closing. */
			read_all(c, buf, 1);
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
		   long long amount, int verify)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(port) };
	long long req[3] = { !strcmp(mode, "send") ? 's' :
			     !strcmp(mode, "recv") ? 'r' : 'p', amount, verify };
	char *buf = calloc(1, CHUNK);
	double t0, *lat;
	long fd, r;

	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1) {
		fd = st->socket(AF_INET, SOCK_STREAM, 0);
		r = fd < 0 ? fd : st->connect(fd, &sin, sizeof(sin));
	} else if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1) {
		fd = st->socket(AF_INET6, SOCK_STREAM, 0);
		r = fd < 0 ? fd : st->connect(fd, &sin6, sizeof(sin6));
	} else {
		die("bad address", -EINVAL);
	}
	if (r)
		die("connect", r);
	st->nodelay(fd);
	write_all(fd, (char *)req, sizeof(req));
	t0 = now();
	if (req[0] == 's') {
		source(fd, amount, buf, verify);
		read_all(fd, buf, 1);
	} else if (req[0] == 'r') {
		sink(fd, amount, buf, verify);
		write_all(fd, "k", 1);
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

static struct ulk_netdev_impair impair;

static void boot_ulk(const char *tap, const char *cidr, const char *cidr6,
		     unsigned int offloads)
{
	struct ulk_netdev_opts opts = { .offloads = offloads, .tx = impair,
					.rx = impair };
	int dev = ulk_netdev_add_tap(tap, &opts), ifindex;
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
	if (!err && cidr)
		err = ulk_if_add_addr_str(ifindex, cidr);
	if (!err && cidr6) {
		char a[64];
		unsigned char in6[16];
		int plen;

		if (sscanf(cidr6, "%63[^/]/%d", a, &plen) != 2 ||
		    inet_pton(AF_INET6, a, in6) != 1)
			die("bad --ip6", -EINVAL);
		err = ulk_if_add_addr_flags(ifindex, ULK_AF_INET6, in6, plen,
					    ULK_IFA_F_NODAD);
	}
	if (err)
		die("configure", err);
	st = &ulk;
	ulk_dev = dev;
}

static void print_netdev(void)
{
	struct ulk_netdev_stats s;

	if (ulk_netdev_stats(ulk_dev, &s))
		return;
	char snmp[4096], *p;
	long long retrans = -1;

	printf("netdev tx_packets=%llu tx_large=%llu rx_packets=%llu rx_large=%llu offloads=0x%x\n",
	       s.tx.packets, s.tx.large, s.rx.packets, s.rx.large, s.offloads);
	printf("impair dropped=%llu duplicated=%llu reordered=%llu corrupted=%llu\n",
	       s.tx.impair.dropped + s.rx.impair.dropped,
	       s.tx.impair.duplicated + s.rx.impair.duplicated,
	       s.tx.impair.reordered + s.rx.impair.reordered,
	       s.tx.impair.corrupted + s.rx.impair.corrupted);
	/* RetransSegs: the 13th field of the second "Tcp:" line. */
	long fd = ulk_sys_openat(-100, "/proc/net/snmp", 0, 0);
	long n = fd >= 0 ? ulk_sys_read(fd, snmp, sizeof(snmp) - 1) : -1;

	if (fd >= 0)
		ulk_sys_close(fd);
	if (n > 0) {
		snmp[n] = 0;
		p = strstr(snmp, "\nTcp: ");
		p = p ? strstr(p + 1, "\nTcp: ") : NULL;
		if (p) {
			p += 6;
			for (int f = 1; f < 13 && p; f++)
				p = strchr(p + 1, ' ');
			if (p)
				retrans = atoll(p);
		}
	}
	printf("snmp RetransSegs=%lld\n", retrans);
}

int main(int argc, char **argv)
{
	const char *tap = NULL, *cidr = NULL, *cidr6 = NULL;
	unsigned int offloads = 0;
	int i = 1, verify = 0;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--verify")) {
			verify = 1;
			continue;
		}
		if (i + 1 >= argc)
			break;
		if (!strcmp(argv[i], "--ulk-tap"))
			tap = argv[++i];
		else if (!strcmp(argv[i], "--ip"))
			cidr = argv[++i];
		else if (!strcmp(argv[i], "--ip6"))
			cidr6 = argv[++i];
		else if (!strcmp(argv[i], "--impair")) {
			if (sscanf(argv[++i], "%lf,%lf,%lf,%lf", &impair.drop,
				   &impair.duplicate, &impair.reorder,
				   &impair.corrupt) != 4) {
				fprintf(stderr, "tcpperf: --impair DROP,DUP,REORDER,CORRUPT\n");
				return 2;
			}
			impair.seed = 42;
		} else if (!strcmp(argv[i], "--offload") && !strcmp(argv[i + 1], "none"))
			offloads = ULK_NETDEV_OFFLOAD_NONE, i++;
		else
			break;
	}
	if (tap)
		boot_ulk(tap, cidr, cidr6, offloads);
	if (argc - i == 3 && !strcmp(argv[i], "server"))
		server(atoi(argv[i + 1]), atoi(argv[i + 2]));
	else if (argc - i == 5 && !strcmp(argv[i], "client"))
		client(argv[i + 1], atoi(argv[i + 2]), argv[i + 3],
		       atoll(argv[i + 4]), verify);
	else {
		fprintf(stderr, "usage: tcpperf [--ulk-tap IF] [--ip CIDR] [--ip6 CIDR] [--offload none] [--verify]\n"
			"               server PORT COUNT | client ADDR PORT send|recv|rr AMOUNT\n");
		return 2;
	}
	if (st == &ulk) {
		print_netdev();
		ulk_halt();
	}
	return 0;
}
