// SPDX-License-Identifier: GPL-2.0
/*
 * Tier-1 test of the preload shim's descriptor table (tools/preload/
 * fdtable.c) with no kernel: the few ulk system calls it makes are faked
 * here (a readiness per ulk descriptor that the test sets, an epoll whose
 * events the test injects), and the shadows it builds are checked with the
 * host's own poll and epoll, as a program would see them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim.h"

int shim_forked;
int shim_verbose;

/* --- a fake ulk --------------------------------------------------------- */

#define FAKE_FDS 64
static short ready[FAKE_FDS];
static int closed[FAKE_FDS];
static unsigned long long watch_data[FAKE_FDS];
static int inject[2];

long ulk_sys_ppoll(struct pollfd *p, long n, void *ts, const void *mask,
		   long size)
{
	(void)n, (void)ts, (void)mask, (void)size;
	p->revents = ready[p->fd] & (p->events | POLLHUP | POLLERR);
	return !!p->revents;
}

long ulk_sys_close(long fd)
{
	closed[fd]++;
	return 0;
}

long ulk_sys_epoll_create1(long flags)
{
	(void)flags;
	return 100;
}

long ulk_sys_epoll_ctl(long ep, long op, long fd, struct epoll_event *ev)
{
	(void)ep, (void)op;
	watch_data[fd] = ev->data.u64;
	return 0;
}

/* Blocks until the test injects a ulk descriptor, which becomes an event. */
long ulk_sys_epoll_pwait(long ep, struct epoll_event *evs, long max,
			 long timeout, const void *mask, long size)
{
	int ufd;

	(void)ep, (void)max, (void)timeout, (void)mask, (void)size;
	if (read(inject[0], &ufd, sizeof(ufd)) != sizeof(ufd))
		return -EINTR;
	evs[0].events = EPOLLIN;
	evs[0].data.u64 = watch_data[ufd];
	return 1;
}

/* --- checks -------------------------------------------------------------- */

static int failed;

#define CHECK(cond, ...) do {						\
	int ok_ = !!(cond);						\
									\
	printf(ok_ ? "ok   " : "FAIL ");				\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	failed |= !ok_;							\
} while (0)

static short host_revents(int fd, short events, int timeout)
{
	struct pollfd p = { fd, events, 0 };

	return poll(&p, 1, timeout) == 1 ? p.revents : 0;
}

/* A call served "by ulk" on @fd: what every wrapper does around it. */
static void served_call(int fd)
{
	struct shim_ref ref;

	if (shim_get(fd, &ref) == 1)
		shim_finish(&ref, 0);
}

static void event_from_ulk(int ufd)
{
	if (write(inject[1], &ufd, sizeof(ufd)) != sizeof(ufd))
		failed = 1;
}

/* One of the shim's own descriptors (they sit high: look in /proc). */
static int find_internal(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int fd = -1;

	while (d && (de = readdir(d)))
		if (shim_fd_is_internal(atoi(de->d_name))) {
			fd = atoi(de->d_name);
			break;
		}
	if (d)
		closedir(d);
	return fd;
}

