// SPDX-License-Identifier: GPL-2.0
/*
 * System calls across the control socket: which calls travel, and how
 * their pointer arguments do.
 *
 * Theory of operation.
 *
 * A call's arguments go as the client made them (struct ulk_ctl_call),
 * and each pointer argument becomes, in argument order, at most one item
 * of the CALL (the bytes it points to, when the call reads them) and at
 * most one item of the RESULT (the bytes the call wrote). An item is a
 * 32-bit length and that many bytes; the length ITEM_NULL stands for a
 * NULL pointer. The table in spec_of() gives each argument of each
 * supported call a kind, and both halves walk the same table, so the
 * items need no tags. A call not in the table fails with ENOSYS.
 *
 * Trust runs neither way. The server checks every length against the
 * bytes received and against its own limits, allocates the buffers the
 * kernel then reads and writes (never more than ULK_CTL_MAX_BUF each, and
 * the length the kernel is told is the length allocated), and lets the
 * client use only the descriptors its session created. The client checks
 * every item of a result against what it asked for before writing a byte
 * of it into the caller's memory: an instance (a sandboxed ulk-proxy
 * terminating hostile guests) must not be able to write past a buffer of
 * a tool run as root. The caller's memory itself is read and written with
 * fault-safe copies: a bad pointer gives EFAULT, as the kernel would.
 *
 * Buffers longer than ULK_CTL_MAX_BUF are cut to it: reads and writes
 * then move less, which stream sockets and files allow; no datagram and
 * no netlink message is that long.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <linux/sockios.h>

#include <ulk/syscalls.h>

#include "ctl/marshal.h"
#include "uaccess.h"

#define ITEM_NULL	0xffffffffU
#define MAX_STR		4096
#define MAX_ADDR	(64U << 10)	/* socket addresses and options */
#define MAX_NAME	128		/* a message's address */
#define MAX_CONTROL	(64U << 10)
#define MAX_POLLFDS	4096
#define MAX_EVENTS	4096
#define MAX_IOV		1024
#define IFREQ_SIZE	((uint32_t)sizeof(struct ifreq))
#define MAX_BPF_INSNS	4096	/* the kernel's BPF_MAXINSNS */

/* setsockopt() options whose value is a struct sock_fprog (a pointer). */
static bool optval_is_fprog(long level, long name)
{
	return level == SOL_SOCKET && (name == SO_ATTACH_FILTER ||
				       name == SO_ATTACH_REUSEPORT_CBPF);
}

enum kind {
	K_VAL,		/* a number */
	K_FD,		/* a descriptor of the session */
	K_DIRFD,	/* the same, or AT_FDCWD */
	K_STR,		/* a path */
	K_IN,		/* bytes read, args[ref] long */
	K_OPTVAL,	/* K_IN, but a classic BPF program for SO_ATTACH_FILTER */
	K_INFIX,	/* bytes read, fix long */
	K_OUT,		/* bytes written, args[ref] at most, the result many */
	K_ADDR,		/* written, as long as the socklen_t at args[ref] */
	K_LENP,		/* that socklen_t: travels with its K_ADDR */
	K_POLL,		/* struct pollfd[args[ref]], read and written */
	K_EPEV,		/* struct epoll_event[args[ref]], written */
	K_IOVIN,	/* struct iovec[args[ref]], read */
	K_IOVOUT,	/* struct iovec[args[ref]], written */
	K_MSGIN,	/* struct msghdr, read */
	K_MSGOUT,	/* struct msghdr, read and written */
	K_IOCTL,	/* as the request at args[1] says */
	K_FCNTL,	/* a number, if the command at args[1] takes one */
	K_FDPAIR,	/* int[2] of new descriptors, written */
};

#define F_RETFD		1	/* the result is a new descriptor */
#define F_CLOSE		2	/* args[0] is closed */

struct arg_spec {
	uint8_t kind;
	uint8_t ref;
	uint16_t fix;
};

struct call_spec {
	struct arg_spec a[6];
	int flags;
};

#define V	{ K_VAL, 0, 0 }
#define FD	{ K_FD, 0, 0 }
#define A(k, r)	{ k, r, 0 }
#define FIX(n)	{ K_INFIX, 0, n }

static bool spec_of(long nr, struct call_spec *s)
{
	static const struct {
		long nr;
		struct call_spec s;
	} table[] = {
		{ __ULK_NR_read, { { FD, A(K_OUT, 2), V }, 0 } },
		{ __ULK_NR_write, { { FD, A(K_IN, 2), V }, 0 } },
		{ __ULK_NR_pread64, { { FD, A(K_OUT, 2), V, V }, 0 } },
		{ __ULK_NR_pwrite64, { { FD, A(K_IN, 2), V, V }, 0 } },
		{ __ULK_NR_readv, { { FD, A(K_IOVOUT, 2), V }, 0 } },
		{ __ULK_NR_writev, { { FD, A(K_IOVIN, 2), V }, 0 } },
		{ __ULK_NR_openat, { { A(K_DIRFD, 0), A(K_STR, 0), V, V }, F_RETFD } },
		{ __ULK_NR_close, { { FD }, F_CLOSE } },
		{ __ULK_NR_dup, { { FD }, F_RETFD } },
		{ __ULK_NR_dup3, { { FD, FD, V }, F_RETFD } },
		{ __ULK_NR_fcntl, { { FD, V, A(K_FCNTL, 1) }, 0 } },
		{ __ULK_NR_ioctl, { { FD, V, A(K_IOCTL, 1) }, 0 } },
		{ __ULK_NR_lseek, { { FD, V, V }, 0 } },
		{ __ULK_NR_getdents64, { { FD, A(K_OUT, 2), V }, 0 } },
		{ __ULK_NR_socket, { { V, V, V }, F_RETFD } },
		{ __ULK_NR_pipe2, { { A(K_FDPAIR, 0), V }, 0 } },
		{ __ULK_NR_socketpair, { { V, V, V, A(K_FDPAIR, 0) }, 0 } },
		{ __ULK_NR_bind, { { FD, A(K_IN, 2), V }, 0 } },
		{ __ULK_NR_connect, { { FD, A(K_IN, 2), V }, 0 } },
		{ __ULK_NR_listen, { { FD, V }, 0 } },
		{ __ULK_NR_accept, { { FD, A(K_ADDR, 2), A(K_LENP, 0) }, F_RETFD } },
		{ __ULK_NR_accept4, { { FD, A(K_ADDR, 2), A(K_LENP, 0), V }, F_RETFD } },
		{ __ULK_NR_getsockname, { { FD, A(K_ADDR, 2), A(K_LENP, 0) }, 0 } },
		{ __ULK_NR_getpeername, { { FD, A(K_ADDR, 2), A(K_LENP, 0) }, 0 } },
		{ __ULK_NR_sendto, { { FD, A(K_IN, 2), V, V, A(K_IN, 5), V }, 0 } },
		{ __ULK_NR_recvfrom, { { FD, A(K_OUT, 2), V, V, A(K_ADDR, 5), A(K_LENP, 0) }, 0 } },
		{ __ULK_NR_setsockopt, { { FD, V, V, A(K_OPTVAL, 4), V }, 0 } },
		{ __ULK_NR_getsockopt, { { FD, V, V, A(K_ADDR, 4), A(K_LENP, 0) }, 0 } },
		{ __ULK_NR_shutdown, { { FD, V }, 0 } },
		{ __ULK_NR_sendmsg, { { FD, A(K_MSGIN, 0), V }, 0 } },
		{ __ULK_NR_recvmsg, { { FD, A(K_MSGOUT, 0), V }, 0 } },
		{ __ULK_NR_ppoll, { { A(K_POLL, 1), V, FIX(16), FIX(8), V }, 0 } },
		{ __ULK_NR_epoll_create1, { { V }, F_RETFD } },
		{ __ULK_NR_epoll_ctl, { { FD, V, FD, FIX(sizeof(struct epoll_event)) }, 0 } },
		{ __ULK_NR_epoll_pwait, { { FD, A(K_EPEV, 2), V, V, FIX(8), V }, 0 } },
		{ __ULK_NR_epoll_pwait2, { { FD, A(K_EPEV, 2), V, FIX(16), FIX(8), V }, 0 } },
		{ __ULK_NR_eventfd2, { { V, V }, F_RETFD } },
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].nr == nr) {
			*s = table[i].s;
			return true;
		}
	return false;
}

