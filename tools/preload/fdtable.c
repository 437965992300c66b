// SPDX-License-Identifier: GPL-2.0
/*
 * The preload shim's descriptor table: how a ulk socket becomes a genuine
 * host descriptor, and which host descriptors are the program's epoll sets.
 *
 * Theory of operation
 * -------------------
 * A program under ulk-run sees each of its ulk sockets as an ordinary host
 * descriptor, allocated by the host kernel like any other (lowest free
 * number, no reserved range). That descriptor is one end ("A") of a host
 * AF_UNIX datagram socketpair, the socket's *shadow*; ulk's own descriptor
 * for the socket lives in ulk's kernel and never shows. Every call that
 * does I/O on the socket is intercepted (calls.list, fdcalls.c) and made in
 * ulk instead; what the host kernel does with A is only to *wait* on it:
 * poll and select (mixed with any other host descriptors, in any thread)
 * are the host's own. Epoll is served otherwise (epoll.c, below).
 *
 * For that the shadow's readiness is kept equal to the ulk socket's:
 *
 *	ulk socket		shadow A made so by
 *	readable		one byte sent from B into A's queue
 *	not readable		A's queue drained
 *	writable		B's queue drained
 *	not writable		a 1200-byte datagram "parked" from A in B's
 *				queue: A's send buffer is at its minimum (4.5
 *				KiB), and a unix datagram socket is writable
 *				only while a quarter of it is free
 *	error, hang-up		readable and writable: the next call on the
 *				socket (served by ulk) returns what happened
 *
 * Both directions of change are covered:
 *  - *to ready* happens inside ulk (a packet arrives, an ACK frees send
 *    space). Each ulk socket is registered, edge-triggered, with an epoll
 *    instance inside ulk that one watcher thread waits on; for each event
 *    the watcher re-reads the socket's state and applies it. An event on a
 *    socket already readable sends one more byte, so that edge-triggered
 *    waiters on A get an edge per arrival, as on Linux; only for sockets
 *    put with EPOLLET in a host epoll that is not a set (one made before
 *    ulk booted), since the byte costs a host system call.
 *  - *to not ready* happens only through the program's own calls (it reads
 *    the data, fills the send buffer), so after every call served on a
 *    socket the calling thread re-reads the state and applies it.
 * State is read (ppoll with a zero timeout inside ulk) and applied under
 * the slot's lock, so the last writer always applied the latest state.
 *
 * Mirroring costs host system calls and watcher wake-ups, and only a
 * program that waits on the host for a socket needs it. So a socket is
 * mirrored ("watched") from the first time the program names it to poll,
 * ppoll, select or pselect over host descriptors too (those calls are
 * wrapped to notice; poll and select over ulk sockets only wait inside ulk,
 * wait.c), or adds it to a host epoll that is not a set, and never before:
 * a program that only blocks in its socket calls, or in epoll sets, pays
 * nothing for it.
 *
 * Epoll sets. An epoll instance the program creates (once ulk runs) stays
 * a host epoll descriptor, but its table entry marks it as a *set* (a slot
 * of its own kind, ENTRY_EPOLL), whose ufd is an epoll instance inside ulk
 * holding the set's ulk sockets; epoll.c says how sets are waited on. To
 * other calls the descriptor is the host's (shim_get() does not find it).
 * When the host has to wait for a set (a set that also holds host
 * descriptors, a signal mask, the set named to poll or put in another
 * epoll), the set gets the same mirroring as a socket, once, for its ulk
 * instance as a whole: an internal shadow whose A sits in the set's host
 * epoll, readable while the ulk instance has events (shim_epoll_mirror()).
 * Its registration with the watcher is one-shot, re-armed only once the
 * mirror is clear, so a busy set costs the watcher one wake-up per wait
 * that blocks, not one per arrival.
 *
 * The slot ("open file description") is shared by every descriptor that
 * dup() and friends make of it, and counts them plus the calls in flight;
 * the last reference closes ulk's descriptor, as the kernel's file
 * reference counting does (and so a closed socket leaves the ulk epoll
 * instances it was in when its last descriptor closes, as on Linux). A
 * socket's slot owns one internal host descriptor, B (a set's: its
 * mirror's A and B), placed where ulk keeps its own (lib/hostfd.c: above
 * the soft RLIMIT_NOFILE when the hard limit allows, so the program keeps
 * every number its limit gives it); the program cannot close them
 * (EBADF, as for a descriptor it never had), and dup2() onto one moves it
 * out of the way. A itself is only ever the program's: the shadow is made
 * not ready (A drained, a datagram parked from A) only after a call the
 * program made on one of its descriptors of the socket, through that
 * descriptor, under the slot's lock, which close() and dup2() onto it also
 * take, so the number cannot be another file meanwhile. The watcher, which
 * has no descriptor of A, only ever makes the shadow ready: a socket
 * becomes unready only through the program's own calls (it reads the
 * data, fills the send buffer), each of which brings the shadow up to
 * date after it. The descriptors ulk itself opened at boot (TAP,
 * eventfds) are protected the same way, except that they cannot move:
 * dup2() onto one fails with EBUSY. Boot fills any gap among 0, 1 and 2
 * first, so they are never where a program redirects its standard streams.
 *
 * A is always close-on-exec on the host: a ulk socket cannot outlive its
 * kernel, which exec() destroys; the flag the program sets is kept in the
 * table and reported by fcntl(F_GETFD). A set's host epoll keeps the
 * program's own flag and, after exec, is the host's with its host members
 * (the mirror's descriptors are close-on-exec). After fork() the child
 * keeps the descriptors (closing them is fine) but has no ulk: its calls on
 * them, and its attempts to make new ulk sockets, fail with EOPNOTSUPP
 * (shim_forked), and a wait on one returns at once (each is replaced, in
 * the child only, by a host socket shut down both ways: readable, writable
 * and hung up), so that the call that follows says what happened.
 *
 * Slots are freed by the watcher thread only (the "graveyard"), after the
 * epoll batch in which a just-closed socket (or set) may still appear: ulk
 * removes a closed file from its epoll instances, so no later batch names
 * it.
 *
 * Table entries are read without a lock on the fast path (descriptors that
 * are not ulk sockets, which is every call of libc's own I/O threads too),
 * and taken with the table lock otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ulk/ulk.h>
#include <ulk/linux/eventpoll.h>
#include <ulk/linux/poll.h>
#include <ulk/linux/time_types.h>

#include "hostfd.h"
#include "shim.h"

#define ENTRY_CLOEXEC	1UL	/* the program's FD_CLOEXEC view */
#define ENTRY_INTERNAL	2UL	/* one of a slot's own descriptors */
#define ENTRY_EPOLL	4UL	/* a program epoll set (a host descriptor) */
#define ENTRY_FLAGS	7UL
#define PARK_SIZE	1200
#define WATCH_BATCH	64
#define MAX_TABLE	ULK_HOSTFD_MAX

