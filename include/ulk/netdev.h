/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ulk network devices: virtio-net cards for the kernel inside this process.
 *
 * Each device is a virtio-net card on the virtio-mmio transport, driven by
 * the kernel's own virtio_net driver, whose packets go to and come from a
 * backend on the host:
 *
 *  - tap: a TAP interface of the host kernel (needs CAP_NET_ADMIN to create
 *    one or to attach to one you do not own);
 *  - pipe: an AF_UNIX datagram socket linking two ulk instances (two
 *    processes, one kernel each), no privileges;
 *  - stream: an AF_UNIX stream socket carrying length-prefixed Ethernet
 *    frames, as QEMU's "-netdev stream" and passt do: a QEMU guest's link,
 *    or another ulk instance; no privileges.
 *
 * On tap and pipe, packets carry the virtio-net header end to end, so
 * checksum offload and TCP segmentation offload work across the backend:
 * with offloads on, 64 KiB TCP segments cross it in one piece. The stream
 * framing has no such header: its devices offer no offloads (frames of at
 * most MTU + 18 bytes, checksums filled in).
 *
 * Add devices before ulk_start(): the kernel probes them at boot, in the
 * order they were added, and names them eth0, eth1, ... (the kernel takes
 * virtio-mmio devices from its command line only, so none can be added to
 * a running ulk). Use ulk_netdev_ifindex() for the interface index inside
 * ulk, then configure the interface (addresses, routes, up) with
 * <ulk/net.h> or ioctls.
 *
 * Returns follow the rest of the API: 0 or a value >= 0 on success, a
 * negative errno on failure (ulk_strerror() describes it). For the add
 * functions ulk_netdev_last_error() gives the reason in words as well.
 */
#ifndef ULK_NETDEV_H
#define ULK_NETDEV_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Offloads, each switchable per device (struct ulk_netdev_opts.offloads).
 * "tx" is ulk sending, "rx" ulk receiving. The virtio feature each one
 * offers the kernel's driver is given in brackets.
 */
/* ulk leaves checksums of sent packets to the far end [CSUM] */
#define ULK_NETDEV_OFFLOAD_TX_CSUM	(1U << 0)
/* ulk accepts packets whose checksum is not filled in [GUEST_CSUM] */
#define ULK_NETDEV_OFFLOAD_RX_CSUM	(1U << 1)
/* ulk sends TCP/IPv4 segments up to 64 KiB [HOST_TSO4]; needs TX_CSUM */
#define ULK_NETDEV_OFFLOAD_TX_TSO4	(1U << 2)
/* ulk sends TCP/IPv6 segments up to 64 KiB [HOST_TSO6]; needs TX_CSUM */
#define ULK_NETDEV_OFFLOAD_TX_TSO6	(1U << 3)
/* ... with ECN (CWR) set [HOST_ECN]; needs TX_TSO4 or TX_TSO6 */
#define ULK_NETDEV_OFFLOAD_TX_ECN	(1U << 4)
/* ulk receives TCP/IPv4 segments up to 64 KiB [GUEST_TSO4]; needs RX_CSUM */
#define ULK_NETDEV_OFFLOAD_RX_TSO4	(1U << 5)
/* ulk receives TCP/IPv6 segments up to 64 KiB [GUEST_TSO6]; needs RX_CSUM */
#define ULK_NETDEV_OFFLOAD_RX_TSO6	(1U << 6)
/* ... with ECN [GUEST_ECN]; needs RX_TSO4 or RX_TSO6 */
#define ULK_NETDEV_OFFLOAD_RX_ECN	(1U << 7)
/*
 * Large receive through mergeable receive buffers [MRG_RXBUF]: a packet
 * fills as many page-sized buffers as it needs. Without it the driver posts
 * 64 KiB buffers ("big packets") when RX_TSO4/6 is on, else MTU-sized ones.
 */
#define ULK_NETDEV_OFFLOAD_RX_MRG	(1U << 8)
#define ULK_NETDEV_OFFLOAD_ALL		0x1ffU
/* Explicitly none: .offloads = 0 means the default, ALL. */
#define ULK_NETDEV_OFFLOAD_NONE		(1U << 31)

