// SPDX-License-Identifier: GPL-2.0
/*
 * The preload shim's epoll: the program's epoll sets, waited on inside ulk
 * where their members are ulk sockets.
 *
 * Theory of operation
 * -------------------
 * An epoll instance the program creates stays a host epoll descriptor: it
 * can sit in another epoll or poll set, be duplicated and passed around,
 * and is the host's after exec. The descriptor table (fdtable.c) keeps it
 * as an epoll *set*, which has a second instance inside ulk:
 *
 *	member			lives in
 *	a ulk socket		the ulk instance, with the program's events
 *				and epoll_data: ulk's own epoll does EPOLLET,
 *				EPOLLONESHOT, EPOLLEXCLUSIVE, the errors
 *				(EEXIST, ENOENT, EINVAL) and reports the
 *				socket's own EPOLLRDHUP, EPOLLHUP, EPOLLERR,
 *				EPOLLPRI; no shadow is involved
 *	a host descriptor	the host epoll, as the program asked
 *	the ulk instance	once the host has to wait for it: the host
 *				epoll, as ONE mirror, an internal shadow made
 *				readable while the ulk instance has events
 *				(fdtable.c), its data shim_mirror_data()
 *
 * epoll_wait, epoll_pwait and epoll_pwait2 on a set:
 *  - a set that has never held a ulk socket: the host's call;
 *  - no host descriptor in it, and no signal mask to apply (or one equal to
 *    the thread's own): ulk's epoll_pwait2 on the ulk instance. The ulk
 *    event wakes the waiting thread itself: no watcher, no host wake-up.
 *    A signal handler interrupts it (EINTR, never restarted, SA_RESTART
 *    or not, as on Linux; see lib/signals.c);
 *  - otherwise (a mixed set, or a mask that only the host can apply
 *    atomically with the wait, as for ppoll in wait.c): take what the ulk
 *    instance has without blocking, and if it had something, what the host
 *    epoll has too (the ulk instance first, leaving the host at least one
 *    place, so that neither starves the other); if the ulk instance had
 *    nothing, bring the mirror up to date and wait on the host epoll, with
 *    the mask (which also takes what the host has at once). If the
 *    mirror's event comes back, take the ulk events without blocking; if
 *    they were gone (another thread took them), wait again for the time
 *    left. The mirror's event never reaches the program.
 * The mirror is only brought up to date before a wait that blocks, so a
 * busy program that always finds events pays nothing for it; the watcher's
 * registration of the ulk instance is one-shot, re-armed once the mirror
 * is clear, so it wakes at most once per blocking wait, not per arrival.
 *
 * A wait is chosen by the set's make-up, which another thread may change
 * while one waits: a thread blocked on the host epoll of a set without ulk
 * sockets when the first one joins is woken by the mirror (made then); one
 * blocked in the ulk instance alone when the first host descriptor joins,
 * by the *nudge*, a ulk eventfd in the ulk instance made readable then
 * (level-triggered, so all such waiters see it; retired once none is
 * left). Either wakes with nothing for the program and waits again, for
 * the time left, as the set now requires.
 *
 * The counts kept here are upper bounds: a host descriptor closed while in
 * a set leaves it without the shim knowing, so a set may be served as
 * mixed for longer than needed, never the other way round. A ulk socket
 * leaves every set when its last descriptor closes, as on Linux: the slot
 * closes ulk's descriptor with its last reference, and ulk's epoll does
 * the rest.
 *
 * What still differs from Linux:
 *  - the descriptors of one socket name one item per set (the ulk key is
 *    the socket's one ulk descriptor): adding a second descriptor of a
 *    socket already in the set fails with EEXIST, and EPOLL_CTL_MOD or DEL
 *    through another of its descriptors finds the item;
 *  - in a set that waits on the host, EPOLLEXCLUSIVE saves no wake-ups;
 *  - a forked child has no ulk: epoll_wait on a set that has held a ulk
 *    socket fails there with EOPNOTSUPP, as calls on the sockets do;
 *  - an epoll instance made before ulk booted (a process that boots at its
 *    first socket) is not a set: its ulk sockets are shadows that the host
 *    waits on (fdtable.c), as before sets existed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>

#include <ulk/ulk.h>
#include <ulk/linux/eventfd.h>
#include <ulk/linux/eventpoll.h>
#include <ulk/linux/time_types.h>

#include "shim.h"

/* Linux's bound on maxevents. */
#define EP_MAX_EVENTS	((int)(INT_MAX / sizeof(struct epoll_event)))

