// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_frames: flood an interface with random and malformed frames,
 * for tests/run/test_hostile_tap.sh. A plain host program (no libulk).
 *
 *   hostile_frames IFNAME COUNT DST_MAC ULK4 HOST4 ULK6 PORT [SEED]
 *
 * Frames are sent through an AF_PACKET socket on IFNAME, the host's end
 * of the TAP that a ulk process reads, so each one reaches ulk's device as
 * the host kernel hands it over (no offloads, checksums left as built).
 * DST_MAC is ulk's Ethernet address, ULK4/ULK6 its addresses, HOST4 the
 * host's address on the link, PORT a port ulk listens on (the verified
 * transfer's). Kinds, in turn from a seeded generator:
 *
 *  - garbage: random bytes, random length, random or broadcast or
 *    multicast destination;
 *  - bad IPv4 headers: wrong version, header length below 5 or beyond the
 *    packet, total length too short, too long or zero, bad checksum,
 *    garbage options (with a right checksum), martian sources (0/8,
 *    127/8, broadcast, multicast, ulk's own: a "land" packet);
 *  - bad TCP headers: data offset below 5 or beyond the segment, garbage
 *    and truncated options, every flag combination, random sequence and
 *    acknowledgement numbers, urgent pointers past the end, half with a
 *    wrong checksum, to PORT and to random ports;
 *  - IPv4 fragments: tiny (8 bytes), overlapping with different content,
 *    duplicated, trains that never complete, offsets running past 65535
 *    ("ping of death"), a first fragment too short for a TCP header;
 *  - a SYN flood to PORT from spoofed sources, with random options;
 *  - UDP with lengths that disagree with IP's, ICMP of random types and
 *    codes with random quoted headers;
 *  - IPv6: wrong payload lengths, extension header chains (hop-by-hop
 *    with garbage options, routing headers, destination options),
 *    tiny, overlapping and atomic fragments, random ICMPv6 (neighbour
 *    discovery too, from made-up routers and neighbours);
 *  - ARP with wrong lengths and operations, VLAN-tagged and LLC frames.
 *
 * Nothing here can touch the verified transfer: frames that carry HOST4
 * as their source use ports below 32768, outside the host's ephemeral
 * range its client binds from, and no ARP or neighbour advertisement
 * claims the host's addresses (a peer that may poison ulk's neighbour
 * cache breaks any stack's connections; that is not what is tested).
 *
 * The TAP's queue drops what ulk has not read yet when it is full, so the
 * generator counts those drops (the interface's tx_dropped) and keeps
 * sending until COUNT frames were taken, for 60 s at most (a reader that
 * stopped reading must not hang the test). Prints one line:
 *   "sent N frames in S s (R/s): delivered D, dropped by the TAP queue X"
 * followed by the count of each kind. Exit 0; 1 if it could not send,
 * or if fewer than COUNT frames were taken within the 60 s.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_MAX	1514
#define BATCH		32
#define MAX_SECONDS	60

enum kind {
	K_GARBAGE, K_IP4_BAD, K_TCP_BAD, K_FRAG4, K_SYN, K_UDP_ICMP,
	K_IP6, K_FRAG6, K_ND, K_ARP_L2,
	K_COUNT
};

static const char *const kind_names[] = {
	"garbage", "bad-ipv4", "bad-tcp", "ipv4-fragments", "syn-flood",
	"udp-icmp", "bad-ipv6", "ipv6-fragments", "icmpv6-nd", "arp-vlan-llc",
};
_Static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == K_COUNT,
	       "one name per kind");

static uint64_t rng_state;
static unsigned char ulk_mac[6], my_mac[6] = { 0x02, 0x66, 0, 0, 0, 1 };
static uint32_t ulk4, host4;		/* network order */
static struct in6_addr ulk6;
static uint16_t port;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static void rnd_bytes(unsigned char *p, size_t n)
{
	while (n--)
		*p++ = rnd();
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Ones' complement sum of @n bytes, added to @sum. */
static uint32_t sum16(const unsigned char *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (n & 1)
		sum += p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* Ethernet header to ulk (mostly); returns its length. */
static size_t eth(unsigned char *f, uint16_t type)
{
	switch (below(16)) {
	case 0:
		memset(f, 0xff, 6);
		break;
	case 1:
		rnd_bytes(f, 6);
		break;
	case 2:
		f[0] = 0x01; f[1] = 0x00; f[2] = 0x5e;
		rnd_bytes(f + 3, 3);
		f[3] &= 0x7f;
		break;
	default:
		memcpy(f, ulk_mac, 6);
	}
	memcpy(f + 6, my_mac, 6);
	f[11] = below(4);
	put16(f + 12, type);
	return 14;
}

/* A source address for spoofed IPv4: never the host's. */
static uint32_t spoof4(void)
{
	unsigned char a[4];
	uint32_t v;

	switch (below(4)) {
	case 0:	/* on the link, but not the host or ulk */
		memcpy(a, &ulk4, 4);
		a[3] = 3 + below(250);
		memcpy(&v, a, 4);
		return v;
	default:	/* off the link: 198.18.0.0/15 */
		return htonl(0xc6120000U | below(0x20000));
	}
}

/* IPv4 header (20 bytes, no options) with a right checksum. */
static void ip4(unsigned char *p, size_t total, uint8_t proto, uint32_t src,
		uint32_t dst)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, total);
	put16(p + 4, below(65536));
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	put16(p + 10, fold(sum16(p, 20, 0)));
}

static void ip4_recsum(unsigned char *p)
{
	size_t hl = (p[0] & 15) * 4;

	put16(p + 10, 0);
	put16(p + 10, fold(sum16(p, hl < 20 ? 20 : hl, 0)));
}

/* TCP or UDP checksum over IPv4 of the @len bytes at @l4. */
static uint16_t l4sum4(const unsigned char *l4, size_t len, uint8_t proto,
		       uint32_t src, uint32_t dst)
{
	unsigned char ph[12];

	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = proto;
	put16(ph + 10, len);
	return fold(sum16(l4, len, sum16(ph, 12, 0)));
}

static uint16_t l4sum6(const unsigned char *l4, size_t len, uint8_t proto,
		       const unsigned char *src, const unsigned char *dst)
{
	unsigned char ph[40];

	memcpy(ph, src, 16);
	memcpy(ph + 16, dst, 16);
	put32(ph + 32, len);
	memset(ph + 36, 0, 3);
	ph[39] = proto;
	return fold(sum16(l4, len, sum16(ph, 40, 0)));
}

/* Random TCP options: well-formed ones, garbage, truncated ones. */
static size_t tcp_opts(unsigned char *o, size_t room)
{
	size_t n = 0;

	while (n + 4 <= room && below(3)) {
		switch (below(8)) {
		case 0:	/* MSS, sometimes 0 or with a bad length */
			o[n] = 2; o[n + 1] = below(4) ? 4 : below(256);
			put16(o + n + 2, below(2) ? below(65536) : below(100));
			n += 4;
			break;
		case 1:	/* window scale up to 255 */
			o[n] = 3; o[n + 1] = 3; o[n + 2] = below(256);
			o[n + 3] = 1;
			n += 4;
			break;
		case 2:	/* SACK permitted */
			o[n] = 4; o[n + 1] = 2; o[n + 2] = 1; o[n + 3] = 1;
			n += 4;
			break;
		case 3:	/* SACK blocks, any length */
			o[n] = 5; o[n + 1] = below(40);
			rnd_bytes(o + n + 2, 2);
			n += 4;
			if (n + 8 <= room) {
				rnd_bytes(o + n, 8);
				n += 8;
			}
			break;
		case 4:	/* timestamps */
			if (n + 12 <= room) {
				o[n] = 1; o[n + 1] = 1; o[n + 2] = 8;
				o[n + 3] = below(4) ? 10 : below(256);
				rnd_bytes(o + n + 4, 8);
				n += 12;
			}
			break;
		case 5:	/* zero length: loops a careless parser */
			o[n] = below(256); o[n + 1] = 0;
			o[n + 2] = 1; o[n + 3] = 1;
			n += 4;
			break;
		case 6:	/* length past the end of the options */
			o[n] = 2 + below(250); o[n + 1] = 40 + below(200);
			rnd_bytes(o + n + 2, 2);
			n += 4;
			break;
		default:
			rnd_bytes(o + n, 4);
			n += 4;
		}
	}
	return n;
}

/*
 * A TCP segment at @l4 (header with options, then payload) within @room
 * bytes; returns its length. @dport 0: random.
 */
static size_t tcp_seg(unsigned char *l4, size_t room, uint16_t sport,
		      uint16_t dport, uint8_t flags)
{
	size_t ol = tcp_opts(l4 + 20, 40 < room - 20 ? 40 : room - 20);
	size_t hl = 20 + ((ol + 3) & ~3UL), pay;

	memset(l4 + 20 + ol, 1, hl - 20 - ol);	/* NOP padding */
	put16(l4, sport);
	put16(l4 + 2, dport ? dport : below(65536));
	put32(l4 + 4, rnd());
	put32(l4 + 8, below(4) ? rnd() : 0);
	l4[12] = (hl / 4) << 4 | below(2);	/* AE/NS sometimes */
	l4[13] = flags;
	put16(l4 + 14, below(65536));
	put16(l4 + 16, 0);
	put16(l4 + 18, below(65536));
	pay = below(4) ? 0 : below(room - hl + 1);
	rnd_bytes(l4 + hl, pay);
	return hl + pay;
}

/* A source port: any, unless from the host's own address (see top). */
static uint16_t sport_for(uint32_t src)
{
	return src == host4 ? 1 + below(32767) : below(65536);
}

static size_t f_garbage(unsigned char *f)
{
	size_t n = 14 + below(FRAME_MAX - 14 + 1);

	eth(f, below(65536));
	rnd_bytes(f + 12, n - 12);
	return n;
}

static size_t f_tcp(unsigned char *f, int bad)
{
	unsigned char *ip = f + 14, *l4 = ip + 20;
	uint32_t src = below(3) ? spoof4() : host4;
	uint8_t flags = below(256);
	size_t len;
	uint16_t s;

	eth(f, ETH_P_IP);
	len = tcp_seg(l4, below(2) ? 80 : FRAME_MAX - 34, sport_for(src),
		      below(2) ? port : 0, flags);
	ip4(ip, 20 + len, IPPROTO_TCP, src, ulk4);
	s = l4sum4(l4, len, IPPROTO_TCP, src, ulk4);
	put16(l4 + 16, below(2) ? s : (uint16_t)rnd());
	if (bad) {
		switch (below(6)) {
		case 0:	/* data offset below 5 */
			l4[12] = (l4[12] & 15) | below(5) << 4;
			break;
		case 1:	/* data offset beyond the segment */
			l4[12] = (l4[12] & 15) | (uint8_t)(len / 4 + 1 + below(4)) << 4;
			break;
		case 2:	/* urgent pointer past the end, URG set */
			l4[13] |= 0x20;
			put16(l4 + 18, len + below(60000));
			break;
		case 3:	/* truncated: IP says more than there is */
			put16(ip + 2, 20 + len + 1 + below(100));
			ip4_recsum(ip);
			break;
		default:	/* options garbage only */
			break;
		}
		/* Keep some checksums right so these reach TCP's parser. */
		if (below(2)) {
			put16(l4 + 16, 0);
			put16(l4 + 16, l4sum4(l4, len, IPPROTO_TCP, src, ulk4));
		}
	}
	return 14 + 20 + len;
}

static size_t f_ip4_bad(unsigned char *f)
{
	unsigned char *ip = f + 14;
	size_t len = 20 + below(200), hl;

	eth(f, ETH_P_IP);
	rnd_bytes(ip + 20, len - 20);
	ip4(ip, len, below(2) ? IPPROTO_TCP : below(256), spoof4(), ulk4);
	switch (below(9)) {
	case 0:
		ip[0] = (ip[0] & 15) | (below(16) << 4);	/* version */
		break;
	case 1:
		ip[0] = 0x40 | below(5);			/* IHL < 5 */
		ip4_recsum(ip);
		break;
	case 2:
		ip[0] = 0x40 | (6 + below(10));		/* IHL > data? */
		put16(ip + 2, below(2) ? 20 : len);
		ip4_recsum(ip);
		break;
	case 3:
		put16(ip + 2, below(2) ? 0 : below(20));	/* too short */
		ip4_recsum(ip);
		break;
	case 4:
		put16(ip + 2, len + 1 + below(65535 - len));	/* too long */
		ip4_recsum(ip);
		break;
	case 5:
		put16(ip + 10, ~(ip[10] << 8 | ip[11]) + 1 + below(100));
		break;
	case 6:	/* garbage options with a right checksum */
		hl = 4 * (6 + below(10));
		if (hl > len)
			hl = len & ~3UL;
		ip[0] = 0x40 | hl / 4;
		rnd_bytes(ip + 20, hl - 20);
		if (below(2))
			ip[20] = below(2) ? 0x44 : 0x83;	/* TS, LSRR */
		if (below(2))
			ip[21] = below(2) ? 0 : 255;
		ip4_recsum(ip);
		break;
	case 7: {	/* martian or land sources */
		static const uint32_t m[] = { 0, 0x7f000001, 0xffffffff,
					      0xe0000001, 0 };
		uint32_t s = below(5) == 4 ? ulk4 : htonl(m[below(4)]);

		memcpy(ip + 12, &s, 4);
		ip4_recsum(ip);
		break;
	}
	default:	/* reserved flag, TTL 0, broadcast destination */
		ip[6] |= 0x80;
		ip[8] = 0;
		if (below(2))
			memset(ip + 16, 0xff, 4);
		ip4_recsum(ip);
	}
	return 14 + len;
}

/*
 * An IPv4 fragment of a datagram: a train shares src/id with the frames
 * around it (the generator emits trains of a few frames in a row).
 */
static struct {
	uint32_t src;
	uint16_t id;
	uint8_t proto;
	int left;
	uint32_t off;		/* in 8-byte units */
} train;

static size_t f_frag4(unsigned char *f)
{
	unsigned char *ip = f + 14, *l4 = ip + 20;
	size_t plen;
	uint16_t fo;

	if (train.left <= 0) {
		train.src = below(4) ? spoof4() : host4;
		train.id = below(65536);
		train.proto = below(3) == 0 ? IPPROTO_ICMP :
			      below(2) ? IPPROTO_TCP : IPPROTO_UDP;
		train.left = 1 + below(12);
		train.off = 0;
	}
	train.left--;
	eth(f, ETH_P_IP);
	switch (below(6)) {
	case 0:	/* tiny */
		plen = 8;
		break;
	case 1:	/* runs past 65535 */
		train.off = 8180 + below(12);
		plen = 8 * (1 + below(180));
		break;
	case 2:	/* overlap the previous fragment */
		train.off = train.off > 2 ? train.off - 1 - below(2) : 0;
		plen = 8 * (1 + below(100));
		break;
	default:
		plen = 8 * (1 + below(180));
	}
	rnd_bytes(l4, plen);
	if (train.off == 0 && train.proto == IPPROTO_TCP) {
		/* A first fragment, sometimes too short for a TCP header. */
		put16(l4, sport_for(train.src));
		put16(l4 + 2, port);
		if (plen >= 16)
			l4[12] = 0x50;
	}
	ip4(ip, 20 + plen, train.proto, train.src, ulk4);
	put16(ip + 4, train.id);
	fo = (train.off & 0x1fff) | (train.left || below(4) ? 0x2000 : 0);
	if (!below(10))
		fo |= 0x4000;		/* DF with offsets: nonsense */
	put16(ip + 6, fo);
	ip4_recsum(ip);
	/* One time in 8 the next fragment starts where this one did. */
	if (below(8))
		train.off += plen / 8;
	return 14 + 20 + plen;
}

static size_t f_syn(unsigned char *f)
{
	unsigned char *ip = f + 14, *l4 = ip + 20;
	uint32_t src = below(4) ? spoof4() : host4;
	size_t len;

	eth(f, ETH_P_IP);
	memcpy(f, ulk_mac, 6);
	len = tcp_seg(l4, 60, sport_for(src), port, 0x02 | (below(8) ? 0 :
		      below(256) & ~0x04));
	/* Mostly well-formed options, so the SYN reaches the listener. */
	if (below(2)) {
		unsigned char *o = l4 + 20;

		o[0] = 2; o[1] = 4; put16(o + 2, 536 + below(9000));
		o[4] = 4; o[5] = 2; o[6] = 1; o[7] = 3; o[8] = 3;
		o[9] = below(15);
		memset(o + 10, 0, 2);
		l4[12] = 0x80;
		len = 32;
	}
	ip4(ip, 20 + len, IPPROTO_TCP, src, ulk4);
	put16(l4 + 16, l4sum4(l4, len, IPPROTO_TCP, src, ulk4));
	return 14 + 20 + len;
}

static size_t f_udp_icmp(unsigned char *f)
{
	unsigned char *ip = f + 14, *l4 = ip + 20;
	uint32_t src = below(3) ? spoof4() : host4;
	size_t len = 8 + below(600);

	eth(f, ETH_P_IP);
	rnd_bytes(l4, len);
	if (below(2)) {
		put16(l4, sport_for(src));
		put16(l4 + 2, below(2) ? port : below(65536));
		put16(l4 + 4, below(2) ? len : below(65536));	/* length */
		put16(l4 + 6, 0);
		ip4(ip, 20 + len, IPPROTO_UDP, src, ulk4);
		put16(l4 + 6, below(4) ? l4sum4(l4, len, IPPROTO_UDP, src,
						ulk4) : rnd());
	} else {
		/* ICMP: any type and code; quoted headers are random */
		l4[0] = below(4) ? below(20) : below(256);
		l4[1] = below(16);
		if (len >= 28 + 8 && below(2)) {
			/* a quoted IPv4 header from ulk to somewhere */
			ip4(l4 + 8, below(65536), below(2) ? IPPROTO_TCP :
			    below(256), ulk4, spoof4());
			put16(l4 + 28, port);
		}
		put16(l4 + 2, 0);
		put16(l4 + 2, fold(sum16(l4, len, 0)));
		ip4(ip, 20 + len, IPPROTO_ICMP, src, ulk4);
	}
	return 14 + 20 + len;
}

/* IPv6 header; @dst NULL: ulk's. */
static void ip6(unsigned char *p, size_t plen, uint8_t nh,
		const unsigned char *src, const unsigned char *dst)
{
	p[0] = 0x60;
	rnd_bytes(p + 1, 3);
	p[1] &= 0x0f;
	put16(p + 4, plen);
	p[6] = nh;
	p[7] = below(8) ? 64 : 255;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst ? dst : (const unsigned char *)&ulk6, 16);
}

