// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net device model: the card the kernel's virtio_net driver drives,
 * moving packets between its virtqueues and a backend (lib/net/).
 *
 * Theory of operation
 * -------------------
 * One receive queue (0) and one transmit queue (1); no control queue. The
 * features offered are VERSION_1, EVENT_IDX, INDIRECT_DESC, MAC, STATUS,
 * MTU, and the offloads the options ask for and the backend can carry
 * (CSUM, GUEST_CSUM, HOST/GUEST_TSO4/6, HOST/GUEST_ECN, MRG_RXBUF). Every
 * packet starts with the 12-byte virtio-net header, which the backend
 * carries as it is.
 *
 * Transmit. A kick on the transmit queue arrives on the kernel's thread
 * while it holds the CPU token, inside the driver's start_xmit. The device
 * transmits right there: pop a chain, hand its buffers to the backend's
 * non-blocking send(), return the chain, publish, and interrupt the driver
 * if it asked (the interrupt is only marked pending on this thread and runs
 * when the kernel re-enables interrupts). If the backend is full (-EAGAIN)
 * the chain is given back, kicks stay suppressed, and the device's I/O
 * thread takes over: it waits for the backend to become writable and
 * drains the queue itself. Both threads go through tx_run(), which takes
 * the queue's lock with trylock only and leaves a "pending" mark when the
 * other thread holds it; the holder re-checks the mark after unlocking, so
 * a kick is never lost and the kernel's thread never waits.
 *
 * Receive. The I/O thread polls the backend's descriptor and an eventfd
 * (wake-ups and stop). For each packet it takes enough available chains to
 * hold the largest packet the driver may get (with MRG_RXBUF a 64 KiB
 * segment spreads over page-sized buffers; without it one chain is either
 * a "big packet" of 64 KiB or an MTU-sized buffer), receives straight into
 * them with one recv(), returns the chains the packet filled (writing
 * num_buffers into its header), and keeps the rest for the next packet.
 * After a batch it raises the interrupt if the driver wants one; raised
 * from this thread, the interrupt usually runs the driver's NAPI poll, GRO
 * and TCP right here (ulk's direct IRQ). With no buffer left, the thread
 * stops polling the backend (packets wait there; nothing is dropped),
 * asks the driver to kick, and sleeps until the kick on queue 0 wakes it.
 *
 * Run-to-completion. A thread that leaves the kernel's CPU to idle (an
 * application thread blocking in recv, say) would otherwise wait on its
 * semaphore until the I/O thread, woken by the packet, wakes it in turn:
 * two host wake-ups, often across vCPUs, on every request's path. Instead
 * that thread may claim the device's input (vnet_idle_claim(), through the
 * host operations' sem_down_idle): it polls the backend's descriptor
 * itself and runs the receive pass (rx_run()) when it is readable, which
 * raises the interrupt on that same thread; the packet that wakes its task
 * then needs no other thread at all. While it is claimed the I/O thread
 * keeps the backend out of its epoll set (rx_elsewhere) without being
 * woken: another thread may change an epoll set's interest list while its
 * owner waits. On release the backend goes back into the set, and if input
 * is already waiting the I/O thread wakes for it: nothing is left unread.
 * Receive passes from both threads are serialised by the receive queue's
 * lock, as before.
 *
 * Carrier. The link status in the configuration space follows the
 * backend: a backend that cannot carry packets for now (a TAP whose host
 * interface is down: its writes fail with EIO) makes send() return
 * -ENETDOWN; the device then reports the carrier lost (status 0 and a
 * configuration interrupt, so the driver takes the carrier off and the
 * kernel stops transmitting), says so once, and its I/O thread asks the
 * backend's carrier() every CARRIER_POLL_MS until the link is back, when
 * it restores the status and says so. A backend gone for good (-EPIPE)
 * takes the link down for good instead (backend_died()). A device whose
 * backend has no carrier when it is made starts with the link down.
 *
 * Offload checks on receive. A packet from the backend that uses an offload
 * the driver did not accept is fixed up when it can be (a partial checksum
 * is completed) and dropped and counted when it cannot (a TSO segment for a
 * driver without GUEST_TSO). TAP backends never deliver such packets
 * (TUNSETOFFLOAD is set to what the driver accepted); a pipe may, when the
 * two ends were given different options.
 *
 * Locks. Each queue's lock (struct ulk_vq.lock) covers the ring and this
 * file's per-direction state; it is never held while calling into the
 * kernel (ulk_vmmio_interrupt() is called after unlocking). Counters are
 * updated with relaxed atomics, so ulk_netdev_stats() may read them from
 * any thread.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "hostfd.h"
#include "hostutil.h"
#include "hostops_posix.h"
#include "virtio/mmio.h"
#include "virtio/net.h"

#define RXQ			0
#define TXQ			1
#define RX_MAX_CHAINS		64	/* chains held for one packet */
#define RX_MAX_IOV		256
#define RX_BUDGET		64	/* packets per batch */
#define LARGE_FRAME		32768
#define CARRIER_POLL_MS		100	/* while the carrier is lost */

#define F(bit)			(1ULL << (bit))

struct dir_counters {
	unsigned long long packets, bytes, large, dropped, errors, stalls;
	unsigned long long interrupts, kicks;
	unsigned long long sizes[ULK_NETDEV_SIZE_COUNT];
};

/* Receive state: chains popped and not yet filled. Under the rx lock. */
struct rx_state {
	struct ulk_vq_chain chains[RX_MAX_CHAINS];
	unsigned int first, count;
	uint64_t cap;			/* bytes in the held chains */
	struct iovec iov[RX_MAX_IOV];
};