/**
 * struct ulk_netdev_impair - a bad network in one direction.
 * @drop: probability (0..1) that a packet is lost.
 * @duplicate: probability that a packet is delivered twice.
 * @reorder: probability that a packet is held back and delivered after
 *	the next one (or after 1 ms if none follows).
 * @corrupt: probability that one byte of a packet's frame is flipped. The
 *	damage is made detectable as on a real wire: a checksum left to the
 *	far end (offloads) is completed first; a TSO segment, which stands
 *	for many wire packets, is dropped instead (counted as corrupted).
 * @delay: probability that a packet is held for @delay_ms (1 for all).
 * @delay_ms: the delay in milliseconds (at most 10000).
 * @seed: seed of the pseudo-random decisions: the same seed and the same
 *	packets give the same decisions. 0 is a fixed default seed.
 *
 * All zero (the default) passes every packet untouched and costs nothing.
 */
struct ulk_netdev_impair {
	double drop;
	double duplicate;
	double reorder;
	double corrupt;
	double delay;
	unsigned int delay_ms;
	unsigned long long seed;
};

/**
 * struct ulk_netdev_opts - options of a new device; zero fields take their
 * defaults, and a NULL options pointer means all defaults.
 * @mac: Ethernet address, 6 bytes, or NULL for a random locally
 *	administered unicast one. Must differ from every other device's.
 * @mtu: MTU the device reports (68..65535); 0 for 1500.
 * @offloads: ULK_NETDEV_OFFLOAD_* wanted; 0 for ULK_NETDEV_OFFLOAD_ALL,
 *	ULK_NETDEV_OFFLOAD_NONE for none. Offloads the backend cannot carry,
 *	and those whose prerequisite (see above) is off, are not offered.
 * @tx: impairment of packets ulk sends.
 * @rx: impairment of packets ulk receives.
 */
struct ulk_netdev_opts {
	const unsigned char *mac;
	unsigned int mtu;
	unsigned int offloads;
	struct ulk_netdev_impair tx;
	struct ulk_netdev_impair rx;
};

/* Roles of the two ends of a named pipe (ulk_netdev_add_pipe_path()). */
#define ULK_NETDEV_PIPE_A	0
#define ULK_NETDEV_PIPE_B	1

/**
 * ulk_netdev_add_tap() - add a device whose backend is a host TAP
 * interface.
 * @ifname: the TAP interface's name on the host (at most 15 bytes). An
 *	existing TAP interface is attached to (a persistent one made with
 *	"ip tuntap add NAME mode tap user $USER" needs no privilege);
 *	otherwise one is created, which needs CAP_NET_ADMIN, and disappears
 *	when the process exits.
 * @opts: options, or NULL.
 *
 * The TAP is opened with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR and a 12-byte
 * header; its offloads are set to what the kernel's driver accepts once
 * it starts.
 * Return: the device number (>= 0); -EBUSY if ulk is already running
 * (add devices before ulk_start()); -ENOENT if /dev/net/tun is missing;
 * -EPERM/-EACCES without the privilege to open /dev/net/tun or to create
 * or attach to @ifname; -EBUSY if another process has it open; -EINVAL if
 * @ifname is empty, too long, or names a non-TAP interface, or for a bad
 * option; -EEXIST if @opts->mac is another device's; -ENOSPC if there are
 * too many devices (62); -ENOMEM. ulk_netdev_last_error() says which.
 */
int ulk_netdev_add_tap(const char *ifname, const struct ulk_netdev_opts *opts);

/**
 * ulk_netdev_add_pipe_fd() - add a device whose backend is an AF_UNIX
 * socket the caller already has.
 * @fd: one end of socketpair(AF_UNIX, SOCK_DGRAM or SOCK_SEQPACKET), or a
 *	connected AF_UNIX datagram socket. ulk takes it over (makes it
 *	non-blocking, raises its send buffer) and closes it at exit. The
 *	other end typically goes to another process that boots its own ulk
 *	(fork() before either calls ulk_start()).
 * @opts: options, or NULL.
 *
 * Return: the device number (>= 0); -EBADF if @fd is not open; -ENOTSOCK,
 * -EAFNOSUPPORT or -EPROTOTYPE if it is not an AF_UNIX datagram or
 * seqpacket socket; otherwise as ulk_netdev_add_tap().
 */
int ulk_netdev_add_pipe_fd(int fd, const struct ulk_netdev_opts *opts);

