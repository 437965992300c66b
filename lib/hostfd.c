// SPDX-License-Identifier: GPL-2.0
/*
 * ulk's own host descriptors (timer, device eventfds, TAP, pipe sockets)
 * live high in the descriptor table. A program expects open() and
 * socket() to return the lowest free number; a ulk that boots lazily, at
 * the program's first socket, must not take the numbers the program is
 * about to get.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hostfd.h"

#define LOW_FDS		64	/* never below this, whatever the limit */
#define HIGH_FDS	1024	/* nor above, when placed under the limit */

/*
 * Where ulk's own descriptors go.
 *
 * Above the soft RLIMIT_NOFILE, when the hard limit leaves room: every
 * number the program's limit allows stays the program's (a program under
 * ulk-run opens as many descriptors as without ulk, and gets EMFILE where
 * it would). The soft limit is raised only for the one F_DUPFD that places
 * the descriptor and then put back: a descriptor above the soft limit stays
 * valid, and the program's own allocations stay below the limit, so
 * select()'s FD_SETSIZE is as safe as it was. The window is held under a
 * lock that the preload shim's setrlimit()/prlimit() wrappers take too
 * (ulk_hostfd_limit_lock()), so a limit the program sets is never undone.
 *
 * When soft and hard limits are equal: at least half the soft limit,
 * clamped to 64..1024, so the program's next numbers stay free.
 */
static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;

/**
 * ulk_hostfd_limit_lock() - hold RLIMIT_NOFILE still: no descriptor of
 * ulk's is placed (and the soft limit raised for it) until the matching
 * ulk_hostfd_limit_unlock().
 */
void ulk_hostfd_limit_lock(void)
{
	pthread_mutex_lock(&limit_lock);
}

/**
 * ulk_hostfd_limit_unlock() - end ulk_hostfd_limit_lock().
 */
void ulk_hostfd_limit_unlock(void)
{
	pthread_mutex_unlock(&limit_lock);
}

/*
 * Place a copy of @fd at or above the soft limit, raising the limit for
 * that call only. Return: the copy, or -1 (no room: limits equal, or
 * nothing free below the cap).
 */
static int dup_above_limit(int fd)
{
	struct rlimit old, raised;
	long cap, nfd = -1;

	pthread_mutex_lock(&limit_lock);
	/* Direct calls throughout: see ulk_host_poll() for why. */
	if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &old) ||
	    old.rlim_cur == RLIM_INFINITY || old.rlim_cur >= old.rlim_max ||
	    old.rlim_cur >= ULK_HOSTFD_MAX)
		goto out;
	cap = 2 * (long)old.rlim_cur + LOW_FDS;
	if (old.rlim_max != RLIM_INFINITY && (long)old.rlim_max < cap)
		cap = (long)old.rlim_max;
	if (cap > ULK_HOSTFD_MAX)
		cap = ULK_HOSTFD_MAX;
	raised.rlim_cur = (rlim_t)cap;
	raised.rlim_max = old.rlim_max;
	if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &raised, NULL))
		goto out;
	nfd = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, (int)old.rlim_cur);
	syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &old, NULL);
out:
	pthread_mutex_unlock(&limit_lock);
	return (int)nfd;
}

/**
 * ulk_hostfd_dup_high() - a close-on-exec copy of a descriptor, placed where
 * ulk's own descriptors go (above).
 * @fd: the descriptor; it stays open.
 *
 * Return: the copy, or -1 with errno set.
 */
int ulk_hostfd_dup_high(int fd)
{
	struct rlimit rl;
	long floor = LOW_FDS;
	int nfd;

	nfd = dup_above_limit(fd);
	if (nfd >= 0)
		return nfd;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    (long)(rl.rlim_cur / 2) > floor)
		floor = (long)(rl.rlim_cur / 2);
	if (floor > HIGH_FDS)
		floor = HIGH_FDS;
	nfd = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, (int)floor);
	if (nfd < 0)
		nfd = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0);
	return nfd;
}

/**
 * ulk_hostfd_move_high() - move a descriptor ulk made for itself to where
 * ulk's own descriptors go (above).
 * @fd: a descriptor just created (close-on-exec is set on the new one).
 *
 * If no such number is free, @fd is kept as it is.
 * Return: the descriptor to use from now on (@fd itself when it stays),
 * or a negative errno if @fd was negative.
 */
int ulk_hostfd_move_high(int fd)
{
	int nfd;

	if (fd < 0)
		return fd;
	nfd = ulk_hostfd_dup_high(fd);
	if (nfd < 0 || nfd < fd) {
		if (nfd >= 0)
			syscall(SYS_close, nfd);
		return fd;
	}
	syscall(SYS_close, fd);
	return nfd;
}

/**
 * ulk_host_open() - open() of a host file, never interposed (the preload
 * shim serves some paths from ulk: tools/preload/files.c).
 * @path: the path.
 * @flags: open() flags (no O_CREAT).
 * Return: the descriptor, or -1 with errno set.
 */