/**
 * struct ulk_vnet - a virtio-net device.
 * @mmio: the transport's view (must stay first: ops get a pointer to it).
 * @be: its backend.
 * @offered: ULK_NETDEV_OFFLOAD_* offered.
 * @accepted: ULK_NETDEV_OFFLOAD_* the driver accepted (at DRIVER_OK).
 * @mtu: MTU offered.
 * @mac: Ethernet address.
 * @evfd: eventfd waking the I/O thread.
 * @thread: the I/O thread.
 * @running: the thread was started.
 * @stop: the thread must exit.
 * @tx_pending: a transmit pass is wanted (see tx_run()).
 * @tx_blocked: the backend refused a packet; wait for POLLOUT.
 * @rx_waiting: out of receive buffers; waiting for a kick on queue 0.
 * @be_dead: the backend said its peer is gone for good.
 * @no_carrier: the backend said the link cannot carry packets for now
 *	(see "Carrier").
 * @rx_elsewhere: an idle thread waits for the backend's input (see
 *	"Run-to-completion"); the I/O thread does not.
 * @epfd: the I/O thread's epoll set: @evfd, and the backend's @fd with
 *	@be_mask.
 * @be_mask: events the backend's descriptor is registered for (0: not in
 *	the set). Under @interest_lock.
 * @interest_lock: serialises changes to the backend's registration.
 * @status_lock: serialises writes of the link status (config space).
 * @io_deadline: CLOCK_MONOTONIC ns the I/O thread sleeps until at most
 *	(LLONG_MAX: no limit; 0: awake), for tx_run()'s wake-up decision.
 * @rx_target: bytes of buffers to gather for one received packet.
 * @mergeable: MRG_RXBUF accepted.
 * @tx_chain: transmit chain being worked on (under the tx lock).
 * @rx: receive state.
 * @tx_cnt: transmit counters.
 * @rx_cnt: receive counters.
 */
struct ulk_vnet {
	struct ulk_vmmio_dev mmio;
	struct ulk_net_backend *be;
	unsigned int offered;
	unsigned int accepted;
	unsigned int mtu;
	unsigned char mac[6];

	int evfd;
	pthread_t thread;
	bool running;
	int stop;
	int tx_pending;
	int tx_blocked;
	int rx_waiting;
	int be_dead;
	int no_carrier;
	int rx_elsewhere;
	int epfd;
	uint32_t be_mask;
	pthread_mutex_t interest_lock;
	pthread_mutex_t status_lock;
	long long io_deadline;

	uint64_t rx_target;
	bool mergeable;
	struct ulk_vq_chain tx_chain;
	struct rx_state rx;

	struct dir_counters tx_cnt, rx_cnt;
};

#define CNT_ADD(c, field, v) \
	__atomic_fetch_add(&(c)->field, (v), __ATOMIC_RELAXED)

static struct ulk_vnet *to_vnet(struct ulk_vmmio_dev *dev)
{
	return (struct ulk_vnet *)dev;
}

static void count_frame(struct dir_counters *c, size_t frame)
{
	enum ulk_netdev_size_class k;

	if (frame <= 1518)
		k = ULK_NETDEV_SIZE_1518;
	else if (frame <= 4096)
		k = ULK_NETDEV_SIZE_4K;
	else if (frame <= 16384)
		k = ULK_NETDEV_SIZE_16K;
	else if (frame <= 32768)
		k = ULK_NETDEV_SIZE_32K;
	else if (frame <= 65536)
		k = ULK_NETDEV_SIZE_64K;
	else
		k = ULK_NETDEV_SIZE_HUGE;
	CNT_ADD(c, packets, 1);
	CNT_ADD(c, bytes, frame);
	CNT_ADD(c, sizes[k], 1);
	if (frame > LARGE_FRAME)
		CNT_ADD(c, large, 1);
}


static void wake(struct ulk_vnet *vn)
{
	uint64_t one = 1;

	/* Only fails if the counter would overflow: then it is awake. */
	if (ulk_host_write(vn->evfd, &one, sizeof(one)) < 0)
		return;
}

/*
 * Register the backend's descriptor in the I/O thread's epoll set for
 * exactly the events it must wait for now (none: out of the set, since
 * POLLHUP/POLLERR would be reported anyway and spin the thread).
 */
static void interest_update(struct ulk_vnet *vn)
{
	struct epoll_event ev = { .data.u32 = 1 };
	uint32_t mask = 0;
	int op;

	pthread_mutex_lock(&vn->interest_lock);
	if (!__atomic_load_n(&vn->be_dead, __ATOMIC_SEQ_CST)) {
		if (__atomic_load_n(&vn->mmio.vqs[RXQ].ready, __ATOMIC_ACQUIRE) &&
		    !__atomic_load_n(&vn->rx_waiting, __ATOMIC_SEQ_CST) &&
		    !__atomic_load_n(&vn->rx_elsewhere, __ATOMIC_SEQ_CST))
			mask |= EPOLLIN;
		if (__atomic_load_n(&vn->tx_blocked, __ATOMIC_SEQ_CST))
			mask |= EPOLLOUT;
	}
	if (mask != vn->be_mask) {
		op = !mask ? EPOLL_CTL_DEL : vn->be_mask ? EPOLL_CTL_MOD :
		     EPOLL_CTL_ADD;
		ev.events = mask;
		if (!ulk_host_epoll_ctl(vn->epfd, op, vn->be->fd, &ev))
			vn->be_mask = mask;
	}
	pthread_mutex_unlock(&vn->interest_lock);
}

/*
 * Write the link status the driver reads: up unless the backend is dead
 * or has no carrier. Under @status_lock, so that the threads that change
 * those never leave the status behind them; the configuration interrupt
 * (which may run the kernel's handler on this thread) comes after it.
 */
