// SPDX-License-Identifier: GPL-2.0
/*
 * Impairment filter: a bad network, reproducibly, on any backend.
 *
 * Theory of operation
 * -------------------
 * The filter is a backend wrapping another one: the device talks to it
 * through the same operations table and it talks to the real backend.
 * Each direction has its own settings, pseudo-random stream and counters.
 *
 * Wire packets. Impairments act on what would cross a wire: a TSO packet
 * (GSO in its virtio-net header) stands for many wire segments, so the
 * filter decides per MSS-sized TCP segment (IPv4 or IPv6) and treats each
 * on its own. "5% loss" then means what it means on a network: one segment
 * in twenty, not a whole 64 KiB burst. Only the segments something happens
 * to are cut out (headers fixed up, with a partial checksum for the far end
 * to complete, as a NIC would hand them over); each run of clean segments
 * between them goes on as a smaller TSO packet of the same segment size,
 * which the far end cuts exactly as the wire would. Cutting every segment
 * made ulk-as-sender pay a TAP write and a host stack pass per 1448 bytes:
 * half the throughput of the other direction at the same loss. A TSO
 * packet it cannot parse, or of more than 256 segments, is treated as one
 * packet.
 *
 * Decisions. For every wire packet the filter draws five numbers from the
 * direction's stream, one per impairment (drop, duplicate, reorder,
 * corrupt, delay), whatever the outcome, so the n-th packet of a direction
 * always gets the same decision for a given seed. The stream is xorshift64*
 * seeded through splitmix64: small, fast, and the same everywhere.
 *
 * Actions, in this order: a dropped packet is gone (send() reports
 * success: a lossy wire does not tell the sender). A corrupted one has a
 * byte of its frame flipped; to keep the damage detectable, as it would be
 * on a wire, a checksum still to be computed by the far end (NEEDS_CSUM) is
 * completed first and DATA_VALID is cleared. A delayed packet is due
 * @delay_ms later; a reordered one waits in a one-packet slot until the
 * next packet has gone (or 1 ms passed: a held segment at the end of a
 * burst stalled TCP for the whole hold, 10 ms at first, which made every
 * throughput under reordering noise); a duplicated one goes twice.
 *
 * Queue. Every packet the filter lets through is copied into one queue
 * per direction, ordered by due time (now, for most), and leaves it in
 * order: send() flushes the transmit queue to the real backend, recv()
 * hands out due received packets. When the real backend is full, send()
 * refuses new packets (-EAGAIN) before deciding anything about them, so
 * the device waits, backpressure works and the decisions stay
 * reproducible. Packets held for a delay are bounded (64 MiB per
 * direction); beyond that new ones are dropped, as a router's full queue
 * would, and counted as dropped.
 *
 * Time. Held packets come due without any descriptor becoming ready, so
 * the filter reports how long the device's thread may sleep (timeout_ms)
 * and sends what is due in tick(). Transmit state is touched by send() and
 * tick(), which the device serialises; timeout_ms() runs on the device's
 * thread concurrently with send() and reads only an atomic "next due"
 * time.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/virtio_net.h>

#include "hostutil.h"
#include "net/backend.h"

#define REORDER_HOLD_NS		(1 * 1000000LL)
#define MAX_DELAY_MS		10000U
#define MAX_QUEUED_BYTES	(64UL << 20)
#define NO_DUE			LLONG_MAX

enum {
	ACT_DROP	= 1 << 0,
	ACT_DUP		= 1 << 1,
	ACT_REORDER	= 1 << 2,
	ACT_CORRUPT	= 1 << 3,
	ACT_DELAY	= 1 << 4,
};

/* A packet held back: header and frame, contiguous. */
struct held {
	struct held *next;
	long long due_ns;
	size_t len;
	unsigned char data[];
};

struct direction {
	struct ulk_netdev_impair cfg;
	bool active;
	uint64_t rng;
	struct held *head, *tail;	/* delay queue, by due time */
	struct held *reordered;		/* the one held for reordering */
	size_t queued_bytes;
	long long next_due_ns;		/* atomic: timeout_ms() reads it */
	struct ulk_netdev_impair_stats st;	/* counters: atomic stores */
};

