/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers the host side of ulk shares (lib/): the monotonic clock in
 * nanoseconds, and copies between a flat buffer and scattered buffers. One
 * copy of each, here, instead of one per file.
 */
#ifndef ULK_HOSTUTIL_H
#define ULK_HOSTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds (the clock ulk's own clock reads). */
static inline long long ulk_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Bytes in @n buffers @iov. */
static inline size_t ulk_iov_total(const struct iovec *iov, int n)
{
	size_t len = 0;
	int i;

	for (i = 0; i < n; i++)
		len += iov[i].iov_len;
	return len;
}

/*
 * Copy @len bytes between @buf and offset @off of the @n buffers @iov:
 * into them if @to_iov, else out of them. False if they end first (what
 * fitted was copied).
 */
static inline bool ulk_iov_copy(const struct iovec *iov, int n, size_t off,
				void *buf, size_t len, bool to_iov)
{
	unsigned char *p = buf;
	int i;

	for (i = 0; i < n && len; i++) {
		size_t seg = iov[i].iov_len, k;
		unsigned char *base = iov[i].iov_base;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		k = seg - off < len ? seg - off : len;
		if (to_iov)
			memcpy(base + off, p, k);
		else
			memcpy(p, base + off, k);
		p += k;
		len -= k;
		off = 0;
	}
	return !len;
}

#endif /* ULK_HOSTUTIL_H */