/* A spoofed IPv6 source: a made-up link-local or global address. */
static void spoof6(unsigned char *a)
{
	if (below(2)) {
		memset(a, 0, 16);
		a[0] = 0xfe; a[1] = 0x80;
		rnd_bytes(a + 8, 8);
	} else {
		a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8;
		rnd_bytes(a + 4, 12);
	}
}

/*
 * A chain of extension headers at @p (hop-by-hop, routing, destination
 * options, mobility), within @room bytes; *@nh gets the first one's type,
 * *@last the address of the byte naming what follows the chain, which is
 * set to a random upper protocol. Returns the chain's length.
 */
static size_t ext_hdrs(unsigned char *p, size_t room, uint8_t *nh,
		       uint8_t **last)
{
	static const uint8_t types[] = { 0, 43, 60, 60, 135 };
	size_t n = 0;

	while (below(3)) {
		size_t l = 8 * (1 + below(3));
		uint8_t type = types[below(sizeof(types))];

		if (n + l + 20 > room)
			break;
		*nh = type;
		rnd_bytes(p + n, l);
		p[n + 1] = below(8) ? l / 8 - 1 : below(256);
		if (type == 43 && below(2))
			p[n + 2] = 0;	/* routing type 0: deprecated */
		nh = &p[n];
		n += l;
	}
	*nh = below(2) ? IPPROTO_TCP : below(2) ? 58 : below(256);
	*last = nh;
	return n;
}

