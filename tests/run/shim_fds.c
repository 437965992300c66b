// SPDX-License-Identifier: GPL-2.0
/*
 * A plain program (no libulk) that tests/run/test_shim_fds.sh runs under
 * ulk-run: its AF_INET sockets are ulk's, its pipes the host's. It checks
 * what the preload shim promises about descriptors: real numbers, poll,
 * select and epoll (level and edge) over a mix of host and ulk descriptors,
 * writability, dup2 over an open descriptor, close-on-exec, fork, threads;
 * and epoll sets served inside ulk: sets of ulk sockets only and mixed
 * with a pipe, EPOLLET/EPOLLONESHOT, the sockets' own RDHUP/HUP/ERR/PRI,
 * errors, maxevents, timeouts, a socket closed (or dup'ed) while in a set,
 * several sets, nested sets, EINTR and signal masks, fork and exec.
 *
 * Prints "ok"/"FAIL" per check and exits 1 if any failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failed;

#define CHECK(cond, ...) do {						\
	int ok_ = !!(cond);						\
									\
	if (ok_) {							\
		printf("ok   ");					\
	} else {							\
		printf("FAIL ");					\
		failed = 1;						\
	}								\
	printf(__VA_ARGS__);						\
	printf("%s\n", ok_ ? "" : errno ? strerror(errno) : "");	\
	fflush(stdout);							\
} while (0)

struct delayed {
	int fd;
	int ms;
};

static void *write_later(void *arg)
{
	struct delayed *d = arg;

	usleep(d->ms * 1000);
	if (write(d->fd, "x", 1) != 1)
		perror("write_later");
	return NULL;
}

static void later(pthread_t *t, struct delayed *d, int fd, int ms)
{
	d->fd = fd;
	d->ms = ms;
	pthread_create(t, NULL, write_later, d);
}

static int listener(struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof(*sa)) ||
	    listen(fd, 64) || getsockname(fd, (struct sockaddr *)sa, &len)) {
		perror("listener");
		exit(1);
	}
	return fd;
}

static int connect_to(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa))) {
		perror("connect");
		exit(1);
	}
	return fd;
}

static void drain(int fd)
{
	char buf[65536];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static void check_numbers(void)
{
	int probe = open("/dev/null", O_RDONLY), s;

	close(probe);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(s == probe, "a new socket takes the lowest free number (%d, expected %d) ", s, probe);
	CHECK(fcntl(s, F_GETFD) == 0, "no close-on-exec unless asked ");
	close(s);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(fcntl(s, F_GETFD) == FD_CLOEXEC, "SOCK_CLOEXEC shows in F_GETFD ");
	close(s);
	errno = 0;
	CHECK(close(s) == -1 && errno == EBADF, "closing twice gives EBADF ");
}

static void check_poll(int conn, int peer, int pipe_r, int pipe_w)
{
	struct pollfd p[2] = { { pipe_r, POLLIN, 0 }, { conn, POLLIN, 0 } };
	struct delayed d;
	pthread_t t;
	char c;
	int n;

	later(&t, &d, pipe_w, 100);
	n = poll(p, 2, 3000);
	pthread_join(t, NULL);
	CHECK(n == 1 && (p[0].revents & POLLIN) && !p[1].revents, "poll wakes for the host pipe ");
	if (read(pipe_r, &c, 1) != 1)
		failed = 1;

	later(&t, &d, peer, 100);
	n = poll(p, 2, 3000);
	pthread_join(t, NULL);
	CHECK(n == 1 && !p[0].revents && (p[1].revents & POLLIN), "poll wakes for the ulk socket ");
	CHECK(read(conn, &c, 1) == 1 && c == 'x', "read() of the ulk socket ");
	n = poll(p, 2, 0);
	CHECK(n == 0, "nothing ready once read (poll says %d) ", n);
}

static void check_select(int conn, int peer, int pipe_r, int pipe_w)
{
	struct timeval tv = { 3, 0 };
	struct delayed d;
	pthread_t t;
	fd_set rd;
	char c;
	int n;

	FD_ZERO(&rd);
	FD_SET(pipe_r, &rd);
	FD_SET(conn, &rd);
	later(&t, &d, peer, 100);
	n = select((conn > pipe_r ? conn : pipe_r) + 1, &rd, NULL, NULL, &tv);
	pthread_join(t, NULL);
	CHECK(n == 1 && FD_ISSET(conn, &rd) && !FD_ISSET(pipe_r, &rd), "select wakes for the ulk socket ");
	drain(conn);
	(void)pipe_w;
	(void)c;
}

static void check_epoll(int conn, int peer, int pipe_r, int pipe_w)
{
	struct epoll_event ev, out[4];
	struct delayed d;
	pthread_t t;
	int ep = epoll_create1(EPOLL_CLOEXEC), n;
	char c;

	ev.events = EPOLLIN;
	ev.data.fd = pipe_r;
	epoll_ctl(ep, EPOLL_CTL_ADD, pipe_r, &ev);
	ev.data.fd = conn;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, conn, &ev) == 0, "epoll_ctl takes a ulk socket ");

	later(&t, &d, pipe_w, 100);
	n = epoll_wait(ep, out, 4, 3000);
	pthread_join(t, NULL);
	CHECK(n == 1 && out[0].data.fd == pipe_r, "epoll_wait (level) wakes for the pipe ");
	if (read(pipe_r, &c, 1) != 1)
		failed = 1;
	later(&t, &d, peer, 100);
	n = epoll_wait(ep, out, 4, 3000);
	pthread_join(t, NULL);
	CHECK(n == 1 && out[0].data.fd == conn, "epoll_wait (level) wakes for the ulk socket ");
	n = epoll_wait(ep, out, 4, 0);
	CHECK(n == 1, "level-triggered: still ready while unread ");
	drain(conn);
	n = epoll_wait(ep, out, 4, 0);
	CHECK(n == 0, "not ready once read ");

	/* Edge-triggered: one event per arrival, none while nothing new. */
	ev.events = EPOLLIN | EPOLLET;
	ev.data.fd = conn;
	epoll_ctl(ep, EPOLL_CTL_MOD, conn, &ev);
	later(&t, &d, peer, 50);
	n = epoll_wait(ep, out, 4, 3000);
	pthread_join(t, NULL);
	CHECK(n == 1 && out[0].data.fd == conn, "epoll_wait (edge) wakes for the ulk socket ");
	n = epoll_wait(ep, out, 4, 100);
	CHECK(n == 0, "edge-triggered: no second event without new data ");
	later(&t, &d, peer, 50);
	n = epoll_wait(ep, out, 4, 3000);
	pthread_join(t, NULL);
	CHECK(n == 1, "edge-triggered: a new arrival on unread data is an edge ");
	drain(conn);
	close(ep);
}

