// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the virtqueue and virtio-net device model fed hostile
 * rings (lib/virtio/virtqueue.c, net.c, and the register model mmio.c).
 *
 * The driver is the attacker here: a guest kernel, or ulk's own kernel
 * gone wrong, controls every byte of the rings and of the register
 * writes. The harness maps guest memory at GUEST_BASE (guard pages on both
 * sides, so any access the device makes outside it faults), fills it from
 * the input, sets the device up through its registers with sizes,
 * addresses and features from the input, and then runs a script of driver
 * actions: transmit kicks, receive passes, avail index bumps, pokes at
 * ring memory between passes (a driver racing the device), register
 * reads and writes, resets. Descriptor tables may hold indices out of
 * range, loops, lengths beyond memory, chains too long, indirect tables
 * nested or inside chains; the device must reject them all, mark itself
 * broken, and never read or write outside guest memory.
 *
 * The backend is a recorder: every buffer the device hands it must lie
 * inside guest memory, and it reads (transmit) or writes (receive) all of
 * it, so that ASan and the guard pages see any stray access. Once the
 * device is broken, nothing but the driver may change guest memory.
 *
 * Input: struct vq_input, then @nops actions of 4 bytes, then the memory
 * image (at most MEM_SIZE bytes; the rest of memory is zero).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "fuzz.h"
#include "guest.h"
#include "hostutil.h"
#include "net/backend.h"
#include "virtio/mmio.h"
#include "virtio/net.h"

#define MEM_SIZE	(32 << 10)
#define MAX_OPS		64

/* The input's fixed part, little endian. */
struct vq_input {
	uint8_t features[8];	/* driver features, written as they are */
	uint8_t offloads[2];	/* ULK_NETDEV_OFFLOAD_* offered */
	uint8_t mtu[2];
	struct {
		uint8_t num[2];
		uint8_t desc[4], avail[4], used[4];
	} q[2];			/* receive, transmit */
	uint8_t nops;
} __attribute__((packed));

enum op {
	OP_KICK_TX,		/* QueueNotify 1: the device transmits */
	OP_RX,			/* a packet waits: a receive pass */
	OP_KICK_RX,		/* QueueNotify 0: buffers added */
	OP_AVAIL_BUMP,		/* avail->idx of queue a&1 += b */
	OP_POKE,		/* memory[a | b << 8] = c */
	OP_RESET,		/* Status 0, then set up again */
	OP_READ,		/* register (a | b << 8) & 0xffc */
	OP_WRITE,		/* register a * 4 = b | c << 8 */
	OP_BACKEND,		/* the backend answers a % 4 from now on */
	OP_IDLE,		/* an idle thread claims and releases input */
	OP_COUNT
};

/* The backend: checks and touches every buffer. */
struct recorder {
	struct ulk_net_backend be;
	int answer;		/* 0, or the negative errno to return */
	const uint8_t *rx;	/* the packet a receive pass gets */
	size_t rx_len;
	unsigned int sum;
};

static unsigned char *mem;
static unsigned char snapshot[MEM_SIZE];

static void check_iov(const struct iovec *iov, int n)
{
	uintptr_t lo = (uintptr_t)mem, hi = lo + MEM_SIZE;
	int i;

	fuzz_check(n > 0 && n <= 2 * ULK_VQ_MAX_SEGS);
	for (i = 0; i < n; i++) {
		uintptr_t b = (uintptr_t)iov[i].iov_base;

		fuzz_check(b >= lo && b <= hi && iov[i].iov_len <= hi - b);
	}
}

static ssize_t rec_send(struct ulk_net_backend *be, const struct iovec *iov,
			int iovcnt)
{
	struct recorder *r = (struct recorder *)be;
	size_t len = ulk_iov_total(iov, iovcnt), k;
	int i;

	check_iov(iov, iovcnt);
	fuzz_check(len >= ULK_NET_HDR_LEN && len <= ULK_NET_MAX_PACKET);
	for (i = 0; i < iovcnt; i++)
		for (k = 0; k < iov[i].iov_len; k++)
			r->sum += ((const unsigned char *)iov[i].iov_base)[k];
	return r->answer ? r->answer : (ssize_t)len;
}

static ssize_t rec_recv(struct ulk_net_backend *be, const struct iovec *iov,
			int iovcnt)
{
	struct recorder *r = (struct recorder *)be;
	size_t len = r->rx_len;

	if (!r->rx)
		return -EAGAIN;
	check_iov(iov, iovcnt);
	if (r->answer && r->answer != -ENOBUFS) {
		r->rx = NULL;
		return r->answer;
	}
	/* Fill every buffer, as a datagram larger than all of them would. */
	if (len > ulk_iov_total(iov, iovcnt))
		ulk_iov_copy(iov, iovcnt, 0, (void *)r->rx,
			     ulk_iov_total(iov, iovcnt), true);
	else
		ulk_iov_copy(iov, iovcnt, 0, (void *)r->rx, len, true);
	r->rx = NULL;
	return (ssize_t)len;
}

static void rec_close(struct ulk_net_backend *be)
{
	free(be);
}

static const struct ulk_net_backend_ops rec_ops = {
	.send = rec_send,
	.recv = rec_recv,
	.close = rec_close,
};

static uint16_t le16(const uint8_t *b)
{
	return b[0] | b[1] << 8;
}

