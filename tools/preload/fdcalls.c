// SPDX-License-Identifier: GPL-2.0
/*
 * The preload shim's hand-written wrappers: the calls that create, copy or
 * close descriptors, the variadic ones, and sendfile(). The rest are
 * generated from calls.list. See fdtable.c for how descriptors map.
 *
 * No _GNU_SOURCE here: with it <sys/socket.h> declares accept() and
 * friends with transparent unions that a definition cannot repeat.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ulk/ulk.h>

#include "shim.h"

#define SENDFILE_CHUNK	(256 * 1024)

/* The families ulk serves; everything else (AF_UNIX above all) is the host's. */
static int served_family(int domain)
{
	return domain == AF_INET || domain == AF_INET6 ||
	       domain == AF_PACKET || domain == AF_NETLINK;
}

int socket(int domain, int type, int protocol)
{
	long u;

	if (!served_family(domain))
		return NEXT("socket", int (*)(int, int, int))(domain, type,
							      protocol);
	if (shim_unavailable())
		return -1;
	u = ulk_sys_socket(domain, type, protocol);
	if (u < 0)
		return (int)shim_errno(u);
	return shim_fd_install((int)u, !!(type & SOCK_CLOEXEC));
}

int socketpair(int domain, int type, int protocol, int sv[2])
{
	int usv[2];
	long r;

	if (!served_family(domain))
		return NEXT("socketpair", int (*)(int, int, int, int *))(
			domain, type, protocol, sv);
	if (shim_unavailable())
		return -1;
	r = ulk_sys_socketpair(domain, type, protocol, usv);
	if (r < 0)
		return (int)shim_errno(r);
	sv[0] = shim_fd_install(usv[0], !!(type & SOCK_CLOEXEC));
	if (sv[0] < 0) {
		ulk_sys_close(usv[1]);
		return -1;
	}
	sv[1] = shim_fd_install(usv[1], !!(type & SOCK_CLOEXEC));
	if (sv[1] < 0) {
		close(sv[0]);
		return -1;
	}
	return 0;
}

/* accept4() in ulk on a held listening socket, and the new descriptor. */
static int accept_ulk(struct shim_ref *ref, struct sockaddr *addr,
		      socklen_t *alen, int flags)
{
	long u;

	u = ulk_sys_accept4(ref->ufd, (void *)addr, alen, flags);
	if (shim_finish(ref, u < 0 ? u : 0) < 0)
		return -1;
	return shim_fd_install((int)u, !!(flags & SOCK_CLOEXEC));
}

int accept4(int fd, struct sockaddr *addr, socklen_t *alen, int flags)
{
	struct shim_ref ref;

	switch (shim_get(fd, &ref)) {
	case 0:
		return NEXT("accept4", int (*)(int, struct sockaddr *,
					       socklen_t *, int))(fd, addr,
								  alen, flags);
	case -1:
		return -1;
	}
	return accept_ulk(&ref, addr, alen, flags);
}

int accept(int fd, struct sockaddr *addr, socklen_t *alen)
{
	struct shim_ref ref;

	switch (shim_get(fd, &ref)) {
	case 0:
		return NEXT("accept", int (*)(int, struct sockaddr *,
					      socklen_t *))(fd, addr, alen);
	case -1:
		return -1;
	}
	return accept_ulk(&ref, addr, alen, 0);
}

int close(int fd)
{
	int r = shim_fd_close(fd);

	if (r == 0)
		return NEXT("close", int (*)(int))(fd);
	return r > 0 ? 0 : -1;
}

int close_range(unsigned int first, unsigned int last, int flags)
{
	return shim_close_range(first, last, flags);
}

void closefrom(int lowfd)
{
	if (lowfd >= 0)
		shim_close_range((unsigned int)lowfd, ~0U, 0);
}

int dup(int fd)
{
	return shim_fd_dup(fd, -1, 0, 0);
}

int dup2(int oldfd, int newfd)
{
	if (oldfd == newfd) {
		if (shim_fd_is_internal(oldfd) ||
		    syscall(SYS_fcntl, oldfd, F_GETFD) < 0) {
			errno = EBADF;
			return -1;
		}
		return newfd;
	}
	return shim_fd_dup(oldfd, newfd, 0, 0);
}

