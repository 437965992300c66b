/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small rtnetlink request helper for libulk's network configuration API
 * (lib/netconf.c). Internal: not installed, not exported.
 *
 * A request is built in a struct nlreq (fixed header, then attributes) and
 * handed to ulk_nlreq_ack() or ulk_nlreq_get(), which each open a
 * NETLINK_ROUTE socket inside ulk, send the request with a fresh sequence
 * number and read the kernel's answer:
 *
 *  - ulk_nlreq_ack() for changes (RTM_NEW*, RTM_DEL*): waits for the
 *    NLMSG_ERROR acknowledgement and returns its (negative) errno;
 *  - ulk_nlreq_get() for queries, single (RTM_GETLINK of one index) or
 *    multi-part (NLM_F_DUMP): each answer message is passed to a callback
 *    until the acknowledgement or NLMSG_DONE.
 *
 * Everything read from the kernel is checked before use: the sender must
 * be the kernel (port 0), every message header must lie inside what was
 * received, messages must carry our port and sequence number (others are
 * ignored), error payloads must be complete. A malformed answer is
 * -EBADMSG, a truncated datagram -EMSGSIZE, an interrupted dump -EAGAIN.
 *
 * One socket per request keeps the helper thread-safe without locks and
 * leaves no state behind. When the kernel explains a failure (extended
 * ack), the text is kept per thread for ulk_if_errmsg().
 */
#ifndef ULK_LIB_NETLINK_H
#define ULK_LIB_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ulk/abi.h>

/* Requests are small: a header, a fixed part, a few addresses. */
#define NLREQ_SIZE	512

/**
 * struct nlreq - a netlink request under construction.
 * @nlh: the message header; nlmsg_len is the length built so far.
 * @buf: storage for the header and what follows it.
 * @overflow: set when an attribute did not fit; the request is then
 *	refused with -EMSGSIZE instead of being sent truncated.
 */
struct nlreq {
	union {
		struct ulk_nlmsghdr nlh;
		unsigned char buf[NLREQ_SIZE];
	};
	bool overflow;
};

/**
 * ulk_nlreq_init() - start a request.
 * @req: the request.
 * @type: message type (ULK_RTM_*).
 * @flags: ULK_NLM_F_* besides ULK_NLM_F_REQUEST (added here).
 * @fixed: the family header (struct ulk_ifaddrmsg, ...), copied.
 * @fixed_len: its size.
 */
void ulk_nlreq_init(struct nlreq *req, uint16_t type, uint16_t flags,
		    const void *fixed, size_t fixed_len);

/**
 * ulk_nlreq_put() - append an attribute.
 * @req: the request.
 * @type: attribute type.
 * @data: payload, copied (may be NULL if @len is 0).
 * @len: payload length.
 *
 * Sets @req->overflow if it does not fit.
 */
void ulk_nlreq_put(struct nlreq *req, uint16_t type, const void *data,
		   size_t len);

/** ulk_nlreq_put_u32() - append a 32-bit attribute (host byte order). */
void ulk_nlreq_put_u32(struct nlreq *req, uint16_t type, uint32_t value);

/**
 * ulk_nlreq_ack() - send a request and wait for its acknowledgement.
 * @req: the request; ULK_NLM_F_ACK is added.
 *
 * Return: 0 when the kernel acknowledged it, the kernel's negative errno
 * when it refused it, or a negative errno of the exchange itself (socket
 * calls, -EBADMSG for a malformed answer, -EMSGSIZE for an oversized
 * request or a truncated answer).
 */
int ulk_nlreq_ack(struct nlreq *req);

/**
 * typedef nlreq_cb - receives one answer message of ulk_nlreq_get().
 * @nlh: the message; its header has been checked to lie within the
 *	received data, its payload has not (the callback checks what it
 *	reads, see ulk_nlreq_attrs()).
 * @arg: the caller's argument.
 *
 * Return: 0 to go on, a negative errno to stop and make ulk_nlreq_get()
 * return it.
 */
typedef int (*nlreq_cb)(const struct ulk_nlmsghdr *nlh, void *arg);

/**
 * ulk_nlreq_get() - send a query and pass each answer to @cb.
 * @req: the request (ULK_NLM_F_DUMP in its flags for a dump);
 *	ULK_NLM_F_ACK is added for a single query.
 * @cb: called for each message that is not NLMSG_ERROR/DONE/NOOP.
 * @arg: passed to @cb.
 *
 * Return: 0 after the last answer, the first negative value of @cb, the
 * kernel's negative errno, -EAGAIN if a dump was interrupted by a
 * concurrent change (retry it), or an error of the exchange as for
 * ulk_nlreq_ack().
 */
int ulk_nlreq_get(struct nlreq *req, nlreq_cb cb, void *arg);

/**
 * ulk_nlreq_attrs() - index the attributes that follow a fixed header.
 * @nlh: the message.
 * @fixed_len: size of the family header after the netlink header.
 * @tb: filled with a pointer to the last attribute of each type, or NULL.
 * @max: highest type wanted; @tb has @max + 1 entries.
 *
 * Types above @max are ignored (newer kernels add attributes).
 * Return: 0, or -EBADMSG if the message is shorter than its fixed header or
 * an attribute overruns the message.
 */
int ulk_nlreq_attrs(const struct ulk_nlmsghdr *nlh, size_t fixed_len,
		    const struct ulk_rtattr **tb, unsigned int max);

/** ulk_nlreq_attr_len() - payload length of an attribute. */
static inline size_t ulk_nlreq_attr_len(const struct ulk_rtattr *rta)
{
	return rta->rta_len - ULK_RTA_LENGTH(0);
}

/** ulk_nlreq_attr_data() - payload of an attribute. */
static inline const void *ulk_nlreq_attr_data(const struct ulk_rtattr *rta)
{
	return (const char *)rta + ULK_RTA_LENGTH(0);
}

/**
 * ulk_nlreq_errmsg_clear() - forget the kernel's last explanation, so
 * that ulk_if_errmsg() never describes an earlier call. Every public
 * function calls it first (ulk_nlreq_ack()/get() clear it too).
 */
void ulk_nlreq_errmsg_clear(void);

/**
 * ulk_nlreq_ioctl() - an interface ioctl (SIOCGIFMTU, ...) inside ulk.
 * @cmd: the request (ULK_SIOC*).
 * @arg: its argument (a struct ulk_ifreq).
 *
 * Made on a NETLINK_ROUTE socket, which hands device ioctls to the core.
 * Return: the ioctl's result or a negative errno.
 */
int ulk_nlreq_ioctl(unsigned int cmd, void *arg);

#endif /* ULK_LIB_NETLINK_H */