static size_t f_ip6(unsigned char *f)
{
	unsigned char *ip = f + 14, *l4, src[16];
	size_t room = below(2) ? 200 : FRAME_MAX - 54, n, l4len;
	uint8_t *last;

	eth(f, ETH_P_IPV6);
	spoof6(src);
	ip6(ip, 0, 0, src, NULL);
	n = ext_hdrs(ip + 40, room / 2, &ip[6], &last);
	l4 = ip + 40 + n;
	l4len = 20 + below(room - n - 20);
	put16(ip + 4, n + l4len);
	rnd_bytes(l4, l4len);
	if (below(2)) {
		*last = IPPROTO_TCP;
		put16(l4, below(65536));
		put16(l4 + 2, port);
		l4[12] = 0x50;
		l4[13] = below(256);
		put16(l4 + 16, 0);
		put16(l4 + 16, l4sum6(l4, l4len, IPPROTO_TCP, src,
				      (unsigned char *)&ulk6));
	}
	switch (below(4)) {
	case 0:
		put16(ip + 4, below(65536));	/* payload length wrong */
		break;
	case 1:
		ip[0] = (below(16) << 4) | (ip[0] & 15);
		break;
	}
	return 14 + 40 + n + l4len;
}

static struct {
	unsigned char src[16];
	uint32_t id, off;
	int left;
} train6;

