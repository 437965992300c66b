// SPDX-License-Identifier: GPL-2.0
/*
 * Files under ulk-run that are ulk's, and stdio streams on ulk descriptors.
 *
 * The network's state as files. A program under ulk-run that reads
 * /proc/net/snmp, /proc/net/tcp, /proc/sys/net/ipv4/tcp_rmem or
 * /sys/class/net/eth0/statistics/rx_bytes (netstat -s, nstat, ss -s,
 * sysctl(8), cat) must see its own network's figures, which are ulk's; the
 * host's would be wrong without looking wrong. So opens of these paths are
 * served from the same paths inside ulk (procfs and sysfs are mounted there
 * at boot):
 *
 *	/proc/net/...  /proc/self/net/...  /proc/thread-self/net/...
 *	/proc/PID/net/... (the program's own PID)   ->  /proc/net/... in ulk
 *	/proc/sys/net/...  /sys/class/net/...        ->  the same in ulk
 *
 *  - Opened for reading: the file is read whole from ulk into a host memfd,
 *    positioned at its start, which the program gets. It behaves as the
 *    proc file does for one pass of reading (fstat, lseek, mmap work too);
 *    a proc file is a snapshot taken when it is read, this one when it is
 *    opened. A file cannot be read whole past ULK_FILE_MAX: EFBIG.
 *  - Opened for writing (a sysctl): the descriptor is ulk's own file, in
 *    the descriptor table like a socket (fdtable.c), so write() reaches the
 *    kernel's handler and its errors come back as they would.
 *  - Directories, relative paths and other descriptors' bases are the
 *    host's: `ls /sys/class/net` lists the host's interfaces. Not covered:
 *    stat() and access() of these paths (the host answers).
 *
 * Both open() and its variants and fopen() are wrapped: glibc's fopen()
 * opens through an internal call no preload sees.
 *
 * Stdio on ulk descriptors. glibc's streams read and write their
 * descriptor with internal calls too, which would reach the socket's host
 * shadow: fflush() would "succeed" and send nothing. So fdopen() of a ulk
 * socket, and fopen() of a file above for writing, give a stream whose
 * reads, writes and close are the shim's (fopencookie()), and whose
 * fileno() is the descriptor, as the program expects.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ulk/ulk.h>
#include <ulk/linux/fcntl.h>

#include "shim.h"

#define ULK_FILE_MAX	(256L << 20)
#define PATH_MAX_ULK	4096

/* --- which paths are ulk's ---------------------------------------------- */

/* @s starts with @prefix: return what follows, else NULL. */
static const char *after(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) ? NULL : s + n;
}

/*
 * The path inside ulk that @path (the program's) names, in @out; only
 * files below the directories above (a bare directory is the host's).
 * Return: 1 if it is ulk's, else 0.
 */
static int ulk_path(const char *path, char *out, size_t size)
{
	const char *rest;
	char self[32];
	int n;

	/* Every open() of the program comes here: reject quickly. */
	if (!path || path[0] != '/' || (strncmp(path, "/proc/", 6) &&
					strncmp(path, "/sys/class/net/", 15)))
		return 0;
	snprintf(self, sizeof(self), "/proc/%d/net/", (int)getpid());
	if ((rest = after(path, "/proc/net/")) ||
	    (rest = after(path, "/proc/self/net/")) ||
	    (rest = after(path, "/proc/thread-self/net/")) ||
	    (rest = after(path, self))) {
		if (!*rest)
			return 0;
		n = snprintf(out, size, "/proc/net/%s", rest);
	} else if (((rest = after(path, "/proc/sys/net/")) ||
		    (rest = after(path, "/sys/class/net/"))) && *rest) {
		n = snprintf(out, size, "%s", path);
	} else {
		return 0;
	}
	return n > 0 && (size_t)n < size;
}

/* --- opens ------------------------------------------------------------- */

/* Read ulk's file @ufd whole into a new host memfd. Return it, or -errno. */
static int snapshot(int ufd, int cloexec)
{
	static __thread char *buf;
	long total = 0, n, w, off;
	int mfd;

	if (!buf && !(buf = malloc(65536)))
		return -ENOMEM;
	mfd = (int)syscall(SYS_memfd_create, "ulk-proc",
			   cloexec ? MFD_CLOEXEC : 0);
	if (mfd < 0)
		return -errno;
	for (;;) {
		n = ulk_sys_read(ufd, buf, 65536);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			break;
		if (total + n > ULK_FILE_MAX) {
			n = -EFBIG;
			break;
		}
		for (off = 0; off < n; off += w) {
			w = syscall(SYS_write, mfd, buf + off, n - off);
			if (w <= 0) {
				n = -errno;
				goto out;
			}
		}
		total += n;
	}
out:
	if (n < 0) {
		syscall(SYS_close, mfd);
		return (int)n;
	}
	syscall(SYS_lseek, mfd, 0L, SEEK_SET);
	return mfd;
}

/*
 * Open ulk's file for @path with @flags: a memfd copy to read, or ulk's
 * descriptor in the table to write. Return: the program's descriptor, or
 * -1 with errno set.
 */
static int open_ulk(const char *upath, int flags)
{
	int acc = flags & O_ACCMODE, cloexec = !!(flags & O_CLOEXEC), fd;
	long ufd;

	if (shim_unavailable())
		return -1;
	ufd = ulk_sys_openat(ULK_AT_FDCWD, upath,
			     (acc == O_RDONLY ? ULK_O_RDONLY :
			      acc == O_WRONLY ? ULK_O_WRONLY : ULK_O_RDWR) |
			     (flags & O_TRUNC ? ULK_O_TRUNC : 0) |
			     (flags & O_APPEND ? ULK_O_APPEND : 0) |
			     ULK_O_CLOEXEC, 0);
	if (ufd < 0)
		return (int)shim_errno(ufd);
	if (acc != O_RDONLY)
		return shim_fd_install((int)ufd, cloexec);
	fd = snapshot((int)ufd, cloexec);
	ulk_sys_close((int)ufd);
	return fd < 0 ? (int)shim_errno(fd) : fd;
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | __O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);

