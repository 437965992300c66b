/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-mmio transport, device side: register model, registry of devices
 * and their I/O window. See mmio.c for the theory of operation.
 */
#ifndef ULK_VIRTIO_MMIO_H
#define ULK_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio/virtqueue.h"

/* Register slot of one device in the I/O window. */
#define ULK_VMMIO_SLOT_SIZE	0x1000UL
/* Devices in one process: IRQ lines 1..63 (0 is the timer's). */
/* Lines 1..62: line 0 is the timer's, 63 the host-signal one. */
#define ULK_VMMIO_MAX_DEVS	62
#define ULK_VMMIO_MAX_QUEUES	8
#define ULK_VMMIO_CONFIG_MAX	256
/* QueueNumMax: the largest ring a driver may choose. */
#define ULK_VMMIO_QUEUE_NUM_MAX	256

/* InterruptStatus bits. */
#define ULK_VMMIO_INT_VRING	1U
#define ULK_VMMIO_INT_CONFIG	2U

struct ulk_vmmio_dev;

/**
 * struct ulk_vmmio_ops - what a device model does for its transport.
 *
 * Calls marked "kernel thread" come from a register access: the caller
 * holds the kernel's CPU token, so they must not block on anything but a
 * queue lock held briefly by the device's own thread, and must not call
 * into the kernel (ulk_trigger_irq() excepted: from the token holder it
 * only marks the line pending).
 */
struct ulk_vmmio_ops {
	/**
	 * @notify: the driver wrote @queue to QueueNotify (a "kick"): there
	 *	are new available buffers. Kernel thread. The queue is ready.
	 */
	void (*notify)(struct ulk_vmmio_dev *dev, unsigned int queue);
	/**
	 * @driver_ok: the driver set DRIVER_OK: driver_features are final
	 *	and the queues it uses are ready. Kernel thread. May be NULL.
	 */
	void (*driver_ok)(struct ulk_vmmio_dev *dev);
	/**
	 * @reset: the driver reset the device (Status 0). Called before the
	 *	queues are disabled; afterwards the transport takes each
	 *	queue's lock to disable it, so the device's thread stops using
	 *	them. Kernel thread. May be NULL.
	 */
	void (*reset)(struct ulk_vmmio_dev *dev);
	/**
	 * @start: the kernel is up: start the device's I/O thread.
	 *	Application thread. Returns 0 or a negative errno.
	 */
	int (*start)(struct ulk_vmmio_dev *dev);
	/**
	 * @stop: stop and join the I/O thread (ulk_halt()). Application
	 *	thread; never called while a register access is in progress
	 *	on the same device. May be NULL.
	 */
	void (*stop)(struct ulk_vmmio_dev *dev);
	/**
	 * @idle_claim: a thread going idle offers to wait for the device's
	 *	input itself (run-to-completion, lib/virtio/idle.c). Return a
	 *	descriptor to poll for POLLIN, the I/O thread no longer waiting
	 *	for it, or -1 to decline (which also undoes an earlier claim).
	 *	Claiming a claimed device again is cheap. Any thread, not
	 *	holding the CPU token. May be NULL.
	 */
	int (*idle_claim)(struct ulk_vmmio_dev *dev);
	/**
	 * @idle_run: the claimed descriptor is readable: receive, as the
	 *	I/O thread would (may call ulk_trigger_irq()). Return false if
	 *	the device cannot take input now (no buffers): it has then
	 *	handed its input back to the I/O thread already, and the
	 *	descriptor is not polled again until the next claim.
	 */
	bool (*idle_run)(struct ulk_vmmio_dev *dev);
	/**
	 * @idle_release: the claiming thread stops waiting; the I/O thread
	 *	waits for the device's input again.
	 */
	void (*idle_release)(struct ulk_vmmio_dev *dev);
};

/**
 * struct ulk_vmmio_dev - one virtio-mmio device.
 *
 * Filled by the device model before ulk_vmmio_register():
 * @ops: its operations.
 * @device_id: virtio device ID (1 for a network card).
 * @features: feature bits offered (DeviceFeatures).
 * @num_queues: queues it has (at most ULK_VMMIO_MAX_QUEUES).
 * @config: device-specific configuration space (at offset 0x100),
 *	@config_len bytes; the device may change it, then call
 *	ulk_vmmio_config_changed().
 * @config_len: size of @config.
 * @name: short name for messages ("net0").
 *
 * Set by the registry:
 * @base: address of the register slot inside the I/O window.
 * @irq: its interrupt line.
 * @slot: index in the registry.
 *
 * Transport state (registers); written only by register accesses:
 * @status: device status (atomic: device threads read it).
 * @driver_features: features the driver accepted (final at FEATURES_OK).
 * @isr: InterruptStatus (atomic).
 * @generation: ConfigGeneration.
 * @broken: set (atomically) once the device found a malformed ring; it
 *	then stops all queue processing until reset.
 * @vqs: the queues.
 */
struct ulk_vmmio_dev {
	const struct ulk_vmmio_ops *ops;
	uint32_t device_id;
	uint64_t features;
	unsigned int num_queues;
	uint8_t config[ULK_VMMIO_CONFIG_MAX];
	uint32_t config_len;
	char name[16];

	unsigned long base;
	int irq;
	int slot;

	uint32_t status;
	uint64_t driver_features;
	uint32_t isr;
	uint32_t generation;
	int broken;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	struct ulk_vq vqs[ULK_VMMIO_MAX_QUEUES];
};

int ulk_vmmio_register(struct ulk_vmmio_dev *dev);
void ulk_vmmio_unregister(struct ulk_vmmio_dev *dev);
int ulk_vmmio_prepare_boot(char *cmdline, size_t cmdline_size,
			   unsigned long *iomem, unsigned long *iomem_size);
int ulk_vmmio_start_all(void);
void ulk_vmmio_stop_all(void);
bool ulk_vmmio_booted(void);
struct ulk_vmmio_dev *ulk_vmmio_dev_at(int slot);
extern const struct ulk_idle_poller ulk_vmmio_idle_poller;
unsigned long long ulk_vmmio_read(unsigned long addr, int size);
void ulk_vmmio_write(unsigned long addr, int size, unsigned long long val);
void ulk_vmmio_interrupt(struct ulk_vmmio_dev *dev, uint32_t why);
void ulk_vmmio_config_changed(struct ulk_vmmio_dev *dev);
void ulk_vmmio_set_broken(struct ulk_vmmio_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * ulk_vmmio_is_broken() - the device stopped after a malformed ring.
 * @dev: the device.
 * Return: true if so.
 */
static inline bool ulk_vmmio_is_broken(struct ulk_vmmio_dev *dev)
{
	return __atomic_load_n(&dev->broken, __ATOMIC_RELAXED);
}

/**
 * ulk_vmmio_has_feature() - did the driver accept feature @bit?
 * @dev: the device.
 * @bit: feature bit number.
 * Return: true if accepted.
 */
static inline bool ulk_vmmio_has_feature(struct ulk_vmmio_dev *dev,
					 unsigned int bit)
{
	return __atomic_load_n(&dev->driver_features, __ATOMIC_RELAXED) &
	       (1ULL << bit);
}

#endif /* ULK_VIRTIO_MMIO_H */
