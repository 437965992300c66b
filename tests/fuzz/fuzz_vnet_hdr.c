// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the virtio-net header path of the impairment filter
 * (lib/net/impair.c), which reads the header of every packet either way
 * and, for a TSO packet, parses its Ethernet, IP and TCP headers and cuts
 * it into wire segments.
 *
 * Packets come from both sides an attacker holds: transmitted ones from
 * the guest (the kernel's driver writes the header; a hostile or buggy
 * one writes anything), received ones from the backend's peer (a pipe
 * peer, whatever is on the TAP's far side). The filter sits between the
 * device and a real backend; here the real backend is a recorder that
 * checks what the filter hands it and feeds it received packets.
 *
 * Input: 10 bytes of settings (drop, duplicate, reorder and corrupt
 * rates of each direction, in 256ths, and a seed), then packets, each a
 * flags byte (bit 0: received rather than sent; bits 1-3: into how many
 * buffers it is split; bits 4-6: the receive buffer's size, or bit 4 for
 * a send: the real backend is full; bit 7: 64 KiB longer), a 16-bit
 * little endian length and that many bytes (a virtio-net header, then a
 * frame; what the input lacks is filler, so short inputs make 64 KiB TSO
 * packets).
 *
 * Checked: the filter only reads and writes inside the buffers it is
 * given (ASan), reads every byte it hands on (no stale or freed buffer),
 * passes on no packet larger than the largest packet, and never turns one
 * packet into more than twice MAX_SEGS (256); held packets are freed at
 * close (LeakSanitizer).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <linux/virtio_net.h>

#include "fuzz.h"
#include "hostutil.h"
#include "net/backend.h"

#define MAX_OUT		(2 * 256 + 2)	/* two per wire segment at most */

/* The real backend under the filter: records sends, feeds receives. */
struct recorder {
	struct ulk_net_backend be;
	unsigned int sent;		/* packets passed on for one input */
	const uint8_t *rx_pkt;		/* the packet recv() delivers next */
	size_t rx_len;
	bool full;			/* send() answers -EAGAIN */
	unsigned int checksum;		/* of the bytes sent */
};

static ssize_t rec_send(struct ulk_net_backend *be, const struct iovec *iov,
			int iovcnt)
{
	struct recorder *r = (struct recorder *)be;
	size_t len = ulk_iov_total(iov, iovcnt), i, k;
	unsigned int sum = 0;

	if (r->full)
		return -EAGAIN;
	fuzz_check(len <= ULK_NET_MAX_PACKET);
	fuzz_check(++r->sent <= MAX_OUT);
	/* Read it all, as a backend would: ASan sees a stale buffer. */
	for (i = 0; i < (size_t)iovcnt; i++)
		for (k = 0; k < iov[i].iov_len; k++)
			sum += ((const unsigned char *)iov[i].iov_base)[k];
	r->checksum += sum;
	return len;
}

