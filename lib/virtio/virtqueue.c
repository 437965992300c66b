// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueues, device side.
 *
 * Theory of operation
 * -------------------
 * The kernel's virtio driver allocates each ring in its own memory and
 * tells the device where it is through the transport's registers. ulk has
 * no MMU, so those addresses are host pointers: this file reads and writes
 * the rings directly, from host threads that run concurrently with the
 * kernel (which runs on another host thread, possibly on another CPU).
 *
 * Ownership. The driver owns the descriptor table and the available ring
 * and publishes entries by storing avail->idx; the device owns the used
 * ring and publishes entries by storing used->idx. Each side only reads
 * the other's index, so the ordering rules are those of two processors
 * sharing memory:
 *
 *  - pop: load avail->idx with acquire ordering before reading the ring
 *    entries and descriptors it covers (pairs with the driver's write
 *    barrier before its store of avail->idx);
 *  - publish: write used elements, then store used->idx with release
 *    ordering (pairs with the driver's read barrier after loading it);
 *  - notification decisions need a full fence, because they are a store
 *    followed by a load of the other side's variable (Dekker's pattern):
 *    "publish used->idx, then read used_event or avail->flags" here,
 *    against "publish avail->idx... re-enable callbacks, then read
 *    used->idx" in the driver. The kernel's mb() in arch/ulk is a real
 *    fence for the same reason.
 *
 * Suppression. With VIRTIO_RING_F_EVENT_IDX the driver writes used_event
 * (after the available ring) to say "interrupt me once used->idx passes
 * this", and the device writes avail_event (after the used ring) to say
 * "kick me once avail->idx passes this". ulk_vq_enable_kicks() sets
 * avail_event to the next entry it wants to hear about and then re-checks
 * the ring, so a buffer added in between is never missed: either the
 * driver saw the new avail_event and kicks, or the re-check sees the
 * buffer. Leaving avail_event behind suppresses kicks for free. Without
 * EVENT_IDX the same is done with VRING_USED_F_NO_NOTIFY and
 * VRING_AVAIL_F_NO_INTERRUPT.
 *
 * Hostile or buggy rings. Everything read from the rings is checked
 * before use: indices against the ring size, descriptor chains for loops
 * and length, every buffer address range against the kernel's memory
 * region, indirect tables for size and nesting. Descriptors are copied
 * once and the copy is checked, so a concurrent change cannot slip
 * between check and use. A malformed ring is a driver bug; the device
 * reports it once, marks itself broken (DEVICE_NEEDS_RESET) and stops
 * touching the queue, and the process carries on.
 *
 * Locking. The caller holds vq->lock around every function here except
 * ulk_vq_init() and ulk_vq_set_memory().
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "virtio/virtqueue.h"
#include "virtio/mmio.h"

static unsigned long mem_base, mem_end;

void ulk_vq_set_memory(unsigned long base, unsigned long size)
{
	mem_base = base;
	mem_end = base + size;
}

/* Is [addr, addr + len) inside the kernel's memory? */
static bool range_ok(uint64_t addr, uint64_t len)
{
	return addr >= mem_base && addr <= mem_end && len <= mem_end - addr;
}

/**
 * ulk_vq_init() - set up a disabled queue.
 * @vq: the queue.
 * @dev: its device.
 * @index: its number.
 */
void ulk_vq_init(struct ulk_vq *vq, struct ulk_vmmio_dev *dev,
		 unsigned int index)
{
	memset(vq, 0, sizeof(*vq));
	pthread_mutex_init(&vq->lock, NULL);
	vq->dev = dev;
	vq->index = index;
}

/**
 * ulk_vq_enable() - check the addresses the driver gave and start using
 * the rings (QueueReady written 1).
 * @vq: the queue, not ready; @num and the three addresses set.
 * @features: the features the driver accepted.
 *
 * Return: 0, or -EINVAL if the size or an address is not acceptable (the
 * queue stays disabled).
 */