static void update_link_status(struct ulk_vnet *vn)
{
	uint16_t le;

	pthread_mutex_lock(&vn->status_lock);
	le = htole16(__atomic_load_n(&vn->be_dead, __ATOMIC_SEQ_CST) ||
		     __atomic_load_n(&vn->no_carrier, __ATOMIC_SEQ_CST) ?
		     0 : VIRTIO_NET_S_LINK_UP);
	memcpy(vn->mmio.config + offsetof(struct virtio_net_config, status),
	       &le, sizeof(le));
	pthread_mutex_unlock(&vn->status_lock);
	ulk_vmmio_config_changed(&vn->mmio);
}

/*
 * The backend cannot carry packets for now (see "Carrier"): take the
 * link down until carrier_check() finds it back. Any thread.
 */
static void carrier_lost(struct ulk_vnet *vn)
{
	if (__atomic_load_n(&vn->be_dead, __ATOMIC_SEQ_CST) ||
	    __atomic_exchange_n(&vn->no_carrier, 1, __ATOMIC_SEQ_CST))
		return;
	fprintf(stderr, "ulk: netdev %s: %s: carrier lost (the host's "
		"interface is down): no packets pass until it is up again\n",
		vn->mmio.name, vn->be->desc);
	update_link_status(vn);
	wake(vn);	/* the I/O thread starts asking carrier() */
}

/* I/O thread, while the carrier is lost: is it back? */
static void carrier_check(struct ulk_vnet *vn)
{
	if (!__atomic_load_n(&vn->no_carrier, __ATOMIC_SEQ_CST) ||
	    __atomic_load_n(&vn->be_dead, __ATOMIC_SEQ_CST) ||
	    !vn->be->ops->carrier || vn->be->ops->carrier(vn->be) <= 0)
		return;
	__atomic_store_n(&vn->no_carrier, 0, __ATOMIC_SEQ_CST);
	fprintf(stderr, "ulk: netdev %s: %s: carrier back (the host's "
		"interface is up): packets pass again\n", vn->mmio.name,
		vn->be->desc);
	update_link_status(vn);
}

/*
 * The backend's peer is gone for good (the TAP was deleted, the pipe's
 * other end closed, a stream peer sent garbage): say so once, with the
 * backend's own reason when it has one, stop polling it (a dead TAP descriptor
 * is always "ready" with an error, and the I/O thread spun on it at full
 * speed), and take the link down, as a NIC losing its carrier does, so
 * that the kernel's routes and the program's sockets see it.
 */
static void backend_died(struct ulk_vnet *vn)
{
	const char *why = NULL;

	if (__atomic_exchange_n(&vn->be_dead, 1, __ATOMIC_SEQ_CST))
		return;
	if (vn->be->ops->why_gone)
		why = vn->be->ops->why_gone(vn->be);
	if (!why || !*why)
		why = "peer gone";
	fprintf(stderr, "ulk: netdev %s: %s: %s; the link is down, no more "
		"packets will pass\n", vn->mmio.name, vn->be->desc, why);
	interest_update(vn);
	update_link_status(vn);
}

static void interrupt(struct ulk_vnet *vn, struct dir_counters *c)
{
	CNT_ADD(c, interrupts, 1);
	ulk_vmmio_interrupt(&vn->mmio, ULK_VMMIO_INT_VRING);
}

/* ---- scattered buffers ------------------------------------------------- */


/* Ones' complement sum of bytes [start, end) of @iov, big-endian words. */
static uint32_t iov_csum(const struct iovec *iov, unsigned int n, size_t start,
			 size_t end)
{
	uint64_t sum = 0;
	size_t pos = 0;
	unsigned int i;

	for (i = 0; i < n && pos < end; i++) {
		const unsigned char *b = iov[i].iov_base;
		size_t seg = iov[i].iov_len, j;

		for (j = 0; j < seg && pos < end; j++, pos++) {
			if (pos < start)
				continue;
			sum += (pos - start) & 1 ? b[j] : (uint32_t)b[j] << 8;
		}
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)sum;
}

/* ---- transmit ---------------------------------------------------------- */

/* Drain the transmit queue; true if the driver wants an interrupt. */
static bool tx_drain_locked(struct ulk_vnet *vn, bool *blocked)
{
	struct ulk_vq *vq = &vn->mmio.vqs[TXQ];
	struct ulk_vq_chain *c = &vn->tx_chain;
	struct ulk_net_backend *be = vn->be;
	ssize_t n;
	int r;

	if (be->ops->tick) {
		r = be->ops->tick(be);
		if (r == -EAGAIN) {
			*blocked = true;
			goto out;
		}
		if (r == -ENETDOWN)
			carrier_lost(vn);
		else if (r == -EPIPE)
			backend_died(vn);
	}
	for (;;) {
		ulk_vq_disable_kicks(vq);
		while ((r = ulk_vq_pop(vq, c)) == 1) {
			if (c->out_len < ULK_NET_HDR_LEN ||
			    c->out_len > ULK_NET_MAX_PACKET || !c->nout) {
				CNT_ADD(&vn->tx_cnt, errors, 1);
			} else {
				n = be->ops->send(be, c->out, c->nout);
				if (n == -EAGAIN) {
					ulk_vq_unpop(vq, 1);
					CNT_ADD(&vn->tx_cnt, stalls, 1);
					*blocked = true;
					goto out;
				}
				if (n == -EPIPE)
					backend_died(vn);
				else if (n == -ENETDOWN)
					carrier_lost(vn);
				if (n < 0)
					CNT_ADD(&vn->tx_cnt, dropped, 1);
				else
					count_frame(&vn->tx_cnt, c->out_len -
						    ULK_NET_HDR_LEN);
			}
			ulk_vq_push(vq, c->head, 0);
			ulk_vq_publish(vq);
		}
		if (r < 0 || !ulk_vq_enable_kicks(vq))
			break;
	}
	/* Bytes the backend still holds (a stream's partly written frame). */
	if (be->ops->tick && be->ops->tick(be) == -EAGAIN)
		*blocked = true;
out:
	return ulk_vq_should_interrupt(vq);
}

