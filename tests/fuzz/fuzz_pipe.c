// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: datagrams from a hostile pipe peer through the pipe
 * backend (lib/net/pipe.c) and the device's receive path (lib/virtio/
 * net.c: truncation and runt checks, the virtio-net header's offload
 * checks and checksum completion, mergeable buffers), optionally through
 * the impairment filter (lib/net/impair.c) in between.
 *
 * The peer is the attacker: the other ulk process on a pipe, or any local
 * process that can reach a named pipe's socket. Its datagrams carry a
 * virtio-net header the device takes as it comes: every field may be out
 * of range (unknown flags and GSO types, gso_size 0, csum_start and
 * csum_offset beyond the frame, a header cut short). The harness is a
 * well-behaved driver: it negotiates the features the input names, keeps
 * the receive ring full of buffers, and checks what the device hands it
 * against what the device promised at negotiation: no partial checksum to
 * a driver without GUEST_CSUM, no TSO packet it did not accept, lengths
 * within the buffers, num_buffers matching the buffers used. On a named
 * pipe, datagrams from a stranger's socket must never reach it.
 *
 * Input: struct pipe_input, then datagrams: a flags byte (bit 0: sent by
 * a stranger; bit 1: transmitted by the guest instead; bit 7: 64 KiB
 * larger), a 16-bit little endian length, and that many bytes (fewer at
 * the end of the input: the rest is filler).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "fuzz.h"
#include "guest.h"
#include "net/backend.h"
#include "virtio/mmio.h"
#include "virtio/net.h"

#define MEM_SIZE	(512 << 10)
#define RX_NUM		256
#define TX_NUM		16
#define RX_DESC		0x0000
#define RX_AVAIL	0x1000
#define RX_USED		0x2000
#define TX_DESC		0x3000
#define TX_AVAIL	0x3400
#define TX_USED		0x3800
#define TX_BUF		0x4000		/* 64 KiB + header */
#define RX_BUF		0x18000
#define PAGE		4096

#define F(bit)		(1ULL << (bit))

struct pipe_input {
	uint8_t features[4];	/* VIRTIO_NET_F_* bits the driver takes */
	uint8_t mode;		/* bit 0 named, 1 impaired, 2 seqpacket */
	uint8_t rates[4];	/* receive impairment, 256ths */
} __attribute__((packed));

/* One receive chain the driver posted. */
struct chain {
	uint32_t cap;
	uint64_t addr;		/* of its first buffer */
	bool posted;
};

static unsigned char *mem;
static char dir[64];
static struct chain chains[RX_NUM];

/* The driver's view of the negotiation and of the rings. */
struct driver {
	uint64_t features;
	bool mergeable;
	uint16_t avail_idx, used_seen;
	uint16_t tx_idx;
	unsigned int delivered;
};

static void *at(uint32_t off)
{
	return mem + off;
}

static void post(struct driver *drv, uint16_t head)
{
	struct vring_avail *a = at(RX_AVAIL);

	a->ring[drv->avail_idx % RX_NUM] = htole16(head);
	drv->avail_idx++;
	__atomic_store_n(&a->idx, htole16(drv->avail_idx), __ATOMIC_RELEASE);
	chains[head].posted = true;
}

/*
 * Receive buffers as virtio_net lays them out: page-sized ones with
 * MRG_RXBUF; else, with TSO, "big packets" of 17 chained pages; else one
 * buffer per packet.
 */
static void fill_rx(struct driver *drv)
{
	struct vring_desc *d = at(RX_DESC);
	bool big = !drv->mergeable &&
		   (drv->features & (F(VIRTIO_NET_F_GUEST_TSO4) |
				     F(VIRTIO_NET_F_GUEST_TSO6)));
	unsigned int per = big ? 17 : 1, n = big ? 6 : 96, i, k;
	uint32_t size = drv->mergeable || big ? PAGE : 2048;

	memset(chains, 0, sizeof(chains));
	for (i = 0; i < n; i++) {
		for (k = 0; k < per; k++) {
			unsigned int j = i * per + k;

			d[j].addr = htole64(GUEST_BASE + RX_BUF +
					    (uint64_t)j * size);
			d[j].len = htole32(size);
			d[j].flags = htole16(VRING_DESC_F_WRITE |
					     (k + 1 < per ?
					      VRING_DESC_F_NEXT : 0));
			d[j].next = htole16(j + 1);
		}
		chains[i * per].cap = per * size;
		chains[i * per].addr = GUEST_BASE + RX_BUF +
				       (uint64_t)i * per * size;
		post(drv, (uint16_t)(i * per));
	}
}

