// SPDX-License-Identifier: GPL-2.0
/*
 * IPC inside ulk between host threads: a pipe2 round trip; a thread blocked
 * in epoll_pwait on an eventfd (or in a read of it) and woken promptly by
 * another thread's write, five rounds each; and 10 MB through an AF_UNIX
 * socketpair in each direction (then both at once), compared byte for byte
 * with what was sent.
 */
#include "common.h"

#include <pthread.h>

#define BULK_BYTES	(10L << 20)
#define EPOLL_TIMEOUT_MS 5000
#define WAKE_DELAY_NS	(100 * NSEC_PER_MSEC)
#define WAKE_MAX_NS	(100 * NSEC_PER_MSEC)
#define WAKE_ROUNDS	5

/* --- pipe2 ----------------------------------------------------------------- */

static void test_pipe(void)
{
	static const char msg[] = "hello through a ulk pipe";
	char in[64];
	int fds[2] = { -1, -1 };
	long ret;

	ret = ulk_sys_pipe2(fds, ULK_O_CLOEXEC);
	if (!CHECK(ret == 0 && fds[0] >= 0 && fds[1] >= 0,
		   "pipe2 returns 0 and two fds (got %s, %d, %d)", errstr(ret),
		   fds[0], fds[1]))
		return;
	ret = ulk_sys_write(fds[1], msg, sizeof(msg));
	CHECK(ret == sizeof(msg), "pipe write of %zu bytes (got %s)",
	      sizeof(msg), errstr(ret));
	memset(in, 0, sizeof(in));
	ret = ulk_sys_read(fds[0], in, sizeof(in));
	CHECK(ret == sizeof(msg) && memcmp(in, msg, sizeof(msg)) == 0,
	      "pipe read returns the same %zu bytes (got %s, \"%.*s\")",
	      sizeof(msg), errstr(ret), (int)sizeof(in), in);
	ret = ulk_sys_close(fds[1]);
	CHECK(ret == 0, "close write end (got %s)", errstr(ret));
	ret = ulk_sys_read(fds[0], in, sizeof(in));
	CHECK(ret == 0, "read after the write end is closed returns 0 (got %s)",
	      errstr(ret));
	ulk_sys_close(fds[0]);
}

/* --- eventfd + epoll across threads ------------------------------------------ */

/*
 * Thread A blocks (in epoll_pwait on an eventfd, or in a read of the eventfd
 * itself); thread B writes the eventfd 100 ms later from outside any ulk
 * call, then waits on the host. A must return promptly: the write made it
 * runnable, and nothing else is going to happen in ulk, so a wake-up that
 * waits for some later timer interrupt shows up here as a long delay.
 */