/* --- epoll sets ------------------------------------------------------------ */

static void tcp_pair(const struct sockaddr_in *sa, int lfd, int *c, int *s)
{
	*c = connect_to(sa);
	*s = accept(lfd, NULL, NULL);
	if (*s < 0) {
		perror("accept");
		exit(1);
	}
}

static int ep_ctl(int ep, int op, int fd, unsigned int events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.fd = fd;
	return epoll_ctl(ep, op, fd, &ev);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The events reported for @fd in @out[0..n), 0 if none. */
static unsigned int events_of(const struct epoll_event *out, int n, int fd)
{
	int i;

	for (i = 0; i < n; i++)
		if (out[i].data.fd == fd)
			return out[i].events;
	return 0;
}

/* A set of ulk sockets only ("ulk-only"), or one with a pipe too ("mixed"). */
static int make_set(int pipe_r)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || (pipe_r >= 0 && ep_ctl(ep, EPOLL_CTL_ADD, pipe_r, EPOLLIN))) {
		perror("make_set");
		exit(1);
	}
	return ep;
}

static void check_epoll_basic(const struct sockaddr_in *sa, int lfd, int pipe_r, int pipe_w)
{
	const char *kind = pipe_r >= 0 ? "mixed" : "ulk-only";
	struct epoll_event out[4];
	struct timespec t0, ts = { 0, 60 * 1000 * 1000 };
	struct delayed d;
	pthread_t t;
	int c, s, ep = make_set(pipe_r), n;
	long ms;
	char ch;

	tcp_pair(sa, lfd, &c, &s);
	CHECK(ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN) == 0, "%s set: a ulk socket joins ", kind);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = epoll_wait(ep, out, 4, 100);
	ms = ms_since(&t0);
	CHECK(n == 0 && ms >= 90 && ms < 1000, "%s set: epoll_wait times out after 100 ms (%d, %ld ms) ", kind, n, ms);
	later(&t, &d, c, 50);
	n = epoll_wait(ep, out, 4, 3000);
	pthread_join(t, NULL);
	CHECK(n == 1 && out[0].data.fd == s && out[0].events == EPOLLIN, "%s set: wakes for data on the socket (%d) ", kind, n);
	n = epoll_pwait2(ep, out, 4, &ts, NULL);
	CHECK(n == 1, "%s set: level-triggered, epoll_pwait2 reports it again ", kind);
	drain(s);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = epoll_pwait2(ep, out, 4, &ts, NULL);
	ms = ms_since(&t0);
	CHECK(n == 0 && ms >= 50 && ms < 1000, "%s set: epoll_pwait2 times out after 60 ms (%ld ms) ", kind, ms);
	if (pipe_r >= 0) {
		later(&t, &d, pipe_w, 50);
		n = epoll_wait(ep, out, 4, 3000);
		pthread_join(t, NULL);
		CHECK(n == 1 && out[0].data.fd == pipe_r, "mixed set: wakes for the pipe ");
		if (write(c, "y", 1) != 1)
			failed = 1;
		usleep(20 * 1000);
		n = epoll_wait(ep, out, 4, 3000);
		CHECK(n == 2 && events_of(out, n, pipe_r) == EPOLLIN && events_of(out, n, s) == EPOLLIN,
		      "mixed set: the pipe and the socket together (%d) ", n);
		n = epoll_wait(ep, out, 1, 0);
		CHECK(n == 1, "mixed set: one place, one event ");
		n = epoll_wait(ep, out + 1, 1, 0);
		CHECK(n == 1 && out[0].data.fd != out[1].data.fd, "mixed set: with one place each takes its turn ");
		drain(s);
		if (read(pipe_r, &ch, 1) != 1)
			failed = 1;
	}

	errno = 0;
	CHECK(ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN) == -1 && errno == EEXIST, "%s set: adding twice is EEXIST ", kind);
	errno = 0;
	CHECK(ep_ctl(ep, EPOLL_CTL_MOD, c, EPOLLIN) == -1 && errno == ENOENT, "%s set: MOD of a non-member is ENOENT ", kind);
	errno = 0;
	CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL) == -1 && errno == ENOENT, "%s set: DEL of a non-member is ENOENT ", kind);
	errno = 0;
	CHECK(ep_ctl(ep, EPOLL_CTL_ADD, 1000, EPOLLIN) == -1 && errno == EBADF, "%s set: a closed descriptor is EBADF ", kind);
	errno = 0;
	CHECK(ep_ctl(ep, EPOLL_CTL_ADD, ep, EPOLLIN) == -1 && errno == EINVAL, "%s set: a set in itself is EINVAL ", kind);
	errno = 0;
	CHECK(epoll_wait(ep, out, 0, 0) == -1 && errno == EINVAL, "%s set: maxevents 0 is EINVAL ", kind);
	errno = 0;
	CHECK(epoll_wait(s, out, 4, 0) == -1 && errno == EINVAL, "%s set: epoll_wait on a socket is EINVAL ", kind);
	ts.tv_nsec = 2000000000L;
	errno = 0;
	CHECK(epoll_pwait2(ep, out, 4, &ts, NULL) == -1 && errno == EINVAL, "%s set: a bad timespec is EINVAL ", kind);
	CHECK(ep_ctl(ep, EPOLL_CTL_ADD, c, EPOLLIN | EPOLLEXCLUSIVE) == 0, "%s set: EPOLLEXCLUSIVE joins ", kind);
	errno = 0;
	CHECK(ep_ctl(ep, EPOLL_CTL_MOD, c, EPOLLIN) == -1 && errno == EINVAL, "%s set: MOD of an exclusive item is EINVAL ", kind);
	CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL) == 0 && epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL) == 0,
	      "%s set: DEL ", kind);
	if (write(c, "z", 1) != 1)
		failed = 1;
	usleep(20 * 1000);
	n = epoll_wait(ep, out, 4, 0);
	CHECK(n == 0, "%s set: a deleted socket is not reported ", kind);
	close(c);
	close(s);
	close(ep);
}

