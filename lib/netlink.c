// SPDX-License-Identifier: GPL-2.0
/*
 * rtnetlink request/answer helper: see lib/netlink.h for the contract.
 *
 * Every exchange runs on its own NETLINK_ROUTE socket inside ulk, bound so
 * that we know our port id before sending. The socket asks for extended
 * acks (the kernel's explanation of a refusal), capped acks (an error does
 * not echo our request back), and strict checking of dump requests (the
 * kernel rejects a malformed one instead of guessing). Options the kernel
 * does not know are not fatal: they only improve the diagnostics.
 *
 * rtnetlink handles a request synchronously inside sendto(), so the answer
 * is already queued when we start reading; a dump is continued by the
 * kernel on each recvfrom(). A receive timeout still guards against an
 * answer that never comes, so a kernel bug shows as -ETIMEDOUT, not a hang.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ulk/ulk.h>
#include <ulk/abi.h>

#include <ulk/net.h>

#include "netlink.h"

/* Large enough for any dump datagram: the kernel caps them at 32 KiB. */
#define NL_RXBUF	32768
#define NL_TIMEOUT_S	10
#define NL_ERRMSG_MAX	256

static uint32_t nl_seq;
static __thread char nl_errmsg[NL_ERRMSG_MAX];

/**
 * ulk_if_errmsg() - the kernel's explanation of the last refused request.
 *
 * Return: see <ulk/net.h>.
 */
const char *ulk_if_errmsg(void)
{
	return nl_errmsg;
}

void ulk_nlreq_errmsg_clear(void)
{
	nl_errmsg[0] = '\0';
}

void ulk_nlreq_init(struct nlreq *req, uint16_t type, uint16_t flags,
		    const void *fixed, size_t fixed_len)
{
	memset(req, 0, sizeof(*req));
	req->nlh.nlmsg_type = type;
	req->nlh.nlmsg_flags = ULK_NLM_F_REQUEST | flags;
	req->nlh.nlmsg_len = ULK_NLMSG_LENGTH(fixed_len);
	if (ULK_NLMSG_SPACE(fixed_len) > sizeof(req->buf)) {
		req->overflow = true;
		return;
	}
	if (fixed_len)
		memcpy(ULK_NLMSG_DATA(&req->nlh), fixed, fixed_len);
}

void ulk_nlreq_put(struct nlreq *req, uint16_t type, const void *data,
		   size_t len)
{
	size_t off = ULK_NLMSG_ALIGN(req->nlh.nlmsg_len);
	struct ulk_rtattr *rta;

	if (req->overflow || len > 0xffff - ULK_RTA_LENGTH(0) ||
	    off + ULK_RTA_SPACE(len) > sizeof(req->buf)) {
		req->overflow = true;
		return;
	}
	rta = (struct ulk_rtattr *)(req->buf + off);
	rta->rta_type = type;
	rta->rta_len = ULK_RTA_LENGTH(len);
	if (len)
		memcpy(ULK_RTA_DATA(rta), data, len);
	req->nlh.nlmsg_len = off + ULK_RTA_SPACE(len);
}

void ulk_nlreq_put_u32(struct nlreq *req, uint16_t type, uint32_t value)
{
	ulk_nlreq_put(req, type, &value, sizeof(value));
}

int ulk_nlreq_attrs(const struct ulk_nlmsghdr *nlh, size_t fixed_len,
		    const struct ulk_rtattr **tb, unsigned int max)
{
	const unsigned char *p, *end;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (nlh->nlmsg_len < ULK_NLMSG_LENGTH(fixed_len))
		return -EBADMSG;
	p = (const unsigned char *)nlh + ULK_NLMSG_SPACE(fixed_len);
	end = (const unsigned char *)nlh + nlh->nlmsg_len;
	while (p < end) {
		const struct ulk_rtattr *rta = (const void *)p;

		if ((size_t)(end - p) < sizeof(*rta) ||
		    rta->rta_len < sizeof(*rta) ||
		    rta->rta_len > (size_t)(end - p))
			return -EBADMSG;
		if (rta->rta_type <= max)
			tb[rta->rta_type] = rta;
		p += ULK_RTA_ALIGN(rta->rta_len);
	}
	return 0;
}

/* --- the socket ------------------------------------------------------------ */