/* What a slot stands for. */
enum slot_kind {
	SLOT_SOCKET,	/* a ulk socket; the program's descriptor is shadow A */
	SLOT_EPOLL,	/* a program epoll set; the program's descriptor is
			 * the host epoll, the shadow (if any) is internal */
	SLOT_KIND_COUNT
};

/**
 * struct shim_slot - one ulk socket, or one epoll set, as the program sees
 * it.
 * @ufd: ulk's descriptor (the socket, or the set's ulk epoll instance).
 * @kind: an enum slot_kind.
 * @a: for a set, its mirror's end that sits in its host epoll (-1 while
 *	it has none); for a socket -1: A is only the program's (above).
 * @b: the shadow's other end (signal readable, unpark); -1 likewise.
 * @refs: descriptors naming the slot plus calls in flight (table_lock).
 * @lock: orders state reads and shadow updates.
 * @in: the shadow is readable.
 * @out: the shadow is writable (a set's always is).
 * @dead: closed; waiting in the graveyard for the watcher to free it.
 * @watched: mirrored: the program has waited on it on the host.
 * @edge: the program waits on it edge-triggered (EPOLLET) somewhere.
 * @armed: a set's one-shot registration with the watcher is armed.
 * @queued: bytes sent into A's queue since it was last drained.
 * @priv: the owner's record (epoll.c's for a set).
 * @release: frees @priv when the last reference goes.
 * @next: graveyard link.
 */
struct shim_slot {
	int ufd;
	int kind;
	int a;
	int b;
	int refs;
	pthread_mutex_t lock;
	int in;
	int out;
	int dead;
	int watched;
	int edge;
	int armed;
	int queued;
	void *priv;
	void (*release)(void *priv);
	struct shim_slot *next;
};

static uintptr_t *table;
static int table_size;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shim_slot *graveyard;
static int watch_epfd = -1;
static pthread_t watcher;

/*
 * The table's size, read where no lock orders it after the set-up (the
 * lock-free look-ups): 0 until shim_fdtable_init() has published the table.
 */
static inline unsigned int table_limit(void)
{
	return (unsigned int)__atomic_load_n(&table_size, __ATOMIC_ACQUIRE);
}

static inline struct shim_slot *entry_slot(uintptr_t e)
{
	return (struct shim_slot *)(e & ~ENTRY_FLAGS);
}

/* Host calls on internal descriptors go straight to the kernel: never
 * through this shim's own wrappers. */
static long host_close(int fd)
{
	return syscall(SYS_close, fd);
}

static long host_dupfd_high(int fd)
{
	return ulk_hostfd_dup_high(fd);
}

/*
 * The descriptor of a slot's shadow A to drain and park through: a set's
 * mirror, or for a socket @fd, the program's descriptor the caller came
 * with, if it still names the slot (under s->lock, which close() and
 * dup2() onto a socket's descriptor take before the number can change).
 * Return: the descriptor, or -1 if there is none (the watcher).
 */
static int shadow_a(struct shim_slot *s, int fd)
{
	uintptr_t e;

	if (s->kind == SLOT_EPOLL)
		return s->a;
	if ((unsigned int)fd >= table_limit())
		return -1;
	e = __atomic_load_n(&table[fd], __ATOMIC_ACQUIRE);
	if (!e || (e & (ENTRY_INTERNAL | ENTRY_EPOLL)) || entry_slot(e) != s)
		return -1;
	return fd;
}

/* --- shadow readiness ----------------------------------------------------- */

static void shadow_set_in(struct shim_slot *s)
{
	char c = 0;

	if (syscall(SYS_sendto, s->b, &c, 1, MSG_DONTWAIT, NULL, 0) == 1)
		s->queued++;
	s->in = 1;
}

/* One system call drains up to DRAIN_BATCH queued bytes. */
#define DRAIN_BATCH	16