struct impair {
	struct ulk_net_backend be;
	struct ulk_net_backend *inner;
	struct direction tx, rx;
	unsigned char *bounce;
};

#define STAT_INC(d, field)						\
	__atomic_store_n(&(d)->st.field,				\
			 __atomic_load_n(&(d)->st.field, __ATOMIC_RELAXED) + 1, \
			 __ATOMIC_RELAXED)


/* ---- pseudo-random decisions ------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t next_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, 1) from 53 random bits. */
static double next_unit(uint64_t *s)
{
	return (next_rand(s) >> 11) * (1.0 / 9007199254740992.0);
}

static unsigned int decide(struct direction *d)
{
	unsigned int act = 0;

	/* Always five draws, so decisions depend only on the packet count. */
	if (next_unit(&d->rng) < d->cfg.drop)
		act |= ACT_DROP;
	if (next_unit(&d->rng) < d->cfg.duplicate)
		act |= ACT_DUP;
	if (next_unit(&d->rng) < d->cfg.reorder)
		act |= ACT_REORDER;
	if (next_unit(&d->rng) < d->cfg.corrupt)
		act |= ACT_CORRUPT;
	if (d->cfg.delay_ms && next_unit(&d->rng) < d->cfg.delay)
		act |= ACT_DELAY;
	else if (!d->cfg.delay_ms)
		(void)next_rand(&d->rng);
	return act;
}

/* ---- held packets -------------------------------------------------------- */


static struct held *held_alloc(size_t len)
{
	struct held *h = malloc(sizeof(*h) + len);

	if (h) {
		h->next = NULL;
		h->len = len;
	}
	return h;
}

static void update_next_due(struct direction *d)
{
	long long due = NO_DUE;

	if (d->head)
		due = d->head->due_ns;
	if (d->reordered && d->reordered->due_ns < due)
		due = d->reordered->due_ns;
	__atomic_store_n(&d->next_due_ns, due, __ATOMIC_RELAXED);
}

/* Queue @h by due time (constant delays make this an append). */
static void enqueue(struct direction *d, struct held *h)
{
	struct held **pp = &d->head;

	if (d->tail && d->tail->due_ns <= h->due_ns) {
		pp = &d->tail->next;
	} else {
		while (*pp && (*pp)->due_ns <= h->due_ns)
			pp = &(*pp)->next;
	}
	h->next = *pp;
	*pp = h;
	if (!h->next)
		d->tail = h;
	d->queued_bytes += h->len;
	update_next_due(d);
}

/* The due packet to deliver next, unlinked, or NULL. */
static struct held *take_due(struct direction *d, long long now)
{
	struct held *h = NULL;

	if (d->reordered && d->reordered->due_ns <= now) {
		h = d->reordered;
		d->reordered = NULL;
	} else if (d->head && d->head->due_ns <= now) {
		h = d->head;
		d->head = h->next;
		if (!d->head)
			d->tail = NULL;
		d->queued_bytes -= h->len;
	}
	if (h)
		update_next_due(d);
	return h;
}

static void free_list(struct held *h)
{
	struct held *next;

	for (; h; h = next) {
		next = h->next;
		free(h);
	}
}

static void free_all(struct direction *d)
{
	free_list(d->head);
	free(d->reordered);
	d->head = d->tail = d->reordered = NULL;
}

/* ---- corruption ---------------------------------------------------------- */

static uint16_t get_le16(const unsigned char *p)
{
	return p[0] | p[1] << 8;
}

