// SPDX-License-Identifier: GPL-2.0
/*
 * TAP backend: a TAP interface of the host kernel.
 *
 * The interface is opened with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, and the
 * header size is set to 12 bytes (struct virtio_net_hdr_v1, little endian),
 * so what the TAP reads and writes is exactly what a virtio-net device
 * moves: header, then frame. Segmentation and checksum offloads therefore
 * pass straight through between the host kernel and ulk's kernel.
 *
 * Offloads. Writes may use any offload: the host kernel accepts GSO packets
 * and partial checksums from a TAP whatever its settings. What the TAP
 * hands us is governed by TUNSETOFFLOAD, which is set to exactly the
 * receive offloads ulk's driver accepted (none until it starts), so the
 * host kernel finishes checksums and segments for a driver that cannot.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "hostfd.h"
#include "net/backend.h"

#define TUN_PATH	"/dev/net/tun"

struct tap {
	struct ulk_net_backend be;
	char ifname[IFNAMSIZ];
};

/*
 * The errors of a TAP whose interface is gone (deleted, its namespace
 * destroyed): -EPIPE, the backends' "peer gone for good". A write to a
 * TAP whose interface is merely down (ip link set IF down) fails with
 * EIO: that is a lost carrier, -ENETDOWN, and the interface may come
 * back up (taking it for a dead TAP left the device dead for good).
 */
static ssize_t tap_errno(int err)
{
	switch (err) {
	case EBADFD:
	case ENXIO:
	case ENODEV:
		return -EPIPE;
	case EWOULDBLOCK:
		return -EAGAIN;
	}
	return -err;
}

static ssize_t tap_send(struct ulk_net_backend *be, const struct iovec *iov,
			int iovcnt)
{
	ssize_t n = ulk_host_writev(be->fd, iov, iovcnt);

	if (n >= 0)
		return n;
	return errno == EIO ? -ENETDOWN : tap_errno(errno);
}

/*
 * The tun driver reports a TAP writable only while its interface is up
 * (and its queue has room, which a TAP's writes never hold on to), and
 * computes that afresh for every poll: a poll that does not wait tells
 * whether the host's interface is up. Nothing wakes a waiter when it
 * comes up, so the device asks periodically while the carrier is lost.
 */
static int tap_carrier(struct ulk_net_backend *be)
{
	struct pollfd p = { .fd = be->fd, .events = POLLOUT };

	if (ulk_host_poll(&p, 1, 0) < 0)
		return 1;	/* cannot tell: let send() say */
	return !!(p.revents & POLLOUT);
}

static ssize_t tap_recv(struct ulk_net_backend *be, const struct iovec *iov,
			int iovcnt)
{
	ssize_t n = ulk_host_readv(be->fd, iov, iovcnt);

	if (n < 0)
		return tap_errno(errno);
	/* A TAP never reads 0 bytes unless its interface went away. */
	return n ? n : -EPIPE;
}

static unsigned int tun_flags(unsigned int offloads)
{
	unsigned int f = 0;

	if (offloads & ULK_NETDEV_OFFLOAD_RX_CSUM) {
		f |= TUN_F_CSUM;
		if (offloads & ULK_NETDEV_OFFLOAD_RX_TSO4)
			f |= TUN_F_TSO4;
		if (offloads & ULK_NETDEV_OFFLOAD_RX_TSO6)
			f |= TUN_F_TSO6;
		if ((f & (TUN_F_TSO4 | TUN_F_TSO6)) &&
		    (offloads & ULK_NETDEV_OFFLOAD_RX_ECN))
			f |= TUN_F_TSO_ECN;
	}
	return f;
}

static int tap_set_offload(struct ulk_net_backend *be, unsigned int offloads)
{
	return ioctl(be->fd, TUNSETOFFLOAD, tun_flags(offloads)) ? -errno : 0;
}

static void tap_close(struct ulk_net_backend *be)
{
	close(be->fd);
	free(be);
}

static const struct ulk_net_backend_ops tap_ops = {
	.send = tap_send,
	.recv = tap_recv,
	.set_offload = tap_set_offload,
	.carrier = tap_carrier,
	.close = tap_close,
};

static const char *open_reason(int err)
{
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return "the tun driver is missing: load the tun module or "
		       "create the device node (mknod /dev/net/tun c 10 200)";
	case EACCES:
	case EPERM:
		return "no permission to open it";
	default:
		return strerror(err);
	}
}

/* Is process @pid (a /proc name) in the calling thread's network namespace? */
static bool same_netns(const char *pid, const struct stat *own)
{
	char path[300];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%s/ns/net", pid);
	return !stat(path, &st) && st.st_dev == own->st_dev &&
	       st.st_ino == own->st_ino;
}

/*
 * Which process holds TAP @ifname: the tun driver names the interface of
 * each of its descriptors in /proc/PID/fdinfo/FD ("iff:\tNAME"), whatever
 * namespace the interface is in, so only processes in our own network
 * namespace are looked at (a TAP of the same name elsewhere is not ours).
 * Writes "process PID (COMM)" into @buf, or "another process" when none
 * can be read (another user's processes, without privileges).
 */