static void check_epoll_edge_oneshot(const struct sockaddr_in *sa, int lfd, int pipe_r)
{
	const char *kind = pipe_r >= 0 ? "mixed" : "ulk-only";
	struct epoll_event out[4];
	struct delayed d;
	pthread_t t;
	int c, s, ep = make_set(pipe_r), n;

	tcp_pair(sa, lfd, &c, &s);
	ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLET);
	later(&t, &d, c, 50);
	n = epoll_wait(ep, out, 4, 3000);
	pthread_join(t, NULL);
	CHECK(n == 1 && out[0].data.fd == s, "%s set, EPOLLET: wakes for data ", kind);
	n = epoll_wait(ep, out, 4, 100);
	CHECK(n == 0, "%s set, EPOLLET: no second event without new data (%d) ", kind, n);
	later(&t, &d, c, 50);
	n = epoll_wait(ep, out, 4, 3000);
	pthread_join(t, NULL);
	CHECK(n == 1, "%s set, EPOLLET: a new arrival on unread data is an edge ", kind);

	ep_ctl(ep, EPOLL_CTL_MOD, s, EPOLLIN | EPOLLONESHOT);
	n = epoll_wait(ep, out, 4, 0);
	CHECK(n == 1, "%s set, EPOLLONESHOT: one event ", kind);
	if (write(c, "x", 1) != 1)
		failed = 1;
	n = epoll_wait(ep, out, 4, 100);
	CHECK(n == 0, "%s set, EPOLLONESHOT: then none, new data or not (%d) ", kind, n);
	ep_ctl(ep, EPOLL_CTL_MOD, s, EPOLLIN | EPOLLONESHOT);
	n = epoll_wait(ep, out, 4, 0);
	CHECK(n == 1, "%s set, EPOLLONESHOT: MOD re-arms it ", kind);
	drain(s);
	close(c);
	close(s);
	close(ep);
}

/* The socket's own events, from ulk: what a shadow could not show. */
static void check_epoll_events(const struct sockaddr_in *sa, int lfd, int pipe_r)
{
	const char *kind = pipe_r >= 0 ? "mixed" : "ulk-only";
	struct sockaddr_in gone;
	struct epoll_event out[4];
	int c, s, ep = make_set(pipe_r), n, x, fresh;
	unsigned int e;

	tcp_pair(sa, lfd, &c, &s);
	ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLPRI | EPOLLRDHUP);
	CHECK(send(c, "!", 1, MSG_OOB) == 1, "urgent byte sent ");
	n = epoll_wait(ep, out, 4, 3000);
	e = events_of(out, n, s);
	CHECK(n == 1 && (e & EPOLLPRI), "%s set: urgent data is EPOLLPRI (events %#x) ", kind, e);
	close(c);
	close(s);

	tcp_pair(sa, lfd, &c, &s);
	ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLRDHUP);
	close(c);
	n = epoll_wait(ep, out, 4, 3000);
	e = events_of(out, n, s);
	CHECK(n == 1 && e == (EPOLLIN | EPOLLRDHUP), "%s set: peer closed is EPOLLIN|EPOLLRDHUP (events %#x) ", kind, e);
	close(s);

	fresh = socket(AF_INET, SOCK_STREAM, 0);
	ep_ctl(ep, EPOLL_CTL_ADD, fresh, EPOLLOUT);
	n = epoll_wait(ep, out, 4, 0);
	e = events_of(out, n, fresh);
	CHECK(n == 1 && e == (EPOLLOUT | EPOLLHUP), "%s set: unconnected TCP socket is EPOLLOUT|EPOLLHUP (events %#x) ", kind, e);
	close(fresh);

	x = listener(&gone);
	close(x);	/* nobody listens there any more */
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	connect(c, (struct sockaddr *)&gone, sizeof(gone));
	ep_ctl(ep, EPOLL_CTL_ADD, c, EPOLLOUT | EPOLLRDHUP);
	n = epoll_wait(ep, out, 4, 3000);
	e = events_of(out, n, c);
	CHECK(n == 1 && (e & EPOLLERR) && (e & EPOLLHUP) && (e & EPOLLRDHUP),
	      "%s set: refused connect is EPOLLERR|EPOLLHUP|EPOLLRDHUP (events %#x) ", kind, e);
	close(c);
	close(ep);
}