static void check_readiness(void)
{
	int probe = open("/dev/null", O_RDONLY), a, ep, n;
	struct epoll_event ev = { EPOLLIN | EPOLLET, { 0 } }, out;

	close(probe);
	a = shim_fd_install(10, 0);
	CHECK(a == probe, "install takes the lowest free number (%d)", a);
	CHECK(fcntl(a, F_GETFD) == FD_CLOEXEC && shim_fd_get_cloexec(a) == 0,
	      "host close-on-exec always, the program's flag kept apart");

	ready[10] = POLLIN;
	served_call(a);
	CHECK(host_revents(a, POLLIN, 0) == 0, "not mirrored before the program waits on it");

	shim_fd_watch(a, 0);
	CHECK(host_revents(a, POLLIN | POLLOUT, 0) == POLLIN, "watched: readable, not writable");
	ready[10] = POLLOUT;
	served_call(a);
	CHECK(host_revents(a, POLLIN | POLLOUT, 0) == POLLOUT, "after a call: writable, not readable");
	ready[10] = POLLHUP;
	served_call(a);
	CHECK(host_revents(a, POLLIN | POLLOUT, 0) == (POLLIN | POLLOUT), "hang-up shows as readable and writable");
	ready[10] = 0;
	served_call(a);
	CHECK(host_revents(a, POLLIN | POLLOUT, 0) == 0, "neither readable nor writable (a connect in progress)");

	ready[10] = POLLIN | POLLOUT;
	event_from_ulk(10);
	CHECK(host_revents(a, POLLIN, 2000) == POLLIN, "an event from ulk makes it readable (watcher)");

	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev);
	shim_fd_watch(a, 1);
	n = epoll_wait(ep, &out, 1, 0);
	CHECK(n == 1, "edge-triggered: first edge");
	CHECK(epoll_wait(ep, &out, 1, 0) == 0, "edge-triggered: no second edge by itself");
	event_from_ulk(10);
	CHECK(epoll_wait(ep, &out, 1, 2000) == 1, "edge-triggered: a new arrival is a new edge");
	close(ep);
	ready[10] = 0;
	served_call(a);
	CHECK(host_revents(a, POLLIN, 0) == 0, "drained: not readable");
	CHECK(shim_fd_close(a) == 1 && closed[10] == 1, "close: ulk's descriptor closed");
}

static void check_dup_close(void)
{
	int a = shim_fd_install(11, 1), d, d2, in, host;

	CHECK(shim_fd_get_cloexec(a) == 1, "SOCK_CLOEXEC kept in the table");
	d = shim_fd_dup(a, -1, 0, 0);
	CHECK(d > a && shim_fd_get_cloexec(d) == 0, "dup: new number, no close-on-exec");
	CHECK(shim_fd_close(a) == 1 && closed[11] == 0, "closing one copy keeps the socket");
	host = open("/dev/null", O_RDONLY);
	d2 = shim_fd_dup(d, host, 0, 1);
	CHECK(d2 == host && shim_fd_get_cloexec(d2) == 1, "dup3 over an open host descriptor");
	CHECK(shim_fd_close(d) == 1 && closed[11] == 0 && shim_fd_close(d2) == 1 &&
	      closed[11] == 1, "the last copy closes it");

	a = shim_fd_install(12, 0);
	shim_fd_watch(a, 0);
	in = find_internal();
	errno = 0;
	CHECK(in >= 0 && shim_fd_close(in) == -1 && errno == EBADF, "the shim's own descriptors cannot be closed");
	host = open("/dev/null", O_RDONLY);
	CHECK(shim_fd_dup(host, in, 0, 0) == in && !shim_fd_is_internal(in) &&
	      find_internal() >= 0, "dup2 onto one moves it away");
	close(host);
	ready[12] = POLLIN;
	served_call(a);
	CHECK(host_revents(a, POLLIN, 0) == POLLIN, "the socket still mirrors after the move");
	CHECK(shim_close_range(a, a, 0) == 0 && closed[12] == 1, "close_range closes it");
	shim_fd_close(in);
	close(in);
}

static void check_fork(void)
{
	int a = shim_fd_install(13, 0), status = -1;
	pid_t pid;

	shim_fdtable_fork_prepare();
	pid = fork();
	if (pid == 0) {
		struct shim_ref ref;
		int r;

		shim_fdtable_fork_child();
		errno = 0;
		r = shim_get(a, &ref);
		_exit(r == -1 && errno == EOPNOTSUPP && shim_fd_close(a) == 1 ? 0 : 1);
	}
	shim_fdtable_fork_parent();
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "after fork the child gets EOPNOTSUPP, can close");
	CHECK(closed[13] == 0, "...and the parent's socket stays open");
	shim_fd_close(a);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pipe(inject) || shim_fdtable_init()) {
		printf("FAIL set-up\n");
		return 1;
	}
	check_readiness();
	check_dup_close();
	check_fork();
	printf("%s\n", failed ? "some checks failed" : "all checks passed");
	return failed;
}
