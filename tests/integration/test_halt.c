// SPDX-License-Identifier: GPL-2.0
/*
 * ulk_halt() with threads blocked in ulk calls: each call returns
 * -ESHUTDOWN within the halt's drain (2 s), every thread can be joined,
 * and calls made afterwards return -ESHUTDOWN at once.
 *
 * Blocked calls: recvfrom on a UDP socket, accept on a listening TCP
 * socket, ppoll with no timeout, and a pipe read.
 */
#include "common.h"

#include <pthread.h>
#include <ulk/net.h>

#define NBLOCKED	4
#define SETTLE_NS	(200 * NSEC_PER_MSEC)

struct blocked {
	pthread_t th;
	const char *what;
	long fd;
	long ret;
};

static void *blocked_main(void *p)
{
	struct blocked *b = p;
	struct ulk_pollfd pfd = { .fd = (int)b->fd, .events = ULK_POLLIN };
	char buf[16];

	if (!strcmp(b->what, "recvfrom"))
		b->ret = ulk_sys_recvfrom(b->fd, buf, sizeof(buf), 0, NULL,
					  NULL);
	else if (!strcmp(b->what, "accept"))
		b->ret = ulk_sys_accept4(b->fd, NULL, NULL, 0);
	else if (!strcmp(b->what, "ppoll"))
		b->ret = ulk_sys_ppoll(&pfd, 1, NULL, NULL, 0);
	else
		b->ret = ulk_sys_read(b->fd, buf, sizeof(buf));
	return NULL;
}

static long tcp_listener(void)
{
	struct ulk_sockaddr_in a = {
		.sin_family = ULK_AF_INET,
		.sin_port = __builtin_bswap16(7100),
		.sin_addr = { __builtin_bswap32(0x7f000001) },
	};
	long fd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_STREAM, 0);

	if (fd < 0 || ulk_sys_bind(fd, (void *)&a, sizeof(a)) ||
	    ulk_sys_listen(fd, 4))
		return -1;
	return fd;
}

int main(void)
{
	struct blocked b[NBLOCKED] = {
		{ .what = "recvfrom" }, { .what = "accept" },
		{ .what = "ppoll" }, { .what = "read" },
	};
	int pipefd[2] = { -1, -1 };
	struct timespec ts;
	int64_t t0;
	long r;
	int i, err;

	test_watchdog(60);
	ulk_boot_or_die();
	ulk_if_set_up(ulk_if_index("lo"), 1);
	b[0].fd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_DGRAM, 0);
	b[1].fd = tcp_listener();
	b[2].fd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_DGRAM, 0);
	r = ulk_sys_pipe2(pipefd, 0);
	b[3].fd = pipefd[0];
	if (!CHECK(b[0].fd >= 0 && b[1].fd >= 0 && b[2].fd >= 0 && r == 0,
		   "a UDP socket, a TCP listener, a pipe"))
		return test_finish();
	for (i = 0; i < NBLOCKED; i++)
		pthread_create(&b[i].th, NULL, blocked_main, &b[i]);
	sleep_ns(SETTLE_NS);

	t0 = now_ns();
	err = ulk_halt();
	CHECK(err == 0, "ulk_halt() with %d threads blocked: %s in %.1f ms",
	      NBLOCKED, errstr(err), (now_ns() - t0) / 1e6);
	for (i = 0; i < NBLOCKED; i++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 3;
		err = pthread_timedjoin_np(b[i].th, NULL, &ts);
		CHECK(err == 0 && b[i].ret == -ESHUTDOWN,
		      "blocked %s returned %s%s", b[i].what, errstr(b[i].ret),
		      err ? " (thread did not finish)" : "");
	}
	r = ulk_sys_getpid();
	CHECK(r == -ESHUTDOWN, "a call after the halt: %s", errstr(r));
	return test_finish();
}