/* A socket leaves a set when its last descriptor closes, not before. */
static void check_epoll_close(const struct sockaddr_in *sa, int lfd, int pipe_r)
{
	const char *kind = pipe_r >= 0 ? "mixed" : "ulk-only";
	struct epoll_event out[4];
	int c, s, d, x, ep = make_set(pipe_r), n;

	tcp_pair(sa, lfd, &c, &s);
	ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN);
	d = dup(s);
	if (write(c, "x", 1) != 1)
		failed = 1;
	n = epoll_wait(ep, out, 4, 3000);
	CHECK(n == 1 && out[0].data.fd == s, "%s set: data on the socket ", kind);
	close(s);
	n = epoll_wait(ep, out, 4, 0);
	CHECK(n == 1 && out[0].data.fd == s, "%s set: closed, but a dup is open: still in the set, its data kept (%d) ", kind, n);
	errno = 0;
	CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL) == -1 && errno == EBADF, "%s set: DEL through the closed number is EBADF ", kind);
	close(d);
	n = epoll_wait(ep, out, 4, 50);
	CHECK(n == 0, "%s set: the last descriptor closed: out of the set (%d) ", kind, n);
	x = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(ep_ctl(ep, EPOLL_CTL_ADD, x, EPOLLOUT) == 0, "%s set: a new socket at the same number joins (%d, was %d) ", kind, x, s);
	close(x);
	close(c);
	close(ep);
}

/* The same socket in several sets; sets in sets, in poll, dup'ed, closed. */
static void check_epoll_sets(const struct sockaddr_in *sa, int lfd, int pipe_r)
{
	struct epoll_event out[4];
	struct pollfd p[2];
	int c, s, e1 = make_set(-1), e2 = make_set(pipe_r), outer, d, n1, n2, n;

	tcp_pair(sa, lfd, &c, &s);
	ep_ctl(e1, EPOLL_CTL_ADD, s, EPOLLIN);
	ep_ctl(e2, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLET);
	if (write(c, "x", 1) != 1)
		failed = 1;
	n1 = epoll_wait(e1, out, 4, 3000);
	n2 = epoll_wait(e2, out, 4, 3000);
	CHECK(n1 == 1 && n2 == 1, "one socket in two sets: both report it (%d, %d) ", n1, n2);

	p[0].fd = e1;
	p[0].events = POLLIN;
	p[1].fd = pipe_r;
	p[1].events = POLLIN;
	n = poll(p, 2, 0);
	CHECK(n == 1 && p[0].revents == POLLIN, "poll on a ulk-only set: readable while it has events (%d) ", n);
	drain(s);
	n = poll(p, 2, 50);
	CHECK(n == 0, "...and not once they are gone (%d) ", n);
	outer = epoll_create1(0);
	CHECK(ep_ctl(outer, EPOLL_CTL_ADD, e1, EPOLLIN) == 0 && ep_ctl(outer, EPOLL_CTL_ADD, pipe_r, EPOLLIN) == 0,
	      "a set inside a set ");
	n = epoll_wait(outer, out, 4, 50);
	CHECK(n == 0, "...quiet while the inner set is (%d) ", n);
	if (write(c, "y", 1) != 1)
		failed = 1;
	n = epoll_wait(outer, out, 4, 3000);
	CHECK(n == 1 && out[0].data.fd == e1, "...wakes when the inner set has events (%d) ", n);
	n = epoll_wait(e1, out, 4, 0);
	CHECK(n == 1 && out[0].data.fd == s, "...which the inner set then reports ");
	n = epoll_wait(e2, out, 4, 0);
	CHECK(n == 1 && out[0].data.fd == s, "edge-triggered in the other set: the new data is an edge ");

	d = fcntl(e1, F_DUPFD_CLOEXEC, 0);
	close(e1);
	n = epoll_wait(d, out, 4, 0);
	CHECK(n == 1 && out[0].data.fd == s, "a copy of a set (F_DUPFD) serves after the original is closed ");
	CHECK(epoll_ctl(d, EPOLL_CTL_DEL, s, NULL) == 0 && epoll_wait(d, out, 4, 0) == 0, "DEL through the copy ");
	n = epoll_wait(e2, out, 4, 0);
	CHECK(n == 0, "edge-triggered in the other set: no second event ");
	if (write(c, "z", 1) != 1)
		failed = 1;
	n = epoll_wait(e2, out, 4, 3000);
	CHECK(n == 1 && out[0].data.fd == s, "...the other set still has it ");
	drain(s);
	close(d);
	close(outer);
	close(e2);
	close(c);
	close(s);
}

struct waiter {
	int ep;
	int n;
	int fd;
	long ms;
};

static void *wait_in_thread(void *arg)
{
	struct waiter *w = arg;
	struct epoll_event out[4];
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	w->n = epoll_wait(w->ep, out, 4, 3000);
	w->ms = ms_since(&t0);
	w->fd = w->n > 0 ? out[0].data.fd : -1;
	return NULL;
}

