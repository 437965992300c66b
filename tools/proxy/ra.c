// SPDX-License-Identifier: GPL-2.0
/*
 * ulk-proxy's router advertisements (RFC 4861, RFC 4862, RFC 8106): the
 * guest's IPv6 comes up by itself (SLAAC) with the prefix of --ip6, ulk as
 * its default router, the link's MTU and the gateway as name server. The
 * advertisement is built here, a pure function; the relay sends it on a
 * raw ICMPv6 socket in ulk (whose kernel fills in the checksum) when a
 * solicitation arrives and every RA_INTERVAL_S seconds.
 */
#include <arpa/inet.h>
#include <string.h>

#include "ra.h"

#define ND_ROUTER_ADVERT	134
#define OPT_SOURCE_LL		1
#define OPT_PREFIX		3
#define OPT_MTU			5
#define OPT_RDNSS		25
#define ROUTER_LIFETIME_S	1800
#define VALID_S			86400
#define PREFERRED_S		14400

static unsigned char *put32(unsigned char *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
	return p + 4;
}

/**
 * ra_build() - a router advertisement for the guest's link.
 * @out: receives it; at least RA_MAX bytes.
 * @cfg: what it says.
 *
 * Return: its length (the ICMPv6 message, checksum 0).
 */
size_t ra_build(unsigned char *out, const struct ra_config *cfg)
{
	unsigned char *p = out;

	memset(out, 0, RA_MAX);
	*p++ = ND_ROUTER_ADVERT;
	*p++ = 0;			/* code */
	p += 2;				/* checksum: the kernel's */
	*p++ = 64;			/* current hop limit */
	*p++ = 0;			/* M, O: addresses by SLAAC, no DHCPv6 */
	*p++ = ROUTER_LIFETIME_S >> 8;
	*p++ = ROUTER_LIFETIME_S & 0xff;
	p = put32(p, 0);		/* reachable time: unspecified */
	p = put32(p, 0);		/* retransmission timer: unspecified */
	/* Source link-layer address. */
	*p++ = OPT_SOURCE_LL;
	*p++ = 1;
	memcpy(p, cfg->mac, 6);
	p += 6;
	if (cfg->mtu) {
		*p++ = OPT_MTU;
		*p++ = 1;
		p += 2;
		p = put32(p, cfg->mtu);
	}
	/* Prefix information: on-link, autonomous. */
	*p++ = OPT_PREFIX;
	*p++ = 4;
	*p++ = (unsigned char)cfg->prefix_len;
	*p++ = 0xc0;			/* L | A */
	p = put32(p, VALID_S);
	p = put32(p, PREFERRED_S);
	p = put32(p, 0);
	memcpy(p, cfg->prefix, 16);
	p += 16;
	/* Recursive DNS server: the gateway (forwarded, see --dns). */
	*p++ = OPT_RDNSS;
	*p++ = 3;
	p += 2;
	p = put32(p, 3 * RA_INTERVAL_S);
	memcpy(p, cfg->dns, 16);
	p += 16;
	return (size_t)(p - out);
}