static size_t f_frag6(unsigned char *f)
{
	unsigned char *ip = f + 14, *fh = ip + 40;
	size_t plen;

	if (train6.left <= 0) {
		spoof6(train6.src);
		train6.id = rnd();
		train6.left = 1 + below(10);
		train6.off = 0;
	}
	train6.left--;
	eth(f, ETH_P_IPV6);
	plen = below(4) ? 8 * (1 + below(170)) : 8;
	if (!below(4))
		train6.off = 8180 + below(12);		/* past 65535 */
	else if (!below(4) && train6.off > 2)
		train6.off -= 1 + below(2);		/* overlap */
	ip6(ip, 8 + plen, 44, train6.src, NULL);
	fh[0] = below(2) ? IPPROTO_TCP : below(2) ? 58 : 17;
	fh[1] = below(8) ? 0 : below(256);
	put16(fh + 2, (train6.off << 3) | (train6.left ? 1 : below(2)));
	if (!below(8))
		put16(fh + 2, 0);			/* atomic fragment */
	put32(fh + 4, train6.id);
	rnd_bytes(fh + 8, plen);
	if (train6.off == 0 && fh[0] == IPPROTO_TCP)
		put16(fh + 10, port);
	train6.off += plen / 8;
	return 14 + 40 + 8 + plen;
}

