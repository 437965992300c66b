// SPDX-License-Identifier: GPL-2.0
/*
 * A plain program (no libulk) that tests/run/test_shim_fds.sh runs under
 * ulk-run: its AF_INET sockets are ulk's, its pipes the host's. It checks
 * what the preload shim promises about descriptors: real numbers, poll,
 * select and epoll (level and edge) over a mix of host and ulk descriptors,
 * writability, dup2 over an open descriptor, close-on-exec, fork, threads.
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

int main(void)
{
	struct sockaddr_in sa;
	int lfd, conn, peer, pfd[2], dom = 0;
	socklen_t len = sizeof(dom);

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
	check_writable(&sa, lfd);
	check_refused();
	check_errno(&sa, lfd);
	check_poll_events(&sa, lfd);
	check_dup(conn, peer);
	check_signals(conn, peer);
	check_fork(conn, peer);
	check_exec(conn);
	check_threads();
	printf("%s\n", failed ? "some checks failed" : "all checks passed");
	return failed;
}
