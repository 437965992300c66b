/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Marshalling of system calls between a control-socket client and an
 * instance (marshal.c): the client's half turns a call's pointer arguments
 * into items and the result's items back into the caller's memory; the
 * server's half decodes a CALL into buffers of its own, makes the call
 * through the operations it is given, and encodes the RESULT. Both halves
 * are pure (no sockets, no ulk), so the fuzz targets drive them directly.
 */
#ifndef ULK_LIB_CTL_MARSHAL_H
#define ULK_LIB_CTL_MARSHAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/proto.h"

/**
 * struct ulk_ctl_buf - a growing message body.
 * @p: the bytes (malloc'd), or NULL.
 * @len: bytes used.
 * @cap: bytes allocated.
 * @failed: an allocation failed or ULK_CTL_MAX_BODY would be passed; the
 *	content is then incomplete.
 */
struct ulk_ctl_buf {
	unsigned char *p;
	size_t len;
	size_t cap;
	bool failed;
};

void ulk_ctl_buf_put(struct ulk_ctl_buf *b, const void *data, size_t n);
void *ulk_ctl_buf_item(struct ulk_ctl_buf *b, const void *data, size_t n);
void ulk_ctl_buf_free(struct ulk_ctl_buf *b);

/**
 * struct ulk_ctl_pending - what the client remembers of a call it sent,
 * to put the result where the caller wants it.
 * @nr: the call.
 * @args: the caller's arguments.
 * @cap: per argument, the most bytes the result may write through it (the
 *	item lengths the reply is checked against).
 * @aux: per argument, a second capacity (recvmsg's control buffer,
 *	ethtool's buffer behind an ifreq).
 */
struct ulk_ctl_pending {
	long nr;
	long args[6];
	uint32_t cap[6];
	uint32_t aux[6];
};

int ulk_ctl_encode_call(struct ulk_ctl_buf *b, long nr, const long *args,
			struct ulk_ctl_pending *p);
long ulk_ctl_decode_result(const void *body, size_t len,
			   const struct ulk_ctl_pending *p);

/**
 * struct ulk_ctl_exec - how the server's half makes a decoded call.
 * @call: make system call @nr with @args (pointers into the server's own
 *	buffers) in ulk; returns what the kernel returned.
 * @owns: whether descriptor @fd belongs to the client's session.
 * @adopt: @fd was just created for the session.
 * @release: @fd, the session's, was just closed.
 * @ctx: passed to each.
 */
struct ulk_ctl_exec {
	long (*call)(void *ctx, long nr, long *args);
	bool (*owns)(void *ctx, int fd);
	void (*adopt)(void *ctx, int fd);
	void (*release)(void *ctx, int fd);
	void *ctx;
};

void ulk_ctl_serve_call(const void *body, size_t len,
			const struct ulk_ctl_exec *x, struct ulk_ctl_buf *reply);

#endif /* ULK_LIB_CTL_MARSHAL_H */