/* ICMPv6, neighbour discovery included, from made-up hosts and routers. */
static size_t f_nd(unsigned char *f)
{
	unsigned char *ip = f + 14, *l4 = ip + 40, src[16], dst[16];
	static const uint8_t types[] = { 1, 2, 3, 4, 128, 129, 130, 131, 133,
					 134, 135, 136, 137, 143 };
	size_t len = 8 + below(300);

	eth(f, ETH_P_IPV6);
	spoof6(src);
	if (below(2)) {
		memcpy(dst, &ulk6, 16);
	} else {	/* all-nodes or ulk's solicited-node group */
		memset(dst, 0, 16);
		dst[0] = 0xff; dst[1] = 0x02;
		if (below(2)) {
			dst[15] = 1;
		} else {
			dst[11] = 1; dst[12] = 0xff;
			memcpy(dst + 13, (unsigned char *)&ulk6 + 13, 3);
		}
	}
	ip6(ip, len, 58, src, dst);
	ip[7] = 255;			/* what ND requires */
	rnd_bytes(l4, len);
	l4[0] = types[below(sizeof(types))];
	l4[1] = below(4) ? 0 : below(256);
	if ((l4[0] == 135 || l4[0] == 136) && len >= 24) {
		/* target: ulk's own address or a random one, never the host's */
		if (below(2))
			memcpy(l4 + 8, &ulk6, 16);
	}
	if (l4[0] == 134 && len >= 16)
		l4[4] = below(2) ? 0 : 255;	/* hop limit */
	/* options: random type, length sometimes zero */
	if (len >= 32 && below(2)) {
		size_t o = (l4[0] == 134) ? 16 : 24;

		if (o + 8 <= len) {
			l4[o] = 1 + below(40);
			l4[o + 1] = below(4) ? 1 : below(4) ? 0 : below(256);
		}
	}
	put16(l4 + 2, 0);
	put16(l4 + 2, l4sum6(l4, len, 58, src, dst));
	return 14 + 40 + len;
}