struct waiter {
	bool use_epoll;
	long fd;		/* the epoll fd, or the eventfd to read */
	struct ulk_epoll_event ev[4];
	uint64_t val;
	long ret;
	int64_t t_call, t_return;
	int entered, returned;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	w->t_call = now_ns();
	__atomic_store_n(&w->entered, 1, __ATOMIC_RELEASE);
	if (w->use_epoll)
		w->ret = ulk_sys_epoll_pwait(w->fd, w->ev, 4, EPOLL_TIMEOUT_MS,
					     NULL, 0);
	else
		w->ret = ulk_sys_read(w->fd, &w->val, sizeof(w->val));
	w->t_return = now_ns();
	__atomic_store_n(&w->returned, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * One round: A waits on @w, B writes @val to @efd. Return: the time from
 * B's write to A's return in ns, or -1 if the round went wrong.
 */
static int64_t wake_round(const char *name, struct waiter *w, long efd,
			  uint64_t val)
{
	int64_t t_write, woke_after;
	pthread_t th;
	long ret;

	if (!CHECK(pthread_create(&th, NULL, waiter_main, w) == 0,
		   "%s: start thread A", name))
		return -1;
	while (!__atomic_load_n(&w->entered, __ATOMIC_ACQUIRE))
		sleep_ns(NSEC_PER_MSEC);
	sleep_ns(WAKE_DELAY_NS);
	CHECK(!__atomic_load_n(&w->returned, __ATOMIC_ACQUIRE),
	      "%s: thread A is still blocked after %lld ms (returned %s)", name,
	      WAKE_DELAY_NS / NSEC_PER_MSEC,
	      __atomic_load_n(&w->returned, __ATOMIC_ACQUIRE) ?
	      errstr(w->ret) : "nothing yet");

	t_write = now_ns();
	ret = ulk_sys_write(efd, &val, sizeof(val));
	CHECK(ret == sizeof(val), "%s: thread B writes the eventfd (got %s)",
	      name, errstr(ret));
	pthread_join(th, NULL);
	woke_after = w->t_return - t_write;
	CHECK(w->t_return >= t_write && woke_after < WAKE_MAX_NS,
	      "%s: thread A returns %.3f ms after B's write (< %lld ms; its "
	      "call lasted %.1f ms, timeout %d ms)", name, woke_after / 1e6,
	      WAKE_MAX_NS / NSEC_PER_MSEC, (w->t_return - w->t_call) / 1e6,
	      EPOLL_TIMEOUT_MS);
	return ret == sizeof(val) ? woke_after : -1;
}

static void test_eventfd_epoll(void)
{
	const uint64_t cookie = 0x1234abcd5678ULL;
	struct ulk_epoll_event ev;
	int64_t lat[WAKE_ROUNDS * 2];
	int nlat = 0;
	long efd, epfd, ret;
	int r;

	efd = ulk_sys_eventfd2(0, 0);
	epfd = ulk_sys_epoll_create1(0);
	if (!CHECK(efd >= 0 && epfd >= 0,
		   "eventfd2 and epoll_create1 (got %s, %s)", errstr(efd),
		   errstr(epfd)))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = ULK_EPOLLIN;
	ev.data = cookie;
	ret = ulk_sys_epoll_ctl(epfd, ULK_EPOLL_CTL_ADD, efd, &ev);
	if (!CHECK(ret == 0, "epoll_ctl ADD eventfd (got %s)", errstr(ret)))
		return;

	for (r = 0; r < WAKE_ROUNDS; r++) {
		struct waiter w = { .use_epoll = true, .fd = epfd };
		uint64_t val = 7 + r, got = 0;
		char name[32];
		int64_t t;

		snprintf(name, sizeof(name), "epoll round %d", r + 1);
		t = wake_round(name, &w, efd, val);
		if (t >= 0)
			lat[nlat++] = t;
		CHECK(w.ret == 1 && (w.ev[0].events & ULK_EPOLLIN) &&
		      w.ev[0].data == cookie,
		      "%s: epoll_pwait returns 1 EPOLLIN event with our data "
		      "(got %s, events %#x, data %#llx)", name, errstr(w.ret),
		      (unsigned int)w.ev[0].events,
		      (unsigned long long)w.ev[0].data);
		ret = ulk_sys_read(efd, &got, sizeof(got));
		CHECK(ret == sizeof(got) && got == val,
		      "%s: eventfd read returns the value written (got %s, %llu)",
		      name, errstr(ret), (unsigned long long)got);
	}
	for (r = 0; r < WAKE_ROUNDS; r++) {
		struct waiter w = { .use_epoll = false, .fd = efd };
		uint64_t val = 100 + r;
		char name[32];
		int64_t t;

		snprintf(name, sizeof(name), "eventfd read round %d", r + 1);
		t = wake_round(name, &w, efd, val);
		if (t >= 0)
			lat[nlat++] = t;
		CHECK(w.ret == sizeof(w.val) && w.val == val,
		      "%s: the blocked read returns the value written "
		      "(got %s, %llu)", name, errstr(w.ret),
		      (unsigned long long)w.val);
	}
	if (nlat)
		NOTE("wake-up after a write: median %.3f ms over %d rounds",
		     median_i64(lat, nlat) / 1e6, nlat);
	ulk_sys_close(epfd);
	ulk_sys_close(efd);
}

/* --- 10 MB through an AF_UNIX socketpair ------------------------------------- */

struct stream {
	long fd;
	unsigned char *buf;	/* data to send, or where to receive */
	long len;
	unsigned int seed;	/* varies the chunk sizes */
	long done;		/* bytes moved */
	long err;		/* first error (negative errno), 0 if none */
	const char *what;	/* failing call */
};

static unsigned int next_rand(unsigned int *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* Chunks of 1 byte to 192 KiB, so reads and writes split unevenly. */
static long chunk(struct stream *s)
{
	unsigned int r = next_rand(&s->seed);
	long n;

	switch (r % 4) {
	case 0:
		n = 1 + r % 512;
		break;
	case 1:
		n = 1 + r % 8192;
		break;
	default:
		n = 1 + r % (192 * 1024);
		break;
	}
	return n < s->len - s->done ? n : s->len - s->done;
}

static void *sender(void *arg)
{
	struct stream *s = arg;

	while (s->done < s->len) {
		long n = ulk_sys_write(s->fd, s->buf + s->done, chunk(s));

		if (n <= 0) {
			s->err = n ? n : -EIO;
			s->what = "write";
			break;
		}
		s->done += n;
	}
	return NULL;
}

static void *receiver(void *arg)
{
	struct stream *s = arg;

	while (s->done < s->len) {
		long n = ulk_sys_read(s->fd, s->buf + s->done, chunk(s));

		if (n <= 0) {
			s->err = n ? n : -EPIPE;
			s->what = n ? "read" : "read (early EOF)";
			break;
		}
		s->done += n;
	}
	return NULL;
}

static void fill_pattern(unsigned char *p, long len, uint64_t seed)
{
	uint64_t x = seed | 1;
	long i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)(x >> 24);
	}
}

static long first_mismatch(const unsigned char *a, const unsigned char *b,
			   long len)
{
	long i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return i;
	return -1;
}

/* Check one finished transfer of @tx into @rx and that nothing follows. */
static void check_transfer(const char *name, struct stream *tx,
			   struct stream *rx, int64_t ns)
{
	unsigned char extra;
	long ret, bad;