/* The program's events go to ulk and come back as they are. */
_Static_assert(sizeof(struct epoll_event) == sizeof(struct ulk_epoll_event),
	       "libc's and the kernel's epoll_event differ");

/**
 * struct shim_epoll - what the shim keeps of a set (the slot's record).
 * @n_host: host descriptors added and not deleted (an upper bound).
 * @had_ulk: a ulk socket has been added (never cleared).
 * @turn: with room for one event only, which instance goes first.
 * @ulk_waiters: threads in a wait on the ulk instance alone.
 * @host_waiters: threads in a wait on the host epoll alone (no ulk socket
 *	yet).
 * @nudge: a ulk eventfd in the ulk instance, made readable to send the
 *	threads waiting there to the host once the set holds a host
 *	descriptor; -1 when there is none (@lock).
 * @lock: orders making and retiring @nudge.
 */
struct shim_epoll {
	int n_host;
	int had_ulk;
	unsigned int turn;
	int ulk_waiters;
	int host_waiters;
	int nudge;
	pthread_mutex_t lock;
};

typedef int (*pwait2_fn)(int, struct epoll_event *, int,
			 const struct timespec *, const sigset_t *);

/* --- creation ------------------------------------------------------------- */

/* The set's last descriptor closed (shim_fd_install_epoll()). */
static void set_release(void *priv)
{
	struct shim_epoll *ep = priv;

	/* A forked child has no ulk, and its copy of the lock may be held. */
	if (!shim_forked) {
		if (ep->nudge >= 0)
			ulk_sys_close(ep->nudge);
		pthread_mutex_destroy(&ep->lock);
	}
	free(ep);
}

/* Make the program's new host epoll @fd a set, if ulk runs here. */
static int set_create(int fd)
{
	struct shim_epoll *ep;
	int saved = errno;
	long u;

	if (fd < 0 || shim_forked || !shim_fdtable_ready())
		return fd;
	ep = calloc(1, sizeof(*ep));
	u = ep ? ulk_sys_epoll_create1(ULK_EPOLL_CLOEXEC) : -ENOMEM;
	/* Without a ulk instance it stays a plain host epoll: shadows. */
	if (u < 0) {
		free(ep);
	} else {
		ep->nudge = -1;
		pthread_mutex_init(&ep->lock, NULL);
		shim_fd_install_epoll(fd, (int)u, ep, set_release);
	}
	errno = saved;
	return fd;
}

/**
 * epoll_create() - the host's epoll_create(), made a set once ulk runs.
 * @size: must be positive (the host checks).
 *
 * Return: the new descriptor, or -1 with errno set.
 */
int epoll_create(int size)
{
	shim_boot_on_epoll();
	return set_create(NEXT("epoll_create", int (*)(int))(size));
}

/**
 * epoll_create1() - the host's epoll_create1(), made a set once ulk runs.
 * @flags: 0 or EPOLL_CLOEXEC (the host checks), the host descriptor's.
 *
 * Return: the new descriptor, or -1 with errno set.
 */
int epoll_create1(int flags)
{
	shim_boot_on_epoll();
	return set_create(NEXT("epoll_create1", int (*)(int))(flags));
}

/* --- a set's make-up changing under its waiters -------------------------- */

/*
 * Threads that chose a wait by the set's make-up may be blocked in it when
 * another thread changes that make-up; on Linux they would see the new
 * member's events. A thread blocked on the host epoll alone when the first
 * ulk socket joins is woken through the mirror (given then); one blocked in
 * the ulk instance alone when the first host descriptor joins, through the
 * nudge. Either comes back with nothing for the program, and waits again
 * as the set now requires. The counts and the make-up are both read and
 * written sequentially consistent: a waiter counts itself, then reads the
 * make-up; a writer changes the make-up, then reads the count; one of them
 * sees the other.
 */

static unsigned long long nudge_data(const struct shim_epoll *ep)
{
	return (unsigned long long)(uintptr_t)ep;
}

