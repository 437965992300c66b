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
 * Decisions. For every packet the filter draws five numbers from the
 * direction's stream, one per impairment (drop, duplicate, reorder,
 * corrupt, delay), whatever the outcome, so the n-th packet of a direction
 * always gets the same decision for a given seed. The stream is xorshift64*
 * seeded through splitmix64: small, fast, and the same everywhere. A
 * transmission the real backend refuses for now (-EAGAIN) is retried by the
 * device with the same packet, and the filter reuses the decision it made.
 *
 * Actions, in this order: a dropped packet is gone (send() reports
 * success: a lossy wire does not tell the sender). A corrupted one has a
 * byte of its frame flipped; to keep the damage detectable, as it would be
 * on a wire, a checksum still to be computed by the far end (NEEDS_CSUM) is
 * completed first and DATA_VALID is cleared, while a TSO segment (GSO in
 * the header), which stands for many wire packets whose checksums nobody
 * will compute, is dropped instead. A delayed packet is copied into a queue
 * with a due time; a reordered one is held in a one-packet slot until the
 * next packet has gone (or 10 ms passed); a duplicated one goes twice.
 * Packets passing untouched are not copied on transmit; on receive the
 * filter reads into a bounce buffer, as it must decide before handing a
 * packet over.
 *
 * Time. Held packets come due without any descriptor becoming ready, so
 * the filter reports how long the device's thread may sleep (timeout_ms)
 * and sends what is due in tick(). Received held packets are returned by
 * recv() once due. Transmit state is touched by send() and tick(), which
 * the device serialises; timeout_ms() runs on the device's thread
 * concurrently with send() and reads only an atomic "next due" time.
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

#include "net/backend.h"

#define REORDER_HOLD_NS		(10 * 1000000LL)
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
	bool retry;			/* tx: last send was -EAGAIN */
	unsigned int retry_actions;
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

static long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

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

static size_t iov_total(const struct iovec *iov, int iovcnt)
{
	size_t n = 0;
	int i;

	for (i = 0; i < iovcnt; i++)
		n += iov[i].iov_len;
	return n;
}

static struct held *held_from_iov(const struct iovec *iov, int iovcnt)
{
	size_t len = iov_total(iov, iovcnt), off = 0;
	struct held *h = malloc(sizeof(*h) + len);
	int i;

