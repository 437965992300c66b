// SPDX-License-Identifier: GPL-2.0
/*
 * xfer: verified TCP transfers for the hostile-traffic and fault tests
 * (tests/run/test_hostile_tap.sh, test_faults.sh). A plain program (no
 * libulk): run under ulk-run its sockets are ulk's, run on the host the
 * host's, so either end can be either stack.
 *
 *   xfer server PORT [--watch-link]
 *   xfer client ADDR PORT send|recv BYTES [--rate MBPS] [--seed N]
 *
 * The server listens on PORT (IPv4 and IPv6) and serves any number of
 * connections at once, one thread each, until it is killed. A client
 * sends a 32-byte request (magic, mode, byte count, seed, rate); then:
 *   send  the client sends BYTES bytes of the stream, the server checks
 *         every byte and answers with the 8-byte count it verified;
 *   recv  the server sends BYTES bytes of the stream, the client checks
 *         every byte.
 * The stream with seed S is byte i % 8 of a splitmix64 hash of (i / 8, S):
 * every offset holds a different value, so a lost, duplicated, reordered
 * or corrupted piece shows at its offset. --rate paces the sender (MB/s),
 * so that a fault can land in the middle of a transfer.
 *
 * Output, one line each, flushed (the tests read it while it runs):
 *   server: "READY", "conn N accepted", "conn N send ok BYTES" (the client
 *           sent, all verified), "conn N recv ok BYTES", "conn N MODE
 *           error after BYTES of TOTAL: REASON", "conn N MISMATCH at
 *           offset X"; with --watch-link, "link IF down" and "link IF up"
 *           when an interface's IFF_RUNNING changes (polled every 20 ms).
 *           A failed connection never ends the server.
 *   client: "progress BYTES" every 4 MiB (stderr), then "ok MODE BYTES
 *           verified in S s (R MB/s)" and exit 0, or "error after BYTES:
 *           REASON" and exit 1, or "MISMATCH at offset X" and exit 3.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC		0x31524658U	/* "XFR1" */
#define CHUNK		(128 * 1024)
#define PROGRESS	(4 << 20)

struct request {
	uint32_t magic;
	uint32_t mode;			/* 's': client sends, 'r': receives */
	uint64_t bytes;
	uint64_t seed;
	uint32_t rate_mbps;		/* sender's pace, 0: as fast as it can */
	uint32_t pad;
};