/*
 * Another thread changes a set's make-up while one waits in it: the waiter
 * sees the new member's events, as on Linux.
 */
static void check_epoll_joins(const struct sockaddr_in *sa, int lfd, int pipe_r, int pipe_w)
{
	struct waiter w;
	pthread_t t;
	int c, s;
	char ch;

	tcp_pair(sa, lfd, &c, &s);
	w.ep = make_set(-1);
	ep_ctl(w.ep, EPOLL_CTL_ADD, s, EPOLLIN);
	pthread_create(&t, NULL, wait_in_thread, &w);
	usleep(100 * 1000);
	if (write(pipe_w, "p", 1) != 1)
		failed = 1;
	ep_ctl(w.ep, EPOLL_CTL_ADD, pipe_r, EPOLLIN);
	pthread_join(t, NULL);
	CHECK(w.n == 1 && w.fd == pipe_r && w.ms < 2000,
	      "a pipe joins a ulk-only set while a thread waits in it: the waiter sees it (%d, %ld ms) ", w.n, w.ms);
	if (read(pipe_r, &ch, 1) != 1)
		failed = 1;
	close(w.ep);

	w.ep = make_set(pipe_r);
	pthread_create(&t, NULL, wait_in_thread, &w);
	usleep(100 * 1000);
	if (write(c, "s", 1) != 1)
		failed = 1;
	ep_ctl(w.ep, EPOLL_CTL_ADD, s, EPOLLIN);
	pthread_join(t, NULL);
	CHECK(w.n == 1 && w.fd == s && w.ms < 2000,
	      "a ulk socket joins a pipe-only set while a thread waits in it: the waiter sees it (%d, %ld ms) ", w.n, w.ms);
	drain(s);
	close(w.ep);
	close(c);
	close(s);
}

/* maxevents: no more than asked, the rest on the next call. */
static void check_epoll_max(const struct sockaddr_in *sa, int lfd, int pipe_r)
{
	const char *kind = pipe_r >= 0 ? "mixed" : "ulk-only";
	struct epoll_event out[4];
	int c[3], s[3], ep = make_set(pipe_r), i, n1, n2, seen = 0;

	for (i = 0; i < 3; i++) {
		tcp_pair(sa, lfd, &c[i], &s[i]);
		ep_ctl(ep, EPOLL_CTL_ADD, s[i], EPOLLIN | EPOLLET);
		if (write(c[i], "x", 1) != 1)
			failed = 1;
	}
	usleep(20 * 1000);
	n1 = epoll_wait(ep, out, 2, 1000);
	for (i = 0; i < n1; i++)
		seen |= 1 << (out[i].data.fd == s[0] ? 0 : out[i].data.fd == s[1] ? 1 : 2);
	n2 = epoll_wait(ep, out, 2, 1000);
	for (i = 0; i < n2; i++)
		seen |= 1 << (out[i].data.fd == s[0] ? 0 : out[i].data.fd == s[1] ? 1 : 2);
	CHECK(n1 == 2 && n2 == 1 && seen == 7, "%s set: maxevents 2 of 3 ready, then the third (%d, %d) ", kind, n1, n2);
	for (i = 0; i < 3; i++) {
		close(c[i]);
		close(s[i]);
	}
	close(ep);
}

static void check_writable(const struct sockaddr_in *sa, int lfd)
{
	struct pollfd p;
	static char buf[65536];
	int c = connect_to(sa), s = accept(lfd, NULL, NULL), n;
	long sent = 0;
	ssize_t r;

	fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
	CHECK(fcntl(c, F_GETFL) & O_NONBLOCK, "O_NONBLOCK set on a ulk socket ");
	while ((r = send(c, buf, sizeof(buf), 0)) > 0)
		sent += r;
	CHECK(r < 0 && errno == EAGAIN && sent > 0, "send fills the buffer (%ld bytes) then EAGAIN ", sent);
	p.fd = c;
	p.events = POLLOUT;
	n = poll(&p, 1, 0);
	CHECK(n == 0, "a full socket is not writable ");
	while (sent > 0 && (r = recv(s, buf, sizeof(buf), 0)) > 0)
		sent -= r;
	n = poll(&p, 1, 3000);
	CHECK(n == 1 && (p.revents & POLLOUT), "writable again once the peer reads ");
	close(c);
	close(s);
}

static void check_refused(void)
{
	struct sockaddr_in sa;
	struct pollfd p;
	socklen_t len = sizeof(int);
	int lfd = listener(&sa), c, err = 0, n;

	close(lfd);	/* nobody listens on sa any more */
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	n = connect(c, (struct sockaddr *)&sa, sizeof(sa));
	CHECK(n == 0 || errno == EINPROGRESS || errno == ECONNREFUSED, "non-blocking connect starts ");
	p.fd = c;
	p.events = POLLOUT;
	n = poll(&p, 1, 3000);
	getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
	CHECK(n == 1 && err == ECONNREFUSED, "refused connect wakes poll; SO_ERROR %d ", err);
	close(c);
}

static void check_dup(int conn, int peer)
{
	int other = open("/dev/null", O_RDONLY), d;
	char c = 0;

	d = dup2(conn, other);
	CHECK(d == other, "dup2 over an open host descriptor ");
	CHECK(write(d, "y", 1) == 1 && read(peer, &c, 1) == 1 && c == 'y', "the copy writes to the same socket ");
	d = dup(conn);
	close(other);
	CHECK(write(d, "z", 1) == 1 && read(peer, &c, 1) == 1 && c == 'z', "a dup survives closing another copy ");
	CHECK(fcntl(d, F_SETFD, FD_CLOEXEC) == 0 && fcntl(d, F_GETFD) == FD_CLOEXEC, "F_SETFD on a copy ");
	CHECK(fcntl(conn, F_GETFD) == 0, "...and not on the original ");
	close(d);
}

