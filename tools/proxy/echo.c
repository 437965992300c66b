// SPDX-License-Identifier: GPL-2.0
/*
 * ulk-proxy's ICMP echo relay (IPv4): the guest's pings to any address are
 * sent on by the host as its own pings, and each answer comes back to the
 * guest from the address it pinged.
 *
 * ulk's kernel answers no pings on the guest's link (every destination is
 * local there, see lib/transparent.c), but a raw ICMP socket in ulk still
 * gets a copy of every echo request the guest sends. Each is given an
 * identifier of ours (so answers to other programs' pings, which a host raw
 * socket also sees, are told apart) and sent from a host ICMP socket made
 * before the sandbox (raw: CAP_NET_RAW then; without it there is no echo
 * relay, and ulk-proxy says so; a ping socket would choose the identifier
 * itself, which is the one thing the relay needs to choose). An echo reply
 * with one of our
 * identifiers becomes an IP packet from the pinged address to the guest,
 * written whole through a raw socket in ulk (IP_HDRINCL). Requests, their
 * lengths and the guest's bytes are checked before use; echo_parse() is a
 * pure function of them. Up to ECHO_SLOTS requests wait for answers; the
 * oldest is forgotten first.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ulk/ulk.h>
#include <ulk/abi.h>

#include "echo.h"

#define ICMP_ECHOREPLY	0
#define ICMP_ECHO	8

/**
 * echo_init() - the relay's sockets: a raw ICMP socket in ulk on the
 * guest's interface, and a host ICMP socket (before the sandbox).
 * @e: the relay.
 * @ifname: ulk's name of the guest's interface.
 *
 * Return: 0, or -1 if either cannot be made (no relay then).
 */
int echo_init(struct echo *e, const char *ifname)
{
	int one = 1;

	memset(e, 0, sizeof(*e));
	e->host = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			 IPPROTO_ICMP);
	if (e->host < 0)
		return -1;
	e->in = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_RAW | ULK_SOCK_NONBLOCK |
			       ULK_SOCK_CLOEXEC, ULK_IPPROTO_ICMP);
	e->out = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_RAW | ULK_SOCK_CLOEXEC,
				ULK_IPPROTO_RAW);
	if (e->in < 0 || e->out < 0 ||
	    ulk_sys_setsockopt(e->in, ULK_SOL_SOCKET, ULK_SO_BINDTODEVICE,
			       (char *)ifname, (int)strlen(ifname) + 1) ||
	    ulk_sys_setsockopt(e->out, ULK_IPPROTO_IP, ULK_IP_HDRINCL,
			       (char *)&one, sizeof(one))) {
		if (e->in >= 0)
			ulk_sys_close(e->in);
		if (e->out >= 0)
			ulk_sys_close(e->out);
		close(e->host);
		return -1;
	}
	return 0;
}

/**
 * echo_from_guest() - send the guest's echo request @rq on from the host.
 * @e: the relay.
 * @rq: the request (echo_parse()).
 *
 * Return: 1 if sent, 0 if not.
 */
int echo_from_guest(struct echo *e, const struct echo_request *rq)
{
	uint8_t m[8 + ECHO_MAX_DATA];
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct echo_slot *s;
	uint16_t id, c;

	if (rq->len > ECHO_MAX_DATA)
		return 0;
	id = (uint16_t)(e->next_id++ % ECHO_SLOTS);
	s = &e->slots[id];
	s->used = 1;
	s->guest = rq->src;
	s->dst = rq->dst;
	s->guest_id = rq->id;
	m[0] = ICMP_ECHO;
	m[1] = 0;
	m[2] = m[3] = 0;
	/* Ours: the slot, in a range other programs' pings rarely use. */
	m[4] = (uint8_t)((ECHO_ID_BASE + id) >> 8);
	m[5] = (uint8_t)(ECHO_ID_BASE + id);
	m[6] = (uint8_t)(rq->seq >> 8);
	m[7] = (uint8_t)rq->seq;
	memcpy(m + 8, rq->data, rq->len);
	c = icmp_csum(m, 8 + rq->len);
	m[2] = (uint8_t)(c >> 8);
	m[3] = (uint8_t)c;
	memcpy(&to.sin_addr, &rq->dst, 4);
	return sendto(e->host, m, 8 + rq->len, 0, (struct sockaddr *)&to,
		      sizeof(to)) == (ssize_t)(8 + rq->len);
}

/**
 * echo_from_host() - the host's echo replies, to the guests that asked.
 * @e: the relay.
 *
 * Return: how many replies reached the guest.
 */
int echo_from_host(struct echo *e)
{
	uint8_t in[20 + 8 + ECHO_MAX_DATA + 64], out[20 + 8 + ECHO_MAX_DATA];
	struct sockaddr_in from, to = { .sin_family = AF_INET };
	socklen_t flen;
	ssize_t n;
	size_t ihl, dlen;
	int sent = 0;
	uint16_t id, c;
	struct echo_slot *s;
	const uint8_t *icmp;

	for (;;) {
		flen = sizeof(from);
		n = recvfrom(e->host, in, sizeof(in), 0, (struct sockaddr *)&from,
			     &flen);
		if (n < 0)
			break;
		/* A raw socket gives the IP header first. */
		ihl = n >= 20 ? (size_t)(in[0] & 0xf) * 4 : 0;
		if (ihl < 20 || (size_t)n < ihl + 8)
			continue;
		icmp = in + ihl;
		if (icmp[0] != ICMP_ECHOREPLY)
			continue;
		id = (uint16_t)(icmp[4] << 8 | icmp[5]);
		if (id < ECHO_ID_BASE || id >= ECHO_ID_BASE + ECHO_SLOTS)
			continue;	/* another program's */
		id -= ECHO_ID_BASE;
		s = &e->slots[id];
		if (!s->used || memcmp(&s->dst, &from.sin_addr, 4))
			continue;
		dlen = (size_t)n - ihl - 8;
		if (dlen > ECHO_MAX_DATA)
			continue;
		/* The reply as the pinged address sends it to the guest. */
		memset(out, 0, 28);
		out[0] = 0x45;
		out[2] = (uint8_t)((28 + dlen) >> 8);
		out[3] = (uint8_t)(28 + dlen);
		out[8] = 64;			/* TTL */
		out[9] = IPPROTO_ICMP;
		memcpy(out + 12, &s->dst, 4);
		memcpy(out + 16, &s->guest, 4);
		c = icmp_csum(out, 20);
		out[10] = (uint8_t)(c >> 8);
		out[11] = (uint8_t)c;
		out[20] = ICMP_ECHOREPLY;
		out[24] = (uint8_t)(s->guest_id >> 8);
		out[25] = (uint8_t)s->guest_id;
		memcpy(out + 26, icmp + 6, 2);	/* seq */
		memcpy(out + 28, icmp + 8, dlen);
		c = icmp_csum(out + 20, 8 + dlen);
		out[22] = (uint8_t)(c >> 8);
		out[23] = (uint8_t)c;
		memcpy(&to.sin_addr, &s->guest, 4);
		if (ulk_sys_sendto(e->out, out, 28 + dlen, 0,
				   (struct ulk_sockaddr *)&to, sizeof(to)) ==
		    (long)(28 + dlen))
			sent++;
	}
	return sent;
}
