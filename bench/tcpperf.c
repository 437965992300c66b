// SPDX-License-Identifier: GPL-2.0
/*
 * tcpperf: one small TCP benchmark tool for both stacks, so that ulk and
 * the host kernel are measured by the same code.
 *
 *   tcpperf [OPTIONS] server PORT COUNT
 *   tcpperf [OPTIONS] client ADDR PORT MODE AMOUNT
 *
 * Options: --ulk-tap IF (sockets are ulk's, booted on that TAP; without it
 * the host's), --ip CIDR and --ip6 CIDR (ulk's addresses), --offload none,
 * --impair DROP,DUP,REORDER,CORRUPT (probabilities applied to the ulk
 * device in both directions, fixed seed), --verify (the byte stream is a
 * pseudo-random sequence both sides generate, and the receiver checks
 * every byte; slower, for tests), --streams N (client, mode send: N
 * concurrent connections share AMOUNT), --sysctl NAME=VALUE (ulk's, after
 * boot; repeatable), --cc ALGO (TCP_CONGESTION on every connection, on
 * either stack: the host refuses a default other than its own in a
 * namespace, but not this).
 * ADDR may be IPv4 or IPv6; the server listens on both.
 *
 * The server is one epoll loop with non-blocking sockets (as real servers
 * are), serving any number of connections at once; it exits after COUNT
 * connections have closed, or runs until killed when COUNT is 0. A client
 * opens a connection and sends a 24-byte request (mode, amount, verify);
 * the server then, per MODE:
 *   send  receives AMOUNT bytes and acknowledges with one byte;
 *   recv  sends AMOUNT bytes, the client acknowledges with one byte;
 *   rr    echoes AMOUNT one-byte round trips (the client times each);
 *   crr   (AMOUNT connections in turn, each: connect, request, one-byte
 *         response, close; the client times each whole connection).
 * The client closes first, so TIME_WAIT is on the client's side.
 * Both print one machine-readable line:
 *   client: "bulk mbps=M secs=S streams=N", "rr p50_us=A p99_us=B" or
 *           "crr conns=N rate=R p50_us=A p99_us=B" (rate: connections/s)
 *   server: "server mode=X bytes=N" per connection (none for crr)
 * With --verify a mismatch prints "MISMATCH at offset N" and exits 3. A ulk
 * process prints its device's counters at exit (not when killed):
 *   "netdev tx_packets=.. tx_large=.. rx_packets=.. rx_large=.. offloads=0x.."
 * (large = frames above 32 KiB).
 */
#define _GNU_SOURCE	/* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
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
#define REQ_BYTES 24
#define MAX_EVENTS 128

/*
 * The few socket calls used, on either stack: 0 or a count on success, a
 * negative errno on failure (-EAGAIN on a non-blocking socket that would
 * block). ulk's epoll_event is laid out as the host's (packed on x86-64).
 */
struct stack {
	long (*socket)(long, long, long);
	long (*bind)(long, const void *, long);
	long (*listen)(long, long);
	long (*accept)(long, long flags);
	long (*connect)(long, const void *, long);
	long (*read)(long, void *, long);
	long (*write)(long, const void *, long);
	long (*nodelay)(long);
	long (*v6only_off)(long);
	long (*nonblock)(long);
	long (*close)(long);
	long (*epoll_create)(void);
	long (*epoll_ctl)(long, long, long, struct epoll_event *);
	long (*epoll_wait)(long, struct epoll_event *, long, long);
};