/*
 * The backend may now hold packets for later (impairment delays): the I/O
 * thread must sleep no longer than until they are due. Called by threads
 * other than the I/O thread after they transmitted or received. Wake it
 * only if they are due before the time it sleeps until: waking it on every
 * transmit while anything was held cost the sending thread an eventfd
 * write, and the I/O thread a wake-up, per kick. The I/O thread publishes
 * its deadline before it reads the backend's; this reads them the other
 * way round: one of the two sees the other's (both sequentially
 * consistent).
 */
static void held_wake(struct ulk_vnet *vn)
{
	int ms;

	if (!vn->be->ops->timeout_ms ||
	    pthread_equal(pthread_self(), vn->thread))
		return;
	ms = vn->be->ops->timeout_ms(vn->be);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (ms >= 0 && ulk_mono_ns() + ms * 1000000LL <
	    __atomic_load_n(&vn->io_deadline, __ATOMIC_SEQ_CST))
		wake(vn);
}

/*
 * Run the transmit side from either thread. Only trylock: if the other
 * thread holds the lock, the pending mark makes it run another pass after
 * it unlocks, so this never waits.
 */
static void tx_run(struct ulk_vnet *vn)
{
	struct ulk_vq *vq = &vn->mmio.vqs[TXQ];
	bool irq = false, blocked = false;

	for (;;) {
		__atomic_store_n(&vn->tx_pending, 1, __ATOMIC_SEQ_CST);
		if (pthread_mutex_trylock(&vq->lock))
			break;
		while (!blocked &&
		       __atomic_exchange_n(&vn->tx_pending, 0, __ATOMIC_SEQ_CST)) {
			if (vq->ready && !ulk_vmmio_is_broken(&vn->mmio))
				irq |= tx_drain_locked(vn, &blocked);
		}
		pthread_mutex_unlock(&vq->lock);
		if (blocked) {
			__atomic_store_n(&vn->tx_blocked, 1, __ATOMIC_SEQ_CST);
			wake(vn);
			break;
		}
		if (!__atomic_load_n(&vn->tx_pending, __ATOMIC_SEQ_CST))
			break;
	}
	held_wake(vn);
	if (irq)
		interrupt(vn, &vn->tx_cnt);
}

/* ---- receive ----------------------------------------------------------- */

static void rx_forget(struct ulk_vnet *vn)
{
	vn->rx.first = vn->rx.count = 0;
	vn->rx.cap = 0;
}

/*
 * Hold chains until they cover rx_target bytes (one chain without
 * MRG_RXBUF). Return 1 when enough, 0 when the ring ran dry, -EIO if it is
 * malformed.
 */
static int rx_top_up(struct ulk_vnet *vn)
{
	struct ulk_vq *vq = &vn->mmio.vqs[RXQ];
	struct rx_state *rx = &vn->rx;
	struct ulk_vq_chain *c;
	int r;

	for (;;) {
		if (vn->mergeable ? rx->cap >= vn->rx_target : rx->count > 0)
			return 1;
		if (rx->count == RX_MAX_CHAINS)
			return 1;	/* tiny buffers: take what fits */
		c = &rx->chains[(rx->first + rx->count) % RX_MAX_CHAINS];
		r = ulk_vq_pop(vq, c);
		if (r <= 0)
			return r;
		if (c->nout || !c->nin) {
			ulk_vmmio_set_broken(&vn->mmio, "receive chain %u has "
					     "no writable buffer or a readable "
					     "one", c->head);
			return -EIO;
		}
		rx->count++;
		rx->cap += c->in_len;
	}
}

/* Gather the held chains' buffers, up to rx_target bytes; iov count. */
static unsigned int rx_gather(struct ulk_vnet *vn, uint64_t *cap)
{
	struct rx_state *rx = &vn->rx;
	unsigned int i, k, niov = 0;

	*cap = 0;
	for (i = 0; i < rx->count; i++) {
		struct ulk_vq_chain *c =
			&rx->chains[(rx->first + i) % RX_MAX_CHAINS];

		if (niov + c->nin > RX_MAX_IOV)
			break;
		for (k = 0; k < c->nin; k++)
			rx->iov[niov++] = c->in[k];
		*cap += c->in_len;
		if (!vn->mergeable || *cap >= vn->rx_target)
			break;
	}
	return niov;
}

/*
 * Make a received packet acceptable to the driver: complete a partial
 * checksum it did not agree to, clear flags it did not agree to; false if
 * it must be dropped.
 */