	if (!h)
		return NULL;
	h->next = NULL;
	h->len = len;
	for (i = 0; i < iovcnt; i++) {
		memcpy(h->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	return h;
}

static struct held *held_from_buf(const void *buf, size_t len)
{
	struct held *h = malloc(sizeof(*h) + len);

	if (!h)
		return NULL;
	h->next = NULL;
	h->len = len;
	memcpy(h->data, buf, len);
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

/* Put back what take_due() returned (it could not be sent yet). */
static void untake(struct direction *d, struct held *h, bool was_reordered)
{
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
}

static void free_all(struct direction *d)
{
	struct held *h, *next;

	for (h = d->head; h; h = next) {
		next = h->next;
		free(h);
	}
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

/* ---- transmit ------------------------------------------------------------ */

/* Send what is due; 0, or -EAGAIN if the backend is full. */
static int tx_flush(struct impair *im, long long now)
{
	struct direction *d = &im->tx;
	struct held *h;
	bool was_reordered;

	for (;;) {
		was_reordered = d->reordered && d->reordered->due_ns <= now;
		h = take_due(d, now);
		if (!h)
			return 0;
		struct iovec iov = { h->data, h->len };

		if (im->inner->ops->send(im->inner, &iov, 1) == -EAGAIN) {
			untake(d, h, was_reordered);
			return -EAGAIN;
		}
		free(h);
	}
}

static ssize_t impair_send(struct ulk_net_backend *be, const struct iovec *iov,
			   int iovcnt)
{
	struct impair *im = (struct impair *)be;
	struct direction *d = &im->tx;
	size_t len = iov_total(iov, iovcnt);
	struct held *h = NULL;
	struct iovec one;
	unsigned int act;
	ssize_t n;

	if (!d->active)
		return im->inner->ops->send(im->inner, iov, iovcnt);
	act = d->retry ? d->retry_actions : decide(d);
	d->retry = false;
	if (act & ACT_DROP) {
		STAT_INC(d, dropped);
		return len;
	}
	if ((act & (ACT_CORRUPT | ACT_DELAY | ACT_REORDER)) &&
	    d->queued_bytes < MAX_QUEUED_BYTES) {
		h = held_from_iov(iov, iovcnt);
		if (!h)
			act &= ~(ACT_CORRUPT | ACT_DELAY | ACT_REORDER);
	} else {
		act &= ~(ACT_CORRUPT | ACT_DELAY | ACT_REORDER);
	}
	if (act & ACT_CORRUPT) {
		STAT_INC(d, corrupted);
		if (!corrupt(d, h->data, h->len)) {
			free(h);
			return len;
		}
	}
	if (act & ACT_DELAY) {
		h->due_ns = mono_ns() + d->cfg.delay_ms * 1000000LL;
		if (act & ACT_DUP) {
			struct held *h2 = held_from_buf(h->data, h->len);

			if (h2) {
				h2->due_ns = h->due_ns;
				enqueue(d, h2);
				STAT_INC(d, duplicated);
			}
		}
		enqueue(d, h);
		STAT_INC(d, delayed);
		return len;
	}
	if ((act & ACT_REORDER) && !d->reordered) {
		h->due_ns = mono_ns() + REORDER_HOLD_NS;
		d->reordered = h;
		update_next_due(d);
		STAT_INC(d, reordered);
		return len;
	}
	if (h) {
		one.iov_base = h->data;
		one.iov_len = h->len;
		iov = &one;
		iovcnt = 1;
	}
	n = im->inner->ops->send(im->inner, iov, iovcnt);
	if (n == -EAGAIN) {
		/* The device retries this packet: same decision then. */
		d->retry = true;
		d->retry_actions = act;
		free(h);
		return n;
	}
	if (act & ACT_DUP) {
		(void)im->inner->ops->send(im->inner, iov, iovcnt);
		STAT_INC(d, duplicated);
	}
	if (!act)
		STAT_INC(d, passed);
	free(h);
	/* A packet held for reordering goes right after its successor. */
	if (d->reordered) {
		d->reordered->due_ns = 0;
		(void)tx_flush(im, mono_ns());
	}
	return n < 0 ? n : (ssize_t)len;
}

static int impair_tick(struct ulk_net_backend *be)
{
	struct impair *im = (struct impair *)be;
	int err = 0;

	if (im->tx.active)
		err = tx_flush(im, mono_ns());
	if (!err && im->inner->ops->tick)
		err = im->inner->ops->tick(im->inner);
	return err;
}

/* ---- receive ------------------------------------------------------------- */

static ssize_t copy_out(const struct iovec *iov, int iovcnt,
			const unsigned char *data, size_t len)
{
	size_t off = 0, n;
	int i;

	for (i = 0; i < iovcnt && off < len; i++) {
		n = iov[i].iov_len < len - off ? iov[i].iov_len : len - off;
		memcpy(iov[i].iov_base, data + off, n);
		off += n;
	}
	return len;	/* more than the buffers hold means truncated */
}

static ssize_t impair_recv(struct ulk_net_backend *be, const struct iovec *iov,
			   int iovcnt)
{
	struct impair *im = (struct impair *)be;
	struct direction *d = &im->rx;
	struct iovec biov = { im->bounce, ULK_NET_MAX_PACKET + 1 };
	struct held *h;
	unsigned int act;
	ssize_t n;

	if (!d->active)
		return im->inner->ops->recv(im->inner, iov, iovcnt);
	for (;;) {
		h = take_due(d, mono_ns());
		if (h) {
			n = copy_out(iov, iovcnt, h->data, h->len);
			free(h);
			return n;
		}
		n = im->inner->ops->recv(im->inner, &biov, 1);
		if (n < 0)
			return n;
		if (n > ULK_NET_MAX_PACKET)
			return n;	/* truncated: the device drops it */
		act = decide(d);
		if (act & ACT_DROP) {
			STAT_INC(d, dropped);
			continue;
		}
		if (act & ACT_CORRUPT) {
			STAT_INC(d, corrupted);
			if (!corrupt(d, im->bounce, n))
				continue;
		}
		if ((act & (ACT_DELAY | ACT_REORDER)) &&
		    d->queued_bytes < MAX_QUEUED_BYTES &&
		    (h = held_from_buf(im->bounce, n))) {
			if (act & ACT_DELAY) {
				h->due_ns = mono_ns() +
					    d->cfg.delay_ms * 1000000LL;
				enqueue(d, h);
				STAT_INC(d, delayed);
				if ((act & ACT_DUP) &&
				    (h = held_from_buf(im->bounce, n))) {
					h->due_ns = d->tail->due_ns;
					enqueue(d, h);
					STAT_INC(d, duplicated);
				}
				continue;
			}
			if (!d->reordered) {
				h->due_ns = mono_ns() + REORDER_HOLD_NS;
				d->reordered = h;
				update_next_due(d);
				STAT_INC(d, reordered);
				continue;
			}
			free(h);
			act &= ~ACT_REORDER;
		}
		if ((act & ACT_DUP) && (h = held_from_buf(im->bounce, n))) {
			h->due_ns = 0;
			enqueue(d, h);
			STAT_INC(d, duplicated);
		}
		if (!act)
			STAT_INC(d, passed);
		/* The packet held for reordering comes right after this one. */
		if (d->reordered) {
			d->reordered->due_ns = 0;
			update_next_due(d);
		}
		return copy_out(iov, iovcnt, im->bounce, n);
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
	now = mono_ns();
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