#define OPEN_WRAPPER(name)						\
int name(const char *path, int flags, ...)				\
{									\
	char upath[PATH_MAX_ULK];					\
	mode_t mode;							\
	va_list ap;							\
									\
	va_start(ap, flags);						\
	mode = mode_arg(flags, ap);					\
	va_end(ap);							\
	if (ulk_path(path, upath, sizeof(upath)))			\
		return open_ulk(upath, flags);				\
	return NEXT(#name, open_fn)(path, flags, mode);			\
}

#define OPENAT_WRAPPER(name)						\
int name(int dirfd, const char *path, int flags, ...)			\
{									\
	char upath[PATH_MAX_ULK];					\
	mode_t mode;							\
	va_list ap;							\
									\
	va_start(ap, flags);						\
	mode = mode_arg(flags, ap);					\
	va_end(ap);							\
	if (ulk_path(path, upath, sizeof(upath)))			\
		return open_ulk(upath, flags);				\
	return NEXT(#name, openat_fn)(dirfd, path, flags, mode);	\
}

OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)
OPENAT_WRAPPER(openat)
OPENAT_WRAPPER(openat64)

/* The fortified forms (_FORTIFY_SOURCE), which take no mode. */
int __open_2(const char *path, int flags)
{
	char upath[PATH_MAX_ULK];

	if (ulk_path(path, upath, sizeof(upath)))
		return open_ulk(upath, flags);
	return NEXT("__open_2", int (*)(const char *, int))(path, flags);
}

int __open64_2(const char *path, int flags)
{
	char upath[PATH_MAX_ULK];

	if (ulk_path(path, upath, sizeof(upath)))
		return open_ulk(upath, flags);
	return NEXT("__open64_2", int (*)(const char *, int))(path, flags);
}

int __openat_2(int dirfd, const char *path, int flags)
{
	char upath[PATH_MAX_ULK];

	if (ulk_path(path, upath, sizeof(upath)))
		return open_ulk(upath, flags);
	return NEXT("__openat_2", int (*)(int, const char *, int))(dirfd,
								    path, flags);
}

int __openat64_2(int dirfd, const char *path, int flags)
{
	char upath[PATH_MAX_ULK];

	if (ulk_path(path, upath, sizeof(upath)))
		return open_ulk(upath, flags);
	return NEXT("__openat64_2", int (*)(int, const char *, int))(dirfd,
								      path, flags);
}

/* --- streams ------------------------------------------------------------ */

static ssize_t stream_read(void *cookie, char *buf, size_t n)
{
	return read((int)(intptr_t)cookie, buf, n);
}

/* All of @n, or what went before an error (0 if nothing did). */
static ssize_t stream_write(void *cookie, const char *buf, size_t n)
{
	size_t done = 0;
	ssize_t w;

	while (done < n) {
		w = write((int)(intptr_t)cookie, buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	return (ssize_t)done;
}

static int stream_close(void *cookie)
{
	return close((int)(intptr_t)cookie);
}

/*
 * A stream on ulk descriptor @fd whose I/O is the shim's; fileno() gives
 * @fd (glibc marks cookie streams with a negative descriptor and reaches
 * a stream's descriptor only through its functions, which are ours).
 */
static FILE *ulk_stream(int fd, const char *mode)
{
	static const cookie_io_functions_t io = {
		.read = stream_read,
		.write = stream_write,
		.close = stream_close,
	};
	FILE *f = fopencookie((void *)(intptr_t)fd, mode, io);

	if (f)
		f->_fileno = fd;
	return f;
}

FILE *fdopen(int fd, const char *mode)
{
	if (shim_is_ulk(fd))
		return ulk_stream(fd, mode);
	return NEXT("fdopen", FILE *(*)(int, const char *))(fd, mode);
}

/* fopen()'s mode as open() flags (glibc's letters; the rest ignored). */
static int mode_flags(const char *mode)
{
	int flags, plus = !!strchr(mode, '+');

	switch (mode[0]) {
	case 'r':
		flags = plus ? O_RDWR : O_RDONLY;
		break;
	case 'w':
		flags = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC;
		break;
	case 'a':
		flags = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND;
		break;
	default:
		return -1;
	}
	return flags | (strchr(mode, 'e') ? O_CLOEXEC : 0);
}

static FILE *fopen_ulk(const char *upath, const char *mode)
{
	int flags = mode_flags(mode), fd, err;
	FILE *f;

	if (flags < 0) {
		errno = EINVAL;
		return NULL;
	}
	fd = open_ulk(upath, flags);
	if (fd < 0)
		return NULL;
	if ((flags & O_ACCMODE) == O_RDONLY)
		f = NEXT("fdopen", FILE *(*)(int, const char *))(fd, mode);
	else
		f = ulk_stream(fd, mode);
	if (!f) {
		err = errno;
		close(fd);
		errno = err;
	}
	return f;
}

FILE *fopen(const char *path, const char *mode)
{
	char upath[PATH_MAX_ULK];

	if (mode && ulk_path(path, upath, sizeof(upath)))
		return fopen_ulk(upath, mode);
	return NEXT("fopen", FILE *(*)(const char *, const char *))(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	char upath[PATH_MAX_ULK];

	if (mode && ulk_path(path, upath, sizeof(upath)))
		return fopen_ulk(upath, mode);
	return NEXT("fopen64", FILE *(*)(const char *, const char *))(path,
								      mode);
}