static size_t f_arp_l2(unsigned char *f)
{
	unsigned char *a = f + 14;
	size_t n;

	switch (below(3)) {
	case 0:	/* ARP, lengths and operation random; never the host's IP */
		eth(f, ETH_P_ARP);
		memset(f, 0xff, 6);
		put16(a, below(4) ? 1 : below(65536));
		put16(a + 2, below(4) ? 0x0800 : below(65536));
		a[4] = below(4) ? 6 : below(256);
		a[5] = below(4) ? 4 : below(256);
		put16(a + 6, below(4) ? 1 + below(2) : below(65536));
		rnd_bytes(a + 8, 20);
		{
			uint32_t s = spoof4();

			memcpy(a + 14, &s, 4);
		}
		memcpy(a + 24, &ulk4, 4);
		n = 14 + 28 + below(20);
		break;
	case 1:	/* VLAN tags, stacked, around anything */
		eth(f, below(2) ? 0x8100 : 0x88a8);
		rnd_bytes(a, 60);
		if (below(2))
			put16(a + 2, 0x8100);
		n = 14 + 4 + below(FRAME_MAX - 18);
		rnd_bytes(a + 4, n - 18);
		put16(a + 2, below(2) ? ETH_P_IP : below(65536));
		break;
	default:	/* 802.3 length field with LLC/SNAP */
		eth(f, below(1500));
		a[0] = below(2) ? 0xaa : below(256);
		a[1] = below(2) ? 0xaa : below(256);
		a[2] = 3;
		n = 14 + 3 + below(200);
		rnd_bytes(a + 3, n - 17);
	}
	return n;
}