static long neg(long r) { return r < 0 ? -errno : r; }
static long h_socket(long a, long b, long c) { return neg(socket(a, b, c)); }
static long h_bind(long fd, const void *sa, long l) { return neg(bind(fd, sa, l)); }
static long h_listen(long fd, long b) { return neg(listen(fd, b)); }
static long h_accept(long fd, long fl) { return neg(accept4(fd, NULL, NULL, fl)); }
static long h_connect(long fd, const void *sa, long l) { return neg(connect(fd, sa, l)); }
static long h_read(long fd, void *b, long n) { return neg(read(fd, b, n)); }
static long h_write(long fd, const void *b, long n) { return neg(write(fd, b, n)); }
static long h_close(long fd) { return neg(close(fd)); }
static long h_nonblock(long fd) { return neg(fcntl(fd, F_SETFL, O_NONBLOCK)); }
static long h_epoll_create(void) { return neg(epoll_create1(EPOLL_CLOEXEC)); }
static long h_epoll_ctl(long ep, long op, long fd, struct epoll_event *e)
{
	return neg(epoll_ctl(ep, op, fd, e));
}

static long h_epoll_wait(long ep, struct epoll_event *e, long n, long ms)
{
	return neg(epoll_wait(ep, e, n, ms));
}

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
static long u_accept(long fd, long fl) { return ulk_sys_accept4(fd, NULL, NULL, fl); }
static long u_connect(long fd, const void *sa, long l) { return ulk_sys_connect(fd, sa, l); }
static long u_nonblock(long fd) { return ulk_sys_fcntl(fd, F_SETFL, O_NONBLOCK); }
static long u_epoll_create(void) { return ulk_sys_epoll_create1(0); }
static long u_epoll_ctl(long ep, long op, long fd, struct epoll_event *e)
{
	return ulk_sys_epoll_ctl(ep, op, fd, (struct ulk_epoll_event *)e);
}

static long u_epoll_wait(long ep, struct epoll_event *e, long n, long ms)
{
	return ulk_sys_epoll_pwait(ep, (struct ulk_epoll_event *)e, n, ms,
				   NULL, 0);
}

static long u_nodelay(long fd)
{
	int one = 1;

	return ulk_sys_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static const struct stack host = {
	h_socket, h_bind, h_listen, h_accept, h_connect, h_read, h_write,
	h_nodelay, h_v6only_off, h_nonblock, h_close, h_epoll_create,
	h_epoll_ctl, h_epoll_wait,
};
static const struct stack ulk = {
	ulk_sys_socket, u_bind, ulk_sys_listen, u_accept, u_connect,
	ulk_sys_read, ulk_sys_write, u_nodelay, u_v6only_off, u_nonblock,
	ulk_sys_close, u_epoll_create, u_epoll_ctl, u_epoll_wait,
};
static const struct stack *st = &host;

/* --cc: the congestion control every connection uses, or NULL. */
static const char *cc_name;

/* Apply --cc to @fd, on whichever stack serves it. */
static void set_cc(long fd)
{
	long r;

	if (!cc_name)
		return;
	if (st == &ulk)
		r = ulk_sys_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, (char *)cc_name,
				       strlen(cc_name));
	else
		r = neg(setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc_name,
				   strlen(cc_name)));
	if (r) {
		fprintf(stderr, "tcpperf: --cc %s: %s\n", cc_name,
			strerror((int)-r));
		exit(2);
	}
}
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

