// SPDX-License-Identifier: GPL-2.0
/*
 * Adding a virtio-mmio device to a running kernel.
 *
 * The kernel's virtio_mmio driver accepts new devices at run time through
 * its "device" module parameter, in the same format as on the command line;
 * writing /sys/module/virtio_mmio/parameters/device inside ulk registers
 * the platform device, and the kernel probes it (virtio core, then the
 * device's driver) before the write returns. This is ordinary kernel ABI,
 * used here through ulk's own system calls.
 */
#include <errno.h>
#include <stdio.h>

#include <ulk/ulk.h>
#include <ulk/abi.h>
#include "virtio/mmio.h"

#define DEVICE_PARAM	"/sys/module/virtio_mmio/parameters/device"

/**
 * ulk_vmmio_hotplug() - make the kernel probe a device registered after
 * boot.
 * @dev: the device, registered with ulk_vmmio_register().
 *
 * Starts the device's I/O thread, then has the kernel probe it; the
 * device's driver is bound when this returns.
 * Return: 0; the device's start error; or the negative errno of opening or
 * writing the parameter inside ulk (-ENOENT if the kernel lacks
 * CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES, -EINVAL if it refused the entry).
 */
int ulk_vmmio_hotplug(struct ulk_vmmio_dev *dev)
{
	char entry[64];
	long fd, n;
	int len, err;

	len = snprintf(entry, sizeof(entry), "0x%lx@0x%lx:%d",
		       ULK_VMMIO_SLOT_SIZE, dev->base, dev->irq);
	if (len < 0 || (size_t)len >= sizeof(entry))
		return -EINVAL;
	err = dev->ops->start(dev);
	if (err)
		return err;
	fd = ulk_sys_openat(ULK_AT_FDCWD, DEVICE_PARAM,
			    ULK_O_WRONLY | ULK_O_CLOEXEC, 0);
	if (fd < 0)
		return (int)fd;
	n = ulk_sys_write(fd, entry, len);
	ulk_sys_close(fd);
	if (n < 0)
		return (int)n;
	return n == len ? 0 : -EIO;
}
