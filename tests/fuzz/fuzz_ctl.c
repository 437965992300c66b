// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: both halves of the control socket's call marshalling
 * (lib/ctl/marshal.c), each fed what the other side could send.
 *
 * The first byte picks the half.
 *  - Even: the rest is a CALL body as a client (any process of the
 *    socket's owner: ulkctl, a tool under the shim) sends it to an
 *    instance. ulk_ctl_serve_call() decodes it into its own buffers and
 *    "makes" the call through a fake kernel, which returns a result taken
 *    from the input and writes into every buffer it was given as much as
 *    it was told it may; the reply is then walked. The server must stay
 *    inside the body, inside its buffers, and answer every body.
 *  - Odd: a call the client really encodes (picked by the second byte,
 *    its buffer sizes by the next ones), into buffers allocated to their
 *    exact size; the rest of the input is the RESULT an instance (perhaps
 *    a compromised ulk-proxy) sends back. ulk_ctl_decode_result() must
 *    write nothing outside those buffers, whatever the result says.
 *
 * The fault-safe copy of lib/uaccess.c is assembly, which AddressSanitizer
 * does not see into; here it is a plain memcpy, so every byte copied is
 * checked.
 *
 * FUZZ_CTL_SEEDS=DIR writes a seed corpus of real bodies into DIR and
 * exits (tests/fuzz/corpus/ctl came from it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <ulk/syscalls.h>

#include "ctl/marshal.h"
#include "fuzz.h"

unsigned long ulk_uaccess_copy(void *dst, const void *src, unsigned long n);

unsigned long ulk_uaccess_copy(void *dst, const void *src, unsigned long n)
{
	if (!src || !dst)
		return n;
	memmove(dst, src, n);
	return 0;
}

/* --- the server's half ------------------------------------------------- */

static long fake_ret;

/* What a kernel may write through @p: up to @n bytes (told by the args). */
static void scribble(void *p, size_t n)
{
	if (p && n)
		memset(p, 0x5a, n);
}

static long fake_call(void *ctx, long nr, long *a)
{
	(void)ctx;
	switch (nr) {
	case __ULK_NR_read:
	case __ULK_NR_pread64:
	case __ULK_NR_getdents64:
	case __ULK_NR_recvfrom:
		scribble((void *)a[1], a[2]);
		break;
	case __ULK_NR_getsockopt:
		/* A negative length is refused before anything is written. */
		if (a[4] && *(int *)a[4] > 0)
			scribble((void *)a[3], *(int *)a[4]);
		break;
	case __ULK_NR_getsockname:
	case __ULK_NR_getpeername:
	case __ULK_NR_accept4:
	case __ULK_NR_accept:
		if (a[2] && *(int *)a[2] > 0)
			scribble((void *)a[1], *(int *)a[2]);
		break;
	case __ULK_NR_recvmsg: {
		struct msghdr *m = (void *)a[1];

		scribble(m->msg_name, m->msg_namelen);
		scribble(m->msg_iov[0].iov_base, m->msg_iov[0].iov_len);
		scribble(m->msg_control, m->msg_controllen);
		m->msg_controllen = 0;
		break;
	}
	case __ULK_NR_readv:
		scribble(((struct iovec *)a[1])->iov_base,
			 ((struct iovec *)a[1])->iov_len);
		break;
	case __ULK_NR_epoll_pwait:
	case __ULK_NR_epoll_pwait2:
		scribble((void *)a[1], a[2] * sizeof(struct epoll_event));
		if (fake_ret > a[2])
			return a[2];
		break;
	case __ULK_NR_ppoll:
		if (fake_ret > a[1])
			return a[1];
		break;
	}
	return fake_ret;
}

static bool fake_owns(void *ctx, int fd)
{
	(void)ctx;
	return fd >= 0 && fd < 8;
}

static void fake_fd(void *ctx, int fd)
{
	(void)ctx;
	(void)fd;
}

static void serve(const uint8_t *data, size_t size)
{
	const struct ulk_ctl_exec x = {
		.call = fake_call, .owns = fake_owns, .adopt = fake_fd,
		.release = fake_fd,
	};
	struct ulk_ctl_buf reply = { 0 };
	unsigned char *body;
	int32_t r = -EAGAIN;

	if (size >= 4)
		memcpy(&r, data + size - 4, 4);
	fake_ret = r % 70000;
	body = malloc(size ? size : 1);
	fuzz_check(body);
	memcpy(body, data, size);
	ulk_ctl_serve_call(body, size, &x, &reply);
	fuzz_check(reply.failed || reply.len >= sizeof(struct ulk_ctl_result));
	ulk_ctl_buf_free(&reply);
	free(body);
}

/* --- the client's half ------------------------------------------------- */

/* The buffers of one encoded call, each exactly as large as it says. */
struct call {
	long nr;
	long args[6];
	void *mem[8];
	int nmem;
};

static void *alloc(struct call *c, size_t n)
{
	void *p = malloc(n ? n : 1);

	fuzz_check(p && c->nmem < 8);
	memset(p, 0, n);
	c->mem[c->nmem++] = p;
	return p;
}

/* A call of kind @pick with sizes from @sz; false if it does not encode. */
static void build(struct call *c, unsigned pick, const uint8_t *sz)
{
	unsigned n = sz[0] | sz[1] << 8, m = sz[2] % 40, k = sz[3] % 8;

	memset(c, 0, sizeof(*c));
	switch (pick % 12) {
	case 0:
		c->nr = __ULK_NR_read;
		c->args[1] = (long)alloc(c, n);
		c->args[2] = n;
		break;
	case 1: {
		socklen_t *len = alloc(c, sizeof(*len));

		c->nr = __ULK_NR_recvfrom;
		*len = m;
		c->args[1] = (long)alloc(c, n);
		c->args[2] = n;
		c->args[4] = (long)alloc(c, m);
		c->args[5] = (long)len;
		break;
	}
	case 2: {
		struct msghdr *msg = alloc(c, sizeof(*msg));
		struct iovec *iov = alloc(c, 2 * sizeof(*iov));

		c->nr = __ULK_NR_recvmsg;
		iov[0].iov_base = alloc(c, k);
		iov[0].iov_len = k;
		iov[1].iov_base = alloc(c, n);
		iov[1].iov_len = n;
		msg->msg_iov = iov;
		msg->msg_iovlen = 2;
		msg->msg_name = alloc(c, m);
		msg->msg_namelen = m;
		msg->msg_control = alloc(c, sz[3]);
		msg->msg_controllen = sz[3];
		c->args[1] = (long)msg;
		break;
	}
	case 3: {
		socklen_t *len = alloc(c, sizeof(*len));

		c->nr = __ULK_NR_getsockopt;
		*len = m;
		c->args[3] = (long)alloc(c, m);
		c->args[4] = (long)len;
		break;
	}
	case 4: {
		socklen_t *len = alloc(c, sizeof(*len));

		c->nr = __ULK_NR_accept4;
		*len = m;
		c->args[1] = (long)alloc(c, m);
		c->args[2] = (long)len;
		break;
	}
	case 5: {
		struct pollfd *p;

		c->nr = __ULK_NR_ppoll;
		p = alloc(c, k * sizeof(*p));
		c->args[0] = (long)p;
		c->args[1] = k;
		break;
	}
	case 6:
		c->nr = __ULK_NR_epoll_pwait;
		c->args[1] = (long)alloc(c, (k + 1) * sizeof(struct epoll_event));
		c->args[2] = k + 1;
		c->args[3] = 0;
		break;
	case 7: {
		struct iovec *iov = alloc(c, 2 * sizeof(*iov));

		c->nr = __ULK_NR_readv;
		iov[0].iov_base = alloc(c, k);
		iov[0].iov_len = k;
		iov[1].iov_base = alloc(c, n);
		iov[1].iov_len = n;
		c->args[1] = (long)iov;
		c->args[2] = 2;
		break;
	}
	case 8: {
		struct ifconf *ifc = alloc(c, sizeof(*ifc));

		c->nr = __ULK_NR_ioctl;
		c->args[1] = SIOCGIFCONF;
		ifc->ifc_len = n % 2048;
		ifc->ifc_buf = alloc(c, ifc->ifc_len);
		c->args[2] = (long)ifc;
		break;
	}
	case 9: {
		struct ifreq *ifr = alloc(c, sizeof(*ifr));
		struct ethtool_gstrings *gs;

		c->nr = __ULK_NR_ioctl;
		c->args[1] = SIOCETHTOOL;
		gs = alloc(c, sizeof(*gs) + m * ETH_GSTRING_LEN);
		gs->cmd = ETHTOOL_GSTRINGS;
		gs->len = m;
		ifr->ifr_data = (void *)gs;
		c->args[2] = (long)ifr;
		break;
	}
	case 10:
		c->nr = __ULK_NR_ioctl;
		c->args[1] = sz[0] & 1 ? SIOCGIFINDEX : FIONREAD;
		c->args[2] = (long)alloc(c, sz[0] & 1 ? sizeof(struct ifreq) :
					 sizeof(int));
		break;
	default:
		c->nr = __ULK_NR_socketpair;
		c->args[3] = (long)alloc(c, 2 * sizeof(int));
		break;
	}
}

static void unbuild(struct call *c)
{
	int i;

	for (i = 0; i < c->nmem; i++)
		free(c->mem[i]);
}

static void decode(const uint8_t *data, size_t size)
{
	struct ulk_ctl_buf b = { 0 };
	struct ulk_ctl_pending p;
	struct call c;
	uint8_t sz[4] = { 0 };
	unsigned char *body;
	long ret;

	if (size < 1)
		return;
	memcpy(sz, data + 1, size - 1 < 4 ? size - 1 : 4);
	build(&c, data[0], sz);
	data += size < 5 ? size : 5;
	size -= size < 5 ? size : 5;
	if (!ulk_ctl_encode_call(&b, c.nr, c.args, &p)) {
		body = malloc(size ? size : 1);
		fuzz_check(body);
		memcpy(body, data, size);
		ret = ulk_ctl_decode_result(body, size, &p);
		(void)ret;
		free(body);
	}
	ulk_ctl_buf_free(&b);
	unbuild(&c);
}

/* --- seeds -------------------------------------------------------------- */

static void write_file(const char *dir, const char *name, uint8_t mode,
		       const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(&mode, 1, 1, f);
	fwrite(p, 1, n, f);
	fclose(f);
}

static void write_seeds(const char *dir)
{
	const struct ulk_ctl_exec x = {
		.call = fake_call, .owns = fake_owns, .adopt = fake_fd,
		.release = fake_fd,
	};
	unsigned pick;

	for (pick = 0; pick < 12; pick++) {
		uint8_t sz[4] = { 100, 0, 16, 7 };
		struct ulk_ctl_buf b = { 0 }, r = { 0 };
		struct ulk_ctl_pending p;
		struct call c;
		char name[32];

		build(&c, pick, sz);
		if (!ulk_ctl_encode_call(&b, c.nr, c.args, &p)) {
			snprintf(name, sizeof(name), "call-%u", pick);
			write_file(dir, name, 0, b.p, b.len);
			fake_ret = 4;
			ulk_ctl_serve_call(b.p, b.len, &x, &r);
			snprintf(name, sizeof(name), "result-%u", pick);
			{
				/* The pick, the sizes, then the result. */
				unsigned char *all = malloc(r.len + 5);

				all[0] = (uint8_t)pick;
				memcpy(all + 1, sz, 4);
				memcpy(all + 5, r.p, r.len);
				write_file(dir, name, 1, all, r.len + 5);
				free(all);
			}
		}
		ulk_ctl_buf_free(&b);
		ulk_ctl_buf_free(&r);
		unbuild(&c);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("FUZZ_CTL_SEEDS");

	(void)argc;
	(void)argv;
	if (seeds) {
		write_seeds(seeds);
		exit(0);
	}
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		decode(data + 1, size - 1);
	else
		serve(data + 1, size - 1);
	return 0;
}