/* Check @n received bytes against the stream; a mismatch ends the process. */
static void pattern_check(struct pattern *p, const char *buf, long n,
			  long long offset)
{
	static unsigned char ref[CHUNK];
	long i = 0;

	pattern_fill(p, ref, n);
	if (!memcmp(ref, buf, n))
		return;
	while (ref[i] == (unsigned char)buf[i])
		i++;
	printf("MISMATCH at offset %lld\n", offset + i);
	fflush(stdout);
	exit(3);
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

static void sink(long fd, long long amount, char *buf, int verify)
{
	struct pattern pat;
	long long got = 0;

	pattern_init(&pat);
	while (got < amount) {
		long want = amount - got < CHUNK ? (long)(amount - got) : CHUNK;
		long r = st->read(fd, buf, want);

		if (r <= 0)
			die("read", r ? r : -ECONNRESET);
		if (verify)
			pattern_check(&pat, buf, r, got);
		got += r;
	}
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

/* --- server: one epoll loop ------------------------------------------------ */

enum conn_state {
	C_REQUEST,	/* reading the 24-byte request */
	C_SINK,		/* receiving @left bytes */
	C_SOURCE,	/* sending @left bytes (and @pend_len from @out) */
	C_ECHO,		/* echoing @left one-byte round trips */
	C_DRAIN,	/* all done: waiting for the client to close */
};

/* One connection of the server; @owe bytes are due to the client first. */
struct conn {
	long fd;
	enum conn_state state;
	long long req[3];	/* mode, amount, verify */
	int req_got;
	long long left;
	long owe;
	unsigned int events;	/* epoll interest now registered */
	struct pattern pat;
	long long offset;	/* bytes received so far (for MISMATCH) */
	char *out;		/* C_SOURCE only: the chunk being sent */
	long pend_off, pend_len;
};

static long epfd;

static void conn_want(struct conn *c, unsigned int events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };
	long r;

	if (c->events == events)
		return;
	r = st->epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
	if (r)
		die("epoll_ctl", r);
	c->events = events;
}

static void conn_close(struct conn *c)
{
	st->close(c->fd);	/* also leaves the epoll set */
	free(c->out);
	free(c);
}

static void conn_served(struct conn *c)
{
	if (c->req[0] != 'c') {
		printf("server mode=%c bytes=%lld\n", (char)c->req[0], c->req[1]);
		fflush(stdout);
	}
	c->state = C_DRAIN;
}

static void conn_start(struct conn *c)
{
	c->left = c->req[1];
	switch (c->req[0]) {
	case 's':
		c->state = C_SINK;
		break;
	case 'r':
		c->state = C_SOURCE;
		c->out = calloc(1, CHUNK);
		if (!c->out)
			die("calloc", -ENOMEM);
		break;
	case 'p':
		c->state = C_ECHO;
		break;
	case 'c':
		c->owe = 1;
		conn_served(c);
		break;
	default:
		die("request", -EPROTO);
	}
}

/*
 * Move @c on as far as its socket allows. Return: 1 when the connection is
 * over (closed and freed), 0 when it waits for its socket or was a probe
 * (closed before any request: freed, not counted).
 */
static int conn_step(struct conn *c, char *buf)
{
	static const char acks[CHUNK / 64];	/* acknowledgements, echoes */
	long r;

	for (;;) {
		if (c->owe) {
			r = st->write(c->fd, acks, c->owe < (long)sizeof(acks) ?
					c->owe : (long)sizeof(acks));
			if (r == -EAGAIN)
				goto want_out;
			if (r <= 0)
				die("write", r ? r : -EPIPE);
			c->owe -= r;
			continue;
		}
		switch (c->state) {
		case C_REQUEST:
			r = st->read(c->fd, (char *)c->req + c->req_got,
				     REQ_BYTES - c->req_got);
			if (r == -EAGAIN)
				goto want_in;
			if (!r && !c->req_got) {	/* a probe: not counted */
				conn_close(c);
				return 0;
			}
			if (r <= 0)
				die("read request", r ? r : -ECONNRESET);
			c->req_got += r;
			if (c->req_got == REQ_BYTES)
				conn_start(c);
			break;
		case C_SINK:
			if (!c->left) {
				c->owe = 1;
				conn_served(c);
				break;
			}
			r = st->read(c->fd, buf, c->left < CHUNK ? c->left : CHUNK);
			if (r == -EAGAIN)
				goto want_in;
			if (r <= 0)
				die("read", r ? r : -ECONNRESET);
			if (c->req[2])
				pattern_check(&c->pat, buf, r, c->offset);
			c->offset += r;
			c->left -= r;
			break;
		case C_SOURCE:
			if (!c->pend_len) {
				if (!c->left) {
					conn_served(c);
					break;
				}
				c->pend_len = c->left < CHUNK ? c->left : CHUNK;
				c->pend_off = 0;
				c->left -= c->pend_len;
				if (c->req[2])
					pattern_fill(&c->pat,
						     (unsigned char *)c->out,
						     c->pend_len);
			}
			r = st->write(c->fd, c->out + c->pend_off, c->pend_len);
			if (r == -EAGAIN)
				goto want_out;
			if (r <= 0)
				die("write", r ? r : -EPIPE);
			c->pend_off += r;
			c->pend_len -= r;
			break;
		case C_ECHO:
			if (!c->left) {
				conn_served(c);
				break;
			}
			r = st->read(c->fd, buf, c->left < CHUNK ? c->left : CHUNK);
			if (r == -EAGAIN)
				goto want_in;
			if (r <= 0)
				die("read", r ? r : -ECONNRESET);
			c->owe = r;
			c->left -= r;
			break;
		case C_DRAIN:
			r = st->read(c->fd, buf, CHUNK);
			if (r == -EAGAIN)
				goto want_in;
			if (r <= 0) {	/* closed (or reset): the client is done */
				conn_close(c);
				return 1;
			}
			break;
		}
	}
want_in:
	conn_want(c, EPOLLIN);
	return 0;
want_out:
	conn_want(c, EPOLLOUT);
	return 0;
}

static void server(int port, int count)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(port) };
	struct epoll_event evs[MAX_EVENTS], lev = { .events = EPOLLIN };
	char *buf = calloc(1, CHUNK);
	int done = 0;
	long fd, r;

	if (!buf)
		die("calloc", -ENOMEM);
	epfd = st->epoll_create();
	if (epfd < 0)
		die("epoll_create", epfd);
	fd = st->socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die("socket", fd);
	st->v6only_off(fd);
	r = st->bind(fd, &sin6, sizeof(sin6));
	if (r)
		die("bind", r);
	r = st->listen(fd, 1024);
	if (r)
		die("listen", r);
	r = st->epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &lev);	/* ptr NULL */
	if (r)
		die("epoll_ctl", r);
	printf("READY\n");
	fflush(stdout);
	while (!count || done < count) {
		long n = st->epoll_wait(epfd, evs, MAX_EVENTS, -1);

		if (n == -EINTR)
			continue;
		if (n < 0)
			die("epoll_wait", n);
		for (long i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c) {
				done += conn_step(c, buf);
				continue;
			}
			for (;;) {
				struct epoll_event ev = { .events = EPOLLIN };
				long a = st->accept(fd, SOCK_NONBLOCK);

				if (a == -EAGAIN)
					break;
				if (a == -ECONNABORTED || a == -EINTR)
					continue;
				if (a < 0)
					die("accept", a);
				c = calloc(1, sizeof(*c));
				if (!c)
					die("calloc", -ENOMEM);
				c->fd = a;
				c->events = EPOLLIN;
				pattern_init(&c->pat);
				st->nodelay(a);
				set_cc(a);
				ev.data.ptr = c;
				r = st->epoll_ctl(epfd, EPOLL_CTL_ADD, a, &ev);
				if (r)
					die("epoll_ctl", r);
			}
		}
	}
	st->close(fd);
	st->close(epfd);
	free(buf);
}