/**
 * ulk_netdev_add_pipe_path() - add a device linked to another process's
 * through named AF_UNIX datagram sockets.
 * @path: common prefix of the two sockets' paths. The ULK_NETDEV_PIPE_A
 *	end binds "@path.a" and sends to "@path.b"; the ULK_NETDEV_PIPE_B
 *	end the other way round. Each end removes a stale socket file at
 *	its own path before binding. Either may start first: until the
 *	peer's socket exists, sent packets are dropped (counted), as on an
 *	unplugged cable. Until it is connected to its peer, an end takes
 *	datagrams only from the peer's path, but anyone who can bind that
 *	path can pose as the peer: put the sockets in a directory only the
 *	two can use.
 * @role: ULK_NETDEV_PIPE_A or ULK_NETDEV_PIPE_B.
 * @opts: options, or NULL.
 *
 * Return: the device number (>= 0); -ENAMETOOLONG if "@path.a" does not
 * fit a socket address (107 bytes); -EADDRINUSE if another socket is
 * bound there and cannot be removed; -EACCES; -EINVAL for a bad @role;
 * otherwise as ulk_netdev_add_tap().
 */
int ulk_netdev_add_pipe_path(const char *path, int role,
			     const struct ulk_netdev_opts *opts);

/**
 * ulk_netdev_add_stream_fd() - add a device whose backend is a connected
 * AF_UNIX stream socket the caller already has.
 * @fd: one end of socketpair(AF_UNIX, SOCK_STREAM), or a connected AF_UNIX
 *	stream socket (QEMU's "-netdev stream,...,addr.type=fd" peer, say).
 *	ulk takes it over (makes it non-blocking, raises its buffers) and
 *	closes it at exit.
 * @opts: options, or NULL. Offloads cannot be carried (there is no
 *	virtio-net header on the wire) and are not offered, whatever
 *	@opts->offloads says.
 *
 * The wire format is QEMU's stream netdev's (QEMU 7.2 and later) and
 * passt's: every Ethernet frame is preceded by its length, 4 bytes big
 * endian. The peer is not trusted: a length below 14 (an Ethernet header)
 * or above 65553 (the largest frame a ulk device takes) means the stream
 * is out of sync; ulk says so once on stderr, shuts the socket down and
 * takes the link down, as when the peer closes the stream. A well-formed
 * frame that does not fit the driver's receive buffers (sized for MTU + 18
 * bytes) is dropped and counted (rx dropped), and the stream goes on.
 * Return: the device number (>= 0); -EBADF if @fd is not open; -ENOTSOCK,
 * -EAFNOSUPPORT or -EPROTOTYPE if it is not an AF_UNIX stream socket;
 * -ENOTCONN if it is not connected; otherwise as ulk_netdev_add_tap().
 */
int ulk_netdev_add_stream_fd(int fd, const struct ulk_netdev_opts *opts);

/**
 * ulk_netdev_add_stream_path() - add a device whose backend is an AF_UNIX
 * stream socket at a path: connected to a listening peer, or listening
 * for one.
 * @path: the socket's path (at most 107 bytes).
 * @listen: 0 to connect to @path now (QEMU's "-netdev stream,server=on,
 *	addr.type=unix,addr.path=@path" listens there, as does another ulk
 *	with @listen 1); fails if nobody listens. 1 to listen on @path (a
 *	stale socket file there is removed first) and wait for one peer
 *	(QEMU with "server=off"): this call blocks in accept() until the
 *	peer connects, so ulk_start() comes after it and the link has its
 *	peer from boot on; the socket file is then removed (one peer per
 *	link: nobody else can connect). A signal does not end the wait
 *	unless its handler ends the process.
 * @opts: options, or NULL; as for ulk_netdev_add_stream_fd().
 *
 * Framing and the handling of a bad peer: see ulk_netdev_add_stream_fd().
 * Return: the device number (>= 0); -EINVAL for an empty @path or a
 * @listen other than 0 or 1; -ENAMETOOLONG; connecting: -ENOENT if there
 * is no socket at @path, -ECONNREFUSED if nobody listens on it, -EACCES;
 * listening: -EEXIST if @path is a file other than a socket, -EADDRINUSE,
 * -EACCES, -ENOENT for a missing directory; otherwise as
 * ulk_netdev_add_tap().
 */
int ulk_netdev_add_stream_path(const char *path, int listen,
			       const struct ulk_netdev_opts *opts);

/**
 * ulk_netdev_last_error() - why the calling thread's last failed
 * ulk_netdev_add_*() call failed, in words.
 *
 * Return: a thread-local string, "" if there was no failure; valid until
 * the thread's next ulk_netdev_*() call.
 */