static void shadow_clear_in(struct shim_slot *s, int a)
{
	struct mmsghdr msgs[DRAIN_BATCH];
	long n;

	if (a < 0)
		return;		/* stays readable until a call of the program's */
	memset(msgs, 0, sizeof(msgs));
	while (s->queued > 0) {
		n = syscall(SYS_recvmmsg, a, msgs, s->queued < DRAIN_BATCH ?
			    s->queued : DRAIN_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		s->queued -= (int)n;
	}
	s->queued = 0;
	s->in = 0;
}

static void shadow_set_out(struct shim_slot *s)
{
	/* At most one datagram is parked: receiving nothing of it drops it. */
	syscall(SYS_recvfrom, s->b, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	s->out = 1;
}

static void shadow_clear_out(struct shim_slot *s, int a)
{
	static const char park[PARK_SIZE];

	if (a < 0)
		return;		/* stays writable until a call of the program's */
	syscall(SYS_sendto, a, park, sizeof(park), MSG_DONTWAIT, NULL, 0);
	s->out = 0;
}

/* Arm a set's one-shot registration with the watcher (under s->lock). */
static void watch_arm(struct shim_slot *s, int op)
{
	struct ulk_epoll_event ev;
	long r;

	memset(&ev, 0, sizeof(ev));
	ev.events = ULK_EPOLLIN | ULK_EPOLLONESHOT;
	ev.data = (unsigned long)s;
	r = ulk_sys_epoll_ctl(watch_epfd, op, s->ufd, &ev);
	if (r == -ENOENT && op == ULK_EPOLL_CTL_MOD)
		r = ulk_sys_epoll_ctl(watch_epfd, ULK_EPOLL_CTL_ADD, s->ufd, &ev);
	if (r == 0)
		s->armed = 1;
}

/*
 * Make the shadow's readiness the ulk socket's (or the set's: readable
 * while its ulk instance has events). @edge: called for an event from ulk,
 * so a socket that stays readable still gives its waiters an edge, and a
 * set's one-shot registration has fired. @fd: the program's descriptor
 * the call came with, or -1 (the watcher: it only makes a socket's shadow
 * ready, shadow_a()).
 */
static void slot_sync(struct shim_slot *s, int edge, int fd)
{
	struct ulk_pollfd p = {
		.fd = s->ufd,
		.events = ULK_POLLIN | ULK_POLLOUT | ULK_POLLPRI | ULK_POLLRDHUP,
	};
	struct __ulk_kernel_timespec zero = { 0, 0 };
	int in, out, saved = errno;
	long n;

	if (!__atomic_load_n(&s->watched, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&s->lock);
	if (s->dead) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	if (s->kind == SLOT_EPOLL) {
		p.events = ULK_POLLIN;
		if (edge)
			s->armed = 0;
	}
	n = ulk_sys_ppoll(&p, 1, &zero, NULL, 0);
	if (n < 0)
		p.revents = 0;
	in = !!(p.revents & (ULK_POLLIN | ULK_POLLPRI | ULK_POLLRDHUP |
			     ULK_POLLHUP | ULK_POLLERR));
	out = !!(p.revents & (ULK_POLLOUT | ULK_POLLHUP | ULK_POLLERR));
	if (s->kind == SLOT_EPOLL)
		out = 1;
	if (out != s->out) {
		if (out)
			shadow_set_out(s);
		else
			shadow_clear_out(s, shadow_a(s, fd));
	}
	if (in && (!s->in || (edge && s->edge)))
		shadow_set_in(s);
	else if (!in && s->in)
		shadow_clear_in(s, shadow_a(s, fd));
	/*
	 * A set's watcher registration is one-shot: it fires once the set
	 * has events and stays quiet while the mirror says so; re-armed only
	 * once the mirror is clear, so no arrival is missed (arming polls).
	 */
	if (s->kind == SLOT_EPOLL && !in && !s->armed)
		watch_arm(s, ULK_EPOLL_CTL_MOD);
	pthread_mutex_unlock(&s->lock);
	/* The shadow's EAGAINs are not the program's business. */
	errno = saved;
}

/* --- slots ------------------------------------------------------------------ */

static void slot_free(struct shim_slot *s)
{
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void slot_release(struct shim_slot *s)
{
	/* A forked child has no ulk, and its copy of the lock may be held. */
	if (!shim_forked) {
		pthread_mutex_lock(&s->lock);
		s->dead = 1;
		pthread_mutex_unlock(&s->lock);
		/* Closing a set's instance empties it in ulk, watcher included. */
		ulk_sys_close(s->ufd);
	}
	/* Nobody holds a reference any more, so nobody reads priv. */
	if (s->release)
		s->release(s->priv);
	s->priv = NULL;
	pthread_mutex_lock(&table_lock);
	if (s->a >= 0 && s->a < table_size)
		table[s->a] = 0;
	if (s->b >= 0 && s->b < table_size)
		table[s->b] = 0;
	if (s->a >= 0)
		host_close(s->a);
	if (s->b >= 0)
		host_close(s->b);
	if (watch_epfd >= 0 && !shim_forked) {
		s->next = graveyard;
		graveyard = s;
		s = NULL;
	}
	pthread_mutex_unlock(&table_lock);
	if (s)
		slot_free(s);
}

/* Drop a reference; the last one closes the socket (or the set). */
static void slot_put(struct shim_slot *s)
{
	int last;

	pthread_mutex_lock(&table_lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&table_lock);
	if (last)
		slot_release(s);
}

/**
 * shim_get() - look up the ulk socket behind a host descriptor.
 * @fd: the program's descriptor.
 * @ref: receives a reference to the socket when there is one.
 *
 * Return: 0 if @fd is not a ulk socket (the caller does the host call);
 * 1 with @ref held (release it with shim_finish()); -1 with errno set to
 * EOPNOTSUPP in a forked child, which has no ulk.
 */
int shim_get(int fd, struct shim_ref *ref)
{
	struct shim_slot *s;
	uintptr_t e;

	if ((unsigned int)fd >= table_limit())
		return 0;
	e = __atomic_load_n(&table[fd], __ATOMIC_ACQUIRE);
	if (!e || (e & (ENTRY_INTERNAL | ENTRY_EPOLL)))
		return 0;
	pthread_mutex_lock(&table_lock);
	e = table[fd];
	s = (e & (ENTRY_INTERNAL | ENTRY_EPOLL)) ? NULL : entry_slot(e);
	if (s)
		s->refs++;
	pthread_mutex_unlock(&table_lock);
	if (!s)
		return 0;
	if (shim_forked) {
		slot_put(s);
		errno = EOPNOTSUPP;
		return -1;
	}
	ref->slot = s;
	ref->ufd = s->ufd;
	ref->fd = fd;
	ref->priv = NULL;
	return 1;
}

/**
 * shim_is_ulk() - whether a descriptor is one the shim serves (a ulk
 * socket or ulk file; also in a forked child, whose calls on it fail).
 * @fd: the program's descriptor.
 *
 * Return: 1 if it is, else 0.
 */
int shim_is_ulk(int fd)
{
	struct shim_ref ref;
	int saved = errno;

	switch (shim_get(fd, &ref)) {
	case 1:
		shim_put(&ref);
		return 1;
	case -1:
		errno = saved;
		return 1;
	}
	return 0;
}

/**
 * shim_get_epoll() - look up the epoll set behind a host descriptor.
 * @fd: the program's descriptor.
 * @ref: receives a reference to the set when there is one: @ref->ufd is
 *	its ulk instance, @ref->priv the record given at install.
 *
 * Also in a forked child, which must not use the ulk instance.
 * Return: 1 with @ref held (release it with shim_put()); 0 if @fd is not
 * an epoll set the shim keeps.
 */
int shim_get_epoll(int fd, struct shim_ref *ref)
{
	struct shim_slot *s = NULL;
	uintptr_t e;

	if ((unsigned int)fd >= table_limit())
		return 0;
	e = __atomic_load_n(&table[fd], __ATOMIC_ACQUIRE);
	if (!(e & ENTRY_EPOLL))
		return 0;
	pthread_mutex_lock(&table_lock);
	e = table[fd];
	if (e & ENTRY_EPOLL) {
		s = entry_slot(e);
		s->refs++;
	}
	pthread_mutex_unlock(&table_lock);
	if (!s)
		return 0;
	ref->slot = s;
	ref->ufd = s->ufd;
	ref->fd = fd;
	ref->priv = s->priv;
	return 1;
}

/**
 * shim_errno() - turn a ulk return value into libc's convention.
 * @ret: a result or a negative errno.
 *
 * Return: @ret, or -1 with errno set.
 */
long shim_errno(long ret)
{
	if (ret < 0 && ret >= -4095) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

/**
 * shim_finish() - end a call served by ulk: bring the shadow up to date,
 * drop the reference, convert the result.
 * @ref: from shim_get().
 * @ret: what ulk returned.
 *
 * Return: @ret, or -1 with errno set.
 */
long shim_finish(struct shim_ref *ref, long ret)
{
	int err = errno;

	slot_sync(ref->slot, 0, ref->fd);
	slot_put(ref->slot);
	errno = err;
	return shim_errno(ret);
}

/**
 * shim_put() - drop a reference from shim_get() without a call made.
 * @ref: the reference.
 */
void shim_put(struct shim_ref *ref)
{
	slot_put(ref->slot);
}

/**
 * shim_revents() - what poll() reports for the ulk socket itself, which
 * the shadow can only approximate (hang-up, error, urgent data, peer
 * shutdown).
 * @ref: a reference from shim_get().
 * @events: the events asked for.
 *
 * Return: the socket's revents for @events.
 */
short shim_revents(struct shim_ref *ref, short events)
{
	struct ulk_pollfd p = { .fd = ref->ufd, .events = events };
	struct __ulk_kernel_timespec zero = { 0, 0 };

	if (ulk_sys_ppoll(&p, 1, &zero, NULL, 0) < 0)
		return 0;
	return p.revents;
}

/**
 * shim_fd_install() - give a new ulk socket its host descriptor.
 * @ufd: ulk's descriptor; on failure it is closed.
 * @cloexec: the program asked for close-on-exec.
 *
 * Return: the program's new descriptor, or -1 with errno set.
 */
int shim_fd_install(int ufd, int cloexec)
{
	struct shim_slot *s;
	int sv[2], one = 1, err, saved = errno;

	s = calloc(1, sizeof(*s));
	if (!s) {
		ulk_sys_close(ufd);
		errno = ENOMEM;
		return -1;
	}
	if (syscall(SYS_socketpair, AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0, sv)) {
		err = errno;
		goto fail;
	}
	/* The minimum send buffer: one parked datagram makes A unwritable. */
	syscall(SYS_setsockopt, sv[0], SOL_SOCKET, SO_SNDBUF, &one,
		sizeof(one));
	s->a = -1;
	s->b = host_dupfd_high(sv[1]);
	host_close(sv[1]);
	if (s->b < 0 || sv[0] >= table_size || s->b >= table_size) {
		err = EMFILE;
		host_close(sv[0]);
		if (s->b >= 0)
			host_close(s->b);
		goto fail;
	}
	s->ufd = ufd;
	s->refs = 1;
	s->out = 1;
	pthread_mutex_init(&s->lock, NULL);

	pthread_mutex_lock(&table_lock);
	table[s->b] = (uintptr_t)s | ENTRY_INTERNAL;
	__atomic_store_n(&table[sv[0]], (uintptr_t)s |
			 (cloexec ? ENTRY_CLOEXEC : 0), __ATOMIC_RELEASE);
	pthread_mutex_unlock(&table_lock);

	errno = saved;
	return sv[0];
fail:
	ulk_sys_close(ufd);
	free(s);
	errno = err;
	return -1;
}

/**
 * shim_fd_install_epoll() - keep a program's new epoll set in the table.
 * @fd: the host epoll descriptor the program was given.
 * @ufd: the set's ulk epoll instance.
 * @priv: the caller's record of the set.
 * @release: frees @priv (and what it holds) when the set's last descriptor
 *	closes; it runs in a forked child too (shim_forked).
 *
 * @fd stays the host's in every respect (its flags, its copies, waits on
 * it); the table only knows that it is a set with a ulk instance, whose
 * readiness is mirrored into it once needed (shim_epoll_mirror()). On
 * failure @ufd is closed and @priv released.
 * Return: 0, or -1 with errno set.
 */
int shim_fd_install_epoll(int fd, int ufd, void *priv,
			  void (*release)(void *priv))
{
	struct shim_slot *s = calloc(1, sizeof(*s));
	int err = s ? EMFILE : ENOMEM;

	if (!s || (unsigned int)fd >= (unsigned int)table_size) {
		ulk_sys_close(ufd);
		release(priv);
		free(s);
		errno = err;
		return -1;
	}
	s->kind = SLOT_EPOLL;
	s->ufd = ufd;
	s->a = s->b = -1;
	s->refs = 1;
	s->out = 1;
	s->priv = priv;
	s->release = release;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_lock(&table_lock);
	__atomic_store_n(&table[fd], (uintptr_t)s | ENTRY_EPOLL,
			 __ATOMIC_RELEASE);
	pthread_mutex_unlock(&table_lock);
	return 0;
}

/**
 * shim_fdtable_ready() - whether the table is up (ulk booted) in this
 * process.
 *
 * Return: 1 if it is, else 0.
 */
int shim_fdtable_ready(void)
{
	return table_limit() != 0 && watch_epfd >= 0;
}

/* Remove @fd's entry; return the slot it named, if a program descriptor. */
static struct shim_slot *entry_remove_locked(int fd)
{
	uintptr_t e;

	if ((unsigned int)fd >= (unsigned int)table_size)
		return NULL;
	e = table[fd];
	if (!e || (e & ENTRY_INTERNAL))
		return NULL;
	__atomic_store_n(&table[fd], 0, __ATOMIC_RELEASE);
	return entry_slot(e);
}

/* Move an internal descriptor away from @fd so the program can have it. */
static int internal_move_locked(int fd)
{
	struct shim_slot *s;
	long nfd;

	if ((unsigned int)fd >= (unsigned int)table_size ||
	    !(table[fd] & ENTRY_INTERNAL))
		return 0;
	s = entry_slot(table[fd]);
	if (!s)
		return -EBUSY;	/* libulk's own: it cannot move */
	nfd = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, fd + 1);
	if (nfd < 0 || nfd >= table_size) {
		if (nfd >= 0)
			host_close(nfd);
		return -EMFILE;
	}
	if (s->a == fd)
		s->a = nfd;
	else
		s->b = nfd;
	table[nfd] = table[fd];
	table[fd] = 0;
	host_close(fd);
	return 0;
}

/**
 * shim_fd_mark_internal() - protect a descriptor of ulk's own (a device's
 * TAP, an I/O thread's eventfd) from the program's close(), close_range()
 * and dup2(): a program that closes "all other descriptors" must not
 * unplug its network.
 * @fd: the descriptor.
 */
void shim_fd_mark_internal(int fd)
{
	if ((unsigned int)fd < (unsigned int)table_size)
		__atomic_store_n(&table[fd], ENTRY_INTERNAL, __ATOMIC_RELEASE);
}

/**
 * shim_fd_is_internal() - whether @fd is one of the shim's own descriptors.
 * @fd: a descriptor number.
 *
 * Return: 1 if it is (the program must not see it), else 0.
 */
int shim_fd_is_internal(int fd)
{
	return (unsigned int)fd < table_limit() &&
	       (__atomic_load_n(&table[fd], __ATOMIC_ACQUIRE) & ENTRY_INTERNAL);
}

/*
 * Give a set its mirror: an internal shadow whose A sits in the set's host
 * epoll (@epfd, any descriptor of it) with the slot's address as its
 * data, made readable while the set's ulk instance has events. Under
 * s->lock; 0 or -errno.
 */
static int mirror_open_locked(struct shim_slot *s, int epfd)
{
	struct epoll_event hev;
	int sv[2], a, b;

	if (syscall(SYS_socketpair, AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0, sv))
		return -errno;
	a = (int)host_dupfd_high(sv[0]);
	b = (int)host_dupfd_high(sv[1]);
	host_close(sv[0]);
	host_close(sv[1]);
	if (a < 0 || b < 0 || a >= table_size || b >= table_size) {
		if (a >= 0)
			host_close(a);
		if (b >= 0)
			host_close(b);
		return -EMFILE;
	}
	memset(&hev, 0, sizeof(hev));
	hev.events = EPOLLIN;
	hev.data.u64 = (uintptr_t)s;	/* shim_mirror_data() */
	if (syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_ADD, a, &hev)) {
		int err = errno;

		host_close(a);
		host_close(b);
		return -err;
	}
	pthread_mutex_lock(&table_lock);
	s->a = a;
	s->b = b;
	table[a] = (uintptr_t)s | ENTRY_INTERNAL;
	table[b] = (uintptr_t)s | ENTRY_INTERNAL;
	pthread_mutex_unlock(&table_lock);
	/* Before arming: the watcher's first event must not be dropped. */
	__atomic_store_n(&s->watched, 1, __ATOMIC_RELEASE);
	watch_arm(s, ULK_EPOLL_CTL_ADD);
	return 0;
}

/**
 * shim_epoll_mirror() - make a set's mirror in its host epoll say whether
 * its ulk instance has events, giving it one first if need be.
 * @ref: a reference from shim_get_epoll().
 * @epfd: a descriptor of the set's host epoll (the program's).
 *
 * A program about to wait on the host for a set calls this first: then a
 * ulk event wakes the host epoll (through the watcher) exactly while the
 * ulk instance has events. Never in a forked child.
 * Return: 0, or -1 with errno set.
 */
int shim_epoll_mirror(struct shim_ref *ref, int epfd)
{
	struct shim_slot *s = ref->slot;
	int err = 0;

	if (!__atomic_load_n(&s->watched, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&s->lock);
		if (!s->watched)
			err = mirror_open_locked(s, epfd);
		pthread_mutex_unlock(&s->lock);
		if (err) {
			errno = -err;
			return -1;
		}
	}
	slot_sync(s, 0, -1);
	return 0;
}

/**
 * shim_fd_watch() - start mirroring a ulk socket's readiness on its
 * descriptor, because the program is about to wait on it on the host;
 * for an epoll set, bring its mirror up to date (shim_epoll_mirror()).
 * @fd: the program's descriptor (anything else is ignored).
 * @edge: the wait is edge-triggered (EPOLLET): from now on each arrival
 *	must be an edge on the descriptor.
 *
 * Return: 1 if @fd is a ulk socket, else 0.
 */
int shim_fd_watch(int fd, int edge)
{
	struct ulk_epoll_event ev;
	struct shim_ref ref;
	struct shim_slot *s;
	int first;

	if ((unsigned int)fd >= table_limit() ||
	    !__atomic_load_n(&table[fd], __ATOMIC_RELAXED))
		return 0;
	if (!shim_forked && shim_get_epoll(fd, &ref) == 1) {
		shim_epoll_mirror(&ref, fd);
		shim_put(&ref);
		return 0;
	}
	if (shim_get(fd, &ref) != 1)
		return 0;
	s = ref.slot;
	if (edge)
		__atomic_store_n(&s->edge, 1, __ATOMIC_RELAXED);
	/* Every poll names its descriptors again: the common case is quick. */
	if (__atomic_load_n(&s->watched, __ATOMIC_ACQUIRE)) {
		slot_put(s);
		return 1;
	}
	pthread_mutex_lock(&s->lock);
	first = !s->watched;
	__atomic_store_n(&s->watched, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&s->lock);
	if (first) {
		memset(&ev, 0, sizeof(ev));
		ev.events = ULK_EPOLLIN | ULK_EPOLLOUT | ULK_EPOLLRDHUP |
			    ULK_EPOLLPRI | ULK_EPOLLET;
		ev.data = (unsigned long)s;
		ulk_sys_epoll_ctl(watch_epfd, ULK_EPOLL_CTL_ADD, s->ufd, &ev);
		slot_sync(s, 0, fd);
	}
	slot_put(s);
	return 1;
}

/*
 * Before the host descriptor @fd may stop being the program's A of a
 * socket (close, dup2 onto it): take that socket's lock, so that no call
 * finishing on the socket drains or parks through the number while it
 * changes (shadow_a()). Return: the slot held and locked, or NULL.
 */
static struct shim_slot *slot_hold_lock(int fd)
{
	struct shim_slot *s = NULL;
	uintptr_t e;

	if (shim_forked)	/* its copies of the locks may be held */
		return NULL;
	pthread_mutex_lock(&table_lock);
	e = (unsigned int)fd < (unsigned int)table_size ? table[fd] : 0;
	if (e && !(e & (ENTRY_INTERNAL | ENTRY_EPOLL))) {
		s = entry_slot(e);
		s->refs++;
	}
	pthread_mutex_unlock(&table_lock);
	if (s)
		pthread_mutex_lock(&s->lock);
	return s;
}

static void slot_drop_lock(struct shim_slot *s)
{
	if (!s)
		return;
	pthread_mutex_unlock(&s->lock);
	slot_put(s);
}

/**
 * shim_fd_close() - close a program descriptor that names a ulk socket.
 * @fd: the descriptor.
 *
 * Return: 1 if @fd was a ulk socket and is now closed; 0 if it is not one
 * (the caller closes it on the host); -1 with errno EBADF for an internal
 * descriptor.
 */
int shim_fd_close(int fd)
{
	struct shim_slot *s, *held;

	if (shim_fd_is_internal(fd)) {
		errno = EBADF;
		return -1;
	}
	held = slot_hold_lock(fd);
	pthread_mutex_lock(&table_lock);
	s = entry_remove_locked(fd);
	pthread_mutex_unlock(&table_lock);
	/* The number is free for reuse only now that the entry is gone. */
	if (s)
		host_close(fd);
	slot_drop_lock(held);
	if (!s)
		return 0;
	slot_put(s);
	return 1;
}

/**
 * shim_fd_dup() - dup(), dup2(), dup3() and F_DUPFD for any descriptor.
 * @oldfd: the descriptor to copy.
 * @newfd: the number wanted (dup2/dup3), or -1 for the lowest free number
 *	not below @minfd.
 * @minfd: for @newfd == -1.
 * @cloexec: the copy's close-on-exec flag.
 *
 * The host does the copying, so numbers and errors are the host's; the
 * table follows: a copy of a ulk socket (or of an epoll set) names the
 * same slot, and a slot that was at @newfd loses a reference.
 * Return: the new descriptor, or -1 with errno set.
 */
int shim_fd_dup(int oldfd, int newfd, int minfd, int cloexec)
{
	struct shim_slot *s = NULL, *old = NULL, *held = NULL;
	uintptr_t e = 0;
	int sock;
	long r;

	if (shim_fd_is_internal(oldfd)) {
		errno = EBADF;
		return -1;
	}
	if (newfd >= 0 && newfd != oldfd)
		held = slot_hold_lock(newfd);
	pthread_mutex_lock(&table_lock);
	if ((unsigned int)oldfd < (unsigned int)table_size)
		e = table[oldfd];
	s = e ? entry_slot(e) : NULL;
	/* A set's host epoll is the host's own: its flag is too. */
	sock = s && !(e & ENTRY_EPOLL);
	if (newfd < 0) {
		r = syscall(SYS_fcntl, oldfd, sock || cloexec ?
			    F_DUPFD_CLOEXEC : F_DUPFD, minfd);
	} else {
		r = internal_move_locked(newfd);
		if (r == 0)
			r = syscall(SYS_dup3, oldfd, newfd,
				    sock || cloexec ? O_CLOEXEC : 0);
		else
			errno = -r, r = -1;
		if (r >= 0)
			old = entry_remove_locked(newfd);
	}
	if (r >= 0 && s) {
		if (r >= table_size) {
			host_close((int)r);
			r = -1;
			errno = EMFILE;
		} else {
			s->refs++;
			__atomic_store_n(&table[r], (uintptr_t)s |
					 (e & ENTRY_EPOLL) |
					 (cloexec && sock ? ENTRY_CLOEXEC : 0),
					 __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&table_lock);
	slot_drop_lock(held);
	if (old)
		slot_put(old);
	return (int)r;
}

/**
 * shim_fd_get_cloexec() - the program's close-on-exec flag of a ulk socket.
 * @fd: the descriptor.
 *
 * Return: 0 or 1; -1 if @fd is not a ulk socket.
 */
int shim_fd_get_cloexec(int fd)
{
	uintptr_t e;

	if ((unsigned int)fd >= table_limit())
		return -1;
	e = __atomic_load_n(&table[fd], __ATOMIC_ACQUIRE);
	if (!e || (e & (ENTRY_INTERNAL | ENTRY_EPOLL)))
		return -1;
	return !!(e & ENTRY_CLOEXEC);
}

/**
 * shim_fd_set_cloexec() - set the program's close-on-exec flag.
 * @fd: the descriptor.
 * @cloexec: the new flag.
 *
 * Return: 0; -1 if @fd is not a ulk socket.
 */
int shim_fd_set_cloexec(int fd, int cloexec)
{
	int ret = -1;
	uintptr_t e;

	pthread_mutex_lock(&table_lock);
	if ((unsigned int)fd < (unsigned int)table_size) {
		e = table[fd];
		if (e && !(e & (ENTRY_INTERNAL | ENTRY_EPOLL))) {
			table[fd] = (e & ~ENTRY_CLOEXEC) |
				    (cloexec ? ENTRY_CLOEXEC : 0);
			ret = 0;
		}
	}
	pthread_mutex_unlock(&table_lock);
	return ret;
}

/**
 * shim_close_range() - close_range() that spares the shim's descriptors.
 * @first: first descriptor.
 * @last: last descriptor (inclusive).
 * @flags: close_range() flags.
 *
 * Return: 0, or -1 with errno set.
 */
int shim_close_range(unsigned int first, unsigned int last, int flags)
{
	unsigned int fd, from = first;
	long r;

	if (first > last) {
		errno = EINVAL;
		return -1;
	}
	for (fd = first; fd < (unsigned int)table_size && fd <= last; fd++) {
		if (!table[fd])
			continue;
		if (shim_fd_is_internal((int)fd)) {
			if (fd > from) {
				r = syscall(SYS_close_range, from, fd - 1,
					    flags);
				if (r)
					return -1;
			}
			from = fd + 1;
		} else if (!(flags & CLOSE_RANGE_CLOEXEC)) {
			shim_fd_close((int)fd);
		} else {
			shim_fd_set_cloexec((int)fd, 1);
		}
	}
	if (from > last)
		return 0;
	return syscall(SYS_close_range, from, last, flags) ? -1 : 0;
}

/**
 * shim_close_all() - close every ulk socket of the program (at exit).
 */
void shim_close_all(void)
{
	int fd;

	for (fd = 0; fd < table_size; fd++)
		if (table[fd] && !(table[fd] & ENTRY_INTERNAL))
			shim_fd_close(fd);
}

/* Whether a fork with ulk sockets was reported already. */
static int fork_said;

/* --- the watcher ------------------------------------------------------------- */

static void *watch_main(void *arg)
{
	struct ulk_epoll_event evs[WATCH_BATCH];
	struct shim_slot *dead;
	long n, i;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&table_lock);
		dead = graveyard;
		graveyard = NULL;
		pthread_mutex_unlock(&table_lock);
		while (dead) {
			struct shim_slot *next = dead->next;

			slot_free(dead);
			dead = next;
		}
		n = ulk_sys_epoll_pwait(watch_epfd, evs, WATCH_BATCH, -1,
					NULL, 0);
		if (n == -EINTR)
			continue;
		if (n < 0)
			break;
		for (i = 0; i < n; i++)
			slot_sync((struct shim_slot *)(unsigned long)evs[i].data,
				  1, -1);
	}
	return NULL;
}

/**
 * shim_fdtable_init() - set the table up and start the watcher; ulk must be
 * running.
 *
 * Return: 0 or a negative errno.
 */
int shim_fdtable_init(void)
{
	sigset_t block, old;
	struct rlimit rl;
	size_t size;
	void *mem;
	long fd;
	int err;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	size = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > MAX_TABLE ?
	       MAX_TABLE : rl.rlim_max;
	if (size < 64)
		size = 64;
	mem = mmap(NULL, size * sizeof(*table), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return -errno;
	table = mem;
	__atomic_store_n(&table_size, (int)size, __ATOMIC_RELEASE);

	fd = ulk_sys_epoll_create1(ULK_EPOLL_CLOEXEC);
	if (fd < 0)
		return (int)fd;
	watch_epfd = (int)fd;
	/*
	 * Every signal blocked on the watcher: a process-directed signal must
	 * reach one of the program's threads, which may block it and take it
	 * with sigwaitinfo() or a signalfd (the thread inherits the mask in
	 * force at pthread_create()).
	 */
	sigfillset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	err = pthread_create(&watcher, NULL, watch_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	pthread_setname_np(watcher, "ulk-shim-watch");
	return 0;
}

/**
 * shim_fdtable_fork_prepare() - before fork(): hold the table still.
 */
void shim_fdtable_fork_prepare(void)
{
	pthread_mutex_lock(&table_lock);
}

/**
 * shim_fdtable_fork_parent() - after fork(), in the parent.
 */
void shim_fdtable_fork_parent(void)
{
	int fd;

	/* The child said it (once per process: pre-forking servers fork many). */
	for (fd = 0; fd < table_size && !fork_said; fd++)
		if (table[fd] && !(table[fd] & (ENTRY_INTERNAL | ENTRY_EPOLL)))
			fork_said = 1;
	pthread_mutex_unlock(&table_lock);
}

/*
 * A host socket shut down both ways, its peer gone: always readable,
 * writable and hung up. Return: it (close-on-exec), or -1.
 */
static int dead_socket(void)
{
	int sv[2];

	if (syscall(SYS_socketpair, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	syscall(SYS_close, sv[1]);
	syscall(SYS_shutdown, sv[0], SHUT_RDWR);
	return sv[0];
}

/**
 * shim_fdtable_fork_child() - after fork(), in the child, which has no ulk.
 */
void shim_fdtable_fork_child(void)
{
	char msg[256];
	int fd, n, dead, sockets = 0;

	pthread_mutex_init(&table_lock, NULL);
	shim_forked = 1;
	graveyard = NULL;
	/*
	 * The child has no ulk: it drops ulk's own descriptors (the TAP
	 * above all, which would otherwise stay attached after the parent
	 * exits and refuse every later ulk-run on it) and keeps the
	 * program's, on which every call fails (EOPNOTSUPP).
	 */
	dead = dead_socket();
	for (fd = 0; fd < table_size; fd++) {
		uintptr_t e = table[fd];

		if (!e)
			continue;
		if (e & ENTRY_INTERNAL) {
			syscall(SYS_close, fd);
			table[fd] = 0;
		} else if (!(e & ENTRY_EPOLL)) {
			/* A wait on it returns at once; the call after fails. */
			if (dead >= 0)
				syscall(SYS_dup3, dead, fd, O_CLOEXEC);
			sockets++;
		}
	}
	if (dead >= 0)
		syscall(SYS_close, dead);
	if (sockets && !fork_said) {
		n = snprintf(msg, sizeof(msg),
			     "ulk-run: process %d forked process %d with %d ulk "
			     "socket(s); the child cannot use them, nor make "
			     "new ones (its calls fail with EOPNOTSUPP)\n",
			     (int)getppid(), (int)getpid(), sockets);
		if (n > 0)
			syscall(SYS_write, 2, msg, (size_t)n);
	}
}
