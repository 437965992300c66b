/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest side of the device fuzz targets (fuzz_virtqueue.c,
 * fuzz_pipe.c): memory standing for the kernel's, and a driver that sets
 * up a device through its virtio-mmio registers, as the kernel's
 * virtio_mmio and virtio_net drivers do. See guest.c.
 */
#ifndef ULK_TESTS_FUZZ_GUEST_H
#define ULK_TESTS_FUZZ_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ulk_vmmio_dev;
struct ulk_vnet;

/*
 * Where guest memory lives: a fixed address, so that ring and buffer
 * addresses in a corpus file mean the same in every run.
 */
#define GUEST_BASE	0x10000000UL

/**
 * struct guest_queue - what a driver writes for one queue.
 * @num: QueueNum.
 * @desc: descriptor table address.
 * @avail: available ring address.
 * @used: used ring address.
 */
struct guest_queue {
	uint16_t num;
	uint64_t desc, avail, used;
};

/**
 * guest_map() - map guest memory at GUEST_BASE between two inaccessible
 * pages, and tell the virtqueue code it is the kernel's memory.
 * @size: bytes, a multiple of the page size.
 *
 * Once per process. Any access the device makes outside it faults.
 * Return: the memory.
 */
unsigned char *guest_map(size_t size);

/**
 * guest_reg_write() - a 32-bit register write, as the driver makes it.
 * @dev: the device.
 * @off: register offset (VIRTIO_MMIO_*).
 * @val: value.
 */
void guest_reg_write(struct ulk_vmmio_dev *dev, unsigned long off,
		     uint32_t val);

/**
 * guest_reg_read() - a 32-bit register read.
 * @dev: the device.
 * @off: register offset.
 * Return: the value.
 */
uint32_t guest_reg_read(struct ulk_vmmio_dev *dev, unsigned long off);

/**
 * guest_driver_start() - the driver's probe: status ACKNOWLEDGE and
 * DRIVER, @features, FEATURES_OK, each queue's size and addresses and
 * QueueReady, then DRIVER_OK. Goes on whatever the device answers, as a
 * hostile driver would.
 * @dev: the device, registered.
 * @features: the features to write (accepted or not by the device).
 * @q: the queues, @nq of them, from queue 0.
 * @nq: how many.
 */
void guest_driver_start(struct ulk_vmmio_dev *dev, uint64_t features,
			const struct guest_queue *q, unsigned int nq);

/**
 * guest_interrupts() - how many times a device raised its interrupt line
 * (the harness's ulk_trigger_irq(), standing for the kernel's).
 * Return: the count since the process started.
 */
unsigned long guest_interrupts(void);

/**
 * guest_report() - with FUZZ_VERBOSE set, print a device's counters (to
 * see what a corpus file reaches).
 * @vn: the device.
 */
void guest_report(struct ulk_vnet *vn);

#endif /* ULK_TESTS_FUZZ_GUEST_H */