static bool rx_fix_offloads(struct ulk_vnet *vn, const struct iovec *iov,
			    unsigned int niov, size_t len)
{
	struct virtio_net_hdr_v1 h;
	unsigned int acc = vn->accepted;
	size_t start, field;
	uint16_t sum, be16;
	uint8_t gso, flags;

	if (!ulk_iov_copy(iov, niov, 0, &h, sizeof(h), false))
		return false;
	gso = h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	if (gso != VIRTIO_NET_HDR_GSO_NONE) {
		if (!(gso == VIRTIO_NET_HDR_GSO_TCPV4 &&
		      (acc & ULK_NETDEV_OFFLOAD_RX_TSO4)) &&
		    !(gso == VIRTIO_NET_HDR_GSO_TCPV6 &&
		      (acc & ULK_NETDEV_OFFLOAD_RX_TSO6)))
			return false;
		if ((h.gso_type & VIRTIO_NET_HDR_GSO_ECN) &&
		    !(acc & ULK_NETDEV_OFFLOAD_RX_ECN))
			return false;
	} else if (h.gso_type & VIRTIO_NET_HDR_GSO_ECN) {
		return false;	/* ECN of no GSO type: not a header */
	}
	/*
	 * Only the flags the driver agreed to: the kernel's driver honours
	 * DATA_VALID whatever it negotiated, so a peer setting it would skip
	 * the checksum check of a driver without GUEST_CSUM.
	 */
	flags = h.flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM |
			   (acc & ULK_NETDEV_OFFLOAD_RX_CSUM ?
			    VIRTIO_NET_HDR_F_DATA_VALID : 0));
	if (flags != h.flags) {
		h.flags = flags;
		if (!ulk_iov_copy(iov, niov, 0, &h.flags, 1, true))
			return false;
	}
	if (!(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) ||
	    (acc & ULK_NETDEV_OFFLOAD_RX_CSUM))
		return true;
	if (gso != VIRTIO_NET_HDR_GSO_NONE)
		return false;
	start = ULK_NET_HDR_LEN + le16toh(h.csum_start);
	field = start + le16toh(h.csum_offset);
	if (start >= len || field + 2 > len)
		return false;
	sum = ~iov_csum(iov, niov, start, len) & 0xffff;
	be16 = htobe16(sum ? sum : 0xffff);
	h.flags &= ~VIRTIO_NET_HDR_F_NEEDS_CSUM;
	return ulk_iov_copy(iov, niov, field, &be16, 2, true) &&
	       ulk_iov_copy(iov, niov, 0, &h.flags, 1, true);
}

/* Return the chains a packet of @len bytes filled; num_buffers set. */
static void rx_complete(struct ulk_vnet *vn, size_t len)
{
	struct ulk_vq *vq = &vn->mmio.vqs[RXQ];
	struct rx_state *rx = &vn->rx;
	size_t left = len;
	uint16_t nbufs = 0, le;

	if (!vn->mergeable) {
		ulk_vq_push(vq, rx->chains[rx->first].head, len);
		rx->cap -= rx->chains[rx->first].in_len;
		rx->first = (rx->first + 1) % RX_MAX_CHAINS;
		rx->count--;
		return;
	}
	/* Count first: the header (in the first buffer) says how many. */
	{
		size_t l = len;
		unsigned int i = 0;

		while (l) {
			struct ulk_vq_chain *c =
				&rx->chains[(rx->first + i++) % RX_MAX_CHAINS];

			l -= c->in_len < l ? c->in_len : l;
			nbufs++;
		}
	}
	le = htole16(nbufs);
	ulk_iov_copy(rx->chains[rx->first].in, rx->chains[rx->first].nin,
		   offsetof(struct virtio_net_hdr_v1, num_buffers), &le,
		   sizeof(le), true);
	while (left) {
		struct ulk_vq_chain *c = &rx->chains[rx->first];
		size_t used = c->in_len < left ? c->in_len : left;

		ulk_vq_push(vq, c->head, used);
		left -= used;
		rx->cap -= c->in_len;
		rx->first = (rx->first + 1) % RX_MAX_CHAINS;
		rx->count--;
	}
}

/* Receive a batch; true if there may be more right away. */
static bool rx_run(struct ulk_vnet *vn)
{
	struct ulk_vq *vq = &vn->mmio.vqs[RXQ];
	struct ulk_net_backend *be = vn->be;
	bool irq, more = false;
	unsigned int niov;
	int budget, r;
	uint64_t cap;
	ssize_t n;

	pthread_mutex_lock(&vq->lock);
	if (!vq->ready || ulk_vmmio_is_broken(&vn->mmio)) {
		pthread_mutex_unlock(&vq->lock);
		return false;
	}
	for (budget = RX_BUDGET; budget > 0; budget--) {
		r = rx_top_up(vn);
		if (r < 0)
			break;
		if (r == 0) {
			/* Ask for a kick, then look again: no lost wake-up. */
			__atomic_store_n(&vn->rx_waiting, 1, __ATOMIC_SEQ_CST);
			if (ulk_vq_enable_kicks(vq)) {
				__atomic_store_n(&vn->rx_waiting, 0,
						 __ATOMIC_SEQ_CST);
				continue;
			}
			CNT_ADD(&vn->rx_cnt, stalls, 1);
			break;
		}
		niov = rx_gather(vn, &cap);
		n = be->ops->recv(be, vn->rx.iov, niov);
		if (n == -EAGAIN)
			break;
		if (n == -EPIPE) {
			backend_died(vn);
			break;
		}
		if (n < 0) {
			CNT_ADD(&vn->rx_cnt, errors, 1);
			break;
		}
		/*
		 * Truncated, or larger than any packet may be: the driver's
		 * buffers can hold more than ULK_NET_MAX_PACKET.
		 */
		if ((uint64_t)n > cap || n > ULK_NET_MAX_PACKET) {
			CNT_ADD(&vn->rx_cnt, dropped, 1);
			continue;
		}
		if (n < ULK_NET_HDR_LEN + 14) {
			CNT_ADD(&vn->rx_cnt, errors, 1);	/* runt */
			continue;
		}
		if (!rx_fix_offloads(vn, vn->rx.iov, niov, n)) {
			CNT_ADD(&vn->rx_cnt, dropped, 1);
			continue;
		}
		rx_complete(vn, n);
		ulk_vq_publish(vq);
		count_frame(&vn->rx_cnt, n - ULK_NET_HDR_LEN);
	}
	if (!budget)
		more = true;
	irq = ulk_vq_should_interrupt(vq);
	pthread_mutex_unlock(&vq->lock);
	if (irq)
		interrupt(vn, &vn->rx_cnt);
	return more;
}