/* --- client ----------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A connected socket to @addr, or the process ends with the reason. */
static long dial(const char *addr, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(port) };
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
	set_cc(fd);
	return fd;
}

static void request(long fd, char mode, long long amount, int verify)
{
	long long req[3] = { mode, amount, verify };

	write_all(fd, (char *)req, sizeof(req));
}

static void print_latency(const char *what, double *lat, long long n,
			  double secs)
{
	qsort(lat, n, sizeof(*lat), cmp_double);
	if (!strcmp(what, "crr"))
		printf("crr conns=%lld rate=%.0f ", n, n / secs);
	else
		printf("%s ", what);
	printf("p50_us=%.1f p99_us=%.1f\n", lat[n / 2], lat[n * 99 / 100]);
}

/* @amount one-byte round trips on one connection. */
static void client_rr(long fd, long long amount, char *buf)
{
	double *lat = calloc(amount, sizeof(*lat)), t0 = now();

	if (!lat)
		die("calloc", -ENOMEM);
	for (long long k = 0; k < amount; k++) {
		double s = now();

		write_all(fd, "x", 1);
		read_all(fd, buf, 1);
		lat[k] = (now() - s) * 1e6;
	}
	print_latency("rr", lat, amount, now() - t0);
	free(lat);
}

/* @amount connections in turn: connect, request, response, close. */
static void client_crr(const char *addr, int port, long long amount)
{
	double *lat = calloc(amount, sizeof(*lat)), t0 = now();
	char c;

	if (!lat)
		die("calloc", -ENOMEM);
	for (long long k = 0; k < amount; k++) {
		double s = now();
		long fd = dial(addr, port);

		request(fd, 'c', 0, 0);
		read_all(fd, &c, 1);
		st->close(fd);
		lat[k] = (now() - s) * 1e6;
	}
	print_latency("crr", lat, amount, now() - t0);
	free(lat);
}

