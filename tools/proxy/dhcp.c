// SPDX-License-Identifier: GPL-2.0
/*
 * ulk-proxy's DHCPv4 server for its one guest (RFC 2131, RFC 2132): a
 * stock client (busybox udhcpc, dhclient) gets its address, netmask,
 * router, name server and MTU with no configuration. One guest, one lease:
 * whatever the client asks for, it is offered the guest address; a REQUEST
 * for another address is NAKed, so a client that remembers an old lease
 * starts over.
 *
 * A request is the guest's bytes: dhcp_answer() is a pure function of them
 * (no I/O, the fuzz target tests/fuzz/fuzz_dhcp.c runs it), which checks
 * the fixed header, the magic cookie and every option's length against the
 * message before reading it, and ignores what it does not understand.
 */
#include <arpa/inet.h>
#include <string.h>

#include "dhcp.h"

#define BOOTREQUEST	1
#define BOOTREPLY	2
#define HDR_LEN		236	/* op .. file */
#define COOKIE		0x63825363
#define OPT_PAD		0
#define OPT_MASK	1
#define OPT_ROUTER	3
#define OPT_DNS		6
#define OPT_MTU		26
#define OPT_BROADCAST	28
#define OPT_REQ_IP	50
#define OPT_LEASE	51
#define OPT_TYPE	53
#define OPT_SERVER	54
#define OPT_END		255

enum { DISCOVER = 1, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM };

/* What dhcp_answer() needs of a request. */
struct request {
	int type;
	uint32_t requested;	/* option 50, network order; 0 if absent */
	uint32_t server;	/* option 54 */
	int has_server;
};

/* Walk the options of @m (@len bytes, the cookie checked). -1 if malformed. */
static int parse_options(const uint8_t *m, size_t len, struct request *rq)
{
	size_t p = HDR_LEN + 4;

	memset(rq, 0, sizeof(*rq));
	while (p < len) {
		uint8_t code = m[p++], olen;

		if (code == OPT_PAD)
			continue;
		if (code == OPT_END)
			break;
		if (p >= len)
			return -1;
		olen = m[p++];
		if (olen > len - p)
			return -1;
		if (code == OPT_TYPE && olen == 1)
			rq->type = m[p];
		else if (code == OPT_REQ_IP && olen == 4)
			memcpy(&rq->requested, m + p, 4);
		else if (code == OPT_SERVER && olen == 4) {
			memcpy(&rq->server, m + p, 4);
			rq->has_server = 1;
		}
		p += olen;
	}
	return rq->type ? 0 : -1;
}

static size_t put_opt(uint8_t *out, size_t p, size_t cap, uint8_t code,
		      const void *data, uint8_t len)
{
	if (p + 2 + len + 1 > cap)	/* keep room for OPT_END */
		return p;
	out[p++] = code;
	out[p++] = len;
	memcpy(out + p, data, len);
	return p + len;
}

static size_t put_u32(uint8_t *out, size_t p, size_t cap, uint8_t code,
		      uint32_t v_net)
{
	return put_opt(out, p, cap, code, &v_net, 4);
}

/**
 * dhcp_answer() - the server's answer to one client message.
 * @req: the message as received.
 * @len: its length.
 * @lease: the guest's configuration.
 * @out: receives the answer; at least DHCP_MAX_ANSWER bytes.
 * @broadcast: set to 1 if the answer must be broadcast (the client has no
 *	address yet, or asked for it), 0 to send it to the client's ciaddr.
 *
 * Return: the answer's length, or 0 if the message gets none (not a
 * request, malformed, for another server, a RELEASE or DECLINE).
 */
size_t dhcp_answer(const uint8_t *req, size_t len,
		   const struct dhcp_lease *lease, uint8_t *out, int *broadcast)
{
	static const uint8_t magic[4] = { 0x63, 0x82, 0x53, 0x63 };
	struct request rq;
	uint32_t ciaddr, bcast;
	uint16_t mtu = htons(lease->mtu);
	size_t p;
	uint8_t type;

	if (len < HDR_LEN + 4 || req[0] != BOOTREQUEST || req[1] != 1 ||
	    req[2] != 6 || memcmp(req + HDR_LEN, magic, 4) ||
	    parse_options(req, len, &rq))
		return 0;
	memcpy(&ciaddr, req + 12, 4);
	switch (rq.type) {
	case DISCOVER:
		type = OFFER;
		break;
	case REQUEST:
		if (rq.has_server && rq.server != lease->server)
			return 0;	/* the client chose another server */
		/* SELECTING/INIT-REBOOT say it in option 50, RENEWING in ciaddr */
		type = (rq.requested ? rq.requested : ciaddr) == lease->guest ?
		       ACK : NAK;
		break;
	case INFORM:
		type = ACK;
		break;
	default:
		return 0;
	}
	memset(out, 0, DHCP_MAX_ANSWER);
	out[0] = BOOTREPLY;
	out[1] = 1;
	out[2] = 6;
	memcpy(out + 4, req + 4, 4);		/* xid */
	memcpy(out + 10, req + 10, 2);		/* flags */
	if (rq.type == INFORM)
		memcpy(out + 12, &ciaddr, 4);
	else if (type != NAK)
		memcpy(out + 16, &lease->guest, 4);	/* yiaddr */
	memcpy(out + 20, &lease->server, 4);	/* siaddr */
	memcpy(out + 28, req + 28, 16);		/* chaddr */
	memcpy(out + HDR_LEN, magic, 4);
	p = HDR_LEN + 4;
	p = put_opt(out, p, DHCP_MAX_ANSWER, OPT_TYPE, &type, 1);
	p = put_u32(out, p, DHCP_MAX_ANSWER, OPT_SERVER, lease->server);
	if (type != NAK) {
		bcast = (lease->guest & lease->mask) | ~lease->mask;
		if (rq.type != INFORM)
			p = put_u32(out, p, DHCP_MAX_ANSWER, OPT_LEASE,
				    htonl(lease->lease_s));
		p = put_u32(out, p, DHCP_MAX_ANSWER, OPT_MASK, lease->mask);
		p = put_u32(out, p, DHCP_MAX_ANSWER, OPT_BROADCAST, bcast);
		p = put_u32(out, p, DHCP_MAX_ANSWER, OPT_ROUTER, lease->router);
		p = put_u32(out, p, DHCP_MAX_ANSWER, OPT_DNS, lease->dns);
		if (lease->mtu)
			p = put_opt(out, p, DHCP_MAX_ANSWER, OPT_MTU, &mtu, 2);
	}
	out[p++] = OPT_END;
	if (p < 300)
		p = 300;	/* BOOTP's minimum, which some clients expect */
	*broadcast = !ciaddr || (req[10] & 0x80) || type == NAK;
	return p;
}
