// SPDX-License-Identifier: GPL-2.0
/*
 * A plain program (no ulk in it) for tests/run/test_signals_shim.sh, run
 * under ulk-run, which serves its sockets. Each mode prints READY once it
 * waits, then one line saying what happened:
 *
 *   poll-term         signal(SIGTERM, h) (SA_RESTART, as glibc installs
 *                     it), poll() on a UDP socket: EINTR expected, as
 *                     Linux always gives poll();
 *   select-term       the same with select();
 *   sigwait           SIGTERM blocked in every thread, taken with
 *                     sigwaitinfo() while a UDP socket exists;
 *   exit-handler H P  connects to H:P, sends 4 MB, blocks in recv(); its
 *                     SIGTERM handler calls exit(), which must still flush
 *                     and close the connection;
 *   cancel            a thread blocked in recv() on a UDP socket is
 *                     cancelled and joined; then a datagram is sent to
 *                     that socket.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_term(int sig)
{
	(void)sig;
	handled++;
}

static void on_term_exit(int sig)
{
	(void)sig;
	exit(0);
}

static int udp_bound(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("udp socket");
		exit(2);
	}
	return fd;
}

static void ready(void)
{
	printf("READY\n");
	fflush(stdout);
}

static int poll_term(int use_select)
{
	int fd = udp_bound(7301), n, err;

	signal(SIGTERM, on_term);
	ready();
	if (use_select) {
		fd_set rd;

		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		n = select(fd + 1, &rd, NULL, NULL, NULL);
	} else {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		n = poll(&p, 1, -1);
	}
	err = errno;
	printf("%s returned %d (%s), handler ran %d time(s)\n",
	       use_select ? "select" : "poll", n, n < 0 ? strerror(err) : "-",
	       (int)handled);
	return n < 0 && err == EINTR && handled == 1 ? 0 : 1;
}

static int sig_wait(void)
{
	siginfo_t si;
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	fd = udp_bound(7302);	/* ulk and its threads start here */
	ready();
	if (sigwaitinfo(&set, &si) != SIGTERM) {
		perror("sigwaitinfo");
		return 1;
	}
	printf("took SIGTERM with sigwaitinfo from pid %d\n", (int)si.si_pid);
	close(fd);
	return 0;
}

static int exit_handler(const char *host, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	static char buf[1 << 16];
	size_t sent = 0;
	int fd;

	inet_pton(AF_INET, host, &a.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("connect");
		return 2;
	}
	memset(buf, 'x', sizeof(buf));
	while (sent < (4u << 20)) {
		ssize_t n = send(fd, buf, sizeof(buf), 0);

		if (n <= 0) {
			perror("send");
			return 2;
		}
		sent += (size_t)n;
	}
	signal(SIGTERM, on_term_exit);
	ready();
	recv(fd, buf, sizeof(buf), 0);	/* the peer never writes */
	printf("recv returned\n");
	return 1;
}

static void *cancel_main(void *p)
{
	char buf[16];

	recv(*(int *)p, buf, sizeof(buf), 0);
	return NULL;
}

static int cancel(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(7303),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = udp_bound(7303), peer = udp_bound(7304);
	struct timespec ts;
	pthread_t th;
	void *res = NULL;
	int err;

	pthread_create(&th, NULL, cancel_main, &fd);
	ready();
	usleep(200000);
	pthread_cancel(th);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 3;
	err = pthread_timedjoin_np(th, &res, &ts);
	if (err || res != PTHREAD_CANCELED) {
		printf("the thread blocked in recv was not cancelled (%s)\n",
		       strerror(err));
		return 1;
	}
	if (sendto(peer, "ping", 4, 0, (struct sockaddr *)&a, sizeof(a)) != 4) {
		perror("sendto");
		return 1;
	}
	usleep(100000);
	printf("cancelled the blocked thread; the socket still works\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s MODE [ARGS]\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "poll-term"))
		return poll_term(0);
	if (!strcmp(argv[1], "select-term"))
		return poll_term(1);
	if (!strcmp(argv[1], "sigwait"))
		return sig_wait();
	if (!strcmp(argv[1], "exit-handler") && argc == 4)
		return exit_handler(argv[2], atoi(argv[3]));
	if (!strcmp(argv[1], "cancel"))
		return cancel();
	fprintf(stderr, "%s: unknown mode %s\n", argv[0], argv[1]);
	return 2;
}