static void check_fork(int conn, int peer)
{
	int status = -1, st;
	char c;
	pid_t pid = fork();

	if (pid == 0) {
		int bad = 0, sv[2];

		errno = 0;
		if (send(conn, "q", 1, 0) != -1 || errno != EOPNOTSUPP)
			bad |= 1;
		if (socket(AF_INET, SOCK_STREAM, 0) != -1 || errno != EOPNOTSUPP)
			bad |= 2;
		if (close(conn))
			bad |= 4;
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			bad |= 8;
		_exit(bad);
	}
	waitpid(pid, &status, 0);
	st = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	CHECK(st == 0, "a forked child gets EOPNOTSUPP on ulk sockets, keeps the host (%d) ", st);
	CHECK(write(conn, "w", 1) == 1 && read(peer, &c, 1) == 1 && c == 'w', "the parent's socket still works ");
}

static void check_exec(int conn)
{
	char cmd[128];
	int status = -1;
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "test ! -e /proc/self/fd/%d", conn);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a ulk socket does not survive exec ");
}

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

struct kick {
	pthread_t target;
	int peer;
};

/* SIGUSR1 the target after 100 ms, then (peer >= 0) send it a byte. */
static void *kick_later(void *arg)
{
	struct kick *k = arg;

	usleep(100 * 1000);
	pthread_kill(k->target, SIGUSR1);
	if (k->peer >= 0) {
		usleep(200 * 1000);
		if (write(k->peer, "s", 1) != 1)
			perror("kick_later");
	}
	return NULL;
}

/*
 * A host signal handler interrupts a call blocked in ulk: EINTR without
 * SA_RESTART, the call goes on with it (as the host kernel does).
 */
static void check_signals(int conn, int peer)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct kick k = { pthread_self(), -1 };
	pthread_t t;
	ssize_t r;
	char c;

	sigaction(SIGUSR1, &sa, NULL);
	handled = 0;
	errno = 0;
	pthread_create(&t, NULL, kick_later, &k);
	r = recv(conn, &c, 1, 0);
	pthread_join(t, NULL);
	CHECK(r == -1 && errno == EINTR && handled == 1, "a handler without SA_RESTART interrupts a blocked recv (EINTR) ");

	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	handled = 0;
	k.peer = peer;
	pthread_create(&t, NULL, kick_later, &k);
	r = recv(conn, &c, 1, 0);
	pthread_join(t, NULL);
	CHECK(r == 1 && c == 's' && handled == 1, "with SA_RESTART the recv goes on and gets the data ");
	signal(SIGUSR1, SIG_DFL);
}

/*
 * A handler interrupts an epoll wait, with SA_RESTART or not (Linux never
 * restarts epoll waits); a signal mask given to epoll_pwait is applied.
 */
static void check_epoll_signals(int conn, int pipe_r)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct kick k = { pthread_self(), -1 };
	struct epoll_event out[4];
	struct timespec t0;
	sigset_t block, mask;
	pthread_t t;
	int e1 = make_set(-1), e2 = make_set(pipe_r), n, i;
	long ms;

	ep_ctl(e1, EPOLL_CTL_ADD, conn, EPOLLIN);
	ep_ctl(e2, EPOLL_CTL_ADD, conn, EPOLLIN);
	/*
	 * Not checked: a ulk-only set with SA_RESTART, which Linux interrupts
	 * too; ulk does not see that handler run (the host restarts the wait
	 * it is blocked in), so the wait goes on.
	 */
	for (i = 0; i < 3; i++) {
		int ep = i ? e2 : e1;

		sa.sa_flags = i == 2 ? SA_RESTART : 0;
		sigaction(SIGUSR1, &sa, NULL);
		handled = 0;
		errno = 0;
		pthread_create(&t, NULL, kick_later, &k);
		n = epoll_wait(ep, out, 4, 3000);
		pthread_join(t, NULL);
		CHECK(n == -1 && errno == EINTR && handled == 1, "%s set: a handler %s interrupts epoll_wait (EINTR; %d, %d) ",
		      i ? "mixed" : "ulk-only", i == 2 ? "with SA_RESTART" : "without it", n, (int)handled);
	}

	/* SIGUSR1 blocked in the thread, unblocked by the wait's mask. */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	sigdelset(&mask, SIGUSR1);
	handled = 0;
	errno = 0;
	pthread_create(&t, NULL, kick_later, &k);
	n = epoll_pwait(e1, out, 4, 3000, &mask);
	pthread_join(t, NULL);
	CHECK(n == -1 && errno == EINTR && handled == 1, "ulk-only set: epoll_pwait's mask lets the signal in (EINTR) ");
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);

	/*
	 * The other way round: the wait's mask keeps it out while it waits
	 * (the handler runs as the call returns, when the mask is restored).
	 */
	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	sigaddset(&mask, SIGUSR1);
	handled = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_create(&t, NULL, kick_later, &k);
	n = epoll_pwait(e1, out, 4, 300, &mask);
	ms = ms_since(&t0);
	pthread_join(t, NULL);
	CHECK(n == 0 && ms >= 290 && handled == 1, "ulk-only set: epoll_pwait's mask keeps the signal out while it waits (%d, %ld ms) ", n, ms);
	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	n = epoll_pwait(e1, out, 4, 50, &mask);
	CHECK(n == 0, "ulk-only set: epoll_pwait with the thread's own mask times out ");
	signal(SIGUSR1, SIG_DFL);
	close(e1);
	close(e2);
}