/* Open and bind a NETLINK_ROUTE socket; *portid receives its port id. */
static long nl_open(uint32_t *portid)
{
	struct __ulk_kernel_old_timeval tv = { .tv_sec = NL_TIMEOUT_S };
	struct ulk_sockaddr_nl sa = { .nl_family = ULK_AF_NETLINK };
	int salen = sizeof(sa), one = 1;
	long fd, ret;

	fd = ulk_sys_socket(ULK_AF_NETLINK, ULK_SOCK_RAW | ULK_SOCK_CLOEXEC,
			    ULK_NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	/* Diagnostics and safety nets only: failures are not fatal. */
	ulk_sys_setsockopt(fd, ULK_SOL_NETLINK, ULK_NETLINK_EXT_ACK, &one,
			   sizeof(one));
	ulk_sys_setsockopt(fd, ULK_SOL_NETLINK, ULK_NETLINK_CAP_ACK, &one,
			   sizeof(one));
	ulk_sys_setsockopt(fd, ULK_SOL_NETLINK, ULK_NETLINK_GET_STRICT_CHK,
			   &one, sizeof(one));
	ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_RCVTIMEO, &tv,
			   sizeof(tv));

	ret = ulk_sys_bind(fd, (struct ulk_sockaddr *)&sa, sizeof(sa));
	if (ret == 0)
		ret = ulk_sys_getsockname(fd, (struct ulk_sockaddr *)&sa,
					  &salen);
	if (ret == 0 && (salen != sizeof(sa) ||
			 sa.nl_family != ULK_AF_NETLINK || sa.nl_pid == 0))
		ret = -EBADMSG;
	if (ret < 0) {
		ulk_sys_close(fd);
		return ret;
	}
	*portid = sa.nl_pid;
	return fd;
}

/*
 * Keep the kernel's explanation from an NLMSG_ERROR or NLMSG_DONE carrying
 * extended-ack attributes. @tlv/@len: what follows the fixed payload.
 */
static void nl_keep_extack(const unsigned char *tlv, size_t len)
{
	while (len >= sizeof(struct ulk_rtattr)) {
		const struct ulk_rtattr *rta = (const void *)tlv;
		size_t alen = rta->rta_len;

		if (alen < sizeof(*rta) || alen > len)
			return;
		if (rta->rta_type == ULK_NLMSGERR_ATTR_MSG &&
		    alen > ULK_RTA_LENGTH(0)) {
			const char *s = ulk_nlreq_attr_data(rta);
			size_t n = strnlen(s, ulk_nlreq_attr_len(rta));

			if (n >= NL_ERRMSG_MAX)
				n = NL_ERRMSG_MAX - 1;
			memcpy(nl_errmsg, s, n);
			nl_errmsg[n] = '\0';
			return;
		}
		alen = ULK_RTA_ALIGN(alen);
		if (alen >= len)
			return;
		tlv += alen;
		len -= alen;
	}
}

/* Decode NLMSG_ERROR: Return: its errno (0 for an ack) or -EBADMSG. */
static int nl_error(const struct ulk_nlmsghdr *nlh)
{
	const struct ulk_nlmsgerr *e = ULK_NLMSG_DATA(nlh);
	size_t plen = nlh->nlmsg_len - ULK_NLMSG_HDRLEN;

	if (plen < sizeof(*e) || e->error > 0 || e->error < -4095)
		return -EBADMSG;
	if (e->error && (nlh->nlmsg_flags & ULK_NLM_F_ACK_TLVS)) {
		/* Without NLM_F_CAPPED our request is echoed before the TLVs. */
		size_t off = sizeof(*e);

		if (!(nlh->nlmsg_flags & ULK_NLM_F_CAPPED)) {
			if (e->msg.nlmsg_len < ULK_NLMSG_HDRLEN)
				return e->error;
			off += e->msg.nlmsg_len - ULK_NLMSG_HDRLEN;
		}
		off = ULK_NLMSG_ALIGN(off);
		if (off < plen)
			nl_keep_extack((const unsigned char *)e + off,
				       plen - off);
	}
	return e->error;
}

/* Decode NLMSG_DONE: Return: the dump's errno (0 if it succeeded). */
static int nl_done(const struct ulk_nlmsghdr *nlh)
{
	size_t plen = nlh->nlmsg_len - ULK_NLMSG_HDRLEN;
	int err;

	if (plen < sizeof(int))
		return 0;	/* old kernels sent an empty DONE */
	memcpy(&err, ULK_NLMSG_DATA(nlh), sizeof(err));
	if (err > 0 || err < -4095)
		return -EBADMSG;
	if (err && (nlh->nlmsg_flags & ULK_NLM_F_ACK_TLVS) &&
	    plen > ULK_NLMSG_ALIGN(sizeof(int)))
		nl_keep_extack((const unsigned char *)ULK_NLMSG_DATA(nlh) +
			       ULK_NLMSG_ALIGN(sizeof(int)),
			       plen - ULK_NLMSG_ALIGN(sizeof(int)));
	return err;
}

/*
 * Send @req and read answers until its acknowledgement (or, for a @dump,
 * which the kernel ends with NLMSG_DONE and does not acknowledge, until
 * NLMSG_DONE), passing data messages to @cb if it is not NULL.
 */