static size_t build(unsigned char *f, enum kind k)
{
	switch (k) {
	case K_GARBAGE:		return f_garbage(f);
	case K_IP4_BAD:		return f_ip4_bad(f);
	case K_TCP_BAD:		return f_tcp(f, 1);
	case K_FRAG4:		return f_frag4(f);
	case K_SYN:		return f_syn(f);
	case K_UDP_ICMP:	return f_udp_icmp(f);
	case K_IP6:		return f_ip6(f);
	case K_FRAG6:		return f_frag6(f);
	case K_ND:		return f_nd(f);
	default:		return f_arp_l2(f);
	}
}

/* A counter of the interface from sysfs (the namespace's own). */
static unsigned long long if_stat(const char *ifname, const char *what)
{
	char path[160];
	unsigned long long v = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s",
		 ifname, what);
	fp = fopen(path, "re");
	if (!fp)
		return 0;
	if (fscanf(fp, "%llu", &v) != 1)
		v = 0;
	fclose(fp);
	return v;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int parse_mac(const char *s, unsigned char *m)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2],
		      &m[3], &m[4], &m[5]) == 6 ? 0 : -1;
}

int main(int argc, char **argv)
{
	static unsigned char frames[BATCH][FRAME_MAX];
	unsigned long long count, sent = 0, drop0, dropped = 0;
	unsigned long long per_kind[K_COUNT] = { 0 };
	struct sockaddr_ll ll = { .sll_family = AF_PACKET };
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	double t0, secs;
	int fd, i, k, pause_us = 0;

	if (argc < 8 || parse_mac(argv[3], ulk_mac) ||
	    inet_pton(AF_INET, argv[4], &ulk4) != 1 ||
	    inet_pton(AF_INET, argv[5], &host4) != 1 ||
	    inet_pton(AF_INET6, argv[6], &ulk6) != 1) {
		fprintf(stderr, "usage: hostile_frames IFNAME COUNT DST_MAC "
			"ULK4 HOST4 ULK6 PORT [SEED]\n");
		return 2;
	}
	count = strtoull(argv[2], NULL, 0);
	port = atoi(argv[7]);
	rng_state = argc > 8 ? strtoull(argv[8], NULL, 0) : 1;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ll.sll_ifindex = if_nametoindex(argv[1]);
	ll.sll_halen = 6;
	if (fd < 0 || !ll.sll_ifindex ||
	    bind(fd, (struct sockaddr *)&ll, sizeof(ll))) {
		fprintf(stderr, "hostile_frames: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	drop0 = if_stat(argv[1], "tx_dropped");
	t0 = now();
	while (sent - dropped < count && now() - t0 < MAX_SECONDS) {
		int n = 0, r;

		for (i = 0; i < BATCH; i++) {
			k = below(K_COUNT);
			memset(&msgs[i], 0, sizeof(msgs[i]));
			iov[i].iov_base = frames[i];
			iov[i].iov_len = build(frames[i], k);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			per_kind[k]++;
			n++;
		}
		r = sendmmsg(fd, msgs, n, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN) {
				usleep(1000);
				continue;
			}
			fprintf(stderr, "hostile_frames: sendmmsg: %s\n",
				strerror(errno));
			return 1;
		}
		sent += r;
		/*
		 * Keep the TAP's queue from overflowing much: when it drops,
		 * back off (the reader is ulk, sharing the CPUs with us).
		 */
		{
			unsigned long long d = if_stat(argv[1], "tx_dropped") -
					       drop0;

			if (d > sent)
				d = sent;
			if (d > dropped)
				pause_us = pause_us ? pause_us * 2 : 50;
			else if (pause_us)
				pause_us /= 2;
			if (pause_us > 20000)
				pause_us = 20000;
			dropped = d;
			if (pause_us)
				usleep(pause_us);
		}
	}
	secs = now() - t0;
	printf("sent %llu frames in %.1f s (%.0f/s): delivered %llu, dropped "
	       "by the TAP queue %llu\n", sent, secs, sent / secs,
	       sent - dropped, dropped);
	for (k = 0; k < K_COUNT; k++)
		printf("  %s %llu\n", kind_names[k], per_kind[k]);
	if (sent - dropped < count) {
		printf("the TAP took only %llu of %llu frames in %d s: its "
		       "reader stopped reading\n", sent - dropped, count,
		       MAX_SECONDS);
		return 1;
	}
	return 0;
}