int ulk_vq_enable(struct ulk_vq *vq, uint64_t features)
{
	uint64_t n = vq->num;

	if (!n || n > 32768 || (n & (n - 1)))
		return -EINVAL;
	if ((vq->desc_addr & 15) || (vq->avail_addr & 1) ||
	    (vq->used_addr & 3))
		return -EINVAL;
	/* Sizes include used_event/avail_event even without EVENT_IDX. */
	if (!range_ok(vq->desc_addr, 16 * n) ||
	    !range_ok(vq->avail_addr, 6 + 2 * n) ||
	    !range_ok(vq->used_addr, 6 + 8 * n))
		return -EINVAL;
	vq->desc = (struct vring_desc *)(uintptr_t)vq->desc_addr;
	vq->avail = (struct vring_avail *)(uintptr_t)vq->avail_addr;
	vq->used = (struct vring_used *)(uintptr_t)vq->used_addr;
	vq->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_used = 0;
	__atomic_store_n(&vq->ready, 1, __ATOMIC_RELEASE);
	return 0;
}

/**
 * ulk_vq_disable() - stop using the rings (QueueReady 0 or reset).
 * @vq: the queue.
 */
void ulk_vq_disable(struct ulk_vq *vq)
{
	__atomic_store_n(&vq->ready, 0, __ATOMIC_RELEASE);
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
}

static uint16_t load16(const __virtio16 *p, int order)
{
	return le16toh(__atomic_load_n(p, order));
}

static void store16(__virtio16 *p, uint16_t v, int order)
{
	__atomic_store_n(p, htole16(v), order);
}

/* One descriptor, read once (a racing driver cannot change our copy). */
static void read_desc(const struct vring_desc *d, struct vring_desc *out)
{
	out->addr = le64toh(__atomic_load_n(&d->addr, __ATOMIC_RELAXED));
	out->len = le32toh(__atomic_load_n(&d->len, __ATOMIC_RELAXED));
	out->flags = le16toh(__atomic_load_n(&d->flags, __ATOMIC_RELAXED));
	out->next = le16toh(__atomic_load_n(&d->next, __ATOMIC_RELAXED));
}

/* Add one buffer to the chain; 0 or -EIO (after reporting why). */
static int chain_add(struct ulk_vq *vq, struct ulk_vq_chain *c,
		     const struct vring_desc *d)
{
	if (!range_ok(d->addr, d->len)) {
		ulk_vmmio_set_broken(vq->dev, "queue %u: buffer 0x%llx+%u "
				     "outside kernel memory", vq->index,
				     (unsigned long long)d->addr, d->len);
		return -EIO;
	}
	if (c->nout + c->nin >= ULK_VQ_MAX_SEGS) {
		ulk_vmmio_set_broken(vq->dev, "queue %u: chain longer than %d "
				     "descriptors", vq->index,
				     ULK_VQ_MAX_SEGS);
		return -EIO;
	}
	if (d->flags & VRING_DESC_F_WRITE) {
		if ((uint64_t)c->in_len + d->len > UINT32_MAX)
			goto too_long;
		c->in[c->nin].iov_base = (void *)(uintptr_t)d->addr;
		c->in[c->nin++].iov_len = d->len;
		c->in_len += d->len;
	} else {
		if (c->nin) {
			ulk_vmmio_set_broken(vq->dev, "queue %u: readable "
					     "descriptor after a writable one",
					     vq->index);
			return -EIO;
		}
		if ((uint64_t)c->out_len + d->len > UINT32_MAX)
			goto too_long;
		c->out[c->nout].iov_base = (void *)(uintptr_t)d->addr;
		c->out[c->nout++].iov_len = d->len;
		c->out_len += d->len;
	}
	return 0;
too_long:
	ulk_vmmio_set_broken(vq->dev, "queue %u: chain longer than 4 GiB",
			     vq->index);
	return -EIO;
}

