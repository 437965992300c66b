/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network backends: where a virtio-net device's packets go and come from.
 *
 * A packet crossing a backend is one Ethernet frame preceded by the 12-byte
 * struct virtio_net_hdr_v1 (little endian), in both directions, so checksum
 * and segmentation offload metadata survive end to end. A backend embeds
 * struct ulk_net_backend and fills the operations table; the device
 * (lib/virtio/net.c) calls it from two threads:
 *
 *  - send() and tick() from whichever thread is running the device's
 *    transmit side: the kernel's own thread (holding the CPU token, inside
 *    a queue kick) or the device's I/O thread. The device serialises them:
 *    send() and tick() never run concurrently with each other.
 *  - recv() only from the device's I/O thread.
 *  - send() and recv() may run at the same time on the two threads.
 *
 * Nothing here may block: the kernel's CPU is held while send() runs.
 */
#ifndef ULK_NET_BACKEND_H
#define ULK_NET_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <ulk/netdev.h>

/* Size of the virtio-net header every packet starts with. */
#define ULK_NET_HDR_LEN		12
/*
 * Largest packet: header, then an Ethernet frame with a VLAN tag around
 * the largest IP packet (a 64 KiB TSO/GSO segment).
 */
#define ULK_NET_MAX_PACKET	(ULK_NET_HDR_LEN + 14 + 4 + 65535)

struct ulk_net_backend;

/**
 * struct ulk_net_backend_ops - operations of a backend.
 */
struct ulk_net_backend_ops {
	/**
	 * @send: transmit one packet (header + frame) given as @iovcnt
	 *	segments. Non-blocking. Returns the bytes sent (the whole
	 *	packet: a backend never sends part of one); -EAGAIN if it
	 *	cannot take the packet now (the caller keeps it and retries
	 *	when @fd is writable or tick() has run); -ENETDOWN if the
	 *	link cannot carry packets now but may again later (a TAP
	 *	whose host interface is down): the packet is dropped and the
	 *	caller reports a lost carrier until carrier() says it is
	 *	back; -EPIPE if the peer is gone for good; another negative
	 *	errno if the packet was not sent and will not be (the caller
	 *	counts it as dropped). The backend does not keep @iov after
	 *	returning (it copies what it must hold on to).
	 */
	ssize_t (*send)(struct ulk_net_backend *be, const struct iovec *iov,
			int iovcnt);
	/**
	 * @recv: receive one packet into @iovcnt segments. Non-blocking.
	 *	Returns its length (header included); a length larger than
	 *	the segments' total means it was truncated and the caller
	 *	drops it. -EAGAIN if none is waiting; -EPIPE if the peer is
	 *	gone for good (the caller stops receiving); another negative
	 *	errno for a failure that may pass.
	 */
	ssize_t (*recv)(struct ulk_net_backend *be, const struct iovec *iov,
			int iovcnt);
	/**
	 * @set_offload: the driver accepted these receive offloads
	 *	(ULK_NETDEV_OFFLOAD_RX_* of <ulk/netdev.h>): from now on
	 *	recv() may only return packets using them. Called on the
	 *	kernel's thread when the driver starts. May be NULL (the
	 *	backend then cannot limit what it receives). Returns 0 or a
	 *	negative errno.
	 */
	int (*set_offload)(struct ulk_net_backend *be, unsigned int offloads);
	/**
	 * @timeout_ms: how long the I/O thread may wait before calling
	 *	tick() and recv() again although @fd is not ready (held
	 *	packets coming due); -1 for no limit. May be NULL. Called by
	 *	the I/O thread, concurrently with send().
	 */
	int (*timeout_ms)(struct ulk_net_backend *be);
	/**
	 * @tick: send held packets that are due, and the rest of a packet
	 *	send() took but could write only in part. Returns 0, or
	 *	-EAGAIN if some could not be sent yet (retry when @fd is
	 *	writable), or -ENETDOWN or -EPIPE as send() would. Called
	 *	before the device transmits and again once its transmit queue
	 *	is empty, so that bytes a backend still holds make the device
	 *	wait for @fd to be writable. May be NULL.
	 */
	int (*tick)(struct ulk_net_backend *be);
	/**
	 * @why_gone: after send() or recv() returned -EPIPE, why the peer
	 *	is gone, in words, when the backend can say more than "peer
	 *	gone" (a stream peer that sent a bad frame length): a string
	 *	the backend keeps until close(), or NULL. Any thread. May be
	 *	NULL.
	 */
	const char *(*why_gone)(struct ulk_net_backend *be);
	/**
	 * @carrier: whether the link can carry packets now, looked at
	 *	without blocking: 1 yes, 0 no (a TAP whose host interface is
	 *	down). Called by the I/O thread (every CARRIER_POLL_MS while
	 *	the carrier is lost) and once when the device is made. May
	 *	be NULL: the link is always up but when send() says
	 *	otherwise.
	 */
	int (*carrier)(struct ulk_net_backend *be);
	/**
	 * @close: release everything, @be included. No other operation is
	 *	running or will run.
	 */
	void (*close)(struct ulk_net_backend *be);
};

/**
 * struct ulk_net_backend - a backend instance.
 * @ops: its operations.
 * @fd: descriptor to poll: readable when recv() may return a packet,
 *	writable when send() may accept one. Owned by the backend.
 * @offloads: ULK_NETDEV_OFFLOAD_* it can carry: a packet using one of them
 *	is delivered intact, header included.
 * @desc: what it is, for messages ("tap ulk0", "pipe fd 5").
 */
struct ulk_net_backend {
	const struct ulk_net_backend_ops *ops;
	int fd;
	unsigned int offloads;
	char desc[64];
};

int ulk_net_tap_open(const char *ifname, struct ulk_net_backend **out,
		     char *why, size_t why_len);
int ulk_net_pipe_fd(int fd, struct ulk_net_backend **out, char *why,
		    size_t why_len);
int ulk_net_pipe_path(const char *path, int role,
		      struct ulk_net_backend **out, char *why,
		      size_t why_len);
int ulk_net_stream_fd(int fd, struct ulk_net_backend **out, char *why,
		      size_t why_len);
int ulk_net_stream_path(const char *path, int listen,
			struct ulk_net_backend **out, char *why,
			size_t why_len);

/*
 * The stream backend's framing (QEMU's -netdev stream, passt's socket):
 * each frame is preceded by its length, 4 bytes big endian, and carries no
 * virtio-net header. A length outside [ULK_NET_STREAM_MIN_FRAME,
 * ULK_NET_STREAM_MAX_FRAME] cannot be a frame: the stream is out of sync.
 */
#define ULK_NET_STREAM_PREFIX		4
#define ULK_NET_STREAM_MIN_FRAME	14
#define ULK_NET_STREAM_MAX_FRAME	(ULK_NET_MAX_PACKET - ULK_NET_HDR_LEN)

ssize_t ulk_net_stream_decode(const void *buf, size_t len, size_t max_frame,
			      size_t *frame_len);
void ulk_net_stream_prefix(size_t frame_len,
			   unsigned char prefix[ULK_NET_STREAM_PREFIX]);

int ulk_net_impair_wrap(struct ulk_net_backend *inner,
			const struct ulk_netdev_impair *tx,
			const struct ulk_netdev_impair *rx,
			struct ulk_net_backend **out);
bool ulk_net_impair_active(const struct ulk_netdev_impair *imp);
void ulk_net_impair_stats(struct ulk_net_backend *be,
			  struct ulk_netdev_impair_stats *tx,
			  struct ulk_netdev_impair_stats *rx);

#endif /* ULK_NET_BACKEND_H */