/* --- message bodies ---------------------------------------------------- */

/**
 * ulk_ctl_buf_put() - append bytes to a body.
 * @b: the body.
 * @data: the bytes, or NULL to append @n zero bytes.
 * @n: how many.
 */
void ulk_ctl_buf_put(struct ulk_ctl_buf *b, const void *data, size_t n)
{
	if (b->failed)
		return;
	if (n > ULK_CTL_MAX_BODY - b->len) {
		b->failed = true;
		return;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		unsigned char *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	if (data)
		memcpy(b->p + b->len, data, n);
	else
		memset(b->p + b->len, 0, n);
	b->len += n;
}

/**
 * ulk_ctl_buf_item() - append an item: its length, then its bytes.
 * @b: the body.
 * @data: the bytes, or NULL for @n zero bytes.
 * @n: how many, or ITEM_NULL (0xffffffff) for a NULL pointer.
 *
 * Return: where the item's bytes are in @b (valid until the next append),
 * or NULL if @b failed or the item is a NULL pointer.
 */
void *ulk_ctl_buf_item(struct ulk_ctl_buf *b, const void *data, size_t n)
{
	uint32_t len = (uint32_t)n;

	ulk_ctl_buf_put(b, &len, sizeof(len));
	if (len == ITEM_NULL)
		return NULL;
	ulk_ctl_buf_put(b, data, n);
	return b->failed ? NULL : b->p + b->len - n;
}

/**
 * ulk_ctl_buf_free() - release a body's memory.
 * @b: the body; empty afterwards.
 */
void ulk_ctl_buf_free(struct ulk_ctl_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

struct reader {
	const unsigned char *p;
	size_t left;
};

/* The next item; false if the body ends first. *@data NULL for ITEM_NULL. */
static bool next_item(struct reader *r, const void **data, uint32_t *len)
{
	uint32_t n;

	if (r->left < sizeof(n))
		return false;
	memcpy(&n, r->p, sizeof(n));
	r->p += sizeof(n);
	r->left -= sizeof(n);
	if (n == ITEM_NULL) {
		*data = NULL;
		*len = 0;
		return true;
	}
	if (n > r->left)
		return false;
	*data = r->p;
	*len = n;
	r->p += n;
	r->left -= n;
	return true;
}

/* --- the client's half ------------------------------------------------- */

/* Copy @n bytes of the caller's memory; -EFAULT if it is not all there. */
static int from_user(void *dst, const void *src, size_t n)
{
	return ulk_uaccess_copy(dst, src, n) ? -EFAULT : 0;
}

static int to_user(void *dst, const void *src, size_t n)
{
	return ulk_uaccess_copy(dst, src, n) ? -EFAULT : 0;
}

/* Append the caller's @n bytes at @src as an item (NULL @src: ITEM_NULL). */
static int put_user_item(struct ulk_ctl_buf *b, const void *src, size_t n)
{
	void *dst;

	if (!src)
		return ulk_ctl_buf_item(b, NULL, ITEM_NULL), 0;
	dst = ulk_ctl_buf_item(b, NULL, n);
	if (!dst)
		return b->failed ? -ENOMEM : 0;
	return from_user(dst, src, n);
}

/* A path: up to its NUL, read page by page (it may end at a mapping's end). */
static int put_user_str(struct ulk_ctl_buf *b, const char *src)
{
	char s[MAX_STR];
	size_t n = 0;

	if (!src)
		return ulk_ctl_buf_item(b, NULL, ITEM_NULL), 0;
	while (n < sizeof(s)) {
		size_t page = 4096 - ((unsigned long)(src + n) & 4095);
		size_t k = page < sizeof(s) - n ? page : sizeof(s) - n;
		char *nul;

		if (from_user(s + n, src + n, k))
			return -EFAULT;
		nul = memchr(s + n, 0, k);
		if (nul) {
			ulk_ctl_buf_item(b, s, nul - s + 1);
			return 0;
		}
		n += k;
	}
	return -ENAMETOOLONG;
}

static uint32_t clamp_buf(long n)
{
	return n < 0 ? 0 : (unsigned long)n > ULK_CTL_MAX_BUF ?
	       ULK_CTL_MAX_BUF : (uint32_t)n;
}

/* Read the caller's iovec array; -EINVAL/-EFAULT as readv() would. */
static int user_iov(const void *ptr, long cnt, struct iovec *iov)
{
	if (cnt < 0 || cnt > MAX_IOV)
		return -EINVAL;
	return from_user(iov, ptr, cnt * sizeof(*iov));
}

/* Gather the caller's @iov into one item of at most ULK_CTL_MAX_BUF. */
static int put_iov_item(struct ulk_ctl_buf *b, const struct iovec *iov,
			int cnt, uint32_t *total)
{
	unsigned char *dst;
	size_t len = 0, k;
	int i, err;

	for (i = 0; i < cnt && len < ULK_CTL_MAX_BUF; i++)
		len += iov[i].iov_len < ULK_CTL_MAX_BUF ? iov[i].iov_len :
		       ULK_CTL_MAX_BUF;
	len = len < ULK_CTL_MAX_BUF ? len : ULK_CTL_MAX_BUF;
	*total = (uint32_t)len;
	dst = ulk_ctl_buf_item(b, NULL, len);
	if (!dst)
		return b->failed ? -ENOMEM : 0;
	for (i = 0; i < cnt && len; i++) {
		k = iov[i].iov_len < len ? iov[i].iov_len : len;
		err = from_user(dst, iov[i].iov_base, k);
		if (err)
			return err;
		dst += k;
		len -= k;
	}
	return 0;
}

static size_t iov_room(const struct iovec *iov, int cnt)
{
	size_t len = 0;
	int i;

	for (i = 0; i < cnt && len < ULK_CTL_MAX_BUF; i++)
		len += iov[i].iov_len < ULK_CTL_MAX_BUF ? iov[i].iov_len :
		       ULK_CTL_MAX_BUF;
	return len < ULK_CTL_MAX_BUF ? len : ULK_CTL_MAX_BUF;
}

/* Scatter @n bytes into the caller's @iov. */
static int scatter(const struct iovec *iov, int cnt, const unsigned char *src,
		   size_t n)
{
	int i, err;

	for (i = 0; i < cnt && n; i++) {
		size_t k = iov[i].iov_len < n ? iov[i].iov_len : n;

		err = to_user(iov[i].iov_base, src, k);
		if (err)
			return err;
		src += k;
		n -= k;
	}
	return 0;
}

/*
 * struct msg_desc - a msghdr's sizes. CALL: for sendmsg the lengths of
 * what follows (name, data, control), for recvmsg the room for each;
 * RESULT of recvmsg: what the kernel set (name and control lengths,
 * flags) and how many data bytes follow.
 */
struct msg_desc {
	uint32_t name;
	uint32_t data;
	uint32_t control;
	int32_t flags;
};

/* The ioctls that travel, by what their argument is. */
enum ioctl_class {
	IOC_NONE,	/* not served */
	IOC_INT_OUT,	/* an int written */
	IOC_INT_IN,	/* an int read */
	IOC_IFREQ,	/* a struct ifreq read and written */
	IOC_IFCONF,	/* struct ifconf */
	IOC_ETHTOOL,	/* struct ifreq whose ifr_data is an ethtool command */
	IOC_TIME_OUT,	/* a struct timeval / timespec written */
};

static enum ioctl_class ioctl_class(unsigned long req)
{
	switch (req) {
	case FIONREAD:		/* SIOCINQ */
	case SIOCOUTQ:
	case SIOCOUTQNSD:
	case SIOCATMARK:
	case SIOCGPGRP:
		return IOC_INT_OUT;
	case FIONBIO:
	case FIOASYNC:
	case SIOCSPGRP:
		return IOC_INT_IN;
	case SIOCGIFCONF:
		return IOC_IFCONF;
	case SIOCETHTOOL:
		return IOC_ETHTOOL;
	case SIOCGSTAMP:
	case SIOCGSTAMPNS:
		return IOC_TIME_OUT;
	}
	/* SIOCGIFNAME..SIOCSIFTXQLEN and the mapping pair: data in the ifreq. */
	if ((req >= SIOCGIFNAME && req <= SIOCSIFTXQLEN &&
	     req != SIOCGIFCONF && req != SIOCGIFCOUNT &&
	     req != SIOCGIFBR && req != SIOCSIFBR) ||
	    req == SIOCGIFMAP || req == SIOCSIFMAP)
		return IOC_IFREQ;
	return IOC_NONE;
}

/*
 * How many bytes an ethtool command reads and writes, from the command's
 * first @n bytes at @hdr (what the caller's buffer starts with: the
 * command and the counts it gives). 0 if the command is not served.
 */
static int ethtool_sizes(const unsigned char *hdr, size_t n, uint32_t *in,
			 uint32_t *out)
{
	uint32_t cmd, cnt = 0;
	uint64_t mask = 0;
	int8_t nwords;

	if (n < 4)
		return -EFAULT;
	memcpy(&cmd, hdr, 4);
	if (n >= 8)
		memcpy(&cnt, hdr + 4, 4);
	switch (cmd) {
	case ETHTOOL_GDRVINFO:
		*in = *out = sizeof(struct ethtool_drvinfo);
		return 0;
	case ETHTOOL_GSET:
		*in = *out = sizeof(struct ethtool_cmd);
		return 0;
	case ETHTOOL_GRINGPARAM:
		*in = *out = sizeof(struct ethtool_ringparam);
		return 0;
	case ETHTOOL_GCHANNELS:
		*in = *out = sizeof(struct ethtool_channels);
		return 0;
	case ETHTOOL_GPAUSEPARAM:
		*in = *out = sizeof(struct ethtool_pauseparam);
		return 0;
	case ETHTOOL_GCOALESCE:
		*in = *out = sizeof(struct ethtool_coalesce);
		return 0;
	case ETHTOOL_GLINK:
	case ETHTOOL_GMSGLVL:
	case ETHTOOL_GRXCSUM:
	case ETHTOOL_GTXCSUM:
	case ETHTOOL_GSG:
	case ETHTOOL_GTSO:
	case ETHTOOL_GGSO:
	case ETHTOOL_GGRO:
	case ETHTOOL_GUFO:
	case ETHTOOL_GFLAGS:
		*in = *out = sizeof(struct ethtool_value);
		return 0;
	case ETHTOOL_GSSET_INFO:
		if (n < 16)
			return -EFAULT;
		memcpy(&mask, hdr + 8, 8);
		*in = 16;
		*out = 16 + 4 * __builtin_popcountll(mask);
		return 0;
	case ETHTOOL_GSTRINGS:
		if (n < 12)
			return -EFAULT;
		memcpy(&cnt, hdr + 8, 4);
		if (cnt > (ULK_CTL_MAX_BUF - 12) / ETH_GSTRING_LEN)
			return -ENOMEM;
		*in = 12;
		*out = 12 + cnt * ETH_GSTRING_LEN;
		return 0;
	case ETHTOOL_GSTATS:
		if (n < 8 || cnt > (ULK_CTL_MAX_BUF - 8) / 8)
			return n < 8 ? -EFAULT : -ENOMEM;
		*in = 8;
		*out = 8 + cnt * 8;
		return 0;
	case ETHTOOL_GPERMADDR:
		if (n < 8 || cnt > ULK_CTL_MAX_BUF - 8)
			return n < 8 ? -EFAULT : -ENOMEM;
		*in = 8;
		*out = 8 + cnt;
		return 0;
	case ETHTOOL_GFEATURES:
		if (n < 8 || cnt > (ULK_CTL_MAX_BUF - 8) / 16)
			return n < 8 ? -EFAULT : -ENOMEM;
		*in = 8;
		*out = 8 + cnt * 16;
		return 0;
	case ETHTOOL_GLINKSETTINGS:
		if (n < sizeof(struct ethtool_link_settings))
			return -EFAULT;
		nwords = (int8_t)hdr[offsetof(struct ethtool_link_settings,
					      link_mode_masks_nwords)];
		*in = *out = sizeof(struct ethtool_link_settings) +
			     (nwords > 0 ? 3 * 4 * nwords : 0);
		return 0;
	}
	return -EOPNOTSUPP;
}

/* The most an ethtool command's sizes depend on: the header read first. */
#define ETHTOOL_HDR	sizeof(struct ethtool_link_settings)

/* How many of the command's first bytes ethtool_sizes() needs. */
static size_t ethtool_hdr_len(const unsigned char *cmd4)
{
	uint32_t cmd;

	memcpy(&cmd, cmd4, 4);
	switch (cmd) {
	case ETHTOOL_GSSET_INFO:
		return 16;
	case ETHTOOL_GSTRINGS:
		return 12;
	case ETHTOOL_GSTATS:
	case ETHTOOL_GPERMADDR:
	case ETHTOOL_GFEATURES:
		return 8;
	case ETHTOOL_GLINKSETTINGS:
		return ETHTOOL_HDR;
	}
	/* Fixed-size commands, and unknown ones (which the sizes refuse). */
	return 4;
}

static int encode_ioctl(struct ulk_ctl_buf *b, struct ulk_ctl_pending *p,
			int i)
{
	unsigned long req = (unsigned long)p->args[1];
	void *ptr = (void *)p->args[i];
	unsigned char hdr[ETHTOOL_HDR];
	struct ifreq ifr;
	struct ifconf ifc;
	uint32_t in, out;
	size_t got;
	int err;

	switch (ioctl_class(req)) {
	case IOC_NONE:
		return -ENOTTY;
	case IOC_INT_OUT:
		p->cap[i] = sizeof(int);
		return 0;
	case IOC_INT_IN:
		return put_user_item(b, ptr, sizeof(int));
	case IOC_TIME_OUT:
		p->cap[i] = 16;
		return 0;
	case IOC_IFREQ:
		p->cap[i] = IFREQ_SIZE;
		return put_user_item(b, ptr, IFREQ_SIZE);
	case IOC_IFCONF:
		if (!ptr)
			return -EFAULT;
		err = from_user(&ifc, ptr, sizeof(ifc));
		if (err)
			return err;
		if (!ifc.ifc_buf) {
			ulk_ctl_buf_item(b, NULL, ITEM_NULL);
			return 0;
		}
		p->cap[i] = clamp_buf(ifc.ifc_len);
		ulk_ctl_buf_item(b, &p->cap[i], sizeof(p->cap[i]));
		return 0;
	case IOC_ETHTOOL:
		if (!ptr)
			return -EFAULT;
		err = from_user(&ifr, ptr, sizeof(ifr));
		if (err)
			return err;
		if (!ifr.ifr_data)
			return -EFAULT;
		/*
		 * The command first, then the counts it carries, as the
		 * kernel reads them: no byte beyond what the command has.
		 */
		err = from_user(hdr, ifr.ifr_data, 4);
		if (err)
			return err;
		got = ethtool_hdr_len(hdr);
		if (got > 4 && (err = from_user(hdr + 4, ifr.ifr_data + 4,
						got - 4)))
			return err;
		err = ethtool_sizes(hdr, got, &in, &out);
		if (err)
			return err;
		p->cap[i] = IFREQ_SIZE;
		p->aux[i] = out;
		ulk_ctl_buf_item(b, &ifr, sizeof(ifr));
		ulk_ctl_buf_item(b, &out, sizeof(out));
		return put_user_item(b, ifr.ifr_data, in);
	}
	return -ENOTTY;
}

static bool fcntl_served(long cmd)
{
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
	case F_GETFD:
	case F_SETFD:
	case F_GETFL:
	case F_SETFL:
	case F_GETOWN:
	case F_SETOWN:
		return true;
	}
	return false;
}

/**
 * ulk_ctl_encode_call() - the CALL body for a system call (client side).
 * @b: receives the body (appended to; empty at first).
 * @nr: the call (__ULK_NR_*).
 * @args: its six arguments, pointers into the caller's memory.
 * @p: filled with what ulk_ctl_decode_result() needs.
 *
 * Return: 0, or the negative errno the call fails with without being
 * sent: -ENOSYS for a call that does not travel, -ENOTTY for an ioctl
 * that does not, -EFAULT for a bad pointer, -EINVAL, -ENAMETOOLONG or
 * -ENOMEM as the kernel would for the sizes given.
 */
int ulk_ctl_encode_call(struct ulk_ctl_buf *b, long nr, const long *args,
			struct ulk_ctl_pending *p)
{
	struct ulk_ctl_call call = { .nr = nr };
	struct call_spec s;
	struct iovec iov[MAX_IOV];
	struct msghdr msg;
	struct msg_desc d;
	size_t hdr_at;
	int i, err = 0;

	memset(p, 0, sizeof(*p));
	p->nr = nr;
	for (i = 0; i < 6; i++)
		p->args[i] = args ? args[i] : 0;
	if (!spec_of(nr, &s))
		return -ENOSYS;
	hdr_at = b->len;
	ulk_ctl_buf_put(b, NULL, sizeof(call));
	for (i = 0; i < 6 && !err; i++) {
		const struct arg_spec *a = &s.a[i];
		void *ptr = (void *)p->args[i];
		uint32_t len;

		switch (a->kind) {
		case K_STR:
			err = put_user_str(b, ptr);
			break;
		case K_OPTVAL:
			if (optval_is_fprog(p->args[1], p->args[2])) {
				/* The program travels instead of its address. */
				struct sock_fprog fp;

				if (p->args[a->ref] != sizeof(fp)) {
					err = -EINVAL;
					break;
				}
				err = ptr ? from_user(&fp, ptr, sizeof(fp)) :
				      -EFAULT;
				if (!err && (!fp.len || fp.len > MAX_BPF_INSNS))
					err = -EINVAL;
				if (!err)
					err = put_user_item(b, fp.filter, fp.len *
							    sizeof(*fp.filter));
				break;
			}
			/* fall through */
		case K_IN:
			len = clamp_buf(p->args[a->ref]);
			p->args[a->ref] = len;
			err = put_user_item(b, ptr, len);
			break;
		case K_INFIX:
			err = put_user_item(b, ptr, a->fix);
			break;
		case K_OUT:
			p->cap[i] = clamp_buf(p->args[a->ref]);
			p->args[a->ref] = p->cap[i];
			break;
		case K_ADDR: {
			void *lenp = (void *)p->args[a->ref];

			if (!lenp) {
				ulk_ctl_buf_item(b, NULL, ITEM_NULL);
				break;
			}
			err = from_user(&len, lenp, sizeof(len));
			if (err)
				break;
			if ((int32_t)len >= 0 && len > MAX_ADDR)
				len = MAX_ADDR;
			p->cap[i] = (int32_t)len < 0 || !ptr ? 0 : len;
			ulk_ctl_buf_item(b, &len, sizeof(len));
			break;
		}
		case K_POLL:
			if ((unsigned long)p->args[a->ref] > MAX_POLLFDS) {
				err = -EINVAL;
				break;
			}
			p->cap[i] = p->args[a->ref] * sizeof(struct pollfd);
			err = put_user_item(b, ptr, p->cap[i]);
			break;
		case K_EPEV:
			if (p->args[a->ref] <= 0) {
				err = -EINVAL;
				break;
			}
			if (p->args[a->ref] > MAX_EVENTS)
				p->args[a->ref] = MAX_EVENTS;
			p->cap[i] = p->args[a->ref] * sizeof(struct epoll_event);
			break;
		case K_IOVIN:
			err = user_iov(ptr, p->args[a->ref], iov);
			if (!err)
				err = put_iov_item(b, iov, p->args[a->ref],
						   &len);
			break;
		case K_IOVOUT:
			err = user_iov(ptr, p->args[a->ref], iov);
			if (err)
				break;
			p->cap[i] = iov_room(iov, p->args[a->ref]);
			ulk_ctl_buf_item(b, &p->cap[i], sizeof(p->cap[i]));
			break;
		case K_MSGIN:
			err = ptr ? from_user(&msg, ptr, sizeof(msg)) : -EFAULT;
			if (!err && (msg.msg_iovlen > MAX_IOV ||
				     msg.msg_namelen > MAX_NAME ||
				     msg.msg_controllen > MAX_CONTROL))
				err = msg.msg_iovlen > MAX_IOV ? -EMSGSIZE :
				      -EINVAL;
			if (!err)
				err = user_iov(msg.msg_iov, msg.msg_iovlen, iov);
			if (err)
				break;
			d.name = msg.msg_name ? msg.msg_namelen : ITEM_NULL;
			d.data = iov_room(iov, msg.msg_iovlen);
			d.control = msg.msg_control ? msg.msg_controllen : 0;
			d.flags = 0;
			ulk_ctl_buf_item(b, &d, sizeof(d));
			err = put_user_item(b, msg.msg_name, msg.msg_name ?
					    msg.msg_namelen : 0);
			if (!err)
				err = put_iov_item(b, iov, msg.msg_iovlen,
						   &len);
			if (!err)
				err = put_user_item(b, msg.msg_control,
						    d.control);
			break;
		case K_MSGOUT:
			err = ptr ? from_user(&msg, ptr, sizeof(msg)) : -EFAULT;
			if (!err)
				err = user_iov(msg.msg_iov, msg.msg_iovlen, iov);
			if (err)
				break;
			d.name = !msg.msg_name ? ITEM_NULL :
				 msg.msg_namelen < MAX_NAME ? msg.msg_namelen :
				 MAX_NAME;
			d.data = iov_room(iov, msg.msg_iovlen);
			d.control = !msg.msg_control ? 0 :
				    msg.msg_controllen < MAX_CONTROL ?
				    msg.msg_controllen : MAX_CONTROL;
			d.flags = 0;
			p->cap[i] = d.data;
			p->aux[i] = d.control;
			ulk_ctl_buf_item(b, &d, sizeof(d));
			break;
		case K_IOCTL:
			err = encode_ioctl(b, p, i);
			break;
		case K_FCNTL:
			if (!fcntl_served(p->args[1]))
				err = -EINVAL;
			break;
		case K_FDPAIR:
			p->cap[i] = 2 * sizeof(int);
			break;
		}
	}
	if (err)
		return err;
	if (b->failed)
		return -ENOMEM;
	for (i = 0; i < 6; i++)
		call.args[i] = p->args[i];
	memcpy(b->p + hdr_at, &call, sizeof(call));
	return 0;
}

/* Copy an item of at most @cap bytes to the caller's @dst. */
static int item_to_user(struct reader *r, void *dst, uint32_t cap,
			uint32_t *got)
{
	const void *data;
	uint32_t len;

	if (!next_item(r, &data, &len) || len > cap)
		return -EIO;
	if (got)
		*got = len;
	return data && len ? to_user(dst, data, len) : 0;
}

/* recvmsg's result: the kernel's msghdr fields, then name, data, control. */
static int decode_msgout(struct reader *r, const struct ulk_ctl_pending *p,
			 int i, long ret)
{
	struct msghdr msg, *um = (struct msghdr *)p->args[i];
	struct iovec iov[MAX_IOV];
	const void *data;
	struct msg_desc d;
	uint32_t len;
	int err;

	if (!next_item(r, &data, &len) || len != sizeof(d) || !data)
		return -EIO;
	memcpy(&d, data, sizeof(d));
	err = from_user(&msg, um, sizeof(msg));
	if (!err)
		err = user_iov(msg.msg_iov, msg.msg_iovlen, iov);
	if (err)
		return err;
	/* name: the kernel's length; at most the room given was copied. */
	if (!next_item(r, &data, &len) || (msg.msg_name &&
	    len > (msg.msg_namelen < MAX_NAME ? msg.msg_namelen : MAX_NAME)) ||
	    (!msg.msg_name && len))
		return -EIO;
	if (len && (err = to_user(msg.msg_name, data, len)))
		return err;
	if (!next_item(r, &data, &len) || len > p->cap[i] ||
	    (ret >= 0 && len > (unsigned long)ret))
		return -EIO;
	if (len && (err = scatter(iov, msg.msg_iovlen, data, len)))
		return err;
	if (!next_item(r, &data, &len) || len > p->aux[i] || d.control != len)
		return -EIO;
	if (len && (err = to_user(msg.msg_control, data, len)))
		return err;
	if (ret < 0)
		return 0;
	msg.msg_namelen = msg.msg_name ? d.name : 0;
	msg.msg_controllen = d.control;
	msg.msg_flags = d.flags;
	if ((err = to_user(&um->msg_namelen, &msg.msg_namelen,
			   sizeof(msg.msg_namelen))) ||
	    (err = to_user(&um->msg_controllen, &msg.msg_controllen,
			   sizeof(msg.msg_controllen))))
		return err;
	return to_user(&um->msg_flags, &msg.msg_flags, sizeof(msg.msg_flags));
}

static int decode_ioctl(struct reader *r, const struct ulk_ctl_pending *p,
			int i)
{
	void *ptr = (void *)p->args[i];
	struct ifreq ifr;
	const void *data;
	uint32_t len;
	int err;

	switch (ioctl_class((unsigned long)p->args[1])) {
	case IOC_INT_OUT:
	case IOC_TIME_OUT:
	case IOC_IFREQ:
		return item_to_user(r, ptr, p->cap[i], NULL);
	case IOC_IFCONF: {
		struct ifconf *uc = ptr;
		struct ifconf ifc;
		int32_t n;

		if (!next_item(r, &data, &len) || len != sizeof(n) || !data)
			return -EIO;
		memcpy(&n, data, sizeof(n));
		err = from_user(&ifc, uc, sizeof(ifc));
		if (err)
			return err;
		if (ifc.ifc_buf && (n < 0 || (uint32_t)n > p->cap[i]))
			return -EIO;
		if (ifc.ifc_buf && (err = item_to_user(r, ifc.ifc_buf,
						       p->cap[i], NULL)))
			return err;
		return to_user(&uc->ifc_len, &n, sizeof(n));
	}
	case IOC_ETHTOOL:
		err = from_user(&ifr, ptr, sizeof(ifr));
		if (err)
			return err;
		return item_to_user(r, ifr.ifr_data, p->aux[i], NULL);
	case IOC_INT_IN:
	case IOC_NONE:
		break;
	}
	return 0;
}

/**
 * ulk_ctl_decode_result() - put a RESULT where the caller wants it
 * (client side).
 * @body: the RESULT's body.
 * @len: its length.
 * @p: what ulk_ctl_encode_call() recorded for the call.
 *
 * Nothing is written unless it fits what the call asked for.
 * Return: the call's result, -EFAULT if the caller's memory could not
 * take it, or -EIO if the body is malformed (the instance is then not to
 * be trusted further).
 */
long ulk_ctl_decode_result(const void *body, size_t len,
			   const struct ulk_ctl_pending *p)
{
	struct reader r = { body, len };
	struct ulk_ctl_result res;
	struct call_spec s;
	const void *data;
	uint32_t n;
	int i, err = 0;

	if (len < sizeof(res) || !spec_of(p->nr, &s))
		return -EIO;
	memcpy(&res, body, sizeof(res));
	r.p += sizeof(res);
	r.left -= sizeof(res);
	/* A call the server refused before making it comes without items. */
	if (!r.left && res.ret < 0)
		return res.ret;
	for (i = 0; i < 6 && !err; i++) {
		const struct arg_spec *a = &s.a[i];
		void *ptr = (void *)p->args[i];

		switch (a->kind) {
		case K_OUT:
			err = item_to_user(&r, ptr, p->cap[i], &n);
			if (!err && res.ret >= 0 && n > (unsigned long)res.ret)
				err = -EIO;
			break;
		case K_ADDR: {
			void *lenp = (void *)p->args[a->ref];
			uint32_t newlen;

			if (!next_item(&r, &data, &n))
				return -EIO;
			if (!lenp) {
				if (data)
					return -EIO;
				break;
			}
			if (!data || n != sizeof(newlen))
				return -EIO;
			memcpy(&newlen, data, sizeof(newlen));
			err = item_to_user(&r, ptr, p->cap[i], &n);
			if (!err && res.ret >= 0)
				err = to_user(lenp, &newlen, sizeof(newlen));
			break;
		}
		case K_POLL: {
			const struct pollfd *pfd;
			size_t k;

			/* Only the revents: the instance cannot change fds. */
			if (!next_item(&r, &data, &n) ||
			    (n && n != p->cap[i]))
				return -EIO;
			pfd = data;
			for (k = 0; !err && k < n / sizeof(*pfd); k++)
				err = to_user(&((struct pollfd *)ptr)[k].revents,
					      &pfd[k].revents,
					      sizeof(pfd[k].revents));
			break;
		}
		case K_FDPAIR:
			err = item_to_user(&r, ptr, p->cap[i], &n);
			if (!err && n && n != p->cap[i])
				err = -EIO;
			break;
		case K_EPEV:
			err = item_to_user(&r, ptr, p->cap[i], &n);
			if (!err && (n % sizeof(struct epoll_event) ||
				     (res.ret >= 0 && n != res.ret *
				      sizeof(struct epoll_event))))
				err = -EIO;
			break;
		case K_IOVOUT: {
			struct iovec iov[MAX_IOV];

			if (!next_item(&r, &data, &n) || n > p->cap[i] ||
			    (res.ret >= 0 && n > (unsigned long)res.ret))
				return -EIO;
			err = user_iov(ptr, p->args[a->ref], iov);
			if (!err && n)
				err = scatter(iov, p->args[a->ref], data, n);
			break;
		}
		case K_MSGOUT:
			err = decode_msgout(&r, p, i, res.ret);
			break;
		case K_IOCTL:
			err = decode_ioctl(&r, p, i);
			break;
		}
	}
	if (err)
		return err;
	if (r.left)
		return -EIO;
	return res.ret;
}

/* --- the server's half ------------------------------------------------- */

/* The server's buffers of one call, freed together. */
struct call_mem {
	void *blk[12];
	int n;
};

static void *mem_get(struct call_mem *m, size_t n)
{
	void *p;

	if (m->n == (int)(sizeof(m->blk) / sizeof(m->blk[0])))
		return NULL;
	p = calloc(1, n ? n : 1);
	if (p)
		m->blk[m->n++] = p;
	return p;
}

/* A copy of an item of exactly @want bytes (or any if @want is -1). */
static bool take_item(struct reader *r, struct call_mem *m, long want,
		      uint32_t room, void **out, uint32_t *len)
{
	const void *data;

	if (!next_item(r, &data, len))
		return false;
	if (!data) {
		*out = NULL;
		return true;
	}
	if ((want >= 0 && *len != want) || *len > ULK_CTL_MAX_BUF)
		return false;
	*out = mem_get(m, *len > room ? *len : room);
	if (!*out)
		return false;
	memcpy(*out, data, *len);
	return true;
}

/* Whether a sendmsg control buffer passes descriptors (refused). */
static bool passes_fds(const void *control, size_t len)
{
	struct msghdr msg = { .msg_control = (void *)control,
			      .msg_controllen = len };
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			return true;
	return false;
}

/* Close descriptors a recvmsg received (none should: ulk has no AF_UNIX). */
static void drop_fds(const struct ulk_ctl_exec *x, struct msghdr *msg)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t k = 0; k + sizeof(int) <= c->cmsg_len -
		     CMSG_LEN(0); k += sizeof(int)) {
			int fd;
			long a[6] = { 0 };

			memcpy(&fd, CMSG_DATA(c) + k, sizeof(fd));
			a[0] = fd;
			x->call(x->ctx, __ULK_NR_close, a);
		}
		memset(CMSG_DATA(c), 0xff, c->cmsg_len - CMSG_LEN(0));
		msg->msg_flags |= MSG_CTRUNC;
	}
}