/* Wake the threads waiting in the ulk instance alone. */
static void nudge_wake(struct shim_ref *set)
{
	struct shim_epoll *ep = set->priv;
	struct ulk_epoll_event ev = { ULK_EPOLLIN, nudge_data(ep) };
	unsigned long long one = 1;
	long fd;

	pthread_mutex_lock(&ep->lock);
	if (ep->nudge < 0) {
		fd = ulk_sys_eventfd2(0, ULK_EFD_CLOEXEC | ULK_EFD_NONBLOCK);
		if (fd >= 0 && ulk_sys_epoll_ctl(set->ufd, ULK_EPOLL_CTL_ADD, fd,
						 &ev)) {
			ulk_sys_close(fd);
			fd = -1;
		}
		ep->nudge = (int)fd;
	}
	/* Level-triggered: every waiter there sees it, one after another. */
	if (ep->nudge >= 0)
		ulk_sys_write(ep->nudge, &one, sizeof(one));
	pthread_mutex_unlock(&ep->lock);
}

/* The nudge was seen: retire it once nobody waits for it any more. */
static void nudge_seen(struct shim_ref *set)
{
	struct shim_epoll *ep = set->priv;

	pthread_mutex_lock(&ep->lock);
	if (ep->nudge >= 0 &&
	    (!__atomic_load_n(&ep->ulk_waiters, __ATOMIC_SEQ_CST) ||
	     !__atomic_load_n(&ep->n_host, __ATOMIC_SEQ_CST))) {
		/* Closing it takes it out of the ulk instance. */
		ulk_sys_close(ep->nudge);
		ep->nudge = -1;
	}
	pthread_mutex_unlock(&ep->lock);
}

/* --- membership ----------------------------------------------------------- */

static int host_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	return NEXT("epoll_ctl", int (*)(int, int, int,
					 struct epoll_event *))(epfd, op, fd,
								ev);
}

/* A ulk socket joins, changes or leaves the set's ulk instance. */
static int set_ctl_ulk(struct shim_ref *set, int epfd, struct shim_ref *sock,
		       int op, struct epoll_event *ev)
{
	struct shim_epoll *ep = set->priv;
	long r;

	if (op != EPOLL_CTL_DEL && !ev) {
		errno = EFAULT;
		return -1;
	}
	r = ulk_sys_epoll_ctl(set->ufd, op, sock->ufd, op == EPOLL_CTL_DEL ?
			      NULL : (struct ulk_epoll_event *)ev);
	if (r == 0 && op == EPOLL_CTL_ADD &&
	    !__atomic_exchange_n(&ep->had_ulk, 1, __ATOMIC_SEQ_CST) &&
	    __atomic_load_n(&ep->host_waiters, __ATOMIC_SEQ_CST)) {
		int saved = errno;

		shim_epoll_mirror(set, epfd);
		errno = saved;
	}
	return (int)shim_errno(r);
}

/* A host descriptor joins, changes or leaves the set's host epoll. */
static int set_ctl_host(struct shim_ref *set, int epfd, int op, int fd,
			struct epoll_event *ev)
{
	struct shim_epoll *ep = set->priv;
	int r;

	/* A set inside this one: its ulk events must show on its host epoll. */
	if (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD)
		shim_fd_watch(fd, 0);
	r = host_ctl(epfd, op, fd, ev);
	if (r == 0 && op == EPOLL_CTL_ADD) {
		if (!__atomic_fetch_add(&ep->n_host, 1, __ATOMIC_SEQ_CST) &&
		    !shim_forked &&
		    __atomic_load_n(&ep->ulk_waiters, __ATOMIC_SEQ_CST))
			nudge_wake(set);
	} else if (r == 0 && op == EPOLL_CTL_DEL) {
		__atomic_sub_fetch(&ep->n_host, 1, __ATOMIC_SEQ_CST);
	}
	return r;
}

/**
 * epoll_ctl() - add, change or remove a member of an epoll set: a ulk
 * socket in its ulk instance, anything else in its host epoll.
 * @epfd: the set.
 * @op: EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL.
 * @fd: the member.
 * @ev: its events and data (not read for EPOLL_CTL_DEL).
 *
 * Return: 0, or -1 with errno set, as Linux's.
 */
int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct shim_ref set, sock;
	int r;

	if (shim_fd_is_internal(epfd) || shim_fd_is_internal(fd)) {
		errno = EBADF;
		return -1;
	}
	if (shim_get_epoll(epfd, &set) != 1) {
		/* A forked child's ulk sockets: EOPNOTSUPP. */
		if (shim_forked && shim_get(fd, &sock) == -1)
			return -1;
		/* Not a set: the host waits, on the shadows. */
		if (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD)
			shim_fd_watch(fd, ev && (ev->events & EPOLLET));
		return host_ctl(epfd, op, fd, ev);
	}
	switch (shim_get(fd, &sock)) {
	case 1:
		r = set_ctl_ulk(&set, epfd, &sock, op, ev);
		shim_put(&sock);
		break;
	case -1:
		r = -1;		/* a forked child: EOPNOTSUPP */
		break;
	default:
		r = set_ctl_host(&set, epfd, op, fd, ev);
	}
	shim_put(&set);
	return r;
}