int dup3(int oldfd, int newfd, int flags)
{
	if (oldfd == newfd || (flags & ~O_CLOEXEC)) {
		errno = EINVAL;
		return -1;
	}
	return shim_fd_dup(oldfd, newfd, 0, !!(flags & O_CLOEXEC));
}

/*
 * The descriptor flags and copies are the table's; everything else is the
 * socket's. fcntl64 is the same function (glibc's are one on 64-bit).
 */
int fcntl(int fd, int cmd, ...)
{
	struct shim_ref ref;
	va_list ap;
	long arg;
	int r;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	if (shim_fd_is_internal(fd)) {
		errno = EBADF;
		return -1;
	}
	/* Any descriptor: the table follows copies of epoll sets too. */
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		return shim_fd_dup(fd, -1, (int)arg, cmd == F_DUPFD_CLOEXEC);
	switch (shim_get(fd, &ref)) {
	case 0:
		return NEXT("fcntl", int (*)(int, int, ...))(fd, cmd, arg);
	case -1:
		return -1;
	}
	switch (cmd) {
	case F_GETFD:
		r = shim_fd_get_cloexec(fd);
		shim_put(&ref);
		return r > 0 ? FD_CLOEXEC : 0;
	case F_SETFD:
		shim_fd_set_cloexec(fd, !!(arg & FD_CLOEXEC));
		shim_put(&ref);
		return 0;
	}
	return (int)shim_finish(&ref, ulk_sys_fcntl(ref.ufd, cmd, arg));
}

int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

int ioctl(int fd, unsigned long req, ...)
{
	struct shim_ref ref;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	switch (shim_get(fd, &ref)) {
	case 0:
		return NEXT("ioctl", int (*)(int, unsigned long, ...))(fd, req,
								      arg);
	case -1:
		return -1;
	}
	if (req == FIOCLEX || req == FIONCLEX) {
		shim_fd_set_cloexec(fd, req == FIOCLEX);
		shim_put(&ref);
		return 0;
	}
	return (int)shim_finish(&ref, ulk_sys_ioctl(ref.ufd, req, (long)arg));
}

/* sendfile() from a host file to a ulk socket: read and send in chunks. */
static ssize_t sendfile_to_ulk(struct shim_ref *ref, int in, off_t *offset,
			       size_t count)
{
	static __thread char *buf;
	size_t total = 0;
	long n, w = 0;
	off_t pos;

	pos = offset ? *offset : lseek(in, 0, SEEK_CUR);
	if (pos < 0)
		return shim_finish(ref, -errno);
	if (!buf)
		buf = malloc(SENDFILE_CHUNK);
	if (!buf)
		return shim_finish(ref, -ENOMEM);
	while (total < count) {
		size_t want = count - total;

		if (want > SENDFILE_CHUNK)
			want = SENDFILE_CHUNK;
		n = syscall(SYS_pread64, in, buf, want, pos + (off_t)total);
		if (n < 0) {
			w = -errno;
			break;
		}
		if (n == 0)
			break;
		w = ulk_sys_write(ref->ufd, buf, n);
		if (w < 0)
			break;
		total += (size_t)w;
		if (w < n)
			break;
	}
	if (offset)
		*offset = pos + (off_t)total;
	else
		lseek(in, pos + (off_t)total, SEEK_SET);
	return shim_finish(ref, total ? (long)total : w);
}

ssize_t sendfile(int out, int in, off_t *offset, size_t count)
{
	struct shim_ref ref, iref;

	switch (shim_get(in, &iref)) {
	case 1:
		/* Linux cannot sendfile() from a socket either. */
		shim_put(&iref);
		errno = EINVAL;
		return -1;
	case -1:
		return -1;
	}
	switch (shim_get(out, &ref)) {
	case 0:
		return NEXT("sendfile", ssize_t (*)(int, int, off_t *,
						    size_t))(out, in, offset,
							     count);
	case -1:
		return -1;
	}
	return sendfile_to_ulk(&ref, in, offset, count);
}

ssize_t sendfile64(int out, int in, off_t *offset, size_t count)
{
	return sendfile(out, in, offset, count);
}
