// SPDX-License-Identifier: GPL-2.0
/*
 * How many sockets a program gets under its descriptor limit, and what a
 * forked child sees of its parent's sockets; run by test_fdlimit.sh under
 * ulk-run and on the host. A plain program: no libulk.
 *
 *   fdlimit count    open TCP sockets until EMFILE (200 of them connected
 *                    pairs, waited on with poll(): readable, then drained),
 *                    check every number is below the soft limit, print
 *                    "sockets N limit L"
 *   fdlimit fork     a child's poll() on a socket inherited from its
 *                    parent returns at once, and the call after fails
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAIRS	100

static void die(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int listener(struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)sa, sizeof(*sa)) ||
	    listen(l, PAIRS) || getsockname(l, (struct sockaddr *)sa, &len))
		die("listener");
	return l;
}

/* Connected pairs, polled: nothing readable, then all, then none again. */
static void pairs(int *cli, int *srv)
{
	struct pollfd p[PAIRS];
	struct sockaddr_in sa;
	int l = listener(&sa), i, n;
	char c = 'x';

	for (i = 0; i < PAIRS; i++) {
		cli[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (cli[i] < 0 || connect(cli[i], (struct sockaddr *)&sa,
					  sizeof(sa)))
			die("connect");
		srv[i] = accept(l, NULL, NULL);
		if (srv[i] < 0)
			die("accept");
	}
	close(l);
	for (i = 0; i < PAIRS; i++)
		p[i] = (struct pollfd){ .fd = srv[i], .events = POLLIN };
	if ((n = poll(p, PAIRS, 0)) != 0)
		die("poll before any data: something readable");
	for (i = 0; i < PAIRS; i++)
		if (write(cli[i], &c, 1) != 1)
			die("write");
	for (n = 0; n < PAIRS;) {
		int r = poll(p, PAIRS, 5000);

		if (r <= 0)
			die("poll for the data");
		for (n = 0, i = 0; i < PAIRS; i++)
			n += !!(p[i].revents & POLLIN);
	}
	for (i = 0; i < PAIRS; i++)
		if (read(srv[i], &c, 1) != 1)
			die("read");
	if ((n = poll(p, PAIRS, 0)) != 0) {
		errno = 0;
		die("poll after reading: still readable");
	}
	printf("ok   %d connected pairs: poll() saw none, all, then none readable\n",
	       PAIRS);
}

static int count(void)
{
	static int cli[PAIRS], srv[PAIRS];
	struct rlimit rl;
	int fd, n = 2 * PAIRS, top = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit");
	pairs(cli, srv);
	for (fd = 0; fd < PAIRS; fd++)
		top = cli[fd] > top ? cli[fd] : srv[fd] > top ? srv[fd] : top;
	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			break;
		n++;
		if (fd > top)
			top = fd;
	}
	if (errno != EMFILE)
		die("socket() failed otherwise than EMFILE");
	if ((rlim_t)top >= rl.rlim_cur) {
		printf("FAIL descriptor %d above the soft limit %ld\n", top,
		       (long)rl.rlim_cur);
		return 1;
	}
	printf("sockets %d limit %ld\n", n, (long)rl.rlim_cur);
	return 0;
}

static int forked(void)
{
	int cli[1], srv[1];
	struct sockaddr_in sa;
	int l = listener(&sa), st;
	pid_t pid;

	cli[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (cli[0] < 0 || connect(cli[0], (struct sockaddr *)&sa, sizeof(sa)))
		die("connect");
	srv[0] = accept(l, NULL, NULL);
	if (srv[0] < 0)
		die("accept");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		struct pollfd p = { .fd = srv[0], .events = POLLIN };
		double t0 = now();
		char c;
		int r = poll(&p, 1, 5000);

		if (r != 1 || now() - t0 > 1.0) {
			printf("FAIL the child's poll() on an inherited socket: %d after %.1f s\n",
			       r, now() - t0);
			_exit(1);
		}
		if (read(srv[0], &c, 1) >= 0) {
			printf("FAIL the child read from its parent's socket\n");
			_exit(1);
		}
		printf("ok   the child's poll() on an inherited socket returned at once (revents %#x), read: %s\n",
		       p.revents, strerror(errno));
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		die("waitpid");
	/* The parent's socket is untouched. */
	if (write(cli[0], "y", 1) != 1)
		die("parent write");
	{
		struct pollfd p = { .fd = srv[0], .events = POLLIN };
		char c;

		if (poll(&p, 1, 5000) != 1 || read(srv[0], &c, 1) != 1 ||
		    c != 'y')
			die("the parent's socket after the child");
	}
	printf("ok   the parent's socket still works after the child\n");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "count"))
		return count();
	if (argc == 2 && !strcmp(argv[1], "fork"))
		return forked();
	fprintf(stderr, "usage: fdlimit count|fork\n");
	return 2;
}