/* --- waiting -------------------------------------------------------------- */

/* Take the events whose data is @data out of @evs[0..n); 1 if there were. */
static int drop_data(struct epoll_event *evs, int *n, unsigned long long data)
{
	int i, j, seen = 0;

	for (i = j = 0; i < *n; i++) {
		if (evs[i].data.u64 == data) {
			seen = 1;
			continue;
		}
		if (j != i)
			evs[j] = evs[i];
		j++;
	}
	*n = j;
	return seen;
}

/*
 * ulk's epoll_pwait2 on the set's ulk instance (@tmo NULL: forever), the
 * nudge taken out (*@nudged says whether it was there). >= 0, or -1 with
 * errno set.
 */
static int ulk_wait(struct shim_ref *set, struct epoll_event *evs, int max,
		    const struct timespec *tmo, int *nudged)
{
	struct shim_epoll *ep = set->priv;
	struct __ulk_kernel_timespec ts;
	int n;

	if (tmo) {
		ts.tv_sec = tmo->tv_sec;
		ts.tv_nsec = tmo->tv_nsec;
	}
	n = (int)shim_errno(ulk_sys_epoll_pwait2(set->ufd,
			(struct ulk_epoll_event *)evs, max, tmo ? &ts : NULL,
			NULL, 0));
	/* Whether or not a nudge exists now: it may have been retired since. */
	*nudged = n > 0 && drop_data(evs, &n, nudge_data(ep));
	return n;
}

/* ulk_wait() without blocking, for a thread that goes on to the host. */
static int ulk_take(struct shim_ref *set, struct epoll_event *evs, int max)
{
	static const struct timespec zero = { 0, 0 };
	int nudged, n = ulk_wait(set, evs, max, &zero, &nudged);

	if (nudged)
		nudge_seen(set);
	return n;
}