static uint64_t word(uint64_t w, uint64_t seed)
{
	uint64_t z = w * 0x9e3779b97f4a7c15ULL + seed;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The @len bytes of stream @seed at offset @off. */
static void fill(uint64_t seed, uint64_t off, unsigned char *p, size_t len)
{
	while (len && (off & 7)) {
		*p++ = word(off / 8, seed) >> (8 * (off & 7));
		off++;
		len--;
	}
	for (; len >= 8; len -= 8, off += 8, p += 8) {
		uint64_t w = word(off / 8, seed);

		memcpy(p, &w, 8);	/* little endian: byte k is w >> 8k */
	}
	for (; len; len--, off++)
		*p++ = word(off / 8, seed) >> (8 * (off & 7));
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Sleep until @t0 + @bytes at @mbps would be due. */
static void pace(double t0, uint64_t bytes, uint32_t mbps)
{
	double due, left;
	struct timespec ts;

	if (!mbps)
		return;
	due = t0 + bytes / (mbps * 1e6);
	left = due - now();
	if (left <= 0)
		return;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Read exactly @n bytes; 0, or -1 with errno (0 for end of stream). */
static int read_full(int fd, void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n) {
		ssize_t r = recv(fd, p, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = 0;
			return -1;
		}
		p += r;
		n -= r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= w;
	}
	return 0;
}

static const char *reason(void)
{
	return errno ? strerror(errno) : "the peer closed the connection";
}

/*
 * Send @total bytes of stream @seed. Return: bytes sent (all, or where
 * an error stopped it, errno set).
 */
static uint64_t source(int fd, uint64_t total, uint64_t seed, uint32_t rate,
		       int progress)
{
	static __thread unsigned char buf[CHUNK];
	uint64_t done = 0, shown = 0;
	double t0 = now();

	errno = 0;
	while (done < total) {
		size_t len = total - done < CHUNK ? total - done : CHUNK;

		fill(seed, done, buf, len);
		if (write_full(fd, buf, len))
			return done;
		done += len;
		if (progress && done - shown >= PROGRESS) {
			fprintf(stderr, "progress %llu\n",
				(unsigned long long)done);
			shown = done;
		}
		pace(t0, done, rate);
	}
	errno = 0;
	return done;
}

/*
 * Receive and check @total bytes of stream @seed. Return: bytes verified;
 * *@bad the first offset that differed (or -1); errno set when the
 * connection failed before @total.
 */
static uint64_t sink(int fd, uint64_t total, uint64_t seed, int64_t *bad,
		     int progress)
{
	static __thread unsigned char buf[CHUNK], want[CHUNK];
	uint64_t done = 0, shown = 0;

	*bad = -1;
	errno = 0;
	while (done < total) {
		size_t len = total - done < CHUNK ? total - done : CHUNK;
		ssize_t r = recv(fd, buf, len, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = 0;
			return done;
		}
		fill(seed, done, want, r);
		if (memcmp(buf, want, r)) {
			ssize_t i = 0;

			while (buf[i] == want[i])
				i++;
			*bad = done + i;
			return done;
		}
		done += r;
		if (progress && done - shown >= PROGRESS) {
			fprintf(stderr, "progress %llu\n",
				(unsigned long long)done);
			shown = done;
		}
	}
	errno = 0;
	return done;
}

/* --- server --------------------------------------------------------------- */

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((format(printf, 1, 2))) void say(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

struct conn {
	int fd;
	unsigned long id;
};

static void *serve(void *arg)
{
	struct conn *c = arg;
	struct request rq = { 0 };
	uint64_t n, ack;
	int64_t bad;

	if (read_full(c->fd, &rq, sizeof(rq)) || rq.magic != MAGIC) {
		say("conn %lu bad request: %s", c->id,
		    rq.magic != MAGIC && !errno ? "wrong magic" : reason());
		goto out;
	}
	if (rq.mode == 's') {
		n = sink(c->fd, rq.bytes, rq.seed, &bad, 0);
		if (bad >= 0) {
			say("conn %lu MISMATCH at offset %lld", c->id,
			    (long long)bad);
		} else if (n < rq.bytes) {
			say("conn %lu send error after %llu of %llu: %s", c->id,
			    (unsigned long long)n,
			    (unsigned long long)rq.bytes, reason());
		} else {
			ack = n;
			if (write_full(c->fd, &ack, sizeof(ack)))
				say("conn %lu send error at the answer: %s",
				    c->id, reason());
			else
				say("conn %lu send ok %llu", c->id,
				    (unsigned long long)n);
		}
	} else if (rq.mode == 'r') {
		n = source(c->fd, rq.bytes, rq.seed, rq.rate_mbps, 0);
		if (n < rq.bytes)
			say("conn %lu recv error after %llu of %llu: %s", c->id,
			    (unsigned long long)n,
			    (unsigned long long)rq.bytes, reason());
		else
			say("conn %lu recv ok %llu", c->id,
			    (unsigned long long)n);
	} else {
		say("conn %lu bad request: mode %u", c->id, rq.mode);
	}
out:
	close(c->fd);
	free(c);
	return NULL;
}

/*
 * Report changes of IFF_RUNNING of every interface but loopback, found
 * by index with the socket's own ioctls (so, under ulk-run, ulk's).
 */
static void *watch_link(void *arg)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int state[32], idx, up;
	struct ifreq ifr;

	(void)arg;
	memset(state, -1, sizeof(state));
	for (;;) {
		for (idx = 1; idx < 32; idx++) {
			memset(&ifr, 0, sizeof(ifr));
			ifr.ifr_ifindex = idx;
			if (ioctl(fd, SIOCGIFNAME, &ifr) ||
			    ioctl(fd, SIOCGIFFLAGS, &ifr) ||
			    (ifr.ifr_flags & IFF_LOOPBACK))
				continue;
			up = !!(ifr.ifr_flags & IFF_RUNNING);
			if (state[idx] >= 0 && state[idx] != up)
				say("link %s %s", ifr.ifr_name,
				    up ? "up" : "down");
			state[idx] = up;
		}
		usleep(20000);
	}
	return NULL;
}

static int server(int argc, char **argv)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
	int one = 1, zero = 0, fd;
	unsigned long id = 0;
	pthread_attr_t attr;
	pthread_t t;

	a.sin6_port = htons(atoi(argv[0]));
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 128)) {
		fprintf(stderr, "xfer: server: %s\n", strerror(errno));
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 1 << 20);
	if (argc > 1 && !strcmp(argv[1], "--watch-link"))
		pthread_create(&t, &attr, watch_link, NULL);
	say("READY");
	for (;;) {
		struct conn *c;
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				say("accept: %s", strerror(errno));
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				usleep(10000);
			continue;
		}
		c = malloc(sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		c->fd = cfd;
		c->id = ++id;
		say("conn %lu accepted", c->id);
		if (pthread_create(&t, &attr, serve, c)) {
			say("conn %lu: no thread", c->id);
			close(cfd);
			free(c);
		}
	}
}