/* What the server decoded of one call, kept for encoding its result. */
struct served {
	struct call_spec s;
	long args[6];
	uint32_t cap[6];
	struct msghdr msg[6];
	struct iovec iov[6];
	socklen_t len[6];
	struct ifreq *ifr[6];
	struct ifconf ifc[6];
	uint32_t aux[6];	/* K_MSGOUT: control room; K_POLL: bad fds */
	unsigned char *bad;	/* K_POLL: entries not ours, answered POLLNVAL */
	struct sock_fprog fprog;	/* K_OPTVAL: the program, rebuilt */
};

static bool fd_ok(const struct ulk_ctl_exec *x, long fd)
{
	return fd >= 0 && fd <= 0x7fffffff && x->owns(x->ctx, (int)fd);
}

/* Decode one argument of kind @a into @sv; false: malformed, -EINVAL. */
static int decode_arg(struct reader *r, struct call_mem *m,
		      const struct ulk_ctl_exec *x, struct served *sv, int i)
{
	const struct arg_spec *a = &sv->s.a[i];
	void *buf;
	uint32_t len, room;
	struct msg_desc d;

	switch (a->kind) {
	case K_VAL:
	case K_LENP:
		return 0;
	case K_FD:
		return fd_ok(x, sv->args[i]) ? 0 : -EBADF;
	case K_DIRFD:
		return (int)sv->args[i] == AT_FDCWD ||
		       fd_ok(x, sv->args[i]) ? 0 : -EBADF;
	case K_STR:
		if (!take_item(r, m, -1, 0, &buf, &len))
			return -EINVAL;
		if (buf && (!len || ((char *)buf)[len - 1]))
			return -EINVAL;
		sv->args[i] = (long)buf;
		return 0;
	case K_OPTVAL:
		if (optval_is_fprog(sv->args[1], sv->args[2])) {
			if (!take_item(r, m, -1, 0, &buf, &len) || !buf ||
			    !len || len % sizeof(struct sock_filter) ||
			    len / sizeof(struct sock_filter) > MAX_BPF_INSNS ||
			    sv->args[a->ref] != sizeof(struct sock_fprog))
				return -EINVAL;
			sv->fprog.len = len / sizeof(struct sock_filter);
			sv->fprog.filter = buf;
			sv->args[i] = (long)&sv->fprog;
			return 0;
		}
		/* fall through */
	case K_IN:
		if (!take_item(r, m, -1, 0, &buf, &len))
			return -EINVAL;
		if (buf && len != (uint64_t)sv->args[a->ref])
			return -EINVAL;
		sv->args[i] = (long)buf;
		return 0;
	case K_INFIX:
		if (!take_item(r, m, a->fix, 0, &buf, &len))
			return -EINVAL;
		sv->args[i] = (long)buf;
		return 0;
	case K_OUT:
		if ((unsigned long)sv->args[a->ref] > ULK_CTL_MAX_BUF)
			return -EINVAL;
		sv->cap[i] = sv->args[a->ref];
		if (sv->args[i]) {
			buf = mem_get(m, sv->cap[i]);
			if (!buf)
				return -ENOMEM;
			sv->args[i] = (long)buf;
		}
		return 0;
	case K_ADDR:
		if (!take_item(r, m, -1, 0, &buf, &len))
			return -EINVAL;
		if (!buf) {
			sv->args[a->ref] = 0;
			return 0;
		}
		if (len != sizeof(uint32_t))
			return -EINVAL;
		memcpy(&room, buf, sizeof(room));
		if ((int32_t)room >= 0 && room > MAX_ADDR)
			return -EINVAL;
		sv->len[i] = room;
		sv->cap[i] = (int32_t)room < 0 ? 0 : room;
		sv->args[a->ref] = (long)&sv->len[i];
		if (sv->args[i]) {
			buf = mem_get(m, sv->cap[i]);
			if (!buf)
				return -ENOMEM;
			sv->args[i] = (long)buf;
		} else {
			sv->cap[i] = 0;
		}
		return 0;
	case K_POLL: {
		struct pollfd *pfd;
		unsigned long n = sv->args[a->ref], k;

		if (n > MAX_POLLFDS || !take_item(r, m, n * sizeof(*pfd), 0,
						  &buf, &len))
			return -EINVAL;
		pfd = buf;
		sv->cap[i] = len;
		sv->bad = mem_get(m, n);
		if (!sv->bad)
			return -ENOMEM;
		for (k = 0; pfd && k < n; k++)
			if (pfd[k].fd >= 0 && !x->owns(x->ctx, pfd[k].fd)) {
				pfd[k].fd = -1;		/* ignored by ppoll */
				sv->bad[k] = 1;
				sv->aux[i]++;
			}
		sv->args[i] = (long)buf;
		return 0;
	}
	case K_EPEV:
		if (sv->args[a->ref] <= 0 || sv->args[a->ref] > MAX_EVENTS)
			return -EINVAL;
		sv->cap[i] = sv->args[a->ref] * sizeof(struct epoll_event);
		buf = mem_get(m, sv->cap[i]);
		if (!buf)
			return -ENOMEM;
		sv->args[i] = (long)buf;
		return 0;
	case K_IOVIN:
		if (!take_item(r, m, -1, 0, &buf, &len))
			return -EINVAL;
		sv->iov[i].iov_base = buf;
		sv->iov[i].iov_len = len;
		sv->args[i] = (long)&sv->iov[i];
		sv->args[a->ref] = 1;
		return 0;
	case K_IOVOUT:
		if (!take_item(r, m, sizeof(room), 0, &buf, &len) || !buf)
			return -EINVAL;
		memcpy(&room, buf, sizeof(room));
		if (room > ULK_CTL_MAX_BUF)
			return -EINVAL;
		sv->cap[i] = room;
		sv->iov[i].iov_base = mem_get(m, room);
		sv->iov[i].iov_len = room;
		if (!sv->iov[i].iov_base)
			return -ENOMEM;
		sv->args[i] = (long)&sv->iov[i];
		sv->args[a->ref] = 1;
		return 0;
	case K_MSGIN: {
		struct msghdr *msg = &sv->msg[i];

		if (!take_item(r, m, sizeof(d), 0, &buf, &len) || !buf)
			return -EINVAL;
		memcpy(&d, buf, sizeof(d));
		if (!take_item(r, m, -1, 0, &msg->msg_name, &len) ||
		    (msg->msg_name && len != d.name) || len > MAX_NAME)
			return -EINVAL;
		msg->msg_namelen = len;
		if (!take_item(r, m, -1, 0, &buf, &len) || !buf)
			return -EINVAL;
		sv->iov[i].iov_base = buf;
		sv->iov[i].iov_len = len;
		msg->msg_iov = &sv->iov[i];
		msg->msg_iovlen = 1;
		if (!take_item(r, m, -1, 0, &msg->msg_control, &len) ||
		    len > MAX_CONTROL)
			return -EINVAL;
		msg->msg_controllen = len;
		if (!len)
			msg->msg_control = NULL;
		if (passes_fds(msg->msg_control, len))
			return -EOPNOTSUPP;
		sv->args[i] = (long)msg;
		return 0;
	}
	case K_MSGOUT: {
		struct msghdr *msg = &sv->msg[i];

		if (!take_item(r, m, sizeof(d), 0, &buf, &len) || !buf)
			return -EINVAL;
		memcpy(&d, buf, sizeof(d));
		if ((d.name != ITEM_NULL && d.name > MAX_NAME) ||
		    d.data > ULK_CTL_MAX_BUF || d.control > MAX_CONTROL)
			return -EINVAL;
		if (d.name != ITEM_NULL) {
			msg->msg_name = mem_get(m, d.name);
			msg->msg_namelen = d.name;
			sv->len[i] = d.name;
		}
		sv->iov[i].iov_base = mem_get(m, d.data);
		sv->iov[i].iov_len = d.data;
		msg->msg_iov = &sv->iov[i];
		msg->msg_iovlen = 1;
		if (d.control) {
			msg->msg_control = mem_get(m, d.control);
			msg->msg_controllen = d.control;
		}
		if ((d.name != ITEM_NULL && !msg->msg_name) ||
		    !sv->iov[i].iov_base || (d.control && !msg->msg_control))
			return -ENOMEM;
		sv->cap[i] = d.data;
		sv->aux[i] = d.control;
		sv->args[i] = (long)msg;
		return 0;
	}
	case K_IOCTL:
		switch (ioctl_class((unsigned long)sv->args[1])) {
		case IOC_NONE:
			return -ENOTTY;
		case IOC_INT_OUT:
		case IOC_TIME_OUT:
			sv->cap[i] = 16;
			buf = mem_get(m, 16);
			if (!buf)
				return -ENOMEM;
			sv->args[i] = (long)buf;
			return 0;
		case IOC_INT_IN:
			if (!take_item(r, m, sizeof(int), 0, &buf, &len))
				return -EINVAL;
			sv->args[i] = (long)buf;
			return 0;
		case IOC_IFREQ:
			if (!take_item(r, m, IFREQ_SIZE, 0, &buf, &len))
				return -EINVAL;
			sv->args[i] = (long)buf;
			return 0;
		case IOC_IFCONF:
			if (!take_item(r, m, -1, 0, &buf, &len) ||
			    (buf && len != sizeof(room)))
				return -EINVAL;
			sv->ifc[i].ifc_len = 0;
			sv->ifc[i].ifc_buf = NULL;
			if (buf) {
				memcpy(&room, buf, sizeof(room));
				if (room > ULK_CTL_MAX_BUF)
					return -EINVAL;
				sv->ifc[i].ifc_len = room;
				sv->ifc[i].ifc_buf = mem_get(m, room);
				if (!sv->ifc[i].ifc_buf)
					return -ENOMEM;
			}
			sv->args[i] = (long)&sv->ifc[i];
			return 0;
		case IOC_ETHTOOL: {
			uint32_t in, out;
			void *cmd;

			if (!take_item(r, m, IFREQ_SIZE, 0, &buf, &len) ||
			    !buf)
				return -EINVAL;
			sv->ifr[i] = buf;
			if (!take_item(r, m, sizeof(out), 0, &buf, &len) || !buf)
				return -EINVAL;
			memcpy(&out, buf, sizeof(out));
			if (!take_item(r, m, -1, 0, &cmd, &len) || !cmd)
				return -EINVAL;
			/* The sizes again, from what the kernel will read. */
			if (ethtool_sizes(cmd, len, &in, &room) || in != len ||
			    room != out)
				return -EINVAL;
			buf = mem_get(m, out > in ? out : in);
			if (!buf)
				return -ENOMEM;
			memcpy(buf, cmd, in);
			sv->ifr[i]->ifr_data = buf;
			sv->cap[i] = out;
			sv->args[i] = (long)sv->ifr[i];
			return 0;
		}
		}
		return -ENOTTY;
	case K_FCNTL:
		return fcntl_served(sv->args[1]) ? 0 : -EINVAL;
	case K_FDPAIR:
		sv->cap[i] = 2 * sizeof(int);
		buf = mem_get(m, sv->cap[i]);
		if (!buf)
			return -ENOMEM;
		sv->args[i] = (long)buf;
		return 0;
	}
	return -EINVAL;
}

