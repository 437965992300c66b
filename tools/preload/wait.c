// SPDX-License-Identifier: GPL-2.0
/*
 * The preload shim's wrappers of the waiting calls: poll, ppoll, select
 * and pselect (epoll is epoll.c's).
 *
 * Waiting is the host's (see fdtable.c): these wrappers only tell the
 * descriptor table which ulk sockets are waited on, so that their
 * readiness is mirrored from then on (and which epoll sets, whose mirror
 * is then brought up to date); poll also reports the sockets' own events
 * rather than the shadows' approximation.
 *
 * One shortcut: a poll or select whose descriptors are all ulk sockets
 * (a client waiting on its one connection, iperf3 on its control and data
 * sockets) waits inside ulk instead, with ulk's own ppoll: no shadow, no
 * watcher, no host wake-up in between. Not when a signal mask is given
 * (ppoll, pselect): that mask is the host's to apply.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/select.h>
#include <time.h>

#include <ulk/ulk.h>
#include <ulk/linux/poll.h>
#include <ulk/linux/time_types.h>

#include "shim.h"

extern void __chk_fail(void) __attribute__((noreturn));

/* At most this many descriptors in a wait served inside ulk. */
#define ULK_WAIT_MAX	64

/* --- waits served inside ulk --------------------------------------------- */

struct ulk_wait {
	struct ulk_pollfd pfd[ULK_WAIT_MAX];
	struct shim_ref ref[ULK_WAIT_MAX];
	int n;
};

static void ulk_wait_put(struct ulk_wait *w)
{
	while (w->n > 0)
		if (w->ref[--w->n].slot)
			shim_put(&w->ref[w->n]);
}

/* Add @fd (negative: a slot poll ignores); 0 if it is not a ulk socket. */
static int ulk_wait_add(struct ulk_wait *w, int fd, short events)
{
	struct ulk_pollfd *p = &w->pfd[w->n];

	if (w->n == ULK_WAIT_MAX)
		return 0;
	p->events = events;
	p->revents = 0;
	if (fd < 0) {
		p->fd = -1;
		w->ref[w->n].slot = NULL;
	} else if (shim_get(fd, &w->ref[w->n]) == 1) {
		p->fd = w->ref[w->n].ufd;
	} else {
		return 0;
	}
	w->n++;
	return 1;
}

/* Wait in ulk; @ts is updated with the time left. >= 0 or -errno. */
static long ulk_wait_run(struct ulk_wait *w, struct __ulk_kernel_timespec *ts)
{
	long ret = ulk_sys_ppoll(w->pfd, w->n, ts, NULL, 0);
	int i;

	for (i = 0; i < w->n; i++)
		if (w->ref[i].slot)
			shim_put(&w->ref[i]);
	w->n = 0;
	return ret;
}

/* poll() in ulk if every descriptor is a ulk socket. 1 if done (*ret set). */
static int poll_in_ulk(struct pollfd *fds, nfds_t n,
		       const struct timespec *tmo, int *ret)
{
	struct __ulk_kernel_timespec ts;
	struct ulk_wait w;
	int real = 0;
	nfds_t i;
	long r;

	if (n == 0 || n > ULK_WAIT_MAX || shim_forked)
		return 0;
	w.n = 0;
	for (i = 0; i < n; i++) {
		if (!ulk_wait_add(&w, fds[i].fd, fds[i].events)) {
			ulk_wait_put(&w);
			return 0;
		}
		real += fds[i].fd >= 0;
	}
	if (!real)
		return 0;	/* nothing but ignored entries: the host's */
	if (tmo) {
		ts.tv_sec = tmo->tv_sec;
		ts.tv_nsec = tmo->tv_nsec;
	}
	r = ulk_wait_run(&w, tmo ? &ts : NULL);
	if (r >= 0)
		for (i = 0; i < n; i++)
			fds[i].revents = w.pfd[i].revents;
	*ret = (int)shim_errno(r);
	return 1;
}

/* select() in ulk if every descriptor in the sets is a ulk socket. */
static int select_in_ulk(int n, fd_set *r, fd_set *wr, fd_set *e,
			 struct timeval *tmo, int *ret)
{
	int fds[ULK_WAIT_MAX], fd, i, count = 0;
	struct __ulk_kernel_timespec ts;
	struct ulk_wait w;
	long res;

	if (shim_forked)
		return 0;
	w.n = 0;
	for (fd = 0; fd < n && fd < FD_SETSIZE; fd++) {
		short ev = (r && FD_ISSET(fd, r) ? ULK_POLLIN : 0) |
			   (wr && FD_ISSET(fd, wr) ? ULK_POLLOUT : 0) |
			   (e && FD_ISSET(fd, e) ? ULK_POLLPRI : 0);

		if (!ev)
			continue;
		if (!ulk_wait_add(&w, fd, ev)) {
			ulk_wait_put(&w);
			return 0;
		}
		fds[w.n - 1] = fd;
	}
	if (w.n == 0)
		return 0;	/* a plain sleep: the host's */
	if (tmo) {
		ts.tv_sec = tmo->tv_sec;
		ts.tv_nsec = tmo->tv_usec * 1000;
	}
	count = w.n;
	res = ulk_wait_run(&w, tmo ? &ts : NULL);
	if (res < 0) {
		*ret = (int)shim_errno(res);
		return 1;
	}
	if (tmo) {
		tmo->tv_sec = ts.tv_sec;
		tmo->tv_usec = ts.tv_nsec / 1000;
	}
	if (r)
		FD_ZERO(r);
	if (wr)
		FD_ZERO(wr);
	if (e)
		FD_ZERO(e);
	*ret = 0;
	for (i = 0; i < count; i++) {
		short re = w.pfd[i].revents, ev = w.pfd[i].events;
		int hit = 0;

		if ((ev & ULK_POLLIN) &&
		    (re & (ULK_POLLIN | ULK_POLLHUP | ULK_POLLERR))) {
			FD_SET(fds[i], r);
			hit++;
		}
		if ((ev & ULK_POLLOUT) && (re & (ULK_POLLOUT | ULK_POLLERR))) {
			FD_SET(fds[i], wr);
			hit++;
		}
		if ((ev & ULK_POLLPRI) && (re & ULK_POLLPRI)) {
			FD_SET(fds[i], e);
			hit++;
		}
		*ret += hit;
	}
	return 1;
}