/* Walk an indirect table (already range-checked); 0 or -EIO. */
static int walk_indirect(struct ulk_vq *vq, struct ulk_vq_chain *c,
			 const struct vring_desc *ind)
{
	const struct vring_desc *table;
	struct vring_desc d;
	unsigned int n, i = 0, steps;

	if (!vq->indirect || ind->len == 0 || ind->len % 16 ||
	    ind->len / 16 > 65536 || (ind->flags & VRING_DESC_F_NEXT)) {
		ulk_vmmio_set_broken(vq->dev, "queue %u: bad indirect "
				     "descriptor (len %u, flags 0x%x)",
				     vq->index, ind->len, ind->flags);
		return -EIO;
	}
	if (!range_ok(ind->addr, ind->len) || (ind->addr & 15)) {
		ulk_vmmio_set_broken(vq->dev, "queue %u: indirect table "
				     "0x%llx+%u outside kernel memory",
				     vq->index,
				     (unsigned long long)ind->addr, ind->len);
		return -EIO;
	}
	table = (const struct vring_desc *)(uintptr_t)ind->addr;
	n = ind->len / 16;
	for (steps = 0;; steps++) {
		if (steps >= n) {
			ulk_vmmio_set_broken(vq->dev, "queue %u: loop in "
					     "indirect table", vq->index);
			return -EIO;
		}
		read_desc(&table[i], &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			ulk_vmmio_set_broken(vq->dev, "queue %u: nested "
					     "indirect table", vq->index);
			return -EIO;
		}
		if (chain_add(vq, c, &d))
			return -EIO;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= n) {
			ulk_vmmio_set_broken(vq->dev, "queue %u: indirect "
					     "next %u beyond table of %u",
					     vq->index, d.next, n);
			return -EIO;
		}
		i = d.next;
	}
}

/**
 * ulk_vq_has_avail() - is there an available chain to pop?
 * @vq: the queue.
 *
 * Return: true if so (or if the ring is malformed: ulk_vq_pop() says).
 */
bool ulk_vq_has_avail(struct ulk_vq *vq)
{
	if (!vq->ready || ulk_vmmio_is_broken(vq->dev))
		return false;
	return load16(&vq->avail->idx, __ATOMIC_ACQUIRE) != vq->last_avail;
}

/**
 * ulk_vq_pop() - take the next available chain.
 * @vq: the queue, locked.
 * @c: receives the chain's buffers.
 *
 * Return: 1 with @c filled; 0 if the ring is empty (or the queue is not
 * ready); -EIO if the ring is malformed (the device is now broken).
 */
int ulk_vq_pop(struct ulk_vq *vq, struct ulk_vq_chain *c)
{
	uint16_t avail_idx, head, i;
	struct vring_desc d;
	unsigned int steps;

	if (!vq->ready)
		return 0;
	if (ulk_vmmio_is_broken(vq->dev))
		return -EIO;
	avail_idx = load16(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->num) {
		ulk_vmmio_set_broken(vq->dev, "queue %u: avail index %u is "
				     "%u ahead of %u (ring of %u)", vq->index,
				     avail_idx,
				     (uint16_t)(avail_idx - vq->last_avail),
				     vq->last_avail, vq->num);
		return -EIO;
	}
	head = load16(&vq->avail->ring[vq->last_avail & (vq->num - 1)],
		      __ATOMIC_RELAXED);
	if (head >= vq->num) {
		ulk_vmmio_set_broken(vq->dev, "queue %u: head %u beyond ring "
				     "of %u", vq->index, head, vq->num);
		return -EIO;
	}
	c->head = head;
	c->nout = c->nin = 0;
	c->out_len = c->in_len = 0;
	for (i = head, steps = 0;; steps++) {
		if (steps >= vq->num) {
			ulk_vmmio_set_broken(vq->dev, "queue %u: loop in "
					     "chain at %u", vq->index, head);
			return -EIO;
		}
		read_desc(&vq->desc[i], &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* Only as the only descriptor of the chain. */
			if (steps || walk_indirect(vq, c, &d))
				goto bad_indirect;
			break;
		}
		if (chain_add(vq, c, &d))
			return -EIO;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (d.next >= vq->num) {
			ulk_vmmio_set_broken(vq->dev, "queue %u: next %u "
					     "beyond ring of %u", vq->index,
					     d.next, vq->num);
			return -EIO;
		}
		i = d.next;
	}
	vq->last_avail++;
	return 1;

bad_indirect:
	if (!ulk_vmmio_is_broken(vq->dev))
		ulk_vmmio_set_broken(vq->dev, "queue %u: indirect descriptor "
				     "inside a chain", vq->index);
	return -EIO;
}