/* The RESULT's items for argument @i of a call that returned @ret. */
static void encode_arg(struct ulk_ctl_buf *b, const struct ulk_ctl_exec *x,
		       struct served *sv, int i, long ret)
{
	const struct arg_spec *a = &sv->s.a[i];
	void *ptr = (void *)sv->args[i];
	uint32_t n;

	switch (a->kind) {
	case K_OUT:
		n = ret > 0 ? ((unsigned long)ret < sv->cap[i] ? ret :
			       sv->cap[i]) : 0;
		ulk_ctl_buf_item(b, ptr, ptr ? n : ITEM_NULL);
		return;
	case K_ADDR:
		if (!sv->args[a->ref]) {
			ulk_ctl_buf_item(b, NULL, ITEM_NULL);
			return;
		}
		n = sv->len[i];
		ulk_ctl_buf_item(b, &n, sizeof(n));
		n = ret < 0 ? 0 : n < sv->cap[i] ? n : sv->cap[i];
		ulk_ctl_buf_item(b, ptr, ptr ? n : 0);
		return;
	case K_POLL: {
		struct pollfd *pfd = ptr;
		unsigned long k, cnt = sv->cap[i] / sizeof(*pfd);

		for (k = 0; pfd && k < cnt; k++)
			if (sv->bad[k])
				pfd[k].revents = POLLNVAL;
		ulk_ctl_buf_item(b, ptr, ptr && ret >= 0 ? sv->cap[i] : 0);
		return;
	}
	case K_FDPAIR:
		if (ret == 0 && ptr) {
			int fds[2];

			memcpy(fds, ptr, sizeof(fds));
			x->adopt(x->ctx, fds[0]);
			x->adopt(x->ctx, fds[1]);
		}
		ulk_ctl_buf_item(b, ptr, ret == 0 ? sv->cap[i] : 0);
		return;
	case K_EPEV:
		n = ret > 0 ? ret * sizeof(struct epoll_event) : 0;
		ulk_ctl_buf_item(b, ptr, n <= sv->cap[i] ? n : 0);
		return;
	case K_IOVOUT:
		n = ret > 0 ? ((unsigned long)ret < sv->cap[i] ? ret :
			       sv->cap[i]) : 0;
		ulk_ctl_buf_item(b, sv->iov[i].iov_base, n);
		return;
	case K_MSGOUT: {
		struct msghdr *msg = &sv->msg[i];
		struct msg_desc d = { 0 };

		if (ret >= 0 && msg->msg_controllen)
			drop_fds(x, msg);
		if (ret >= 0) {
			d.name = msg->msg_namelen;
			d.control = msg->msg_controllen <= sv->aux[i] ?
				    msg->msg_controllen : 0;
			d.flags = msg->msg_flags;
		}
		ulk_ctl_buf_item(b, &d, sizeof(d));
		n = !msg->msg_name || ret < 0 ? 0 :
		    msg->msg_namelen < sv->len[i] ? msg->msg_namelen :
		    sv->len[i];
		ulk_ctl_buf_item(b, msg->msg_name, n);
		n = ret > 0 ? ((unsigned long)ret < sv->cap[i] ? ret :
			       sv->cap[i]) : 0;
		ulk_ctl_buf_item(b, sv->iov[i].iov_base, n);
		ulk_ctl_buf_item(b, msg->msg_control, d.control);
		return;
	}
	case K_IOCTL:
		switch (ioctl_class((unsigned long)sv->args[1])) {
		case IOC_INT_OUT:
			ulk_ctl_buf_item(b, ptr, ret >= 0 ? sizeof(int) : 0);
			return;
		case IOC_TIME_OUT:
			ulk_ctl_buf_item(b, ptr, ret >= 0 ? 16 : 0);
			return;
		case IOC_IFREQ:
			ulk_ctl_buf_item(b, ptr, ret >= 0 ? IFREQ_SIZE : 0);
			return;
		case IOC_IFCONF: {
			struct ifconf *ifc = &sv->ifc[i];
			int32_t len = ifc->ifc_len;

			ulk_ctl_buf_item(b, &len, sizeof(len));
			if (ifc->ifc_buf)
				ulk_ctl_buf_item(b, ifc->ifc_buf, ret >= 0 &&
						 len > 0 ? (uint32_t)len : 0);
			return;
		}
		case IOC_ETHTOOL:
			ulk_ctl_buf_item(b, sv->ifr[i]->ifr_data,
					 ret >= 0 ? sv->cap[i] : 0);
			return;
		default:
			return;
		}
	}
}