const char *ulk_netdev_last_error(void);

/**
 * ulk_netdev_ifindex() - the interface index of a device inside ulk.
 * @dev: device number from ulk_netdev_add_*().
 *
 * Found by the device's MAC address among the interfaces in
 * /sys/class/net inside ulk, so it does not depend on names.
 * Return: the index (> 0); -EINVAL for an unknown @dev; -ESHUTDOWN if ulk
 * is not running; -ENODEV if the kernel has no interface with that MAC
 * address (its driver refused the device: see the kernel log).
 */
int ulk_netdev_ifindex(int dev);

/* Packet size classes of struct ulk_netdev_dir_stats.sizes. */
enum ulk_netdev_size_class {
	ULK_NETDEV_SIZE_1518,	/* up to 1518 bytes (an Ethernet frame) */
	ULK_NETDEV_SIZE_4K,	/* 1519..4096 */
	ULK_NETDEV_SIZE_16K,	/* 4097..16384 */
	ULK_NETDEV_SIZE_32K,	/* 16385..32768 */
	ULK_NETDEV_SIZE_64K,	/* 32769..65536 */
	ULK_NETDEV_SIZE_HUGE,	/* larger */
	ULK_NETDEV_SIZE_COUNT
};

/**
 * struct ulk_netdev_impair_stats - what an impairment filter did.
 * @passed: packets it let through unchanged and on time.
 * @dropped: packets it dropped.
 * @duplicated: packets it delivered twice.
 * @reordered: packets it delivered after their successor.
 * @delayed: packets it held back for the delay.
 * @corrupted: packets it damaged (or dropped as corrupted, for TSO ones).
 */
struct ulk_netdev_impair_stats {
	unsigned long long passed;
	unsigned long long dropped;
	unsigned long long duplicated;
	unsigned long long reordered;
	unsigned long long delayed;
	unsigned long long corrupted;
};

/**
 * struct ulk_netdev_dir_stats - counters of one direction.
 * @packets: frames that crossed the backend.
 * @bytes: their bytes (Ethernet frame, without the virtio-net header).
 * @large: frames above 32 KiB: segmentation offload at work.
 * @sizes: frames by size class (enum ulk_netdev_size_class).
 * @dropped: tx: frames the backend refused for good (peer gone, no
 *	buffer space); rx: frames too large for the driver's buffers, or
 *	for offloads the driver did not accept.
 * @errors: tx: malformed frames from the driver (shorter than the
 *	header, longer than 64 KiB); rx: backend errors.
 * @stalls: tx: times the backend was full and transmission waited;
 *	rx: times the driver had no free receive buffer and reception
 *	waited for it (packets wait in the backend, none is dropped).
 * @interrupts: interrupts raised for this direction's queue.
 * @kicks: notifications the driver sent on this direction's queue.
 * @impair: the impairment filter's counters for this direction.
 */
struct ulk_netdev_dir_stats {
	unsigned long long packets;
	unsigned long long bytes;
	unsigned long long large;
	unsigned long long sizes[ULK_NETDEV_SIZE_COUNT];
	unsigned long long dropped;
	unsigned long long errors;
	unsigned long long stalls;
	unsigned long long interrupts;
	unsigned long long kicks;
	struct ulk_netdev_impair_stats impair;
};

/**
 * struct ulk_netdev_stats - counters of a device.
 * @tx: packets ulk sent.
 * @rx: packets ulk received.
 * @offloads: ULK_NETDEV_OFFLOAD_* the kernel's driver accepted (0 before
 *	it started).
 * @features: the virtio feature bits it accepted.
 * @broken: 1 if the device stopped because the driver gave it a malformed
 *	ring (a kernel bug; the reason went to stderr).
 */
struct ulk_netdev_stats {
	struct ulk_netdev_dir_stats tx;
	struct ulk_netdev_dir_stats rx;
	unsigned int offloads;
	unsigned long long features;
	int broken;
};

/**
 * ulk_netdev_stats() - read a device's counters.
 * @dev: device number.
 * @st: receives them. Counters only grow; each is read atomically, the
 *	set as a whole is not a snapshot.
 *
 * Return: 0, or -EINVAL for an unknown @dev or a NULL @st.
 */
int ulk_netdev_stats(int dev, struct ulk_netdev_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* ULK_NETDEV_H */
