// SPDX-License-Identifier: GPL-2.0
/*
 * The public network device API (<ulk/netdev.h>): open a backend, put the
 * impairment filter in front of it if asked, make a virtio-net device on
 * it and register the device with the virtio-mmio transport, for the
 * kernel to find at boot. Also the look-ups done through the kernel
 * itself: a device's interface index, by its MAC address in /sys/class/net.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <ulk/ulk.h>
#include <ulk/abi.h>
#include <ulk/netdev.h>
#include "net/backend.h"
#include "virtio/mmio.h"
#include "virtio/net.h"

#define MAX_NETDEVS	ULK_VMMIO_MAX_DEVS
#define DEFAULT_MTU	1500

struct netdev {
	struct ulk_vnet *vn;
	struct ulk_net_backend *be;	/* the one the device uses */
	bool impaired;
};

static pthread_mutex_t netdevs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct netdev netdevs[MAX_NETDEVS];
static int nr_netdevs;

static __thread char last_error[256];

static const char too_late[] = "ulk has already been started: add devices "
	"before ulk_start() (the kernel finds virtio-mmio devices on its "
	"command line only)";

static int fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return err;
}

const char *ulk_netdev_last_error(void)
{
	return last_error;
}

static void random_mac(unsigned char mac[6])
{
	if (getrandom(mac, 6, GRND_NONBLOCK) != 6) {
		struct timespec ts;
		unsigned long long x;
		int i;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = (unsigned long long)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
		    (unsigned long long)getpid() << 32 ^ (unsigned long)mac;
		for (i = 0; i < 6; i++, x >>= 8)
			mac[i] = x;
	}
	mac[0] = (mac[0] & 0xfe) | 0x02;	/* unicast, locally administered */
}

static bool mac_in_use(const unsigned char mac[6])
{
	int i;

	for (i = 0; i < nr_netdevs; i++)
		if (!memcmp(ulk_vnet_mac(netdevs[i].vn), mac, 6))
			return true;
	return false;
}

/*
 * Make the device on @be and register it; takes over @be in every case.
 * Return: the device number or a negative errno (with last_error set).
 */
static int add_device(struct ulk_net_backend *be,
		      const struct ulk_netdev_opts *opts)
{
	static const struct ulk_netdev_opts defaults;
	struct ulk_net_backend *dev_be = be;
	struct ulk_vmmio_dev *mmio;
	unsigned int mtu, offloads;
	unsigned char mac[6];
	struct ulk_vnet *vn;
	bool impaired;
	int err, id;

	if (!opts)
		opts = &defaults;
	mtu = opts->mtu ? opts->mtu : DEFAULT_MTU;
	offloads = opts->offloads ? opts->offloads : ULK_NETDEV_OFFLOAD_ALL;
	if (offloads & ULK_NETDEV_OFFLOAD_NONE)
		offloads &= ~ULK_NETDEV_OFFLOAD_NONE;
	if (mtu < 68 || mtu > 65535) {
		err = fail(-EINVAL, "mtu %u outside 68..65535", mtu);
		goto out_be;
	}
	if (offloads & ~ULK_NETDEV_OFFLOAD_ALL) {
		err = fail(-EINVAL, "unknown offload flags 0x%x",
			   offloads & ~ULK_NETDEV_OFFLOAD_ALL);
		goto out_be;
	}
	if (opts->mac) {
		static const unsigned char zero[6];

		memcpy(mac, opts->mac, 6);
		if ((mac[0] & 1) || !memcmp(mac, zero, 6)) {
			err = fail(-EINVAL, "MAC address is multicast or zero");
			goto out_be;
		}
	} else {
		random_mac(mac);
	}
	impaired = ulk_net_impair_active(&opts->tx) ||
		   ulk_net_impair_active(&opts->rx);
	if (impaired) {
		err = ulk_net_impair_wrap(be, &opts->tx, &opts->rx, &dev_be);
		if (err) {
			fail(err, "bad impairment settings (rates must be in "
			     "0..1, delay at most 10000 ms)");
			goto out_be;
		}
	}
	err = ulk_vnet_create(dev_be, mac, mtu, offloads, &vn);
	if (err) {
		fail(err, "cannot create the device: %s", strerror(-err));
		goto out_dev_be;
	}

	pthread_mutex_lock(&netdevs_lock);
	if (mac_in_use(mac)) {
		err = fail(-EEXIST, "MAC address already used by another "
			   "device");
		goto out_unlock;
	}
	if (nr_netdevs == MAX_NETDEVS) {
		err = fail(-ENOSPC, "too many devices (%d)", MAX_NETDEVS);
		goto out_unlock;
	}
	id = nr_netdevs;
	mmio = ulk_vnet_mmio(vn);
	snprintf(mmio->name, sizeof(mmio->name), "net%d", id);
	err = ulk_vmmio_register(mmio);
	if (err == -EBUSY) {
		fail(err, "%s", too_late);
		goto out_unlock;
	}
	if (err) {
		fail(err, "no room for another virtio device: %s",
		     strerror(-err));
		goto out_unlock;
	}
	netdevs[id].vn = vn;
	netdevs[id].be = dev_be;
	netdevs[id].impaired = impaired;
	__atomic_store_n(&nr_netdevs, id + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&netdevs_lock);
	last_error[0] = '\0';
	return id;

out_unlock:
	pthread_mutex_unlock(&netdevs_lock);
	ulk_vnet_destroy(vn);	/* closes the backend too */
	return err;
out_dev_be:
	dev_be->ops->close(dev_be);
	return err;
out_be:
	be->ops->close(be);
	return err;
}

