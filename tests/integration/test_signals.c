// SPDX-License-Identifier: GPL-2.0
/*
 * Signals, cancellation and ulk calls (lib/signals.c), each as Linux
 * behaves:
 *
 *  - a handler with SA_RESTART interrupts a blocked poll(), which returns
 *    EINTR; a blocked recvfrom() without a timeout restarts and then gets
 *    its data; with SO_RCVTIMEO it returns EINTR; without SA_RESTART the
 *    recvfrom() returns EINTR;
 *  - the handler runs outside the call: a ulk call made from it works
 *    (not -EDEADLK);
 *  - siglongjmp() out of a handler that interrupted a blocked recvfrom():
 *    the thread's next calls work, and a datagram later sent to the socket
 *    (whose wait queue the abandoned call had joined) does not crash;
 *  - pthread_cancel() + ulk_interrupt_thread() of a thread blocked in
 *    recvfrom(): it is cancelled within a second, and a datagram then sent
 *    to the socket does not crash the process;
 *  - a write on a reset TCP connection: -EPIPE and SIGPIPE (a handler
 *    sees it); with MSG_NOSIGNAL -EPIPE alone; with SIGPIPE at its default
 *    action, the process dies of SIGPIPE (a child run of this program).
 */
#include "common.h"

#include <pthread.h>
#include <ulk/net.h>
#include <setjmp.h>
#include <sys/wait.h>

#define PORT_A		7001
#define PORT_B		7002
#define SETTLE_NS	(150 * NSEC_PER_MSEC)

static volatile sig_atomic_t handled;
static volatile long handler_call = 1;
static sigjmp_buf jump_back;
static volatile sig_atomic_t jump_armed;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
	/* Runs outside the interrupted call: ulk is ours to call. */
	handler_call = ulk_sys_getpid();
	if (jump_armed) {
		jump_armed = 0;
		siglongjmp(jump_back, 1);
	}
}

static void install(int flags)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	if (ulk_sigaction(SIGUSR1, &sa, NULL))
		printf("FAIL ulk_sigaction: %s\n", strerror(errno));
}

static long udp_socket(int port)
{
	struct ulk_sockaddr_in a = {
		.sin_family = ULK_AF_INET,
		.sin_port = __builtin_bswap16(port),
		.sin_addr = { __builtin_bswap32(0x7f000001) },
	};
	long fd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_DGRAM, 0);

	if (fd >= 0 && ulk_sys_bind(fd, (void *)&a, sizeof(a)) < 0) {
		ulk_sys_close(fd);
		return -1;
	}
	return fd;
}

static long send_to(long fd, int port, const char *msg)
{
	struct ulk_sockaddr_in a = {
		.sin_family = ULK_AF_INET,
		.sin_port = __builtin_bswap16(port),
		.sin_addr = { __builtin_bswap32(0x7f000001) },
	};

	return ulk_sys_sendto(fd, msg, strlen(msg), 0, (void *)&a, sizeof(a));
}

/* A call made on a thread of its own, and what it returned. */
struct blocked {
	pthread_t th;
	long fd;
	int kind;		/* 0 recvfrom, 1 poll */
	long ret;
	char buf[64];
	volatile int done;
};

static void *blocked_main(void *p)
{
	struct blocked *b = p;

	if (b->kind == 1) {
		struct ulk_pollfd pfd = { .fd = (int)b->fd, .events = ULK_POLLIN };

		b->ret = ulk_sys_ppoll(&pfd, 1, NULL, NULL, 0);
	} else {
		b->ret = ulk_sys_recvfrom(b->fd, b->buf, sizeof(b->buf) - 1, 0,
					  NULL, NULL);
	}
	b->done = 1;
	return NULL;
}

static void start_blocked(struct blocked *b, long fd, int kind)
{
	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->kind = kind;
	pthread_create(&b->th, NULL, blocked_main, b);
	sleep_ns(SETTLE_NS);
}

/* Wait up to @ms for the thread to finish; Return: whether it did. */
static bool join_within(pthread_t th, int ms, void **res)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(th, res, &ts) == 0;
}