static ssize_t rec_recv(struct ulk_net_backend *be, const struct iovec *iov,
			int iovcnt)
{
	struct recorder *r = (struct recorder *)be;
	size_t len = r->rx_len;

	if (!r->rx_pkt)
		return -EAGAIN;
	/* As a datagram socket with MSG_TRUNC: the whole length. */
	ulk_iov_copy(iov, iovcnt, 0, (void *)r->rx_pkt, len, true);
	r->rx_pkt = NULL;
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

/*
 * Point @nseg buffers at consecutive parts of @buf (the last ones may be
 * empty, as iovecs may).
 */
static int split(uint8_t *buf, size_t len, unsigned int nseg,
		 struct iovec *iov)
{
	size_t off = 0, seg;
	unsigned int i;

	for (i = 0; i < nseg; i++) {
		seg = i + 1 == nseg ? len - off : (len - off) / 2;
		iov[i].iov_base = buf + off;
		iov[i].iov_len = seg;
		off += seg;
	}
	return (int)nseg;
}

static void rates(struct ulk_netdev_impair *imp, const uint8_t *b,
		  uint8_t seed)
{
	memset(imp, 0, sizeof(*imp));
	imp->drop = b[0] / 256.0;
	imp->duplicate = b[1] / 256.0;
	imp->reorder = b[2] / 256.0;
	imp->corrupt = b[3] / 256.0;
	imp->seed = seed;
}

static void one_send(struct ulk_net_backend *f, struct recorder *r,
		     uint8_t *pkt, size_t len, unsigned int nseg, bool full)
{
	struct iovec iov[8];
	ssize_t n;
	int cnt;

	/* The device sends nothing outside these (tx_drain_locked()). */
	if (len < ULK_NET_HDR_LEN || len > ULK_NET_MAX_PACKET)
		return;
	cnt = split(pkt, len, nseg, iov);
	r->sent = 0;
	r->full = full;
	n = f->ops->send(f, iov, cnt);
	fuzz_check(n == (ssize_t)len || n == -EAGAIN || n == -ENOMEM ||
		   (full && n == -EAGAIN));
	r->full = false;
	r->sent = 0;
	if (f->ops->tick)
		fuzz_check(f->ops->tick(f) == 0);
}

static void one_recv(struct ulk_net_backend *f, struct recorder *r,
		     const uint8_t *pkt, size_t len, unsigned int nseg,
		     size_t cap, bool active)
{
	struct iovec iov[8];
	uint8_t *buf;
	ssize_t n;
	int cnt, rounds;

	r->rx_pkt = pkt;
	r->rx_len = len;
	buf = calloc(1, cap);
	fuzz_check(buf);
	cnt = split(buf, cap, nseg, iov);
	for (rounds = 0; rounds < MAX_OUT + 2; rounds++) {
		n = f->ops->recv(f, iov, cnt);
		if (n == -EAGAIN)
			break;
		fuzz_check(n >= 0 || n == -ENOMEM);
		/* Unimpaired, recv() is the backend's: larger is truncated. */
		fuzz_check(!active || n <= ULK_NET_MAX_PACKET);
	}
	fuzz_check(rounds < MAX_OUT + 2);
	r->rx_pkt = NULL;
	free(buf);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Receive buffer sizes: largest packet, MTU-sized, odd, tiny. */
	static const size_t caps[8] = {
		ULK_NET_MAX_PACKET, ULK_NET_HDR_LEN + 1518, 4096, 65536,
		ULK_NET_HDR_LEN + 14, ULK_NET_HDR_LEN, 1,
		ULK_NET_MAX_PACKET + 1,
	};
	struct ulk_netdev_impair tx, rx;
	struct ulk_net_backend *f;
	struct recorder *r;
	size_t pos = 10, len, have;
	uint8_t flags, *pkt;

	if (size < 10)
		return 0;
	rates(&tx, data, data[8]);
	rates(&rx, data + 4, data[9]);
	r = calloc(1, sizeof(*r));
	fuzz_check(r);
	r->be.ops = &rec_ops;
	r->be.fd = -1;
	r->be.offloads = ULK_NETDEV_OFFLOAD_ALL;
	if (ulk_net_impair_wrap(&r->be, &tx, &rx, &f)) {
		free(r);
		return 0;
	}
	while (pos + 3 <= size) {
		flags = data[pos];
		len = data[pos + 1] | data[pos + 2] << 8;
		pos += 3;
		/* Short inputs stand for large packets: the rest is filler. */
		if (flags & 0x80)
			len += 65536;
		have = size - pos < len ? size - pos : len;
		pkt = malloc(len ? len : 1);
		fuzz_check(pkt);
		memcpy(pkt, data + pos, have);
		memset(pkt + have, 0x5a, len - have);
		pos += have;
		if (flags & 1)
			one_recv(f, r, pkt, len, 1 + ((flags >> 1) & 7),
				 caps[(flags >> 4) & 7],
				 ulk_net_impair_active(&rx));
		else
			one_send(f, r, pkt, len, 1 + ((flags >> 1) & 7),
				 (flags >> 4) & 1);
		free(pkt);	/* the filter must have copied what it keeps */
	}
	f->ops->close(f);
	return 0;
}