int ulk_host_open(const char *path, int flags)
{
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, 0);
}

/**
 * ulk_host_epoll_create() - epoll_create1(EPOLL_CLOEXEC), never interposed.
 * Return: the descriptor (moved high), or -1 with errno set.
 */
int ulk_host_epoll_create(void)
{
	return ulk_hostfd_move_high((int)syscall(SYS_epoll_create1,
						 EPOLL_CLOEXEC));
}

/**
 * ulk_host_epoll_ctl() - epoll_ctl(), never interposed.
 * @epfd: ulk's own epoll descriptor.
 * @op: EPOLL_CTL_ADD, _MOD or _DEL.
 * @fd: the descriptor.
 * @ev: its events.
 * Return: 0, or -1 with errno set.
 */
int ulk_host_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	return (int)syscall(SYS_epoll_ctl, epfd, op, fd, ev);
}

/**
 * ulk_host_epoll_wait() - epoll_wait(), never interposed.
 * @epfd: ulk's own epoll descriptor.
 * @evs: receives events.
 * @max: room in @evs.
 * @ms: timeout in milliseconds, negative for none.
 * Return: the number of events, or -1 with errno set.
 */
int ulk_host_epoll_wait(int epfd, struct epoll_event *evs, int max, int ms)
{
	return (int)syscall(SYS_epoll_pwait, epfd, evs, max, ms, NULL,
			    (size_t)8);
}

/**
 * ulk_host_poll() - poll(), never interposed.
 * @fds: the descriptors.
 * @nfds: how many.
 * @ms: timeout in milliseconds, negative for none (0: just look).
 * Return: the number ready, or -1 with errno set (EINTR included).
 */
int ulk_host_poll(struct pollfd *fds, unsigned long nfds, int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	return (int)syscall(SYS_ppoll, fds, nfds, ms < 0 ? NULL : &ts, NULL,
			    (size_t)8);
}

/*
 * Reads and writes on ulk's own descriptors, as direct system calls for
 * the reasons above and one more: application threads make them while
 * running kernel code (a TAP write from the transmitting thread, a kick
 * of a device's I/O thread), and libc's versions are cancellation points,
 * where pthread_cancel() would unwind through kernel frames.
 */

/**
 * ulk_host_read() - read(), never interposed, not a cancellation point.
 * @fd: ulk's own descriptor.
 * @buf: destination.
 * @len: its size.
 * Return: bytes read, or -1 with errno set.
 */
long ulk_host_read(int fd, void *buf, unsigned long len)
{
	return syscall(SYS_read, fd, buf, len);
}

/**
 * ulk_host_write() - write(), never interposed, not a cancellation point.
 * @fd: ulk's own descriptor.
 * @buf: source.
 * @len: its size.
 * Return: bytes written, or -1 with errno set.
 */
long ulk_host_write(int fd, const void *buf, unsigned long len)
{
	return syscall(SYS_write, fd, buf, len);
}

/**
 * ulk_host_readv() - readv(), never interposed, not a cancellation point.
 * @fd: ulk's own descriptor.
 * @iov: destination buffers.
 * @iovcnt: how many.
 * Return: bytes read, or -1 with errno set.
 */
long ulk_host_readv(int fd, const struct iovec *iov, int iovcnt)
{
	return syscall(SYS_readv, fd, iov, iovcnt);
}

/**
 * ulk_host_writev() - writev(), never interposed, not a cancellation point.
 * @fd: ulk's own descriptor.
 * @iov: source buffers.
 * @iovcnt: how many.
 * Return: bytes written, or -1 with errno set.
 */
long ulk_host_writev(int fd, const struct iovec *iov, int iovcnt)
{
	return syscall(SYS_writev, fd, iov, iovcnt);
}

/**
 * ulk_host_sendmsg() - sendmsg(), never interposed, not a cancellation
 * point.
 * @fd: ulk's own socket.
 * @msg: the message.
 * @flags: MSG_* flags.
 * Return: bytes sent, or -1 with errno set.
 */
long ulk_host_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return syscall(SYS_sendmsg, fd, msg, flags);
}

/**
 * ulk_host_recvmsg() - recvmsg(), never interposed, not a cancellation
 * point.
 * @fd: ulk's own socket.
 * @msg: the message.
 * @flags: MSG_* flags.
 * Return: bytes received, or -1 with errno set.
 */
long ulk_host_recvmsg(int fd, struct msghdr *msg, int flags)
{
	return syscall(SYS_recvmsg, fd, msg, flags);
}

/**
 * ulk_host_shutdown() - shutdown(), never interposed.
 * @fd: ulk's own socket.
 * @how: SHUT_RD, SHUT_WR or SHUT_RDWR.
 * Return: 0, or -1 with errno set.
 */
int ulk_host_shutdown(int fd, int how)
{
	return syscall(SYS_shutdown, fd, how);
}