/* Milliseconds for epoll_pwait, rounded up; -1 for forever. */
static int tmo_ms(const struct timespec *tmo)
{
	long long ms;

	if (!tmo)
		return -1;
	ms = (long long)tmo->tv_sec * 1000 + (tmo->tv_nsec + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/*
 * The host's wait on the set's host epoll, the mirror's event taken out
 * (*@mirror says whether it was there). >= 0, or -1 with errno set.
 */
static int host_wait(struct shim_ref *set, int epfd, struct epoll_event *evs,
		     int max, const struct timespec *tmo, const sigset_t *mask,
		     int *mirror)
{
	static pwait2_fn pwait2;
	static int no_pwait2;	/* an old libc, kernel (or valgrind) */
	int n = -1;

	if (!__atomic_load_n(&no_pwait2, __ATOMIC_RELAXED)) {
		if (!pwait2)
			pwait2 = (pwait2_fn)dlsym(RTLD_NEXT, "epoll_pwait2");
		n = pwait2 ? pwait2(epfd, evs, max, tmo, mask) : -1;
		if (!pwait2 || (n < 0 && errno == ENOSYS))
			__atomic_store_n(&no_pwait2, 1, __ATOMIC_RELAXED);
	}
	if (__atomic_load_n(&no_pwait2, __ATOMIC_RELAXED))
		n = NEXT("epoll_pwait", int (*)(int, struct epoll_event *, int,
						int, const sigset_t *))(
			epfd, evs, max, tmo_ms(tmo), mask);
	*mirror = n > 0 && drop_data(evs, &n, shim_mirror_data(set));
	return n;
}

/*
 * What both instances have now, without blocking: the ulk instance's first,
 * leaving the host epoll at least one place; with room for one event only,
 * the two take turns. The host is not asked when the ulk instance, asked
 * first, had nothing: the caller's host wait does that. >= 0, or -1 with
 * errno set.
 */
static int take_ready(struct shim_ref *set, int epfd, struct epoll_event *evs,
		      int max)
{
	static const struct timespec zero = { 0, 0 };
	struct shim_epoll *ep = set->priv;
	int n = 0, h, mirror, ulk_first, more = 1;

	ulk_first = max > 1 || !(__atomic_fetch_add(&ep->turn, 1,
						     __ATOMIC_RELAXED) & 1);
	if (ulk_first) {
		n = ulk_take(set, evs, max > 1 ? max - 1 : 1);
		if (n <= 0 || n == max)
			return n;
		/* Filled its share: it may have more. */
		more = max > 1 && n == max - 1;
	}
	h = host_wait(set, epfd, evs + n, max - n, &zero, NULL, &mirror);
	if (h < 0)
		return n ? n : -1;
	n += h;
	/* The place kept for the host is the ulk instance's if left. */
	if (more && n < max) {
		h = ulk_take(set, evs + n, max - n);
		if (h > 0)
			n += h;
		else if (h < 0 && !n)
			return -1;
	}
	return n;
}

/*
 * A mixed set, or one whose signal mask the host must apply. @tmo is what
 * is left of the program's timeout (NULL: none).
 */
static int mixed_wait(struct shim_ref *set, int epfd, struct epoll_event *evs,
		      int max, const struct timespec *tmo, const sigset_t *mask)
{
	struct timespec deadline, left = { 0, 0 };
	int n, h, mirror;

	n = take_ready(set, epfd, evs, max);
	if (n)
		return n;
	if (tmo && !tmo->tv_sec && !tmo->tv_nsec) {
		/* No wait: what the host has, if the mirror is not ahead. */
		h = host_wait(set, epfd, evs, max, tmo, mask, &mirror);
		if (mirror && h >= 0 && h < max) {
			n = ulk_take(set, evs + h, max - h);
			if (n > 0)
				h += n;
		}
		return h;
	}
	if (tmo) {
		shim_deadline(&deadline, tmo);
		left = *tmo;
	}
	for (;;) {
		if (shim_epoll_mirror(set, epfd))
			return -1;
		h = host_wait(set, epfd, evs, max, tmo ? &left : NULL, mask,
			      &mirror);
		if (h < 0 || (h == 0 && !mirror))
			return h;
		if (mirror) {
			/* The mirror took one place, so there is room. */
			n = ulk_take(set, evs + h, max - h);
			if (n > 0)
				h += n;
		}
		if (h)
			return h;
		/* The mirror was ahead: another thread took the events. */
		if (tmo && !shim_time_left(&deadline, &left))
			return 0;
	}
}

/* Whether @mask blocks what the calling thread blocks already. */
static int mask_is_current(const sigset_t *mask)
{
	int sig, rtmin = SIGRTMIN;
	sigset_t cur;

	if (pthread_sigmask(SIG_BLOCK, NULL, &cur))
		return 0;
	for (sig = 1; sig < NSIG; sig++) {
		/* Unblockable, or libc's own (which libc keeps to itself). */
		if (sig == SIGKILL || sig == SIGSTOP ||
		    (sig >= __SIGRTMIN && sig < rtmin))
			continue;
		if (sigismember(mask, sig) != sigismember(&cur, sig))
			return 0;
	}
	return 1;
}

/*
 * A set without ulk sockets (yet): the host's wait. *@again: the first ulk
 * socket joined meanwhile (the mirror woke it), so wait as the set now
 * requires.
 */
static int host_only_wait(struct shim_ref *set, int epfd,
			  struct epoll_event *evs, int max,
			  const struct timespec *tmo, const sigset_t *mask,
			  int *again)
{
	struct shim_epoll *ep = set->priv;
	int n, mirror = 0;

	__atomic_add_fetch(&ep->host_waiters, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&ep->had_ulk, __ATOMIC_SEQ_CST))
		n = 0, mirror = 1;
	else
		n = host_wait(set, epfd, evs, max, tmo, mask, &mirror);
	__atomic_sub_fetch(&ep->host_waiters, 1, __ATOMIC_SEQ_CST);
	*again = !n && mirror;
	return n;
}

/*
 * A set of ulk sockets only: ulk's wait. *@again: the first host
 * descriptor joined meanwhile (the nudge woke it).
 */
static int ulk_only_wait(struct shim_ref *set, struct epoll_event *evs,
			 int max, const struct timespec *tmo, int *again)
{
	struct shim_epoll *ep = set->priv;
	int n, nudged = 0;

	__atomic_add_fetch(&ep->ulk_waiters, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&ep->n_host, __ATOMIC_SEQ_CST))
		n = 0, nudged = 1;
	else
		n = ulk_wait(set, evs, max, tmo, &nudged);
	__atomic_sub_fetch(&ep->ulk_waiters, 1, __ATOMIC_SEQ_CST);
	if (nudged)
		nudge_seen(set);
	*again = !n && nudged;
	return n;
}