/*
 * @streams connections at once, sharing @amount bytes to the server, from
 * one epoll loop; the clock runs from the first byte to the last
 * acknowledgement.
 */
static void client_streams(const char *addr, int port, long long amount,
			   int streams, char *buf)
{
	long long *left = calloc(streams, sizeof(*left));
	long *fds = calloc(streams, sizeof(*fds));
	struct epoll_event evs[MAX_EVENTS];
	long ep = st->epoll_create(), r;
	int open = streams;
	double t0;

	if (!left || !fds)
		die("calloc", -ENOMEM);
	if (ep < 0)
		die("epoll_create", ep);
	for (int i = 0; i < streams; i++) {
		struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = i };

		left[i] = amount / streams + (i < amount % streams);
		fds[i] = dial(addr, port);
		request(fds[i], 's', left[i], 0);
		r = st->nonblock(fds[i]);
		if (!r)
			r = st->epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
		if (r)
			die("stream set-up", r);
	}
	t0 = now();
	while (open) {
		long n = st->epoll_wait(ep, evs, MAX_EVENTS, -1);

		if (n == -EINTR)
			continue;
		if (n < 0)
			die("epoll_wait", n);
		for (long e = 0; e < n; e++) {
			int i = evs[e].data.u32;

			if (left[i] > 0) {
				r = st->write(fds[i], buf, left[i] < CHUNK ?
					      left[i] : CHUNK);
				if (r == -EAGAIN)
					continue;
				if (r <= 0)
					die("write", r ? r : -EPIPE);
				left[i] -= r;
				if (!left[i]) {
					struct epoll_event ev = {
						.events = EPOLLIN, .data.u32 = i };

					r = st->epoll_ctl(ep, EPOLL_CTL_MOD,
							  fds[i], &ev);
					if (r)
						die("epoll_ctl", r);
				}
				continue;
			}
			r = st->read(fds[i], buf, 1);	/* the acknowledgement */
			if (r == -EAGAIN)
				continue;
			if (r <= 0)
				die("read", r ? r : -ECONNRESET);
			st->close(fds[i]);
			open--;
		}
	}
	printf("bulk mbps=%.0f secs=%.3f streams=%d\n",
	       amount * 8 / (now() - t0) / 1e6, now() - t0, streams);
	st->close(ep);
	free(left);
	free(fds);
}