/* Devices go on the kernel command line: none can be added after boot. */
static int check_not_booted(void)
{
	if (!ulk_vmmio_booted())
		return 0;
	return fail(-EBUSY, "%s", too_late);
}

int ulk_netdev_add_tap(const char *ifname, const struct ulk_netdev_opts *opts)
{
	struct ulk_net_backend *be;
	int err = check_not_booted();

	if (err)
		return err;
	err = ulk_net_tap_open(ifname, &be, last_error, sizeof(last_error));
	if (err)
		return err;
	return add_device(be, opts);
}

int ulk_netdev_add_pipe_fd(int fd, const struct ulk_netdev_opts *opts)
{
	struct ulk_net_backend *be;
	int err = check_not_booted();

	if (err)
		return err;
	err = ulk_net_pipe_fd(fd, &be, last_error, sizeof(last_error));
	if (err)
		return err;
	return add_device(be, opts);
}

int ulk_netdev_add_pipe_path(const char *path, int role,
			     const struct ulk_netdev_opts *opts)
{
	struct ulk_net_backend *be;
	int err = check_not_booted();

	if (err)
		return err;
	err = ulk_net_pipe_path(path, role, &be, last_error,
				sizeof(last_error));
	if (err)
		return err;
	return add_device(be, opts);
}

int ulk_netdev_add_stream_fd(int fd, const struct ulk_netdev_opts *opts)
{
	struct ulk_net_backend *be;
	int err = check_not_booted();

	if (err)
		return err;
	err = ulk_net_stream_fd(fd, &be, last_error, sizeof(last_error));
	if (err)
		return err;
	return add_device(be, opts);
}

int ulk_netdev_add_stream_path(const char *path, int listen,
			       const struct ulk_netdev_opts *opts)
{
	struct ulk_net_backend *be;
	int err = check_not_booted();

	if (err)
		return err;
	if (listen != 0 && listen != 1)
		return fail(-EINVAL, "stream: listen is %d, neither 0 "
			    "(connect) nor 1 (listen)", listen);
	err = ulk_net_stream_path(path, listen, &be, last_error,
				  sizeof(last_error));
	if (err)
		return err;
	return add_device(be, opts);
}

static struct netdev *get(int dev)
{
	if (dev < 0 || dev >= __atomic_load_n(&nr_netdevs, __ATOMIC_ACQUIRE))
		return NULL;
	return &netdevs[dev];
}

int ulk_netdev_stats(int dev, struct ulk_netdev_stats *st)
{
	struct netdev *nd = get(dev);

	if (!nd || !st)
		return -EINVAL;
	ulk_vnet_stats(nd->vn, st);
	if (nd->impaired)
		ulk_net_impair_stats(nd->be, &st->tx.impair, &st->rx.impair);
	return 0;
}

/* ---- interface index, through the kernel's sysfs --------------------------- */

static bool parse_mac(const char *s, unsigned char mac[6])
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5]) != 6)
		return false;
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	return true;
}

static long read_small(const char *path, char *buf, size_t size)
{
	long fd, n;

	fd = ulk_sys_openat(ULK_AT_FDCWD, path, ULK_O_RDONLY | ULK_O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	n = ulk_sys_read(fd, buf, size - 1);
	ulk_sys_close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Interface index of the interface @name if its address is @mac, else 0. */
static int match_iface(const char *name, const unsigned char mac[6])
{
	char path[96], buf[64];
	unsigned char got[6];

	if ((size_t)snprintf(path, sizeof(path), "/sys/class/net/%s/address",
			     name) >= sizeof(path))
		return 0;
	if (read_small(path, buf, sizeof(buf)) <= 0 || !parse_mac(buf, got) ||
	    memcmp(got, mac, 6))
		return 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s/ifindex", name);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	return atoi(buf);
}

int ulk_netdev_ifindex(int dev)
{
	struct netdev *nd = get(dev);
	const unsigned char *mac;
	char buf[2048];
	long fd, n, off;
	int found = 0;

	if (!nd)
		return -EINVAL;
	mac = ulk_vnet_mac(nd->vn);
	fd = ulk_sys_openat(ULK_AT_FDCWD, "/sys/class/net",
			    ULK_O_RDONLY | ULK_O_DIRECTORY | ULK_O_CLOEXEC, 0);
	if (fd < 0)
		return (int)fd;
	while (!found && (n = ulk_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		/* struct linux_dirent64: ino 8, off 8, reclen 2, type 1, name */
		for (off = 0; off + 19 < n && !found;) {
			unsigned short reclen;
			const char *name = buf + off + 19;

			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			if (!reclen || off + reclen > n)
				break;
			if (name[0] != '.')
				found = match_iface(name, mac);
			off += reclen;
		}
	}
	ulk_sys_close(fd);
	return found > 0 ? found : -ENODEV;
}