/* A forked child has no ulk; an epoll descriptor is the host's after exec. */
static void check_epoll_fork_exec(int conn, int pipe_r)
{
	struct epoll_event out[4];
	int ep = epoll_create1(0), status = -1, st;
	char cmd[160];
	pid_t pid;

	ep_ctl(ep, EPOLL_CTL_ADD, conn, EPOLLIN);
	ep_ctl(ep, EPOLL_CTL_ADD, pipe_r, EPOLLIN);
	epoll_wait(ep, out, 4, 10);	/* mixed: mirrored from now on */
	pid = fork();
	if (pid == 0) {
		int bad = 0, e, pfd[2];

		errno = 0;
		if (epoll_wait(ep, out, 4, 0) != -1 || errno != EOPNOTSUPP)
			bad |= 1;
		e = epoll_create1(0);
		if (e < 0 || pipe(pfd) || ep_ctl(e, EPOLL_CTL_ADD, pfd[0], EPOLLIN) ||
		    write(pfd[1], "c", 1) != 1 || epoll_wait(e, out, 4, 1000) != 1 ||
		    out[0].data.fd != pfd[0])
			bad |= 2;
		errno = 0;
		if (ep_ctl(e, EPOLL_CTL_ADD, conn, EPOLLIN) != -1 || errno != EOPNOTSUPP)
			bad |= 4;
		if (close(ep))
			bad |= 8;
		_exit(bad);
	}
	waitpid(pid, &status, 0);
	st = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	CHECK(st == 0, "a forked child: EOPNOTSUPP on the parent's set, host epoll its own (%d) ", st);
	CHECK(epoll_wait(ep, out, 4, 0) == 0, "...and the parent's set still serves ");

	snprintf(cmd, sizeof(cmd), "case $(readlink /proc/self/fd/%d) in *eventpoll*) test ! -e /proc/self/fd/%d;; *) false;; esac",
		 ep, conn);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "an epoll descriptor survives exec as the host's, the socket does not ");
	close(ep);
}

/* Waits on ulk sockets only (which ulk serves itself). */
static void check_ulk_only_waits(int conn, int peer)
{
	struct pollfd p[2] = { { -1, POLLIN, 0 }, { conn, POLLIN, 0 } };
	struct timeval tv = { 0, 200 * 1000 };
	struct delayed d;
	pthread_t t;
	fd_set rd;
	int n;

	later(&t, &d, peer, 100);
	n = poll(p, 2, 3000);
	pthread_join(t, NULL);
	CHECK(n == 1 && p[1].revents == POLLIN && !p[0].revents, "poll on a ulk socket alone wakes for data ");
	drain(conn);
	FD_ZERO(&rd);
	FD_SET(conn, &rd);
	n = select(conn + 1, &rd, NULL, NULL, &tv);
	CHECK(n == 0 && !FD_ISSET(conn, &rd) && tv.tv_sec == 0 && tv.tv_usec < 50 * 1000,
	      "select on a ulk socket alone times out, time left %ld us ", (long)tv.tv_usec);
	FD_SET(conn, &rd);
	tv.tv_sec = 3;
	later(&t, &d, peer, 100);
	n = select(conn + 1, &rd, NULL, NULL, &tv);
	pthread_join(t, NULL);
	CHECK(n == 1 && FD_ISSET(conn, &rd), "select on a ulk socket alone wakes for data ");
	drain(conn);
	p[1].fd = -1;
	n = poll(p, 2, 50);
	CHECK(n == 0, "poll on ignored entries only just sleeps ");
}

/* poll() reports the socket's own events, not only in and out. */
static void check_poll_events(const struct sockaddr_in *sa, int lfd)
{
	int c = connect_to(sa), s = accept(lfd, NULL, NULL);
	int fresh = socket(AF_INET, SOCK_STREAM, 0);
	struct pollfd p = { s, POLLIN | POLLRDHUP, 0 };
	int n;

	close(c);
	n = poll(&p, 1, 2000);
	CHECK(n == 1 && p.revents == (POLLIN | POLLRDHUP), "peer closed: POLLIN|POLLRDHUP (revents %#x) ", p.revents);
	p.fd = fresh;
	p.events = POLLOUT;
	n = poll(&p, 1, 0);
	CHECK(n == 1 && p.revents == (POLLOUT | POLLHUP), "unconnected TCP socket: POLLOUT|POLLHUP (revents %#x) ", p.revents);
	close(s);
	close(fresh);
}

/* Calls that succeed leave errno alone, as libc's do. */
static void check_errno(const struct sockaddr_in *sa, int lfd)
{
	int c, s, e1, e2, e3, e4;
	char buf[4];
	ssize_t r;

	errno = EXDEV;
	c = connect_to(sa);
	e1 = errno;
	s = accept(lfd, NULL, NULL);
	e2 = errno;
	CHECK(c >= 0 && s >= 0 && e1 == EXDEV && e2 == EXDEV, "connect and accept leave errno alone ");
	if (write(c, "ab", 2) != 2)
		failed = 1;
	r = read(s, buf, 1);
	e3 = errno;
	close(c);
	usleep(50 * 1000);
	r += read(s, buf, 1) + read(s, buf, 1);
	e4 = errno;
	CHECK(r == 2 && e3 == EXDEV && e4 == EXDEV, "reads up to end of file leave errno alone (%s) ", strerror(e4));
	close(s);
	errno = 0;
}