/* What the device promised: check one packet's header. */
static void check_header(const struct driver *drv,
			 const struct virtio_net_hdr_v1 *h, uint32_t len)
{
	uint8_t gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	fuzz_check(len >= ULK_NET_HDR_LEN + 14 && len <= ULK_NET_MAX_PACKET);
	fuzz_check(!(h->flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM |
				  VIRTIO_NET_HDR_F_DATA_VALID)));
	if (!(drv->features & F(VIRTIO_NET_F_GUEST_CSUM)))
		fuzz_check(!(h->flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM |
					 VIRTIO_NET_HDR_F_DATA_VALID)));
	if (gso == VIRTIO_NET_HDR_GSO_TCPV4)
		fuzz_check(drv->features & F(VIRTIO_NET_F_GUEST_TSO4));
	else if (gso == VIRTIO_NET_HDR_GSO_TCPV6)
		fuzz_check(drv->features & F(VIRTIO_NET_F_GUEST_TSO6));
	else
		fuzz_check(gso == VIRTIO_NET_HDR_GSO_NONE);
	if (h->gso_type & VIRTIO_NET_HDR_GSO_ECN)
		fuzz_check(gso != VIRTIO_NET_HDR_GSO_NONE &&
			   (drv->features & F(VIRTIO_NET_F_GUEST_ECN)));
}