static int nl_exchange(struct nlreq *req, bool dump, nlreq_cb cb, void *arg)
{
	struct ulk_sockaddr_nl kernel = { .nl_family = ULK_AF_NETLINK };
	bool interrupted = false;
	unsigned char *buf;
	uint32_t portid, seq;
	long fd, n;
	int ret = 0;

	nl_errmsg[0] = '\0';
	if (req->overflow)
		return -EMSGSIZE;
	if (!dump)
		req->nlh.nlmsg_flags |= ULK_NLM_F_ACK;
	seq = __atomic_add_fetch(&nl_seq, 1, __ATOMIC_RELAXED);
	if (seq == 0)	/* 0 is what unsolicited messages carry */
		seq = __atomic_add_fetch(&nl_seq, 1, __ATOMIC_RELAXED);
	req->nlh.nlmsg_seq = seq;

	buf = malloc(NL_RXBUF);
	if (!buf)
		return -ENOMEM;
	fd = nl_open(&portid);
	if (fd < 0) {
		free(buf);
		return (int)fd;
	}
	req->nlh.nlmsg_pid = portid;

	n = ulk_sys_sendto(fd, req->buf, req->nlh.nlmsg_len, 0,
			   (struct ulk_sockaddr *)&kernel, sizeof(kernel));
	if (n < 0) {
		ret = (int)n;
		goto out;
	}
	if (n != (long)req->nlh.nlmsg_len) {
		ret = -EMSGSIZE;
		goto out;
	}

	for (;;) {
		struct ulk_sockaddr_nl from;
		int fromlen = sizeof(from);
		const unsigned char *p;
		size_t left;

		memset(&from, 0, sizeof(from));
		/* MSG_TRUNC: the real length, so truncation is visible. */
		n = ulk_sys_recvfrom(fd, buf, NL_RXBUF, ULK_MSG_TRUNC,
				     (struct ulk_sockaddr *)&from, &fromlen);
		if (n == -EAGAIN || n == -EWOULDBLOCK) {
			ret = -ETIMEDOUT;
			goto out;
		}
		if (n < 0) {
			ret = (int)n;
			goto out;
		}
		if (n > NL_RXBUF) {
			ret = -EMSGSIZE;
			goto out;
		}
		/* Only the kernel (port 0) answers requests. */
		if (fromlen != sizeof(from) ||
		    from.nl_family != ULK_AF_NETLINK || from.nl_pid != 0)
			continue;

		p = buf;
		left = (size_t)n;
		while (left > 0) {
			const struct ulk_nlmsghdr *nlh = (const void *)p;
			size_t step;

			if (left < sizeof(*nlh) ||
			    nlh->nlmsg_len < sizeof(*nlh) ||
			    nlh->nlmsg_len > left) {
				ret = -EBADMSG;
				goto out;
			}
			step = ULK_NLMSG_ALIGN(nlh->nlmsg_len);
			if (step > left)
				step = left;
			p += step;
			left -= step;

			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portid)
				continue;	/* not an answer to us */
			if (nlh->nlmsg_flags & ULK_NLM_F_DUMP_INTR)
				interrupted = true;

			switch (nlh->nlmsg_type) {
			case ULK_NLMSG_NOOP:
				continue;
			case ULK_NLMSG_OVERRUN:
				ret = -ENOBUFS;
				goto out;
			case ULK_NLMSG_ERROR:
				ret = nl_error(nlh);
				goto out;
			case ULK_NLMSG_DONE:
				ret = nl_done(nlh);
				if (ret == 0 && interrupted)
					ret = -EAGAIN;
				goto out;
			default:
				if (nlh->nlmsg_type < ULK_NLMSG_MIN_TYPE)
					continue;	/* reserved */
				if (!cb)
					continue;
				ret = cb(nlh, arg);
				if (ret < 0)
					goto out;
				ret = 0;
			}
		}
	}
out:
	ulk_sys_close(fd);
	free(buf);
	return ret;
}

int ulk_nlreq_ack(struct nlreq *req)
{
	return nl_exchange(req, false, NULL, NULL);
}

int ulk_nlreq_get(struct nlreq *req, nlreq_cb cb, void *arg)
{
	/*
	 * NLM_F_DUMP's bits mean REPLACE|EXCL in RTM_NEW* requests, which go
	 * through ulk_nlreq_ack(); here they can only mean a dump.
	 */
	return nl_exchange(req, (req->nlh.nlmsg_flags & ULK_NLM_F_DUMP) ==
			   ULK_NLM_F_DUMP, cb, arg);
}

int ulk_nlreq_ioctl(unsigned int cmd, void *arg)
{
	long fd, ret;

	fd = ulk_sys_socket(ULK_AF_NETLINK, ULK_SOCK_RAW | ULK_SOCK_CLOEXEC,
			    ULK_NETLINK_ROUTE);
	if (fd < 0)
		return (int)fd;
	ret = ulk_sys_ioctl(fd, cmd, (long)arg);
	ulk_sys_close(fd);
	return (int)ret;
}