struct echo_arg {
	const struct sockaddr_in *sa;
	int rounds;
	int ok;
};

static void *echo_client(void *p)
{
	struct echo_arg *a = p;
	int fd = connect_to(a->sa), i, one = 1;
	char buf[64];

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	a->ok = 1;
	for (i = 0; i < a->rounds; i++) {
		snprintf(buf, sizeof(buf), "%d", i);
		if (write(fd, buf, 8) != 8 || read(fd, buf, 8) != 8 || atoi(buf) != i) {
			a->ok = 0;
			break;
		}
	}
	close(fd);
	return NULL;
}

/* An epoll echo server in this thread, clients in four others. */
static void check_threads(void)
{
	enum { CLIENTS = 4, ROUNDS = 300 };
	struct echo_arg args[CLIENTS];
	pthread_t t[CLIENTS];
	struct sockaddr_in sa;
	struct epoll_event ev, out[8];
	int lfd = listener(&sa), ep = epoll_create1(0), done = 0, i, ok = 1;

	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (i = 0; i < CLIENTS; i++) {
		args[i] = (struct echo_arg){ &sa, ROUNDS, 0 };
		pthread_create(&t[i], NULL, echo_client, &args[i]);
	}
	while (done < CLIENTS) {
		int n = epoll_wait(ep, out, 8, 5000);

		if (n <= 0) {
			ok = 0;
			break;
		}
		for (i = 0; i < n; i++) {
			char buf[8];
			int fd = out[i].data.fd;
			ssize_t r;

			if (fd == lfd) {
				ev.data.fd = accept(lfd, NULL, NULL);
				epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (r <= 0) {
				close(fd);
				done++;
			} else if (write(fd, buf, r) != r) {
				ok = 0;
			}
		}
	}
	for (i = 0; i < CLIENTS; i++) {
		pthread_join(t[i], NULL);
		ok &= args[i].ok;
	}
	CHECK(ok, "%d threads x %d round trips through an epoll server ", CLIENTS, ROUNDS);
	close(ep);
	close(lfd);
}

/*
 * Run as "shim_fds lazy" by check_epoll_before_boot(): a process that ulk-run
 * did not start boots its ulk at its first socket, so an epoll made before
 * that is the host's, its ulk sockets waited on through their shadows.
 */
static int lazy_child(void)
{
	struct epoll_event out[2];
	struct sockaddr_in sa;
	int ep = epoll_create1(0), lfd, c, s, bad = 0;

	lfd = listener(&sa);
	tcp_pair(&sa, lfd, &c, &s);
	if (ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN))
		bad |= 1;
	if (write(c, "l", 1) != 1)
		bad |= 2;
	if (epoll_wait(ep, out, 2, 3000) != 1 || out[0].data.fd != s)
		bad |= 4;
	drain(s);
	if (epoll_wait(ep, out, 2, 100) != 0)
		bad |= 8;
	return bad;
}

static void check_epoll_before_boot(const char *self)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		execl(self, self, "lazy", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "an epoll made before ulk booted (exec'ed program) waits on the shadows (%d) ",
	      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	int lfd, conn, peer, pfd[2], dom = 0;
	socklen_t len = sizeof(dom);

	if (argc > 1 && !strcmp(argv[1], "lazy"))
		return lazy_child();
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* What daemons do first: ulk's own descriptors must survive it. */
	for (pfd[0] = 3; pfd[0] < 1024; pfd[0]++)
		close(pfd[0]);
	close_range(3, ~0U, 0);
	check_numbers();
	lfd = listener(&sa);
	peer = connect_to(&sa);
	conn = accept(lfd, NULL, NULL);
	CHECK(conn >= 0, "accept ");
	CHECK(getsockopt(conn, SOL_SOCKET, SO_DOMAIN, &dom, &len) == 0 && dom == AF_INET, "SO_DOMAIN is AF_INET ");
	if (pipe(pfd))
		return 1;
	check_poll(conn, peer, pfd[0], pfd[1]);
	check_select(conn, peer, pfd[0], pfd[1]);
	check_ulk_only_waits(conn, peer);
	check_epoll(conn, peer, pfd[0], pfd[1]);
	for (dom = 0; dom < 2; dom++) {
		int pr = dom ? pfd[0] : -1;

		check_epoll_basic(&sa, lfd, pr, pfd[1]);
		check_epoll_edge_oneshot(&sa, lfd, pr);
		check_epoll_events(&sa, lfd, pr);
		check_epoll_close(&sa, lfd, pr);
		check_epoll_max(&sa, lfd, pr);
	}
	check_epoll_sets(&sa, lfd, pfd[0]);
	check_epoll_joins(&sa, lfd, pfd[0], pfd[1]);
	check_writable(&sa, lfd);
	check_refused();
	check_errno(&sa, lfd);
	check_poll_events(&sa, lfd);
	check_dup(conn, peer);
	check_signals(conn, peer);
	check_epoll_signals(conn, pfd[0]);
	check_epoll_fork_exec(conn, pfd[0]);
	check_epoll_before_boot(argv[0]);
	check_fork(conn, peer);
	check_exec(conn);
	check_threads();
	printf("%s\n", failed ? "some checks failed" : "all checks passed");
	return failed;
}