/* Complete a partial checksum: ones' complement sum of [start, len). */
static void complete_csum(unsigned char *frame, size_t len, size_t start,
			  size_t field)
{
	uint32_t sum = 0;
	size_t i;
	uint16_t c;

	for (i = start; i + 1 < len; i += 2)
		sum += frame[i] << 8 | frame[i + 1];
	if (i < len)
		sum += frame[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	c = ~sum & 0xffff;
	if (!c)
		c = 0xffff;
	frame[field] = c >> 8;
	frame[field + 1] = c & 0xff;
}

/* Flip one byte of the frame in @pkt; false if it must be dropped instead. */
static bool corrupt(struct direction *d, unsigned char *pkt, size_t len)
{
	struct virtio_net_hdr_v1 *hdr = (struct virtio_net_hdr_v1 *)pkt;
	unsigned char *frame = pkt + ULK_NET_HDR_LEN;
	size_t flen, start, field;
	uint64_t r = next_rand(&d->rng);

	if (len <= ULK_NET_HDR_LEN)
		return true;
	if (hdr->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return false;
	flen = len - ULK_NET_HDR_LEN;
	if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		start = get_le16((unsigned char *)&hdr->csum_start);
		field = start + get_le16((unsigned char *)&hdr->csum_offset);
		if (start < flen && field + 2 <= flen) {
			complete_csum(frame, flen, start, field);
			hdr->flags &= ~VIRTIO_NET_HDR_F_NEEDS_CSUM;
		}
	}
	hdr->flags &= ~VIRTIO_NET_HDR_F_DATA_VALID;
	frame[(r >> 8) % flen] ^= 1 + (r & 0xff) % 255;
	return true;
}

/* ---- cutting TSO packets into wire segments ------------------------------- */

static uint16_t get_be16(const unsigned char *p)
{
	return p[0] << 8 | p[1];
}

static void put_be16(unsigned char *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* Ones' complement sum of big-endian 16-bit words (even @len). */
static uint32_t sum16(const unsigned char *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* Where the headers of a TCP packet in a frame are; false if not TCP. */
struct tcp_layout {
	size_t l3, l4, hlen;
	bool v6;
};

static bool parse_tcp(const unsigned char *f, size_t flen,
		      struct tcp_layout *t)
{
	uint16_t type;

	t->l3 = 14;
	if (flen < 14)
		return false;
	type = get_be16(f + 12);
	if (type == 0x8100) {		/* one VLAN tag */
		t->l3 = 18;
		if (flen < 18)
			return false;
		type = get_be16(f + 16);
	}
	if (type == 0x0800) {
		if (flen < t->l3 + 20 || f[t->l3 + 9] != 6)
			return false;
		t->l4 = t->l3 + (f[t->l3] & 15) * 4;
		t->v6 = false;
		if (t->l4 < t->l3 + 20)
			return false;
	} else if (type == 0x86dd) {
		/* Extension headers are not followed: TSO never uses them. */
		if (flen < t->l3 + 40 || f[t->l3 + 6] != 6)
			return false;
		t->l4 = t->l3 + 40;
		t->v6 = true;
	} else {
		return false;
	}
	if (flen < t->l4 + 20)
		return false;
	t->hlen = t->l4 + (f[t->l4 + 12] >> 4) * 4;
	return t->hlen >= t->l4 + 20 && t->hlen <= flen;
}

/*
 * A TSO packet as wire segments, read where it lies (the device's
 * descriptors, or the receive bounce buffer): its headers copied out to
 * parse them, its payload copied once, into the packets cut from it.
 */
struct tso {
	unsigned char hdr[ULK_NET_HDR_LEN + 256];	/* virtio hdr + headers */
	const unsigned char *f;		/* the frame's headers, in @hdr */
	const struct iovec *iov;	/* the whole packet */
	int iovcnt;
	struct tcp_layout t;
	size_t payload;
	unsigned int mss, n;
	uint8_t gso_type;
	uint32_t seq;
	uint16_t ipid;
};

/* At most this many wire segments per TSO packet (gso_size 1 would make
 * 65535 of them); beyond, the packet is impaired as one. */
#define MAX_SEGS	256


static bool tso_parse(const struct iovec *iov, int iovcnt, size_t len,
		      struct tso *p)
{
	const struct virtio_net_hdr_v1 *vh = (const void *)p->hdr;
	size_t have = len < sizeof(p->hdr) ? len : sizeof(p->hdr);

	if (len <= ULK_NET_HDR_LEN || !ulk_iov_copy(iov, iovcnt, 0, p->hdr, have, false))
		return false;
	p->iov = iov;
	p->iovcnt = iovcnt;
	p->f = p->hdr + ULK_NET_HDR_LEN;
	p->mss = get_le16((const unsigned char *)&vh->gso_size);
	p->gso_type = vh->gso_type;
	if (!p->mss || !parse_tcp(p->f, have - ULK_NET_HDR_LEN, &p->t))
		return false;
	p->payload = len - ULK_NET_HDR_LEN - p->t.hlen;
	p->n = p->payload ? (p->payload + p->mss - 1) / p->mss : 1;
	if (p->n > MAX_SEGS)
		return false;
	p->seq = (uint32_t)get_be16(p->f + p->t.l4 + 4) << 16 |
		 get_be16(p->f + p->t.l4 + 6);
	p->ipid = p->t.v6 ? 0 : get_be16(p->f + p->t.l3 + 4);
	return true;
}

/*
 * The wire segments @first..@first + @count - 1 of @p as one packet: a
 * single segment as a NIC would hand it over (partial checksum for the far
 * end to complete), several as a smaller TSO packet of the same segment
 * size, which the far end cuts exactly as the wire would have. NULL when
 * out of memory.
 */
static struct held *tso_cut(const struct tso *p, unsigned int first,
			    unsigned int count)
{
	const struct tcp_layout *t = &p->t;
	size_t off = (size_t)first * p->mss, plen, l4len;
	struct virtio_net_hdr_v1 *sh;
	struct held *h;
	unsigned char *s;
	uint32_t sum;

	plen = p->payload - off;
	if (plen > (size_t)count * p->mss)
		plen = (size_t)count * p->mss;
	l4len = t->hlen - t->l4 + plen;
	h = held_alloc(ULK_NET_HDR_LEN + t->hlen + plen);
	if (!h)
		return NULL;
	sh = (void *)h->data;
	s = h->data + ULK_NET_HDR_LEN;
	memset(sh, 0, ULK_NET_HDR_LEN);
	sh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	sh->gso_type = count > 1 ? p->gso_type : VIRTIO_NET_HDR_GSO_NONE;
	sh->gso_size = count > 1 ? htole16(p->mss) : 0;
	sh->hdr_len = htole16(t->hlen);
	sh->csum_start = htole16(t->l4);
	sh->csum_offset = htole16(16);
	memcpy(s, p->f, t->hlen);
	if (!ulk_iov_copy(p->iov, p->iovcnt, ULK_NET_HDR_LEN + t->hlen + off,
			  s + t->hlen, plen, false)) {
		free(h);
		return NULL;
	}
	if (t->v6) {
		put_be16(s + t->l3 + 4, l4len);
		sum = sum16(s + t->l3 + 8, 32, 0);
	} else {
		put_be16(s + t->l3 + 2, t->l4 - t->l3 + l4len);
		put_be16(s + t->l3 + 4, p->ipid + first);
		put_be16(s + t->l3 + 10, 0);
		put_be16(s + t->l3 + 10,
			 ~fold(sum16(s + t->l3, t->l4 - t->l3, 0)));
		sum = sum16(s + t->l3 + 12, 8, 0);
	}
	put_be16(s + t->l4 + 4, (p->seq + off) >> 16);
	put_be16(s + t->l4 + 6, p->seq + off);
	if (first + count < p->n)
		s[t->l4 + 13] &= ~0x09;	/* FIN, PSH: last only */
	if (first)
		s[t->l4 + 13] &= ~0x80;	/* CWR: first only */
	/* The far end completes it: pseudo-header sum in the field. */
	put_be16(s + t->l4 + 16, fold(sum + 6 + l4len));
	return h;
}

/* ---- impairing one wire packet -------------------------------------------- */

/*
 * Decide the fate of wire packet @h (owned by the filter from now on) and
 * queue what comes out of it.
 */
static void impair_packet(struct direction *d, struct held *h,
			  unsigned int act, long long now)
{
	struct held *dup;

	if (act & ACT_DROP) {
		STAT_INC(d, dropped);
		free(h);
		return;
	}
	if ((act & ACT_DELAY) && d->queued_bytes >= MAX_QUEUED_BYTES) {
		STAT_INC(d, dropped);	/* a full queue drops at its tail */
		free(h);
		return;
	}
	if (act & ACT_CORRUPT) {
		STAT_INC(d, corrupted);
		if (!corrupt(d, h->data, h->len)) {
			free(h);
			return;
		}
	}
	h->due_ns = now;
	if (act & ACT_DELAY) {
		h->due_ns = now + d->cfg.delay_ms * 1000000LL;
		STAT_INC(d, delayed);
	} else if ((act & ACT_REORDER) && !d->reordered) {
		if (act & ACT_DUP) {
			dup = held_alloc(h->len);
			if (dup) {
				memcpy(dup->data, h->data, h->len);
				dup->due_ns = now;
				enqueue(d, dup);
				STAT_INC(d, duplicated);
			}
		}
		h->due_ns = now + REORDER_HOLD_NS;
		d->reordered = h;
		update_next_due(d);
		STAT_INC(d, reordered);
		return;
	}
	if (act & ACT_DUP) {
		dup = held_alloc(h->len);
		if (dup) {
			memcpy(dup->data, h->data, h->len);
			dup->due_ns = h->due_ns;
			enqueue(d, dup);
			STAT_INC(d, duplicated);
		}
	}
	if (!act)
		STAT_INC(d, passed);
	enqueue(d, h);
	/* A packet held for reordering goes right after its successor. */
	if (d->reordered && h->due_ns <= now) {
		struct held *r = d->reordered;

		d->reordered = NULL;
		r->due_ns = now;
		enqueue(d, r);
	}
}

/*
 * Queue the wire segments @first..@first + @count - 1 of @p, which all
 * pass untouched, as one packet: a run of clean segments crosses as the
 * TSO packet it came in (smaller, if the run is), so a mostly clean link
 * costs one write per run instead of one per segment. False when out of
 * memory (then nothing was queued).
 */
static bool pass_run(struct direction *d, const struct tso *p,
		     unsigned int first, unsigned int count, long long now)
{
	struct held *h = tso_cut(p, first, count);
	unsigned int i;

	if (!h)
		return false;
	for (i = 1; i < count; i++)
		STAT_INC(d, passed);
	impair_packet(d, h, 0, now);
	return true;
}

/*
 * Impair a packet given as @iov (@len bytes), copying what the filter
 * keeps. A TSO packet is judged per wire segment: every segment gets its
 * decision (in order, so that they depend on the segment count alone),
 * segments with something to happen to them are cut out and impaired
 * alone, and each run of clean ones between them goes on as one packet;
 * the payload is copied once, into those. Return false when out of memory
 * (then nothing of the packet was kept).
 */
static bool impair_input(struct direction *d, const struct iovec *iov,
			 int iovcnt, size_t len)
{
	const struct virtio_net_hdr_v1 *vh;
	unsigned char acts[MAX_SEGS];
	long long now = ulk_mono_ns();
	unsigned int i, j;
	struct held *h;
	struct tso p;

	if (len > ULK_NET_HDR_LEN && ulk_iov_copy(iov, iovcnt, 0, p.hdr,
						  ULK_NET_HDR_LEN, false)) {
		vh = (const void *)p.hdr;
		if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE &&
		    tso_parse(iov, iovcnt, len, &p))
			goto tso;
	}
	h = held_alloc(len);
	if (!h || !ulk_iov_copy(iov, iovcnt, 0, h->data, len, false)) {
		free(h);
		return false;
	}
	impair_packet(d, h, decide(d), now);
	return true;

tso:
	for (i = 0; i < p.n; i++)
		acts[i] = decide(d);
	for (i = 0; i < p.n; i = j) {
		struct held *seg;

		for (j = i; j < p.n && !acts[j]; j++)
			;
		if (j > i) {
			if (!pass_run(d, &p, i, j - i, now))
				break;
			continue;
		}
		seg = tso_cut(&p, i, 1);
		if (!seg)
			break;
		impair_packet(d, seg, acts[i], now);
		j = i + 1;
	}
	return true;
}

/* ---- transmit ------------------------------------------------------------ */

/*
 * Send what is due; 0, -EAGAIN if the backend is full, or -ENETDOWN or
 * -EPIPE if it cannot send at all (the packet is dropped).
 */
static int tx_flush(struct impair *im)
{
	struct direction *d = &im->tx;
	long long now = ulk_mono_ns();
	struct held *h;
	ssize_t n;

	for (;;) {
		/* take_due() prefers the reordered slot when it is due. */
		bool was_reordered = d->reordered &&
				     d->reordered->due_ns <= now;
		struct iovec iov;

		h = take_due(d, now);
		if (!h)
			return 0;
		iov.iov_base = h->data;
		iov.iov_len = h->len;
		n = im->inner->ops->send(im->inner, &iov, 1);
		if (n == -EAGAIN) {
			/* Back where it was: first in line. */
			if (was_reordered) {
				d->reordered = h;
			} else {
				h->next = d->head;
				d->head = h;
				if (!d->tail)
					d->tail = h;
				d->queued_bytes += h->len;
			}
			update_next_due(d);
			return -EAGAIN;
		}
		free(h);
		if (n == -ENETDOWN || n == -EPIPE)
			return (int)n;
	}
}

static ssize_t impair_send(struct ulk_net_backend *be, const struct iovec *iov,
			   int iovcnt)
{
	struct impair *im = (struct impair *)be;
	size_t len = ulk_iov_total(iov, iovcnt);
	int err;

	if (!im->tx.active)
		return im->inner->ops->send(im->inner, iov, iovcnt);
	/* Refuse before deciding: the device retries this same packet. */
	err = tx_flush(im);
	if (err)
		return err;
	if (!impair_input(&im->tx, iov, iovcnt, len))
		return -ENOMEM;
	(void)tx_flush(im);	/* the rest goes from tick() */
	return len;
}

static int impair_tick(struct ulk_net_backend *be)
{
	struct impair *im = (struct impair *)be;
	int err = 0;

	if (im->tx.active)
		err = tx_flush(im);
	if (!err && im->inner->ops->tick)
		err = im->inner->ops->tick(im->inner);
	return err;
}

/* ---- receive ------------------------------------------------------------- */


static ssize_t impair_recv(struct ulk_net_backend *be, const struct iovec *iov,
			   int iovcnt)
{
	struct impair *im = (struct impair *)be;
	struct direction *d = &im->rx;
	struct iovec biov = { im->bounce, ULK_NET_MAX_PACKET + 1 };
	struct held *h;
	ssize_t n;

	if (!d->active)
		return im->inner->ops->recv(im->inner, iov, iovcnt);
	for (;;) {
		h = take_due(d, ulk_mono_ns());
		if (h) {
			/* More than the buffers hold: truncated, dropped. */
			ulk_iov_copy(iov, iovcnt, 0, h->data, h->len, true);
			n = (ssize_t)h->len;
			free(h);
			return n;
		}
		n = im->inner->ops->recv(im->inner, &biov, 1);
		if (n < 0)
			return n;
		if (n > ULK_NET_MAX_PACKET) {
			/* Larger than any packet may be: not for the device. */
			STAT_INC(d, dropped);
			continue;
		}
		biov.iov_len = (size_t)n;
		if (!impair_input(d, &biov, 1, (size_t)n))
			return -ENOMEM;
		biov.iov_len = ULK_NET_MAX_PACKET + 1;
	}
}

/* ---- the rest of the table ----------------------------------------------- */

static int impair_timeout_ms(struct ulk_net_backend *be)
{
	struct impair *im = (struct impair *)be;
	long long due, now, ms;
	int inner = -1;

	due = __atomic_load_n(&im->tx.next_due_ns, __ATOMIC_RELAXED);
	if (im->rx.next_due_ns < due)
		due = im->rx.next_due_ns;
	if (im->inner->ops->timeout_ms)
		inner = im->inner->ops->timeout_ms(im->inner);
	if (due == NO_DUE)
		return inner;
	now = ulk_mono_ns();
	ms = due <= now ? 0 : (due - now + 999999) / 1000000;
	if (ms > INT_MAX)
		ms = INT_MAX;
	return inner >= 0 && inner < ms ? inner : (int)ms;
}

static int impair_set_offload(struct ulk_net_backend *be, unsigned int off)
{
	struct impair *im = (struct impair *)be;

	if (!im->inner->ops->set_offload)
		return 0;
	return im->inner->ops->set_offload(im->inner, off);
}

static const char *impair_why_gone(struct ulk_net_backend *be)
{
	struct impair *im = (struct impair *)be;

	if (!im->inner->ops->why_gone)
		return NULL;
	return im->inner->ops->why_gone(im->inner);
}

static int impair_carrier(struct ulk_net_backend *be)
{
	struct impair *im = (struct impair *)be;

	return im->inner->ops->carrier ? im->inner->ops->carrier(im->inner) : 1;
}

static void impair_close(struct ulk_net_backend *be)
{
	struct impair *im = (struct impair *)be;

	free_all(&im->tx);
	free_all(&im->rx);
	im->inner->ops->close(im->inner);
	free(im->bounce);
	free(im);
}

static const struct ulk_net_backend_ops impair_ops = {
	.send = impair_send,
	.recv = impair_recv,
	.set_offload = impair_set_offload,
	.timeout_ms = impair_timeout_ms,
	.tick = impair_tick,
	.why_gone = impair_why_gone,
	.carrier = impair_carrier,
	.close = impair_close,
};

static bool rate_ok(double r)
{
	return !isnan(r) && r >= 0 && r <= 1;
}

/**
 * ulk_net_impair_active() - does a setting impair anything?
 * @imp: the setting.
 * Return: true unless every rate is zero (or the delay is zero ms).
 */
bool ulk_net_impair_active(const struct ulk_netdev_impair *imp)
{
	return imp->drop > 0 || imp->duplicate > 0 || imp->reorder > 0 ||
	       imp->corrupt > 0 || (imp->delay > 0 && imp->delay_ms);
}

static int dir_init(struct direction *d, const struct ulk_netdev_impair *cfg,
		    uint64_t salt)
{
	uint64_t x;

	if (!rate_ok(cfg->drop) || !rate_ok(cfg->duplicate) ||
	    !rate_ok(cfg->reorder) || !rate_ok(cfg->corrupt) ||
	    !rate_ok(cfg->delay) || cfg->delay_ms > MAX_DELAY_MS)
		return -EINVAL;
	d->cfg = *cfg;
	d->active = ulk_net_impair_active(cfg);
	x = (cfg->seed ? cfg->seed : 0x756c6b2d696d7061ULL) ^ salt;
	d->rng = splitmix64(&x);
	if (!d->rng)
		d->rng = 1;	/* xorshift's one forbidden state */
	d->next_due_ns = NO_DUE;
	return 0;
}

/**
 * ulk_net_impair_wrap() - put an impairment filter in front of a backend.
 * @inner: the real backend; the filter owns it from a successful return.
 * @tx: impairment of packets sent.
 * @rx: impairment of packets received.
 * @out: receives the filter, a backend itself.
 *
 * Return: 0; -EINVAL for a rate outside 0..1 or a delay above 10 s;
 * -ENOMEM.
 */
int ulk_net_impair_wrap(struct ulk_net_backend *inner,
			const struct ulk_netdev_impair *tx,
			const struct ulk_netdev_impair *rx,
			struct ulk_net_backend **out)
{
	struct impair *im = calloc(1, sizeof(*im));
	int err;

	if (!im)
		return -ENOMEM;
	err = dir_init(&im->tx, tx, 0x7478);
	if (!err)
		err = dir_init(&im->rx, rx, 0x7278);
	if (!err && im->rx.active) {
		im->bounce = malloc(ULK_NET_MAX_PACKET + 1);
		if (!im->bounce)
			err = -ENOMEM;
	}
	if (err) {
		free(im);
		return err;
	}
	im->inner = inner;
	im->be.ops = &impair_ops;
	im->be.fd = inner->fd;
	im->be.offloads = inner->offloads;
	memcpy(im->be.desc, inner->desc, sizeof(im->be.desc));
	*out = &im->be;
	return 0;
}

/**
 * ulk_net_impair_stats() - the counters of a filter.
 * @be: a backend from ulk_net_impair_wrap().
 * @tx: receives the transmit direction's counters.
 * @rx: receives the receive direction's counters.
 */
void ulk_net_impair_stats(struct ulk_net_backend *be,
			  struct ulk_netdev_impair_stats *tx,
			  struct ulk_netdev_impair_stats *rx)
{
	struct impair *im = (struct impair *)be;
	const unsigned long long *s[2] = {
		(const unsigned long long *)&im->tx.st,
		(const unsigned long long *)&im->rx.st,
	};
	unsigned long long *d[2] = {
		(unsigned long long *)tx, (unsigned long long *)rx,
	};
	size_t i, k, n = sizeof(*tx) / sizeof(unsigned long long);

	for (k = 0; k < 2; k++)
		for (i = 0; i < n; i++)
			d[k][i] = __atomic_load_n(&s[k][i], __ATOMIC_RELAXED);
}
