// SPDX-License-Identifier: GPL-2.0
/*
 * Where control sockets live: $XDG_RUNTIME_DIR/ulk/NAME.sock for a user
 * with a runtime directory, /run/ulk/NAME.sock for root, and otherwise
 * /tmp/ulk-UID/NAME.sock. The directory is the user's own, mode 0700; one
 * that is not (another user's, or open to others) is refused rather than
 * used: sockets there could be replaced or watched.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/proto.h"

/**
 * ulk_ctl_name_ok() - whether @name may name an instance: 1 to
 * ULK_CTL_NAME_MAX - 1 characters from [A-Za-z0-9._-], not starting with
 * a dot.
 * @name: the name.
 *
 * Return: true if it may.
 */
bool ulk_ctl_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (!n || n >= ULK_CTL_NAME_MAX || name[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

/* @dir exists (or is made), is a directory of ours, closed to others. */
static int own_dir(const char *dir, bool create)
{
	struct stat st;

	if (create && mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077))
		return -EPERM;
	return 0;
}

/**
 * ulk_ctl_dir() - the directory of this user's control sockets.
 * @buf: receives it.
 * @n: room in @buf.
 * @create: make it if it does not exist.
 *
 * Return: 0, -ENAMETOOLONG, -EPERM if it exists but is not the user's
 * alone, or another negative errno (-ENOENT when it does not exist and
 * @create is false).
 */
int ulk_ctl_dir(char *buf, size_t n, bool create)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int len;

	if (geteuid() == 0)
		len = snprintf(buf, n, "/run/ulk");
	else if (xdg && *xdg == '/')
		len = snprintf(buf, n, "%s/ulk", xdg);
	else
		len = snprintf(buf, n, "/tmp/ulk-%u", (unsigned)geteuid());
	if (len < 0 || (size_t)len >= n)
		return -ENAMETOOLONG;
	return own_dir(buf, create);
}

/**
 * ulk_ctl_path() - the control socket of instance @name.
 * @name: an instance name (ulk_ctl_name_ok()).
 * @buf: receives the path.
 * @n: room in @buf.
 * @create: make the directory if it does not exist.
 *
 * Return: 0, -EINVAL for a bad name, or as ulk_ctl_dir().
 */
int ulk_ctl_path(const char *name, char *buf, size_t n, bool create)
{
	size_t len;
	int err;

	if (!ulk_ctl_name_ok(name))
		return -EINVAL;
	err = ulk_ctl_dir(buf, n, create);
	if (err)
		return err;
	len = strlen(buf);
	if ((size_t)snprintf(buf + len, n - len, "/%s.sock", name) >= n - len)
		return -ENAMETOOLONG;
	return 0;
}

/**
 * ulk_ctl_live() - whether an instance listens on control socket @path.
 * @path: a socket path.
 *
 * Return: 1 if a connection is accepted there, 0 if the file is missing
 * or stale (nobody listens), a negative errno if that cannot be told.
 */
int ulk_ctl_live(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = syscall(SYS_connect, fd, &sa, sizeof(sa)) ? errno : 0;
	syscall(SYS_close, fd);
	if (!err)
		return 1;
	return err == ECONNREFUSED || err == ENOENT ? 0 : -err;
}