static void test_restart(long fd, long peer)
{
	struct blocked b;
	bool joined;

	install(SA_RESTART);
	handled = 0;
	start_blocked(&b, fd, 1);
	pthread_kill(b.th, SIGUSR1);
	joined = join_within(b.th, 2000, NULL);
	CHECK(joined && b.ret == -EINTR,
	      "SA_RESTART handler: blocked poll returns EINTR (got %s)",
	      errstr(b.ret));
	CHECK(handled == 1 && handler_call > 0,
	      "the handler ran once, outside the call (its getpid: %s)",
	      errstr(handler_call));

	handled = 0;
	start_blocked(&b, fd, 0);
	pthread_kill(b.th, SIGUSR1);
	sleep_ns(SETTLE_NS);
	CHECK(handled == 1 && !b.done,
	      "SA_RESTART handler: blocked recvfrom ran the handler and "
	      "restarted (handled %d, done %d)", (int)handled, b.done);
	send_to(peer, PORT_A, "after restart");
	joined = join_within(b.th, 2000, NULL);
	CHECK(joined && b.ret == 13,
	      "the restarted recvfrom gets the datagram (got %s)",
	      errstr(b.ret));

	install(0);
	handled = 0;
	start_blocked(&b, fd, 0);
	pthread_kill(b.th, SIGUSR1);
	joined = join_within(b.th, 2000, NULL);
	CHECK(joined && b.ret == -EINTR && handled == 1,
	      "handler without SA_RESTART: recvfrom returns EINTR (got %s)",
	      errstr(b.ret));
}

static void test_rcvtimeo(long fd)
{
	struct ulk_timeval tv = { .tv_sec = 5 };
	struct blocked b;
	bool joined;
	int64_t t0;

	install(SA_RESTART);
	ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_RCVTIMEO_OLD, &tv,
			   sizeof(tv));
	t0 = now_ns();
	start_blocked(&b, fd, 0);
	pthread_kill(b.th, SIGUSR1);
	joined = join_within(b.th, 2000, NULL);
	CHECK(joined && b.ret == -EINTR,
	      "SO_RCVTIMEO recvfrom with a SA_RESTART handler returns EINTR "
	      "(got %s after %.0f ms)", errstr(b.ret), (now_ns() - t0) / 1e6);
	tv.tv_sec = 0;
	ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_RCVTIMEO_OLD, &tv,
			   sizeof(tv));
}

static void *longjmp_main(void *p)
{
	long fd = *(long *)p;
	char buf[16];
	long r = 0;

	if (sigsetjmp(jump_back, 1) == 0) {
		jump_armed = 1;
		r = ulk_sys_recvfrom(fd, buf, sizeof(buf), 0, NULL, NULL);
		return (void *)(long)(1000 + r);	/* not jumped: wrong */
	}
	/* Jumped out of the handler: the thread is outside ulk. */
	r = ulk_sys_getppid();
	return (void *)r;
}

static void test_longjmp(long fd, long peer)
{
	pthread_t th;
	void *res = NULL;
	char buf[64];
	bool joined;
	long r;

	install(0);
	pthread_create(&th, NULL, longjmp_main, &fd);
	sleep_ns(SETTLE_NS);
	pthread_kill(th, SIGUSR1);
	joined = join_within(th, 2000, &res);
	CHECK(joined && (long)res >= 0 && (long)res < 1000,
	      "siglongjmp out of a handler that interrupted recvfrom: the "
	      "thread's next ulk call works (%s)", errstr((long)res));
	r = send_to(peer, PORT_A, "after longjmp");
	sleep_ns(SETTLE_NS);
	CHECK(r == 13, "a datagram to that socket afterwards: no crash (%s)",
	      errstr(r));
	r = ulk_sys_recvfrom(fd, buf, sizeof(buf), ULK_MSG_DONTWAIT, NULL,
			     NULL);
	CHECK(r == 13, "and it is there to read (%s)", errstr(r));
}

static void *cancel_main(void *p)
{
	long fd = *(long *)p;
	char buf[16];

	ulk_sys_recvfrom(fd, buf, sizeof(buf), 0, NULL, NULL);
	return (void *)1L;	/* not cancelled: wrong */
}

static void test_cancel(long fd, long peer)
{
	pthread_t th;
	void *res = NULL;
	int64_t t0;
	long r;

	pthread_create(&th, NULL, cancel_main, &fd);
	sleep_ns(SETTLE_NS);
	t0 = now_ns();
	pthread_cancel(th);
	ulk_interrupt_thread((unsigned long)th);
	CHECK(join_within(th, 2000, &res) && res == PTHREAD_CANCELED,
	      "pthread_cancel of a thread blocked in recvfrom: cancelled in "
	      "%.1f ms", (now_ns() - t0) / 1e6);
	r = send_to(peer, PORT_A, "after cancel");
	sleep_ns(SETTLE_NS);
	CHECK(r == 12, "a datagram to that socket afterwards: no crash (%s)",
	      errstr(r));
	r = ulk_sys_getpid();
	CHECK(r > 0, "ulk still serves calls (%s)", errstr(r));
}