/* epoll_pwait2() on a set; the other two waits come here too. */
static int set_wait(struct shim_ref *set, int epfd, struct epoll_event *evs,
		    int max, const struct timespec *tmo, const sigset_t *mask)
{
	struct shim_epoll *ep = set->priv;
	struct timespec deadline, left;
	int n, again;

	if (max <= 0 || max > EP_MAX_EVENTS ||
	    (tmo && (tmo->tv_sec < 0 || tmo->tv_nsec < 0 ||
		     tmo->tv_nsec >= 1000000000L))) {
		errno = EINVAL;
		return -1;
	}
	if (!evs) {
		errno = EFAULT;
		return -1;
	}
	if (tmo) {
		shim_deadline(&deadline, tmo);
		left = *tmo;
	}
	for (;;) {
		if (!__atomic_load_n(&ep->had_ulk, __ATOMIC_SEQ_CST)) {
			n = host_only_wait(set, epfd, evs, max,
					   tmo ? &left : NULL, mask, &again);
		} else if (shim_forked) {
			errno = EOPNOTSUPP;
			return -1;
		} else if (!__atomic_load_n(&ep->n_host, __ATOMIC_SEQ_CST) &&
			   (!mask || mask_is_current(mask))) {
			n = ulk_only_wait(set, evs, max, tmo ? &left : NULL,
					  &again);
		} else {
			return mixed_wait(set, epfd, evs, max,
					  tmo ? &left : NULL, mask);
		}
		if (!again)
			return n;
		if (tmo && !shim_time_left(&deadline, &left))
			return 0;
	}
}

/* epoll_wait()'s milliseconds as a timeout; NULL for "forever". */
static const struct timespec *ms_tmo(int ms, struct timespec *ts)
{
	if (ms < 0)
		return NULL;
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = ms % 1000 * 1000000L;
	return ts;
}

/**
 * epoll_pwait2() - wait for events of an epoll set (theory of operation).
 * @epfd: the set.
 * @evs: receives the events.
 * @max: room in @evs.
 * @tmo: the longest wait, NULL for no limit.
 * @mask: the signal mask during the wait, NULL for the thread's.
 *
 * Return: the number of events, 0 on timeout, or -1 with errno set.
 */
int epoll_pwait2(int epfd, struct epoll_event *evs, int max,
		 const struct timespec *tmo, const sigset_t *mask)
{
	struct shim_ref set;
	int r;

	if (shim_get_epoll(epfd, &set) != 1)
		return NEXT("epoll_pwait2", pwait2_fn)(epfd, evs, max, tmo,
						       mask);
	r = set_wait(&set, epfd, evs, max, tmo, mask);
	shim_put(&set);
	return r;
}

/**
 * epoll_pwait() - epoll_pwait2() with a timeout in milliseconds.
 * @epfd: the set.
 * @evs: receives the events.
 * @max: room in @evs.
 * @ms: the longest wait, negative for no limit.
 * @mask: the signal mask during the wait, NULL for the thread's.
 *
 * Return: the number of events, 0 on timeout, or -1 with errno set.
 */
int epoll_pwait(int epfd, struct epoll_event *evs, int max, int ms,
		const sigset_t *mask)
{
	struct shim_ref set;
	struct timespec ts;
	int r;

	if (shim_get_epoll(epfd, &set) != 1)
		return NEXT("epoll_pwait", int (*)(int, struct epoll_event *,
						   int, int,
						   const sigset_t *))(
			epfd, evs, max, ms, mask);
	r = set_wait(&set, epfd, evs, max, ms_tmo(ms, &ts), mask);
	shim_put(&set);
	return r;
}

/**
 * epoll_wait() - epoll_pwait() with the thread's signal mask.
 * @epfd: the set.
 * @evs: receives the events.
 * @max: room in @evs.
 * @ms: the longest wait, negative for no limit.
 *
 * Return: the number of events, 0 on timeout, or -1 with errno set.
 */
int epoll_wait(int epfd, struct epoll_event *evs, int max, int ms)
{
	struct shim_ref set;
	struct timespec ts;
	int r;

	if (shim_get_epoll(epfd, &set) != 1)
		return NEXT("epoll_wait", int (*)(int, struct epoll_event *,
						  int, int))(epfd, evs, max,
							     ms);
	r = set_wait(&set, epfd, evs, max, ms_tmo(ms, &ts), NULL);
	shim_put(&set);
	return r;
}