/**
 * ulk_ctl_serve_call() - make the call a CALL body asks for, and build
 * the RESULT body (server side).
 * @body: the CALL's body, as received (any bytes).
 * @len: its length.
 * @x: how to make the call and whose descriptors are whose.
 * @reply: receives the RESULT body (appended to; empty at first). If it
 *	fails (no memory), the connection should be dropped.
 *
 * A malformed body gets a RESULT of -EINVAL (and the call is not made);
 * a descriptor that is not the session's, -EBADF; a call that does not
 * travel, -ENOSYS.
 */
void ulk_ctl_serve_call(const void *body, size_t len,
			const struct ulk_ctl_exec *x, struct ulk_ctl_buf *reply)
{
	struct reader r = { body, len };
	struct ulk_ctl_result res = { 0 };
	struct ulk_ctl_call call;
	struct call_mem m = { .n = 0 };
	struct served *sv;
	long ret = 0;
	int i;

	sv = calloc(1, sizeof(*sv));
	if (!sv) {
		reply->failed = true;
		return;
	}
	if (len < sizeof(call)) {
		ret = -EINVAL;
		goto out;
	}
	memcpy(&call, body, sizeof(call));
	r.p += sizeof(call);
	r.left -= sizeof(call);
	if (!spec_of(call.nr, &sv->s)) {
		ret = -ENOSYS;
		goto out;
	}
	for (i = 0; i < 6; i++)
		sv->args[i] = call.args[i];
	for (i = 0; i < 6 && !ret; i++)
		ret = decode_arg(&r, &m, x, sv, i);
	if (!ret && r.left)
		ret = -EINVAL;
	/* dup3 onto a number that is not the session's would take it. */
	if (!ret && call.nr == __ULK_NR_dup3 && !fd_ok(x, sv->args[1]))
		ret = -EBADF;
	if (ret)
		goto out;
	if (call.nr == __ULK_NR_ppoll && sv->aux[0]) {
		/* Linux answers at once when a descriptor is bad. */
		sv->args[2] = (long)mem_get(&m, 16);	/* zero timeout */
		if (!sv->args[2]) {
			ret = -ENOMEM;
			goto out;
		}
	}
	ret = x->call(x->ctx, call.nr, sv->args);
	if (call.nr == __ULK_NR_ppoll && sv->aux[0] && ret >= 0)
		ret += sv->aux[0];
	if (ret >= 0 && ((sv->s.flags & F_RETFD) ||
			 (call.nr == __ULK_NR_fcntl &&
			  (call.args[1] == F_DUPFD ||
			   call.args[1] == F_DUPFD_CLOEXEC))))
		x->adopt(x->ctx, (int)ret);
	if ((sv->s.flags & F_CLOSE) && ret != -EBADF)
		x->release(x->ctx, (int)call.args[0]);
	res.ret = ret;
	ulk_ctl_buf_put(reply, &res, sizeof(res));
	for (i = 0; i < 6; i++)
		encode_arg(reply, x, sv, i, ret);
	goto done;
out:
	/* Not made: the result alone, without items (see the client's half). */
	res.ret = ret;
	ulk_ctl_buf_put(reply, &res, sizeof(res));
done:
	for (i = 0; i < m.n; i++)
		free(m.blk[i]);
	free(sv);
}
