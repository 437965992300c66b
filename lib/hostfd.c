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
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hostfd.h"

#define LOW_FDS		64	/* never below this, whatever the limit */
#define HIGH_FDS	1024	/* nor above: some callers scan that far */

/**
 * ulk_hostfd_move_high() - move a descriptor ulk made for itself above the
 * numbers a program normally uses.
 * @fd: a descriptor just created (close-on-exec is set on the new one).
 *
 * The new number is at least half the soft RLIMIT_NOFILE, clamped to
 * 64..1024 (the preload shim scans the first 4096 descriptors for those
 * that boot made); if no such number is free, @fd is kept as it is.
 * Return: the descriptor to use from now on (@fd itself when it stays),
 * or a negative errno if @fd was negative.
 */
int ulk_hostfd_move_high(int fd)
{
	struct rlimit rl;
	long floor = LOW_FDS;
	int nfd;

	if (fd < 0)
		return fd;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    (long)(rl.rlim_cur / 2) > floor)
		floor = (long)(rl.rlim_cur / 2);
	if (floor > HIGH_FDS)
		floor = HIGH_FDS;
	if (fd >= floor)
		return fd;
	/* Direct calls: see ulk_host_poll() for why. */
	nfd = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, (int)floor);
	if (nfd < 0)
		return fd;
	syscall(SYS_close, fd);
	return nfd;
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