/* ---- I/O thread ---------------------------------------------------------- */

static void *io_thread(void *arg)
{
	struct ulk_vnet *vn = arg;
	struct ulk_net_backend *be = vn->be;
	bool more = false;
	uint64_t val;
	sigset_t all;

	/* Signals belong to application threads (see hostops_posix.c). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);

	while (!__atomic_load_n(&vn->stop, __ATOMIC_ACQUIRE)) {
		struct epoll_event evs[2];
		bool tx_blocked = __atomic_load_n(&vn->tx_blocked,
						  __ATOMIC_SEQ_CST);
		uint32_t be_events = 0;
		int timeout = -1, n, i;

		interest_update(vn);
		if (be->ops->timeout_ms) {
			/* See tx_run(): deadline first, then the backend's. */
			__atomic_store_n(&vn->io_deadline, LLONG_MAX,
					 __ATOMIC_SEQ_CST);
			timeout = be->ops->timeout_ms(be);
			if (timeout >= 0 && !more)
				__atomic_store_n(&vn->io_deadline, ulk_mono_ns() +
						 timeout * 1000000LL,
						 __ATOMIC_SEQ_CST);
		}
		if (__atomic_load_n(&vn->no_carrier, __ATOMIC_SEQ_CST) &&
		    (timeout < 0 || timeout > CARRIER_POLL_MS))
			timeout = CARRIER_POLL_MS;
		n = ulk_host_epoll_wait(vn->epfd, evs, 2, more ? 0 : timeout);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "ulk: netdev %s: epoll_wait: %s\n",
				vn->mmio.name, strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.u32)
				be_events = evs[i].events;
			else
				(void)ulk_host_read(vn->evfd, &val, sizeof(val));
		}
		/* Awake: it reads the backend's deadline before sleeping. */
		__atomic_store_n(&vn->io_deadline, 0, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&vn->stop, __ATOMIC_ACQUIRE))
			break;
		carrier_check(vn);
		if (tx_blocked && (be_events || more || timeout >= 0)) {
			__atomic_store_n(&vn->tx_blocked, 0, __ATOMIC_SEQ_CST);
			tx_run(vn);
		} else if (be->ops->tick ||
			   __atomic_load_n(&vn->tx_pending, __ATOMIC_SEQ_CST)) {
			tx_run(vn);
		}
		more = false;
		if (!__atomic_load_n(&vn->rx_waiting, __ATOMIC_SEQ_CST) &&
		    !__atomic_load_n(&vn->be_dead, __ATOMIC_RELAXED))
			more = rx_run(vn);
	}
	return NULL;
}

/* ---- run-to-completion: input polled by an idle thread ------------------ */

static bool rx_can_run(struct ulk_vnet *vn)
{
	return vn->running &&
	       __atomic_load_n(&vn->mmio.vqs[RXQ].ready, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&vn->rx_waiting, __ATOMIC_SEQ_CST) &&
	       !__atomic_load_n(&vn->be_dead, __ATOMIC_SEQ_CST) &&
	       !ulk_vmmio_is_broken(&vn->mmio);
}

static void vnet_idle_release(struct ulk_vmmio_dev *dev)
{
	struct ulk_vnet *vn = to_vnet(dev);

	__atomic_store_n(&vn->rx_elsewhere, 0, __ATOMIC_SEQ_CST);
	interest_update(vn);
}

static int vnet_idle_claim(struct ulk_vmmio_dev *dev)
{
	struct ulk_vnet *vn = to_vnet(dev);

	/* Declining must not leave an earlier claim in place. */
	if (!rx_can_run(vn)) {
		vnet_idle_release(dev);
		return -1;
	}
	__atomic_store_n(&vn->rx_elsewhere, 1, __ATOMIC_SEQ_CST);
	interest_update(vn);
	return vn->be->fd;
}

/*
 * Out of buffers (or the device stopped): the idle thread stops polling
 * the backend, so hand it back to the I/O thread now, which the refill's
 * kick wakes; waiting for the idle thread's release would strand input.
 */
static bool vnet_idle_run(struct ulk_vmmio_dev *dev)
{
	struct ulk_vnet *vn = to_vnet(dev);

	rx_run(vn);
	held_wake(vn);
	if (rx_can_run(vn))
		return true;
	vnet_idle_release(dev);
	return false;
}

/* ---- transport operations ----------------------------------------------- */

static void vnet_notify(struct ulk_vmmio_dev *dev, unsigned int queue)
{
	struct ulk_vnet *vn = to_vnet(dev);

	if (queue == TXQ) {
		CNT_ADD(&vn->tx_cnt, kicks, 1);
		tx_run(vn);
	} else if (queue == RXQ) {
		CNT_ADD(&vn->rx_cnt, kicks, 1);
		if (__atomic_exchange_n(&vn->rx_waiting, 0, __ATOMIC_SEQ_CST))
			wake(vn);
	}
}

static unsigned int accepted_offloads(struct ulk_vmmio_dev *dev)
{
	static const struct { unsigned int bit, off; } map[] = {
		{ VIRTIO_NET_F_CSUM, ULK_NETDEV_OFFLOAD_TX_CSUM },
		{ VIRTIO_NET_F_GUEST_CSUM, ULK_NETDEV_OFFLOAD_RX_CSUM },
		{ VIRTIO_NET_F_HOST_TSO4, ULK_NETDEV_OFFLOAD_TX_TSO4 },
		{ VIRTIO_NET_F_HOST_TSO6, ULK_NETDEV_OFFLOAD_TX_TSO6 },
		{ VIRTIO_NET_F_HOST_ECN, ULK_NETDEV_OFFLOAD_TX_ECN },
		{ VIRTIO_NET_F_GUEST_TSO4, ULK_NETDEV_OFFLOAD_RX_TSO4 },
		{ VIRTIO_NET_F_GUEST_TSO6, ULK_NETDEV_OFFLOAD_RX_TSO6 },
		{ VIRTIO_NET_F_GUEST_ECN, ULK_NETDEV_OFFLOAD_RX_ECN },
		{ VIRTIO_NET_F_MRG_RXBUF, ULK_NETDEV_OFFLOAD_RX_MRG },
	};
	unsigned int i, off = 0;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (ulk_vmmio_has_feature(dev, map[i].bit))
			off |= map[i].off;
	return off;
}