static void tap_holder(const char *ifname, char *buf, size_t len)
{
	char path[600], line[128], want[IFNAMSIZ + 8], comm[64] = "";
	struct dirent *p, *f;
	struct stat own;
	DIR *procs, *fds;
	FILE *fp;
	long found = 0;

	snprintf(buf, len, "another process");
	snprintf(want, sizeof(want), "iff:\t%s\n", ifname);
	if (stat("/proc/thread-self/ns/net", &own))
		return;
	procs = opendir("/proc");
	if (!procs)
		return;
	while (!found && (p = readdir(procs))) {
		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		if (!same_netns(p->d_name, &own))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fdinfo", p->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while (!found && (f = readdir(fds))) {
			if (f->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s",
				 p->d_name, f->d_name);
			fp = fopen(path, "re");
			if (!fp)
				continue;
			while (fgets(line, sizeof(line), fp))
				if (!strcmp(line, want))
					found = atol(p->d_name);
			fclose(fp);
		}
		closedir(fds);
	}
	closedir(procs);
	if (!found)
		return;
	snprintf(path, sizeof(path), "/proc/%ld/comm", found);
	fp = fopen(path, "re");
	if (fp) {
		if (fgets(comm, sizeof(comm), fp))
			comm[strcspn(comm, "\n")] = 0;
		fclose(fp);
	}
	snprintf(buf, len, "process %ld (%s)", found, comm);
}

static const char *setiff_reason(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return "not allowed: creating a TAP, or attaching to one owned "
		       "by another user, needs CAP_NET_ADMIN (or make a "
		       "persistent one: ip tuntap add NAME mode tap user USER)";
	case EINVAL:
		return "it exists but is not a TAP interface (a TUN, or another "
		       "kind of device)";
	default:
		return strerror(err);
	}
}

/**
 * ulk_net_tap_open() - open (or create) a TAP interface as a backend.
 * @ifname: interface name, 1..15 bytes.
 * @out: receives the backend.
 * @why: receives the reason on failure.
 * @why_len: size of @why.
 *
 * Return: 0; -EINVAL for a bad name or a non-TAP interface; the negative
 * errno of opening /dev/net/tun (-ENOENT if missing) or of TUNSETIFF
 * (-EPERM, -EBUSY); -ENOMEM.
 */
int ulk_net_tap_open(const char *ifname, struct ulk_net_backend **out,
		     char *why, size_t why_len)
{
	unsigned int probe = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
			     TUN_F_TSO_ECN;
	struct ifreq ifr;
	struct tap *t;
	int fd, err, hdr = ULK_NET_HDR_LEN, le = 1;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ ||
	    strchr(ifname, '/') || strchr(ifname, '%')) {
		snprintf(why, why_len, "tap: bad interface name \"%s\" "
			 "(1 to %d bytes, no '/' or '%%')",
			 ifname ? ifname : "(null)", IFNAMSIZ - 1);
		return -EINVAL;
	}
	fd = ulk_hostfd_move_high(open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC));
	if (fd < 0) {
		err = errno;
		snprintf(why, why_len, "tap %s: cannot open %s: %s", ifname,
			 TUN_PATH, open_reason(err));
		return -err;
	}
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		err = errno;
		close(fd);
		if (err == EBUSY) {
			char holder[128];

			tap_holder(ifname, holder, sizeof(holder));
			snprintf(why, why_len, "tap %s: cannot create or attach: "
				 "it is already in use by %s", ifname, holder);
			return -err;
		}
		snprintf(why, why_len, "tap %s: cannot create or attach: %s",
			 ifname, setiff_reason(err));
		return -err;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr)) {
		err = errno;
		snprintf(why, why_len, "tap %s: cannot set a %d-byte virtio-net "
			 "header: %s", ifname, hdr, strerror(err));
		close(fd);
		return -err;
	}
	/* Little endian header, as virtio 1.x; the default on LE hosts. */
	(void)ioctl(fd, TUNSETVNETLE, &le);

	t = calloc(1, sizeof(*t));
	if (!t) {
		close(fd);
		snprintf(why, why_len, "tap %s: out of memory", ifname);
		return -ENOMEM;
	}
	t->be.ops = &tap_ops;
	t->be.fd = fd;
	/* Sending any offload always works; receiving needs TUNSETOFFLOAD. */
	t->be.offloads = ULK_NETDEV_OFFLOAD_TX_CSUM |
			 ULK_NETDEV_OFFLOAD_TX_TSO4 |
			 ULK_NETDEV_OFFLOAD_TX_TSO6 |
			 ULK_NETDEV_OFFLOAD_TX_ECN |
			 ULK_NETDEV_OFFLOAD_RX_MRG;
	if (!ioctl(fd, TUNSETOFFLOAD, probe))
		t->be.offloads |= ULK_NETDEV_OFFLOAD_RX_CSUM |
				  ULK_NETDEV_OFFLOAD_RX_TSO4 |
				  ULK_NETDEV_OFFLOAD_RX_TSO6 |
				  ULK_NETDEV_OFFLOAD_RX_ECN;
	else if (!ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM))
		t->be.offloads |= ULK_NETDEV_OFFLOAD_RX_CSUM;
	/* Nothing offloaded until the driver says what it takes. */
	(void)ioctl(fd, TUNSETOFFLOAD, 0);
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifr.ifr_name);
	snprintf(t->be.desc, sizeof(t->be.desc), "tap %s", t->ifname);
	*out = &t->be;
	return 0;
}