static uint32_t le32(const uint8_t *b)
{
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static void start(struct ulk_vmmio_dev *dev, const struct vq_input *in)
{
	struct guest_queue q[2];
	uint64_t features = 0;
	int i;

	for (i = 7; i >= 0; i--)
		features = features << 8 | in->features[i];
	for (i = 0; i < 2; i++) {
		q[i].num = le16(in->q[i].num);
		q[i].desc = le32(in->q[i].desc);
		q[i].avail = le32(in->q[i].avail);
		q[i].used = le32(in->q[i].used);
	}
	guest_driver_start(dev, features, q, 2);
}

/* A packet for a receive pass: guest memory bytes, as good as any. */
static void rx_pass(struct ulk_vmmio_dev *dev, struct recorder *r,
		    const uint8_t *op)
{
	static uint8_t pkt[ULK_NET_MAX_PACKET + 64];
	size_t len = (size_t)(op[1] | op[2] << 8) << (op[3] & 1 ? 1 : 0);
	size_t from = (size_t)(op[3] >> 1) * 256;

	if (len > sizeof(pkt))
		len = sizeof(pkt);
	memset(pkt, 0, len);
	if (from < MEM_SIZE)
		memcpy(pkt, mem + from,
		       len < MEM_SIZE - from ? len : MEM_SIZE - from);
	r->rx = pkt;
	r->rx_len = len;
	dev->ops->idle_run(dev);
	r->rx = NULL;
}

static void run_op(struct ulk_vmmio_dev *dev, struct recorder *r,
		   const struct vq_input *in, const uint8_t *op)
{
	struct ulk_vq *vq;
	uint16_t idx;

	switch (op[0] % OP_COUNT) {
	case OP_KICK_TX:
		guest_reg_write(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
		break;
	case OP_RX:
		rx_pass(dev, r, op);
		break;
	case OP_KICK_RX:
		guest_reg_write(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		break;
	case OP_AVAIL_BUMP:
		/* The driver's own store, where it put its ring. */
		vq = &dev->vqs[op[1] & 1];
		if (vq->avail_addr >= (uintptr_t)mem &&
		    vq->avail_addr + 4 <= (uintptr_t)mem + MEM_SIZE) {
			/* Bytes: the driver may have put it anywhere. */
			unsigned char *p =
				(void *)(uintptr_t)(vq->avail_addr + 2);

			idx = (uint16_t)((p[0] | p[1] << 8) + op[2]);
			p[0] = idx & 0xff;
			p[1] = idx >> 8;
		}
		break;
	case OP_POKE:
		mem[(op[1] | op[2] << 8) % MEM_SIZE] = op[3];
		break;
	case OP_RESET:
		guest_reg_write(dev, VIRTIO_MMIO_STATUS, 0);
		if (op[1] & 1)
			start(dev, in);
		break;
	case OP_READ:
		(void)ulk_vmmio_read(dev->base + ((op[1] | op[2] << 8) & 0xfff),
				     1 << (op[3] & 3));
		break;
	case OP_WRITE:
		ulk_vmmio_write(dev->base + op[1] * 4u, 4, op[2] | op[3] << 8);
		break;
	case OP_BACKEND: {
		static const int answers[] = { 0, -EAGAIN, -EPIPE, -ENOBUFS };

		r->answer = answers[op[1] % 4];
		break;
	}
	case OP_IDLE:
		if (dev->ops->idle_claim(dev) >= 0 && (op[1] & 1))
			dev->ops->idle_run(dev);
		dev->ops->idle_release(dev);
		break;
	}
}

/*
 * Whether action @op is the driver's own doing on memory or state (a
 * poke, a bump, a reset, a register write): the others must leave a
 * broken device's memory alone, as "stops touching the queue" says.
 */
static bool driver_op(uint8_t op)
{
	switch (op % OP_COUNT) {
	case OP_AVAIL_BUMP:
	case OP_POKE:
	case OP_RESET:
	case OP_WRITE:
		return true;
	default:
		return false;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	mem = guest_map(MEM_SIZE);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char mac[6] = { 2, 0, 0, 0, 0, 1 };
	const struct vq_input *in = (const void *)data;
	size_t ops_len, image;
	struct ulk_vmmio_dev *dev;
	struct recorder *r;
	struct ulk_vnet *vn;
	unsigned int i, mtu;

	if (size < sizeof(*in))
		return 0;
	ops_len = (size_t)(in->nops % (MAX_OPS + 1)) * 4;
	if (size - sizeof(*in) < ops_len)
		return 0;
	image = size - sizeof(*in) - ops_len;
	memset(mem, 0, MEM_SIZE);
	memcpy(mem, data + sizeof(*in) + ops_len,
	       image < MEM_SIZE ? image : MEM_SIZE);

	r = calloc(1, sizeof(*r));
	fuzz_check(r);
	r->be.ops = &rec_ops;
	r->be.fd = -1;
	r->be.offloads = ULK_NETDEV_OFFLOAD_ALL;
	snprintf(r->be.desc, sizeof(r->be.desc), "recorder");
	mtu = le16(in->mtu);
	if (ulk_vnet_create(&r->be, mac, mtu < 68 ? 1500 : mtu,
			    le16(in->offloads), &vn)) {
		free(r);
		return 0;
	}
	dev = ulk_vnet_mmio(vn);
	snprintf(dev->name, sizeof(dev->name), "fuzz0");
	fuzz_check(!ulk_vmmio_register(dev));
	start(dev, in);
	for (i = 0; i < ops_len; i += 4) {
		const uint8_t *op = data + sizeof(*in) + i;
		bool still = ulk_vmmio_is_broken(dev) && !driver_op(op[0]);

		if (still)
			memcpy(snapshot, mem, MEM_SIZE);
		run_op(dev, r, in, op);
		if (still)
			fuzz_check(!memcmp(snapshot, mem, MEM_SIZE));
	}
	guest_report(vn);
	/* The driver's last reset, as at shutdown; then it is gone. */
	guest_reg_write(dev, VIRTIO_MMIO_STATUS, 0);
	ulk_vmmio_unregister(dev);
	ulk_vnet_destroy(vn);
	return 0;
}