static void client(const char *addr, int port, const char *mode,
		   long long amount, int verify, int streams)
{
	char *buf = calloc(1, CHUNK);
	double t0;
	long fd;

	if (!buf)
		die("calloc", -ENOMEM);
	if (amount <= 0)
		die("amount", -EINVAL);
	if (!strcmp(mode, "crr")) {
		client_crr(addr, port, amount);
		goto out;
	}
	if (streams > 1) {
		if (strcmp(mode, "send") || verify)
			die("--streams: mode send only, without --verify",
			    -EINVAL);
		client_streams(addr, port, amount, streams, buf);
		goto out;
	}
	fd = dial(addr, port);
	if (!strcmp(mode, "rr")) {
		request(fd, 'p', amount, verify);
		client_rr(fd, amount, buf);
		st->close(fd);
		goto out;
	}
	if (strcmp(mode, "send") && strcmp(mode, "recv"))
		die("mode", -EINVAL);
	request(fd, mode[0] == 's' ? 's' : 'r', amount, verify);
	t0 = now();
	if (mode[0] == 's') {
		source(fd, amount, buf, verify);
		read_all(fd, buf, 1);
	} else {
		sink(fd, amount, buf, verify);
		write_all(fd, "k", 1);
	}
	printf("bulk mbps=%.0f secs=%.3f streams=1\n",
	       amount * 8 / (now() - t0) / 1e6, now() - t0);
	st->close(fd);
out:
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
	const char *tap = NULL, *cidr = NULL, *cidr6 = NULL, *sysctls[16];
	unsigned int offloads = 0;
	int i = 1, verify = 0, streams = 1, nsysctls = 0, k;

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
		else if (!strcmp(argv[i], "--streams")) {
			streams = atoi(argv[++i]);
			if (streams < 1 || streams > 100000) {
				fprintf(stderr, "tcpperf: --streams 1..100000\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--impair")) {
			if (sscanf(argv[++i], "%lf,%lf,%lf,%lf", &impair.drop,
				   &impair.duplicate, &impair.reorder,
				   &impair.corrupt) != 4) {
				fprintf(stderr, "tcpperf: --impair DROP,DUP,REORDER,CORRUPT\n");
				return 2;
			}
			impair.seed = 42;
		} else if (!strcmp(argv[i], "--cc")) {
			cc_name = argv[++i];
		} else if (!strcmp(argv[i], "--sysctl") && nsysctls < 16 &&
			   strchr(argv[i + 1], '=')) {
			sysctls[nsysctls++] = argv[++i];
		} else if (!strcmp(argv[i], "--offload") && !strcmp(argv[i + 1], "none"))
			offloads = ULK_NETDEV_OFFLOAD_NONE, i++;
		else
			break;
	}
	if (tap)
		boot_ulk(tap, cidr, cidr6, offloads);
	for (k = 0; k < nsysctls; k++) {
		char name[128];
		const char *eq = strchr(sysctls[k], '=');
		int err;

		if (!tap) {
			fprintf(stderr, "tcpperf: --sysctl needs --ulk-tap (set the host's with sysctl(8))\n");
			return 2;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(eq - sysctls[k]), sysctls[k]);
		err = ulk_sysctl_set(name, eq + 1);
		if (err) {
			fprintf(stderr, "tcpperf: --sysctl %s: %s\n", sysctls[k], ulk_strerror(err));
			return 2;
		}
	}
	if (argc - i == 3 && !strcmp(argv[i], "server"))
		server(atoi(argv[i + 1]), atoi(argv[i + 2]));
	else if (argc - i == 5 && !strcmp(argv[i], "client") &&
		 atoll(argv[i + 4]) >= streams)
		client(argv[i + 1], atoi(argv[i + 2]), argv[i + 3],
		       atoll(argv[i + 4]), verify, streams);
	else {
		fprintf(stderr, "usage: tcpperf [--ulk-tap IF] [--ip CIDR] [--ip6 CIDR] [--offload none]\n"
			"               [--impair D,U,R,C] [--verify] [--streams N] [--sysctl NAME=VALUE] [--cc ALGO]\n"
			"               server PORT COUNT | client ADDR PORT send|recv|rr|crr AMOUNT\n");
		return 2;
	}
	if (st == &ulk) {
		print_netdev();
		ulk_halt();
	}
	return 0;
}