/* Take the packets the device completed, check them, give buffers back. */
static void reap(struct ulk_vmmio_dev *dev, struct driver *drv)
{
	struct vring_used *u = at(RX_USED);
	uint16_t idx = le16toh(__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE));

	fuzz_check((uint16_t)(idx - drv->used_seen) <= RX_NUM);
	while (drv->used_seen != idx) {
		struct vring_used_elem *e = &u->ring[drv->used_seen % RX_NUM];
		uint32_t id = le32toh(e->id), len = le32toh(e->len), n, k;
		struct virtio_net_hdr_v1 h;

		fuzz_check(id < RX_NUM && chains[id].posted);
		fuzz_check(len <= chains[id].cap);
		memcpy(&h, mem + (chains[id].addr - GUEST_BASE), sizeof(h));
		n = drv->mergeable ? le16toh(h.num_buffers) : 1;
		fuzz_check(n >= 1 && n <= (uint16_t)(idx - drv->used_seen));
		for (k = 1; k < n; k++) {
			e = &u->ring[(drv->used_seen + k) % RX_NUM];
			fuzz_check(le32toh(e->id) < RX_NUM &&
				   chains[le32toh(e->id)].posted);
			fuzz_check(le32toh(e->len) <=
				   chains[le32toh(e->id)].cap);
			len += le32toh(e->len);
		}
		check_header(drv, &h, len);
		for (k = 0; k < n; k++) {
			e = &u->ring[drv->used_seen % RX_NUM];
			chains[le32toh(e->id)].posted = false;
			post(drv, (uint16_t)le32toh(e->id));
			drv->used_seen++;
		}
		drv->delivered++;
	}
	guest_reg_write(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

/* The guest transmits @pkt; the peer must get it as it was. */
static void transmit(struct ulk_vmmio_dev *dev, struct driver *drv, int peer,
		     const uint8_t *pkt, size_t len, bool exact)
{
	static uint8_t got[ULK_NET_MAX_PACKET + 1];
	struct vring_desc *d = at(TX_DESC);
	struct vring_avail *a = at(TX_AVAIL);
	struct vring_used *u = at(TX_USED);
	ssize_t n;

	/* One buffer in flight: the device must have returned the last. */
	if (drv->tx_idx != le16toh(__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE)))
		return;
	if (len > ULK_NET_MAX_PACKET)
		len = ULK_NET_MAX_PACKET;
	memcpy(at(TX_BUF), pkt, len);
	d[0].addr = htole64(GUEST_BASE + TX_BUF);
	d[0].len = htole32((uint32_t)len);
	d[0].flags = 0;
	a->ring[drv->tx_idx % TX_NUM] = 0;
	drv->tx_idx++;
	__atomic_store_n(&a->idx, htole16(drv->tx_idx), __ATOMIC_RELEASE);
	guest_reg_write(dev, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	n = recv(peer, got, sizeof(got), MSG_DONTWAIT);
	if (len < ULK_NET_HDR_LEN || !exact) {
		fuzz_check(n < 0 || (size_t)n <= ULK_NET_MAX_PACKET);
		return;
	}
	/* Named pipes drop until connected; a datagram socket passes. */
	if (n >= 0)
		fuzz_check((size_t)n == len && !memcmp(got, pkt, len));
}

/* Socket bound to @name in the work directory; -1 if it cannot be. */
static int bound(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int snd = 1 << 20;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, name);
	unlink(sa.sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	return fd;
}

static void send_to_a(int fd, const uint8_t *pkt, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/p.a", dir);
	(void)sendto(fd, pkt, len, MSG_DONTWAIT, (struct sockaddr *)&sa,
		     sizeof(sa));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	mem = guest_map(MEM_SIZE);
	snprintf(dir, sizeof(dir), "/tmp/ulk-fuzz-pipe-XXXXXX");
	fuzz_check(mkdtemp(dir));
	return 0;
}

/* The backend for @mode; its peer's socket in *@peer. NULL if none. */
static struct ulk_net_backend *backend(const struct pipe_input *in,
				       int *peer, int *stranger)
{
	struct ulk_netdev_impair rx = { 0 }, tx = { 0 };
	struct ulk_net_backend *be, *f;
	char path[128], why[128];
	int sv[2];

	*peer = *stranger = -1;
	if (in->mode & 1) {
		snprintf(path, sizeof(path), "%s/p", dir);
		if (ulk_net_pipe_path(path, ULK_NETDEV_PIPE_A, &be, why,
				      sizeof(why)))
			return NULL;
		/* Bound after: the backend stays unconnected, as at start. */
		*peer = bound("p.b");
		*stranger = bound("s");
	} else {
		if (socketpair(AF_UNIX, (in->mode & 4 ? SOCK_SEQPACKET :
					 SOCK_DGRAM) | SOCK_CLOEXEC, 0, sv))
			return NULL;
		if (ulk_net_pipe_fd(sv[0], &be, why, sizeof(why))) {
			close(sv[0]);
			close(sv[1]);
			return NULL;
		}
		*peer = sv[1];
	}
	if (!(in->mode & 2))
		return be;
	rx.drop = in->rates[0] / 256.0;
	rx.duplicate = in->rates[1] / 256.0;
	rx.reorder = in->rates[2] / 256.0;
	rx.corrupt = in->rates[3] / 256.0;
	rx.seed = in->rates[0] ^ in->rates[3] << 8;
	if (ulk_net_impair_wrap(be, &tx, &rx, &f)) {
		be->ops->close(be);
		return NULL;
	}
	return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char mac[6] = { 2, 0, 0, 0, 0, 1 };
	static uint8_t pkt[ULK_NET_MAX_PACKET + 65536];
	const struct pipe_input *in = (const void *)data;
	struct guest_queue q[2] = {
		{ RX_NUM, GUEST_BASE + RX_DESC, GUEST_BASE + RX_AVAIL,
		  GUEST_BASE + RX_USED },
		{ TX_NUM, GUEST_BASE + TX_DESC, GUEST_BASE + TX_AVAIL,
		  GUEST_BASE + TX_USED },
	};
	struct driver drv = { 0 };
	size_t pos = sizeof(*in), len, have;
	unsigned int sent = 0;
	struct ulk_net_backend *be;
	struct ulk_vmmio_dev *dev;
	struct ulk_vnet *vn;
	int peer, stranger;
	uint8_t flags;

	if (size < sizeof(*in))
		return 0;
	be = backend(in, &peer, &stranger);
	if (!be)
		return 0;
	if (ulk_vnet_create(be, mac, 1500, ULK_NETDEV_OFFLOAD_ALL, &vn)) {
		be->ops->close(be);
		goto out;
	}
	dev = ulk_vnet_mmio(vn);
	snprintf(dev->name, sizeof(dev->name), "fuzz0");
	fuzz_check(!ulk_vmmio_register(dev));
	memset(mem, 0, RX_BUF);
	drv.features = F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_EVENT_IDX) |
		       F(VIRTIO_RING_F_INDIRECT_DESC) | F(VIRTIO_NET_F_MAC) |
		       F(VIRTIO_NET_F_MTU) | F(VIRTIO_NET_F_STATUS);
	drv.features |= (in->features[0] | in->features[1] << 8 |
			 (uint32_t)in->features[2] << 16) & dev->features;
	drv.mergeable = drv.features & F(VIRTIO_NET_F_MRG_RXBUF);
	fill_rx(&drv);
	guest_driver_start(dev, drv.features, q, 2);

	while (pos + 3 <= size) {
		flags = data[pos];
		len = (data[pos + 1] | data[pos + 2] << 8) +
		      (flags & 0x80 ? 65536 : 0);
		pos += 3;
		have = size - pos < len ? size - pos : len;
		memcpy(pkt, data + pos, have);
		memset(pkt + have, 0x5a, len - have);
		pos += have;
		if (flags & 2) {
			transmit(dev, &drv, peer, pkt, len, !(in->mode & 2));
			continue;
		}
		if ((flags & 1) && stranger >= 0) {
			send_to_a(stranger, pkt, len);
		} else if (in->mode & 1) {
			send_to_a(peer, pkt, len);
			sent++;
		} else {
			if (send(peer, pkt, len, MSG_DONTWAIT) == (ssize_t)len)
				sent++;
		}
		dev->ops->idle_run(dev);
		reap(dev, &drv);
		dev->ops->idle_run(dev);
		reap(dev, &drv);
	}
	/* Without impairment (duplicates), only the peer's get through. */
	if (!(in->mode & 2))
		fuzz_check(drv.delivered <= sent);
	guest_report(vn);
	guest_reg_write(dev, VIRTIO_MMIO_STATUS, 0);
	ulk_vmmio_unregister(dev);
	ulk_vnet_destroy(vn);
out:
	if (peer >= 0)
		close(peer);
	if (stranger >= 0)
		close(stranger);
	return 0;
}