static uint64_t offered_features(unsigned int off)
{
	uint64_t f = F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_EVENT_IDX) |
		     F(VIRTIO_RING_F_INDIRECT_DESC) | F(VIRTIO_NET_F_MAC) |
		     F(VIRTIO_NET_F_STATUS) | F(VIRTIO_NET_F_MTU);

	if (off & ULK_NETDEV_OFFLOAD_TX_CSUM)
		f |= F(VIRTIO_NET_F_CSUM);
	if (off & ULK_NETDEV_OFFLOAD_RX_CSUM)
		f |= F(VIRTIO_NET_F_GUEST_CSUM);
	if (off & ULK_NETDEV_OFFLOAD_TX_TSO4)
		f |= F(VIRTIO_NET_F_HOST_TSO4);
	if (off & ULK_NETDEV_OFFLOAD_TX_TSO6)
		f |= F(VIRTIO_NET_F_HOST_TSO6);
	if (off & ULK_NETDEV_OFFLOAD_TX_ECN)
		f |= F(VIRTIO_NET_F_HOST_ECN);
	if (off & ULK_NETDEV_OFFLOAD_RX_TSO4)
		f |= F(VIRTIO_NET_F_GUEST_TSO4);
	if (off & ULK_NETDEV_OFFLOAD_RX_TSO6)
		f |= F(VIRTIO_NET_F_GUEST_TSO6);
	if (off & ULK_NETDEV_OFFLOAD_RX_ECN)
		f |= F(VIRTIO_NET_F_GUEST_ECN);
	if (off & ULK_NETDEV_OFFLOAD_RX_MRG)
		f |= F(VIRTIO_NET_F_MRG_RXBUF);
	return f;
}

static void vnet_driver_ok(struct ulk_vmmio_dev *dev)
{
	struct ulk_vnet *vn = to_vnet(dev);
	struct ulk_vq *rxq = &dev->vqs[RXQ];
	unsigned int acc = accepted_offloads(dev);
	int err;

	pthread_mutex_lock(&rxq->lock);
	vn->accepted = acc;
	vn->mergeable = acc & ULK_NETDEV_OFFLOAD_RX_MRG;
	if (acc & (ULK_NETDEV_OFFLOAD_RX_TSO4 | ULK_NETDEV_OFFLOAD_RX_TSO6))
		vn->rx_target = ULK_NET_MAX_PACKET;
	else
		vn->rx_target = ULK_NET_HDR_LEN + 14 + 4 + vn->mtu;
	rx_forget(vn);
	pthread_mutex_unlock(&rxq->lock);
	if (vn->be->ops->set_offload) {
		err = vn->be->ops->set_offload(vn->be, acc);
		if (err)
			fprintf(stderr, "ulk: netdev %s: %s: cannot set receive "
				"offloads 0x%x: %s\n", dev->name, vn->be->desc,
				acc, strerror(-err));
	}
	wake(vn);
}

static void vnet_reset(struct ulk_vmmio_dev *dev)
{
	struct ulk_vnet *vn = to_vnet(dev);
	struct ulk_vq *rxq = &dev->vqs[RXQ];

	pthread_mutex_lock(&rxq->lock);
	rx_forget(vn);
	vn->accepted = 0;
	pthread_mutex_unlock(&rxq->lock);
	__atomic_store_n(&vn->rx_waiting, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vn->tx_blocked, 0, __ATOMIC_SEQ_CST);
	wake(vn);
}

static int vnet_start(struct ulk_vmmio_dev *dev)
{
	struct ulk_vnet *vn = to_vnet(dev);
	int err;

	if (vn->running)
		return 0;
	/* The thread runs the kernel's interrupt and softirq code. */
	err = ulk_host_thread_start(&vn->thread, false, io_thread, vn);
	if (err)
		return -err;
	vn->running = true;
	return 0;
}

static void vnet_stop(struct ulk_vmmio_dev *dev)
{
	struct ulk_vnet *vn = to_vnet(dev);

	if (!vn->running)
		return;
	__atomic_store_n(&vn->stop, 1, __ATOMIC_RELEASE);
	wake(vn);
	pthread_join(vn->thread, NULL);
	vn->running = false;
}

static const struct ulk_vmmio_ops vnet_ops = {
	.notify = vnet_notify,
	.driver_ok = vnet_driver_ok,
	.reset = vnet_reset,
	.start = vnet_start,
	.stop = vnet_stop,
	.idle_claim = vnet_idle_claim,
	.idle_run = vnet_idle_run,
	.idle_release = vnet_idle_release,
};

/* ---- creation and counters ---------------------------------------------- */

/**
 * ulk_vnet_create() - make a virtio-net device (not yet registered).
 * @be: its backend; the device owns it from a successful return.
 * @mac: Ethernet address.
 * @mtu: MTU to report (68..65535).
 * @offloads: ULK_NETDEV_OFFLOAD_* wanted; reduced to what @be carries
 *	and to consistent sets (TSO needs checksum offload, ECN needs TSO).
 * @out: receives the device.
 *
 * Return: 0; -EINVAL for a bad @mtu; -ENOMEM; the errno of eventfd().
 */