	CHECK(tx->err == 0 && tx->done == tx->len,
	      "%s: sent %ld of %ld bytes (%s %s)", name, tx->done, tx->len,
	      tx->what ? tx->what : "no error", errstr(tx->err));
	CHECK(rx->err == 0 && rx->done == rx->len,
	      "%s: received %ld of %ld bytes (%s %s)", name, rx->done, rx->len,
	      rx->what ? rx->what : "no error", errstr(rx->err));
	bad = first_mismatch(tx->buf, rx->buf, rx->len);
	CHECK(bad < 0, "%s: data verified byte for byte (first mismatch at %ld)",
	      name, bad);
	ret = ulk_sys_recvfrom(rx->fd, &extra, 1, ULK_MSG_DONTWAIT, NULL, NULL);
	CHECK(ret == -EAGAIN, "%s: nothing more to read (recv got %s)", name,
	      errstr(ret));
	NOTE("%s: %.1f MB in %.1f ms, %.0f MB/s", name, tx->len / 1e6, ns / 1e6,
	     tx->len / 1e6 / (ns / 1e9));
}

/* Move @len bytes over @sv: from sv[0] to sv[1] if @fwd, back if @rev. */
static void transfer(const char *name, int sv[2], unsigned char *data[2],
		     unsigned char *recv[2], bool fwd, bool rev)
{
	struct stream tx[2], rx[2];
	pthread_t th[4];
	int nth = 0, i;
	int64_t t0;

	memset(tx, 0, sizeof(tx));
	memset(rx, 0, sizeof(rx));
	for (i = 0; i < 2; i++) {
		memset(recv[i], 0, BULK_BYTES);
		tx[i] = (struct stream){ .fd = sv[i], .buf = data[i],
					 .len = BULK_BYTES, .seed = 11 + i };
		rx[i] = (struct stream){ .fd = sv[1 - i], .buf = recv[i],
					 .len = BULK_BYTES, .seed = 29 + i };
	}
	t0 = now_ns();
	for (i = 0; i < 2; i++) {
		if (!(i == 0 ? fwd : rev))
			continue;
		if (pthread_create(&th[nth], NULL, sender, &tx[i]) == 0)
			nth++;
		if (pthread_create(&th[nth], NULL, receiver, &rx[i]) == 0)
			nth++;
	}
	CHECK(nth == 2 * (fwd + rev), "%s: %d host threads started", name, nth);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 2; i++) {
		char what[64];

		if (!(i == 0 ? fwd : rev))
			continue;
		snprintf(what, sizeof(what), "%s %s", name,
			 i == 0 ? "sv[0]->sv[1]" : "sv[1]->sv[0]");
		check_transfer(what, &tx[i], &rx[i], now_ns() - t0);
	}
}

static void test_socketpair(void)
{
	unsigned char *data[2], *recv[2];
	int sv[2] = { -1, -1 };
	long ret;
	int i;

	ret = ulk_sys_socketpair(ULK_AF_UNIX, ULK_SOCK_STREAM, 0, sv);
	if (!CHECK(ret == 0 && sv[0] >= 0 && sv[1] >= 0,
		   "socketpair(AF_UNIX, SOCK_STREAM) (got %s, %d, %d)",
		   errstr(ret), sv[0], sv[1]))
		return;
	for (i = 0; i < 2; i++) {
		data[i] = malloc(BULK_BYTES);
		recv[i] = malloc(BULK_BYTES);
		if (!data[i] || !recv[i]) {
			CHECK(0, "allocate buffers");
			return;
		}
		fill_pattern(data[i], BULK_BYTES, 0x9e3779b97f4a7c15ULL * (i + 1));
	}
	/* One direction at a time: two host threads each. */
	transfer("socketpair", sv, data, recv, true, false);
	transfer("socketpair", sv, data, recv, false, true);
	/* Both directions at once: four host threads. */
	transfer("socketpair duplex", sv, data, recv, true, true);
	ulk_sys_close(sv[0]);
	ulk_sys_close(sv[1]);
	for (i = 0; i < 2; i++) {
		free(data[i]);
		free(recv[i]);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_watchdog(120);
	ulk_boot_or_die();
	test_pipe();
	test_eventfd_epoll();
	test_socketpair();
	CHECK(ulk_halt() == 0, "ulk_halt");
	return test_finish();
}