/* --- waits served by the host ------------------------------------------- */

/*
 * The host serves poll, select and epoll; the shim only needs to know
 * which ulk sockets are waited on (to mirror them) and which edge-triggered.
 */
/* Watch the ulk sockets among @fds; return whether there were any. */
static int watch_pollfds(const struct pollfd *fds, nfds_t n)
{
	int any = 0;
	nfds_t i;

	for (i = 0; i < n; i++)
		any |= shim_fd_watch(fds[i].fd, 0);
	return any;
}

/*
 * After the host's poll: the ulk sockets' revents are their own (POLLHUP,
 * POLLERR, POLLRDHUP, POLLPRI), not the shadow's. Return: the new count;
 * 0 if the shadows were ahead of the sockets (another thread got there
 * first), which the callers take as "wait again".
 */
static int poll_fixup(struct pollfd *fds, nfds_t n, int ret)
{
	struct shim_ref ref;
	nfds_t i;

	for (i = 0; ret > 0 && i < n; i++) {
		if (!fds[i].revents || shim_get(fds[i].fd, &ref) != 1)
			continue;
		fds[i].revents = shim_revents(&ref, fds[i].events);
		shim_put(&ref);
		if (!fds[i].revents)
			ret--;
	}
	return ret;
}

static void watch_fdsets(int n, const fd_set *r, const fd_set *w,
			 const fd_set *e)
{
	int fd;

	for (fd = 0; fd < n && fd < FD_SETSIZE; fd++)
		if ((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) ||
		    (e && FD_ISSET(fd, e)))
			shim_fd_watch(fd, 0);
}

/**
 * shim_deadline() - when a wait of @tmo from now ends (CLOCK_MONOTONIC).
 * @deadline: receives the time.
 * @tmo: the timeout.
 */
void shim_deadline(struct timespec *deadline, const struct timespec *tmo)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += tmo->tv_sec;
	deadline->tv_nsec += tmo->tv_nsec;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}

/**
 * shim_time_left() - what is left of a wait until @deadline.
 * @deadline: from shim_deadline().
 * @left: receives the time left, zero if past.
 *
 * Return: 1 if time is left, 0 if the deadline has passed.
 */
int shim_time_left(const struct timespec *deadline, struct timespec *left)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left->tv_sec = deadline->tv_sec - now.tv_sec;
	left->tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (left->tv_nsec < 0) {
		left->tv_sec--;
		left->tv_nsec += 1000000000L;
	}
	if (left->tv_sec < 0)
		left->tv_sec = left->tv_nsec = 0;
	return left->tv_sec || left->tv_nsec;
}

/*
 * poll() and ppoll(), and their fortified forms: the host waits (ppoll);
 * with ulk sockets among @fds the result is corrected, and a wake-up that
 * turns out to be for nothing (a shadow ahead of its socket because
 * another thread read first) waits again for the time that is left.
 */
static int poll_common(struct pollfd *fds, nfds_t n,
		       const struct timespec *tmo, const sigset_t *mask)
{
	struct timespec deadline, left = { 0, 0 };
	int any, ret;

	if (!mask && poll_in_ulk(fds, n, tmo, &ret))
		return ret;
	any = watch_pollfds(fds, n);
	if (tmo) {
		shim_deadline(&deadline, tmo);
		left = *tmo;
	}
	for (;;) {
		ret = NEXT("ppoll", int (*)(struct pollfd *, nfds_t,
					    const struct timespec *,
					    const sigset_t *))(fds, n,
							       tmo ? &left : NULL,
							       mask);
		if (!any || ret <= 0)
			return ret;
		ret = poll_fixup(fds, n, ret);
		if (ret)
			return ret;
		if (tmo && !shim_time_left(&deadline, &left))
			return 0;
	}
}

/* poll()'s milliseconds as ppoll()'s timeout; NULL for "forever". */
static const struct timespec *poll_tmo(int ms, struct timespec *ts)
{
	if (ms < 0)
		return NULL;
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = ms % 1000 * 1000000L;
	return ts;
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct timespec ts;

	return poll_common(fds, n, poll_tmo(timeout, &ts), NULL);
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return poll(fds, n, timeout);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo,
	  const sigset_t *mask)
{
	return poll_common(fds, n, tmo, mask);
}

int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *tmo,
		const sigset_t *mask, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return poll_common(fds, n, tmo, mask);
}

int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tmo)
{
	int ret;

	if (select_in_ulk(n, r, w, e, tmo, &ret))
		return ret;
	watch_fdsets(n, r, w, e);
	return NEXT("select", int (*)(int, fd_set *, fd_set *, fd_set *,
				      struct timeval *))(n, r, w, e, tmo);
}

int pselect(int n, fd_set *r, fd_set *w, fd_set *e,
	    const struct timespec *tmo, const sigset_t *mask)
{
	watch_fdsets(n, r, w, e);
	return NEXT("pselect", int (*)(int, fd_set *, fd_set *, fd_set *,
				       const struct timespec *,
				       const sigset_t *))(n, r, w, e, tmo,
							   mask);
}