static volatile sig_atomic_t got_pipe;

static void on_pipe(int sig)
{
	(void)sig;
	got_pipe++;
}

/* A TCP connection over loopback whose peer has reset it. */
static long reset_connection(void)
{
	struct ulk_sockaddr_in a = {
		.sin_family = ULK_AF_INET,
		.sin_port = __builtin_bswap16(PORT_B),
		.sin_addr = { __builtin_bswap32(0x7f000001) },
	};
	struct ulk_linger lg = { .l_onoff = 1, .l_linger = 0 };
	long l, c, s;
	int one = 1;

	l = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_STREAM, 0);
	ulk_sys_setsockopt(l, ULK_SOL_SOCKET, ULK_SO_REUSEADDR, &one,
			   sizeof(one));
	if (ulk_sys_bind(l, (void *)&a, sizeof(a)) || ulk_sys_listen(l, 4))
		return -1;
	c = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_STREAM, 0);
	if (ulk_sys_connect(c, (void *)&a, sizeof(a)))
		return -1;
	s = ulk_sys_accept4(l, NULL, NULL, 0);
	ulk_sys_setsockopt(s, ULK_SOL_SOCKET, ULK_SO_LINGER, &lg, sizeof(lg));
	ulk_sys_close(s);
	ulk_sys_close(l);
	sleep_ns(50 * NSEC_PER_MSEC);
	/* The first write may still be accepted; its reset arrives after. */
	ulk_sys_sendto(c, "x", 1, ULK_MSG_NOSIGNAL, NULL, 0);
	sleep_ns(50 * NSEC_PER_MSEC);
	return c;
}

static void test_sigpipe(const char *self)
{
	struct sigaction sa = { .sa_handler = on_pipe };
	long c = reset_connection();
	long r;
	pid_t pid;
	int status = 0;

	if (!CHECK(c >= 0, "a reset TCP connection over loopback"))
		return;
	sigemptyset(&sa.sa_mask);
	ulk_sigaction(SIGPIPE, &sa, NULL);
	r = ulk_sys_sendto(c, "y", 1, ULK_MSG_NOSIGNAL, NULL, 0);
	CHECK(r == -EPIPE && got_pipe == 0,
	      "send with MSG_NOSIGNAL: EPIPE, no SIGPIPE (%s, %d)", errstr(r),
	      (int)got_pipe);
	r = ulk_sys_write(c, "z", 1);
	CHECK(r == -EPIPE && got_pipe == 1,
	      "write: EPIPE and SIGPIPE to the handler (%s, %d)", errstr(r),
	      (int)got_pipe);
	ulk_sys_close(c);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl(self, self, "sigpipe-default", (char *)NULL);
		_exit(3);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE,
	      "with SIGPIPE at its default, the process dies of it (status "
	      "0x%x)", status);
}

/* Child: boot, write to a reset connection with SIGPIPE at its default. */
static int sigpipe_default(void)
{
	long c, r;

	/* Whatever this test's own parent left ignored. */
	signal(SIGPIPE, SIG_DFL);
	ulk_boot_or_die();
	ulk_if_set_up(ulk_if_index("lo"), 1);
	c = reset_connection();
	r = ulk_sys_write(c, "z", 1);
	printf("     still alive after the write (%s)\n", errstr(r));
	return 0;
}

int main(int argc, char **argv)
{
	long fd, peer;

	if (argc > 1 && !strcmp(argv[1], "sigpipe-default"))
		return sigpipe_default();
	test_watchdog(60);
	ulk_boot_or_die();
	ulk_if_set_up(ulk_if_index("lo"), 1);
	fd = udp_socket(PORT_A);
	peer = udp_socket(PORT_A + 100);
	if (!CHECK(fd >= 0 && peer >= 0, "two UDP sockets on loopback"))
		return test_finish();

	test_restart(fd, peer);
	test_rcvtimeo(fd);
	test_longjmp(fd, peer);
	test_cancel(fd, peer);
	test_sigpipe(argv[0]);
	return test_finish();
}