int ulk_vnet_create(struct ulk_net_backend *be, const unsigned char mac[6],
		    unsigned int mtu, unsigned int offloads,
		    struct ulk_vnet **out)
{
	struct virtio_net_config cfg;
	struct ulk_vnet *vn;
	unsigned int off = offloads & be->offloads;

	if (mtu < 68 || mtu > 65535)
		return -EINVAL;
	if (!(off & ULK_NETDEV_OFFLOAD_TX_CSUM))
		off &= ~(ULK_NETDEV_OFFLOAD_TX_TSO4 | ULK_NETDEV_OFFLOAD_TX_TSO6);
	if (!(off & (ULK_NETDEV_OFFLOAD_TX_TSO4 | ULK_NETDEV_OFFLOAD_TX_TSO6)))
		off &= ~ULK_NETDEV_OFFLOAD_TX_ECN;
	if (!(off & ULK_NETDEV_OFFLOAD_RX_CSUM))
		off &= ~(ULK_NETDEV_OFFLOAD_RX_TSO4 | ULK_NETDEV_OFFLOAD_RX_TSO6);
	if (!(off & (ULK_NETDEV_OFFLOAD_RX_TSO4 | ULK_NETDEV_OFFLOAD_RX_TSO6)))
		off &= ~ULK_NETDEV_OFFLOAD_RX_ECN;

	vn = calloc(1, sizeof(*vn));
	if (!vn)
		return -ENOMEM;
	vn->evfd = ulk_hostfd_move_high(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
	vn->epfd = ulk_host_epoll_create();
	if (vn->evfd < 0 || vn->epfd < 0 ||
	    ulk_host_epoll_ctl(vn->epfd, EPOLL_CTL_ADD, vn->evfd,
		      &(struct epoll_event){ .events = EPOLLIN })) {
		int err = -errno;

		if (vn->evfd >= 0)
			close(vn->evfd);
		if (vn->epfd >= 0)
			close(vn->epfd);
		free(vn);
		return err;
	}
	pthread_mutex_init(&vn->interest_lock, NULL);
	pthread_mutex_init(&vn->status_lock, NULL);
	vn->be = be;
	vn->offered = off;
	vn->mtu = mtu;
	memcpy(vn->mac, mac, 6);

	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.mac, mac, 6);
	/* No carrier yet: down until the I/O thread finds it (see Carrier). */
	if (be->ops->carrier && be->ops->carrier(be) == 0) {
		vn->no_carrier = 1;
		fprintf(stderr, "ulk: %s: no carrier (the host's interface is "
			"down): no packets pass until it is up\n", be->desc);
	} else {
		cfg.status = htole16(VIRTIO_NET_S_LINK_UP);
	}
	cfg.max_virtqueue_pairs = htole16(1);
	cfg.mtu = htole16(mtu);
	vn->mmio.ops = &vnet_ops;
	vn->mmio.device_id = VIRTIO_ID_NET;
	vn->mmio.features = offered_features(off);
	vn->mmio.num_queues = 2;
	vn->mmio.config_len = offsetof(struct virtio_net_config, speed);
	memcpy(vn->mmio.config, &cfg, vn->mmio.config_len);
	*out = vn;
	return 0;
}

/**
 * ulk_vnet_destroy() - free a device the kernel does not use (never
 * registered, unregistered, or at exit after ulk_halt()), its backend too.
 * @vn: the device; its I/O thread is stopped first.
 */
void ulk_vnet_destroy(struct ulk_vnet *vn)
{
	vnet_stop(&vn->mmio);
	vn->be->ops->close(vn->be);
	close(vn->evfd);
	close(vn->epfd);
	pthread_mutex_destroy(&vn->interest_lock);
	pthread_mutex_destroy(&vn->status_lock);
	free(vn);
}

/**
 * ulk_vnet_mmio() - the transport's view of a device.
 * @vn: the device.
 * Return: its struct ulk_vmmio_dev, for ulk_vmmio_register().
 */
struct ulk_vmmio_dev *ulk_vnet_mmio(struct ulk_vnet *vn)
{
	return &vn->mmio;
}

/**
 * ulk_vnet_mac() - a device's Ethernet address.
 * @vn: the device.
 * Return: 6 bytes.
 */
const unsigned char *ulk_vnet_mac(const struct ulk_vnet *vn)
{
	return vn->mac;
}

static void read_dir(const struct dir_counters *c,
		     struct ulk_netdev_dir_stats *d)
{
	int k;

#define RD(f) __atomic_load_n(&c->f, __ATOMIC_RELAXED)
	d->packets = RD(packets);
	d->bytes = RD(bytes);
	d->large = RD(large);
	d->dropped = RD(dropped);
	d->errors = RD(errors);
	d->stalls = RD(stalls);
	d->interrupts = RD(interrupts);
	d->kicks = RD(kicks);
	for (k = 0; k < ULK_NETDEV_SIZE_COUNT; k++)
		d->sizes[k] = RD(sizes[k]);
#undef RD
}

/**
 * ulk_vnet_stats() - a device's counters (impairment ones excepted).
 * @vn: the device.
 * @st: receives them.
 */
void ulk_vnet_stats(struct ulk_vnet *vn, struct ulk_netdev_stats *st)
{
	memset(st, 0, sizeof(*st));
	read_dir(&vn->tx_cnt, &st->tx);
	read_dir(&vn->rx_cnt, &st->rx);
	st->features = __atomic_load_n(&vn->mmio.driver_features,
				       __ATOMIC_RELAXED);
	st->offloads = accepted_offloads(&vn->mmio);
	st->broken = ulk_vmmio_is_broken(&vn->mmio);
}
