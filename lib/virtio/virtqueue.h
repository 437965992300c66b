/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split virtqueues, device side: host code reading the rings that the
 * kernel's virtio driver writes in its own memory. See virtqueue.c for the
 * theory of operation.
 */
#ifndef ULK_VIRTIO_VIRTQUEUE_H
#define ULK_VIRTIO_VIRTQUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_ring.h>

struct ulk_vmmio_dev;

/* Most descriptors one chain may have, indirect ones included. */
#define ULK_VQ_MAX_SEGS		64

/**
 * struct ulk_vq_chain - one available descriptor chain, as iovecs.
 * @head: index of its first descriptor (what goes back in the used ring).
 * @out: device-readable segments (what the driver sends), in order.
 * @nout: number of @out segments.
 * @out_len: total bytes in @out.
 * @in: device-writable segments (where the device writes), in order.
 * @nin: number of @in segments.
 * @in_len: total bytes in @in.
 */
struct ulk_vq_chain {
	uint16_t head;
	struct iovec out[ULK_VQ_MAX_SEGS];
	unsigned int nout;
	uint32_t out_len;
	struct iovec in[ULK_VQ_MAX_SEGS];
	unsigned int nin;
	uint32_t in_len;
};

/**
 * struct ulk_vq - one split virtqueue as the device sees it.
 *
 * Written by the transport (mmio.c) while the queue is not ready:
 * @num: ring size the driver chose (QueueNum); a power of two.
 * @desc_addr: descriptor table address (QueueDesc).
 * @avail_addr: driver area, the available ring (QueueDriver).
 * @used_addr: device area, the used ring (QueueDevice).
 *
 * Set by ulk_vq_enable():
 * @desc: descriptor table, @num entries.
 * @avail: available ring.
 * @used: used ring.
 * @event_idx: VIRTIO_RING_F_EVENT_IDX was negotiated.
 * @indirect: VIRTIO_RING_F_INDIRECT_DESC was negotiated.
 *
 * Device state, protected by @lock:
 * @ready: 1 while the queue may be used (read without @lock as a hint).
 * @last_avail: free-running index of the next available entry to pop.
 * @used_idx: free-running index of the next used entry to fill; published
 *	to the driver by ulk_vq_publish().
 * @signalled_used: @used_idx when the driver was last interrupted.
 *
 * @lock: serialises every user of the ring contents (pop, push, enable,
 *	disable). Never held while calling into the kernel.
 * @dev: the device, for reporting a malformed ring.
 * @index: queue number, for messages.
 */
struct ulk_vq {
	uint16_t num;
	uint64_t desc_addr, avail_addr, used_addr;

	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	bool event_idx;
	bool indirect;

	int ready;
	uint16_t last_avail;
	uint16_t used_idx;
	uint16_t signalled_used;

	pthread_mutex_t lock;
	struct ulk_vmmio_dev *dev;
	unsigned int index;
};

/**
 * ulk_vq_set_memory() - the kernel's memory region; every ring and buffer
 * address must lie inside it.
 * @base: start address.
 * @size: size in bytes.
 */
void ulk_vq_set_memory(unsigned long base, unsigned long size);

void ulk_vq_init(struct ulk_vq *vq, struct ulk_vmmio_dev *dev,
		 unsigned int index);
int ulk_vq_enable(struct ulk_vq *vq, uint64_t features);
void ulk_vq_disable(struct ulk_vq *vq);
int ulk_vq_pop(struct ulk_vq *vq, struct ulk_vq_chain *chain);
void ulk_vq_unpop(struct ulk_vq *vq, unsigned int n);
void ulk_vq_push(struct ulk_vq *vq, uint16_t head, uint32_t len);
void ulk_vq_publish(struct ulk_vq *vq);
bool ulk_vq_should_interrupt(struct ulk_vq *vq);
bool ulk_vq_enable_kicks(struct ulk_vq *vq);
void ulk_vq_disable_kicks(struct ulk_vq *vq);
bool ulk_vq_has_avail(struct ulk_vq *vq);

#endif /* ULK_VIRTIO_VIRTQUEUE_H */