/* --- client --------------------------------------------------------------- */

static int client(int argc, char **argv)
{
	struct request rq = { .magic = MAGIC, .seed = 1 };
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	uint64_t n = 0, ack = 0;
	int64_t bad;
	double t0, secs;
	int fd, i, err;

	if (argc < 4)
		return 2;
	rq.mode = !strcmp(argv[2], "send") ? 's' :
		  !strcmp(argv[2], "recv") ? 'r' : 0;
	rq.bytes = strtoull(argv[3], NULL, 0);
	for (i = 4; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--rate"))
			rq.rate_mbps = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seed"))
			rq.seed = strtoull(argv[i + 1], NULL, 0);
	}
	if (!rq.mode)
		return 2;
	err = getaddrinfo(argv[0], argv[1], &hints, &ai);
	if (err) {
		printf("error after 0: %s\n", gai_strerror(err));
		return 1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	t0 = now();
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) ||
	    write_full(fd, &rq, sizeof(rq))) {
		printf("error after 0: %s\n", reason());
		return 1;
	}
	freeaddrinfo(ai);
	if (rq.mode == 's') {
		n = source(fd, rq.bytes, rq.seed, rq.rate_mbps, 1);
		if (n < rq.bytes) {
			printf("error after %llu: %s\n", (unsigned long long)n,
			       reason());
			return 1;
		}
		shutdown(fd, SHUT_WR);
		if (read_full(fd, &ack, sizeof(ack))) {
			printf("error after %llu: no answer: %s\n",
			       (unsigned long long)n, reason());
			return 1;
		}
		if (ack != rq.bytes) {
			printf("error after %llu: the server verified %llu\n",
			       (unsigned long long)n, (unsigned long long)ack);
			return 1;
		}
	} else {
		n = sink(fd, rq.bytes, rq.seed, &bad, 1);
		if (bad >= 0) {
			printf("MISMATCH at offset %lld\n", (long long)bad);
			return 3;
		}
		if (n < rq.bytes) {
			printf("error after %llu: %s\n", (unsigned long long)n,
			       reason());
			return 1;
		}
	}
	secs = now() - t0;
	printf("ok %s %llu verified in %.2f s (%.1f MB/s)\n", argv[2],
	       (unsigned long long)n, secs, n / 1e6 / secs);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "server"))
		return server(argc - 2, argv + 2);
	if (argc >= 6 && !strcmp(argv[1], "client")) {
		int r = client(argc - 2, argv + 2);

		if (r != 2)
			return r;
	}
	fprintf(stderr, "usage: xfer server PORT [--watch-link]\n"
		"       xfer client ADDR PORT send|recv BYTES [--rate MBPS] "
		"[--seed N]\n");
	return 2;
}