/**
 * ulk_vq_unpop() - give back the last @n chains popped and not pushed;
 * the next ulk_vq_pop() returns them again, in the same order.
 * @vq: the queue, locked.
 * @n: how many.
 */
void ulk_vq_unpop(struct ulk_vq *vq, unsigned int n)
{
	vq->last_avail -= n;
}

/**
 * ulk_vq_push() - return a chain to the driver, not yet visible to it.
 * @vq: the queue, locked.
 * @head: the chain's head (struct ulk_vq_chain.head).
 * @len: bytes the device wrote into its writable buffers.
 *
 * Call ulk_vq_publish() to make pushed chains visible.
 */
void ulk_vq_push(struct ulk_vq *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e;

	if (!vq->ready)
		return;
	e = &vq->used->ring[vq->used_idx & (vq->num - 1)];
	__atomic_store_n(&e->id, htole32(head), __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, htole32(len), __ATOMIC_RELAXED);
	vq->used_idx++;
}

/**
 * ulk_vq_publish() - make the chains pushed so far visible to the driver.
 * @vq: the queue, locked.
 */
void ulk_vq_publish(struct ulk_vq *vq)
{
	if (vq->ready)
		store16(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

/**
 * ulk_vq_should_interrupt() - after publishing, does the driver want an
 * interrupt for the chains used since the last one?
 * @vq: the queue, locked.
 *
 * Return: true if the caller should raise the device's interrupt (once
 * it has dropped its locks). Records that it did.
 */
bool ulk_vq_should_interrupt(struct ulk_vq *vq)
{
	uint16_t old = vq->signalled_used, new = vq->used_idx, event;

	if (!vq->ready || old == new)
		return false;
	/* Our used->idx store before the driver's used_event/flags load. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx) {
		event = load16(&vq->avail->ring[vq->num], __ATOMIC_RELAXED);
		/* Did used->idx step over used_event on the way old..new? */
		if ((uint16_t)(new - event - 1) >= (uint16_t)(new - old))
			return false;
	} else if (load16(&vq->avail->flags, __ATOMIC_RELAXED) &
		   VRING_AVAIL_F_NO_INTERRUPT) {
		return false;
	}
	vq->signalled_used = new;
	return true;
}

/**
 * ulk_vq_enable_kicks() - ask the driver to kick on its next new buffer.
 * @vq: the queue, locked.
 *
 * Return: true if buffers became available meanwhile (the caller should
 * pop them rather than wait for a kick that may not come).
 */
bool ulk_vq_enable_kicks(struct ulk_vq *vq)
{
	if (!vq->ready)
		return false;
	if (vq->event_idx) {
		store16((__virtio16 *)&vq->used->ring[vq->num], vq->last_avail,
			__ATOMIC_RELAXED);
	} else {
		uint16_t f = load16(&vq->used->flags, __ATOMIC_RELAXED);

		store16(&vq->used->flags, f & ~VRING_USED_F_NO_NOTIFY,
			__ATOMIC_RELAXED);
	}
	/* Our avail_event store before our avail->idx load. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load16(&vq->avail->idx, __ATOMIC_ACQUIRE) != vq->last_avail;
}

/**
 * ulk_vq_disable_kicks() - tell the driver kicks are not needed now.
 * @vq: the queue, locked.
 *
 * With EVENT_IDX nothing is written: an avail_event that is left behind
 * already stops kicks once the driver has passed it.
 */
void ulk_vq_disable_kicks(struct ulk_vq *vq)
{
	if (!vq->ready || vq->event_idx)
		return;
	store16(&vq->used->flags,
		load16(&vq->used->flags, __ATOMIC_RELAXED) |
		VRING_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
}
