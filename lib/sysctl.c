// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel parameters by dotted name: ulk_sysctl_get() and ulk_sysctl_set()
 * of <ulk/net.h>.
 *
 * A name is a path under /proc/sys inside ulk (procfs is mounted there at
 * boot) with "." for "/", as sysctl(8) prints them. The name is checked
 * before it becomes a path, so that it can only ever name a file below
 * /proc/sys: no "/" (which would let ".." or absolute paths through), no
 * empty component (which ".." and leading/trailing dots produce).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <ulk/ulk.h>
#include <ulk/abi.h>
#include <ulk/net.h>

#define SYSCTL_ROOT	"/proc/sys/"
#define SYSCTL_NAME_MAX	255

/*
 * Turn @name into its /proc/sys path in @path (of @size bytes).
 * Return: 0, -EINVAL for a malformed name, -ENAMETOOLONG.
 */
static int sysctl_path(const char *name, char *path, size_t size)
{
	size_t n, i, root = sizeof(SYSCTL_ROOT) - 1;
	bool start = true;

	if (!name)
		return -EINVAL;
	n = strnlen(name, SYSCTL_NAME_MAX + 1);
	if (n == 0)
		return -EINVAL;
	if (n > SYSCTL_NAME_MAX || root + n + 1 > size)
		return -ENAMETOOLONG;
	memcpy(path, SYSCTL_ROOT, root);
	for (i = 0; i < n; i++) {
		unsigned char c = name[i];

		if (c == '/' || c == '=' || c <= ' ' || c == 0x7f)
			return -EINVAL;
		if (c == '.') {
			if (start)
				return -EINVAL;	/* empty component */
			start = true;
			path[root + i] = '/';
		} else {
			start = false;
			path[root + i] = c;
		}
	}
	if (start)
		return -EINVAL;		/* trailing dot */
	path[root + n] = '\0';
	return 0;
}

/* Open the sysctl @name; Return: a ulk descriptor or a negative errno. */
static long sysctl_open(const char *name, long flags)
{
	/* Zeroed: the kernel reads names a word at a time, past the NUL. */
	char path[sizeof(SYSCTL_ROOT) + SYSCTL_NAME_MAX] = { 0 };
	long fd;
	int ret;

	ret = sysctl_path(name, path, sizeof(path));
	if (ret)
		return ret;
	fd = ulk_sys_openat(ULK_AT_FDCWD, path, flags | ULK_O_CLOEXEC, 0);
	/* "net.core.somaxconn.x": a component is a file, so no such sysctl. */
	if (fd == -ENOTDIR)
		fd = -ENOENT;
	return fd;
}

int ulk_sysctl_get(const char *name, char *buf, size_t len)
{
	size_t total = 0;
	long fd, n = 1;		/* > 0: end of file not seen yet */

	if (!buf || !len)
		return -EINVAL;
	fd = sysctl_open(name, ULK_O_RDONLY);
	if (fd < 0)
		return (int)fd;
	while (total < len - 1) {
		n = ulk_sys_read(fd, buf + total, len - 1 - total);
		if (n <= 0)
			break;
		total += n;
	}
	/*
	 * The buffer is full: the value fits only if nothing but the
	 * newline we drop anyway is left.
	 */
	if (n > 0) {
		char extra[2];

		n = ulk_sys_read(fd, extra, sizeof(extra));
		if (n > 0 && !(n == 1 && extra[0] == '\n' &&
			       ulk_sys_read(fd, extra, 1) == 0))
			n = -ERANGE;
		else if (n > 0)
			n = 0;
	}
	ulk_sys_close(fd);
	if (n < 0)
		return (int)n;
	while (total > 0 && buf[total - 1] == '\n')
		total--;
	buf[total] = '\0';
	return (int)total;
}

int ulk_sysctl_set(const char *name, const char *value)
{
	size_t vlen;
	char *text;
	long fd, n, ret;

	if (!value)
		return -EINVAL;
	fd = sysctl_open(name, ULK_O_WRONLY);
	if (fd < 0)
		return (int)fd;

	/* One write of the value and a newline, as sysctl(8) does. */
	vlen = strlen(value);
	text = malloc(vlen + 2);
	if (!text) {
		ulk_sys_close(fd);
		return -ENOMEM;
	}
	memcpy(text, value, vlen);
	if (!vlen || value[vlen - 1] != '\n')
		text[vlen++] = '\n';
	n = ulk_sys_write(fd, text, vlen);
	free(text);
	ret = ulk_sys_close(fd);
	if (n == -ENOENT)	/* e.g. an unknown congestion control */
		return -EINVAL;
	if (n < 0)
		return (int)n;
	if ((size_t)n != vlen)
		return -EINVAL;	/* the kernel did not take the whole value */
	return ret < 0 ? (int)ret : 0;
}
