// SPDX-License-Identifier: GPL-2.0
/*
 * The guest side of the device fuzz targets: guest memory, a driver
 * speaking to the register model, and the one piece of the kernel the
 * device model calls, ulk_trigger_irq().
 *
 * Only that entry point is stubbed: everything from the registers down
 * (lib/virtio/mmio.c, virtqueue.c, net.c and the backends) is the code
 * ulk runs. The stub counts interrupts instead of running the driver's
 * handler; the harness plays the driver between calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "guest.h"
#include "virtio/mmio.h"
#include "virtio/net.h"
#include "virtio/virtqueue.h"

static unsigned long interrupts;

/**
 * ulk_trigger_irq() - the kernel's entry point, as the device calls it
 * (ulk_vmmio_interrupt()): counted, no handler runs.
 * @irq: the line.
 * Return: 0.
 */
int ulk_trigger_irq(int irq)
{
	(void)irq;
	interrupts++;
	return 0;
}

unsigned long guest_interrupts(void)
{
	return interrupts;
}

unsigned char *guest_map(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *p;

	/* Guard page, memory, guard page: all reserved, then opened. */
	p = mmap((void *)(GUEST_BASE - page), size + 2 * page, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)(GUEST_BASE - page)) {
		fprintf(stderr, "guest_map: cannot map %#lx: %m\n", GUEST_BASE);
		abort();
	}
	p += page;
	if (mprotect(p, size, PROT_READ | PROT_WRITE))
		abort();
	ulk_vq_set_memory((unsigned long)p, size);
	return p;
}

void guest_reg_write(struct ulk_vmmio_dev *dev, unsigned long off,
		     uint32_t val)
{
	ulk_vmmio_write(dev->base + off, 4, val);
}

uint32_t guest_reg_read(struct ulk_vmmio_dev *dev, unsigned long off)
{
	return (uint32_t)ulk_vmmio_read(dev->base + off, 4);
}

void guest_driver_start(struct ulk_vmmio_dev *dev, uint64_t features,
			const struct guest_queue *q, unsigned int nq)
{
	uint32_t status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	unsigned int i;

	guest_reg_write(dev, VIRTIO_MMIO_STATUS, status);
	guest_reg_write(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	(void)guest_reg_read(dev, VIRTIO_MMIO_DEVICE_FEATURES);
	guest_reg_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	guest_reg_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	guest_reg_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	guest_reg_write(dev, VIRTIO_MMIO_DRIVER_FEATURES,
			(uint32_t)(features >> 32));
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	guest_reg_write(dev, VIRTIO_MMIO_STATUS, status);
	(void)guest_reg_read(dev, VIRTIO_MMIO_STATUS);
	for (i = 0; i < nq; i++) {
		guest_reg_write(dev, VIRTIO_MMIO_QUEUE_SEL, i);
		(void)guest_reg_read(dev, VIRTIO_MMIO_QUEUE_NUM_MAX);
		guest_reg_write(dev, VIRTIO_MMIO_QUEUE_NUM, q[i].num);
		guest_reg_write(dev, VIRTIO_MMIO_QUEUE_DESC_LOW,
				(uint32_t)q[i].desc);
		guest_reg_write(dev, VIRTIO_MMIO_QUEUE_DESC_HIGH,
				(uint32_t)(q[i].desc >> 32));
		guest_reg_write(dev, VIRTIO_MMIO_QUEUE_AVAIL_LOW,
				(uint32_t)q[i].avail);
		guest_reg_write(dev, VIRTIO_MMIO_QUEUE_AVAIL_HIGH,
				(uint32_t)(q[i].avail >> 32));
		guest_reg_write(dev, VIRTIO_MMIO_QUEUE_USED_LOW,
				(uint32_t)q[i].used);
		guest_reg_write(dev, VIRTIO_MMIO_QUEUE_USED_HIGH,
				(uint32_t)(q[i].used >> 32));
		guest_reg_write(dev, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	status |= VIRTIO_CONFIG_S_DRIVER_OK;
	guest_reg_write(dev, VIRTIO_MMIO_STATUS, status);
}

void guest_report(struct ulk_vnet *vn)
{
	struct ulk_netdev_stats st;

	if (!getenv("FUZZ_VERBOSE"))
		return;
	ulk_vnet_stats(vn, &st);
	printf("tx %llu packets, %llu dropped, %llu errors; rx %llu packets, "
	       "%llu dropped, %llu errors; broken %d; %lu interrupts\n",
	       st.tx.packets, st.tx.dropped, st.tx.errors, st.rx.packets,
	       st.rx.dropped, st.rx.errors, st.broken, interrupts);
}
