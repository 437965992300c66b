// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mmio transport, device side (virtio 1.x, register layout
 * version 2).
 *
 * Theory of operation
 * -------------------
 * The kernel finds virtio-mmio devices on its command line
 * ("virtio_mmio.device=<size>@<base>:<irq>") and drives them with its own,
 * unmodified virtio_mmio driver. Each device here gets a 4 KiB slot in an
 * I/O window: address space reserved with mmap(PROT_NONE), so the
 * addresses are unique and never memory. The architecture's readl()/
 * writel() see that an address is inside the window and call the host's
 * iomem_read/iomem_write, which land in ulk_vmmio_read()/ulk_vmmio_write()
 * here. Slot n is at window + n * 4 KiB and uses interrupt line n + 1
 * (line 0 is the timer's).
 *
 * Threads. Register accesses come only from the thread holding the
 * kernel's CPU token, so they are serialised among themselves and need no
 * lock. They must not block: queue kicks are handed to the device model
 * (struct ulk_vmmio_ops), which does only non-blocking work on this thread.
 * The device's own I/O thread touches the rings under each queue's lock;
 * the register side takes the same lock only to enable or disable a queue.
 * Fields both sides read (status, features, InterruptStatus, broken) are
 * accessed atomically.
 *
 * Interrupts. ulk_vmmio_interrupt() sets a bit in InterruptStatus, then
 * raises the line with ulk_trigger_irq(); the driver's handler reads
 * InterruptStatus and acknowledges what it read. A raise that finds the bit
 * already set still raises the line: the driver may have read the status
 * just before the bit was set, and lines are edge-like (see arch/ulk
 * irq.c), so an extra interrupt is harmless and a missing one is a hang.
 *
 * Life cycle. Devices are registered before ulk_start(), which appends
 * their command-line entries and passes the window to the kernel. The
 * kernel takes virtio-mmio devices from its command line only (its
 * "device" parameter is read-only in sysfs), so a device cannot be added
 * to a running kernel: registration fails with -EBUSY after boot. Status 0
 * resets a device: the model quiesces, every queue is disabled under its
 * lock and the registers return to their initial values.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include <ulk/ulk.h>
#include "virtio/mmio.h"

#define VMMIO_MAGIC		0x74726976U	/* "virt" */
#define VMMIO_VERSION		2U
#define VMMIO_VENDOR		0x4b4c5500U	/* "\0ULK" */
#define WINDOW_SIZE		(ULK_VMMIO_MAX_DEVS * ULK_VMMIO_SLOT_SIZE)

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ulk_vmmio_dev *devs[ULK_VMMIO_MAX_DEVS];
static unsigned long window;
static int booted;

/* Reserve the window once; 0 or -ENOMEM. Registry lock held. */
static int window_reserve(void)
{
	void *p;

	if (window)
		return 0;
	p = mmap(NULL, WINDOW_SIZE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	window = (unsigned long)p;
	return 0;
}

/**
 * ulk_vmmio_register() - give a device a register slot and an IRQ line.
 * @dev: the device, filled as struct ulk_vmmio_dev says.
 *
 * The device appears on the kernel command line at boot.
 * Return: 0; -EBUSY once the kernel has booted; -ENOSPC if all slots are
 * taken; -ENOMEM if the window cannot be reserved; -EINVAL for a bad
 * description.
 */
int ulk_vmmio_register(struct ulk_vmmio_dev *dev)
{
	unsigned int i;
	int slot, err;

	if (!dev->ops || !dev->ops->notify || !dev->ops->start ||
	    dev->num_queues > ULK_VMMIO_MAX_QUEUES ||
	    dev->config_len > ULK_VMMIO_CONFIG_MAX)
		return -EINVAL;
	for (i = 0; i < ULK_VMMIO_MAX_QUEUES; i++)
		ulk_vq_init(&dev->vqs[i], dev, i);
	dev->status = 0;
	dev->isr = 0;
	dev->broken = 0;
	dev->driver_features = 0;

	pthread_mutex_lock(&registry_lock);
	err = booted ? -EBUSY : window_reserve();
	if (err)
		goto out;
	for (slot = 0; slot < ULK_VMMIO_MAX_DEVS && devs[slot]; slot++)
		;
	if (slot == ULK_VMMIO_MAX_DEVS) {
		err = -ENOSPC;
		goto out;
	}
	dev->slot = slot;
	dev->base = window + slot * ULK_VMMIO_SLOT_SIZE;
	dev->irq = slot + 1;
	__atomic_store_n(&devs[slot], dev, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&registry_lock);
	return err;
}

/**
 * ulk_vmmio_unregister() - release the slot of a device the kernel never
 * saw (a registration undone on an error path).
 * @dev: the device.
 */
void ulk_vmmio_unregister(struct ulk_vmmio_dev *dev)
{
	pthread_mutex_lock(&registry_lock);
	if (devs[dev->slot] == dev)
		__atomic_store_n(&devs[dev->slot], NULL, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&registry_lock);
}

/**
 * ulk_vmmio_booted() - has ulk_vmmio_prepare_boot() run?
 * Return: true once the kernel has been (or is being) booted.
 */
bool ulk_vmmio_booted(void)
{
	return __atomic_load_n(&booted, __ATOMIC_ACQUIRE);
}

/**
 * ulk_vmmio_prepare_boot() - append the devices to the kernel command line
 * and give the I/O window; from now on no device can be registered.
 * @cmdline: NUL-terminated command line, extended in place.
 * @cmdline_size: size of the @cmdline buffer.
 * @iomem: receives the window's address, 0 if there are no devices.
 * @iomem_size: receives its size, 0 if there are no devices.
 *
 * Return: 0, or -E2BIG if the entries do not fit.
 */
int ulk_vmmio_prepare_boot(char *cmdline, size_t cmdline_size,
			   unsigned long *iomem, unsigned long *iomem_size)
{
	size_t len = strlen(cmdline);
	int slot, n, err = 0;

	pthread_mutex_lock(&registry_lock);
	*iomem = 0;
	*iomem_size = 0;
	for (slot = 0; slot < ULK_VMMIO_MAX_DEVS; slot++) {
		if (!devs[slot])
			continue;
		n = snprintf(cmdline + len, cmdline_size - len,
			     "%svirtio_mmio.device=0x%lx@0x%lx:%d",
			     len ? " " : "", ULK_VMMIO_SLOT_SIZE,
			     devs[slot]->base, devs[slot]->irq);
		if (n < 0 || (size_t)n >= cmdline_size - len) {
			cmdline[len] = '\0';
			err = -E2BIG;
			break;
		}
		len += n;
	}
	if (!err) {
		/* The window exists once a device was registered. */
		*iomem = window;
		*iomem_size = window ? WINDOW_SIZE : 0;
		__atomic_store_n(&booted, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&registry_lock);
	return err;
}

/**
 * ulk_vmmio_dev_at() - the device registered in a slot.
 * @slot: 0..ULK_VMMIO_MAX_DEVS - 1.
 * Return: the device, or NULL if the slot is empty or out of range.
 */
struct ulk_vmmio_dev *ulk_vmmio_dev_at(int slot)
{
	if (slot < 0 || slot >= ULK_VMMIO_MAX_DEVS)
		return NULL;
	return __atomic_load_n(&devs[slot], __ATOMIC_ACQUIRE);
}

/**
 * ulk_vmmio_start_all() - start every registered device's I/O thread,
 * once the kernel is up.
 *
 * Return: 0, or the first negative errno a device returned (the others
 * are still started).
 */
int ulk_vmmio_start_all(void)
{
	int slot, err, ret = 0;

	for (slot = 0; slot < ULK_VMMIO_MAX_DEVS; slot++) {
		struct ulk_vmmio_dev *dev =
			__atomic_load_n(&devs[slot], __ATOMIC_ACQUIRE);

		if (!dev)
			continue;
		err = dev->ops->start(dev);
		if (err && !ret)
			ret = err;
	}
	return ret;
}

/**
 * ulk_vmmio_stop_all() - stop every device's I/O thread (at halt).
 */
void ulk_vmmio_stop_all(void)
{
	int slot;

	for (slot = 0; slot < ULK_VMMIO_MAX_DEVS; slot++) {
		struct ulk_vmmio_dev *dev =
			__atomic_load_n(&devs[slot], __ATOMIC_ACQUIRE);

		if (dev && dev->ops->stop)
			dev->ops->stop(dev);
	}
}

/**
 * ulk_vmmio_set_broken() - the driver gave the device something it cannot
 * use: report it once, set DEVICE_NEEDS_RESET and stop processing.
 * @dev: the device.
 * @fmt: printf format of the reason, then its arguments.
 */
void ulk_vmmio_set_broken(struct ulk_vmmio_dev *dev, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(&dev->broken, 1, __ATOMIC_SEQ_CST))
		return;
	__atomic_fetch_or(&dev->status, VIRTIO_CONFIG_S_NEEDS_RESET,
			  __ATOMIC_SEQ_CST);
	fprintf(stderr, "ulk: virtio device %s: ", dev->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; device stopped until the driver resets it\n");
}

/**
 * ulk_vmmio_interrupt() - interrupt the driver.
 * @dev: the device.
 * @why: ULK_VMMIO_INT_VRING (queues have used buffers) and/or
 *	ULK_VMMIO_INT_CONFIG (configuration changed).
 *
 * Call it without holding any queue lock: from a thread that does not
 * hold the CPU token it runs the driver's handler right here.
 */
void ulk_vmmio_interrupt(struct ulk_vmmio_dev *dev, uint32_t why)
{
	__atomic_fetch_or(&dev->isr, why, __ATOMIC_SEQ_CST);
	ulk_trigger_irq(dev->irq);
}

/**
 * ulk_vmmio_config_changed() - the device changed its configuration space:
 * bump ConfigGeneration and interrupt the driver.
 * @dev: the device.
 */
void ulk_vmmio_config_changed(struct ulk_vmmio_dev *dev)
{
	__atomic_fetch_add(&dev->generation, 1, __ATOMIC_SEQ_CST);
	ulk_vmmio_interrupt(dev, ULK_VMMIO_INT_CONFIG);
}

static struct ulk_vmmio_dev *lookup(unsigned long addr, unsigned long *off)
{
	unsigned long rel = addr - window;

	if (rel >= WINDOW_SIZE)
		return NULL;
	*off = rel % ULK_VMMIO_SLOT_SIZE;
	return __atomic_load_n(&devs[rel / ULK_VMMIO_SLOT_SIZE],
			       __ATOMIC_ACQUIRE);
}

static void bad_access(struct ulk_vmmio_dev *dev, const char *what,
		       unsigned long off, int size)
{
	static int reported;

	/* A driver bug, not a device one: say it, but only once. */
	if (!__atomic_exchange_n(&reported, 1, __ATOMIC_RELAXED))
		fprintf(stderr, "ulk: virtio device %s: ignored %s of %d bytes "
			"at register 0x%lx\n", dev ? dev->name : "(none)",
			what, size, off);
}

static uint64_t config_read(struct ulk_vmmio_dev *dev, unsigned long off,
			    int size)
{
	uint64_t v = 0;
	int i;

	/* Little endian, as virtio 1.x config space is. */
	for (i = size - 1; i >= 0; i--) {
		v <<= 8;
		if (off + i < dev->config_len)
			v |= dev->config[off + i];
	}
	return v;
}

static struct ulk_vq *selected_vq(struct ulk_vmmio_dev *dev)
{
	if (dev->queue_sel >= dev->num_queues)
		return NULL;
	return &dev->vqs[dev->queue_sel];
}

/**
 * ulk_vmmio_read() - iomem_read host operation: a register read.
 * @addr: address inside the I/O window.
 * @size: 1, 2, 4 or 8.
 *
 * Return: the register's value; 0 for unknown registers and empty slots.
 */
unsigned long long ulk_vmmio_read(unsigned long addr, int size)
{
	struct ulk_vmmio_dev *dev;
	unsigned long off;
	struct ulk_vq *vq;

	dev = lookup(addr, &off);
	if (!dev)
		return 0;
	if (off >= VIRTIO_MMIO_CONFIG)
		return config_read(dev, off - VIRTIO_MMIO_CONFIG, size);
	if (size != 4 || (off & 3)) {
		bad_access(dev, "read", off, size);
		return 0;
	}
	vq = selected_vq(dev);
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VMMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return VMMIO_VERSION;
	case VIRTIO_MMIO_DEVICE_ID:
		return dev->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VMMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (dev->dev_features_sel > 1)
			return 0;
		return (uint32_t)(dev->features >> (32 * dev->dev_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return vq ? ULK_VMMIO_QUEUE_NUM_MAX : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return vq ? __atomic_load_n(&vq->ready, __ATOMIC_ACQUIRE) : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&dev->isr, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_STATUS:
		return __atomic_load_n(&dev->status, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffffU;	/* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return __atomic_load_n(&dev->generation, __ATOMIC_SEQ_CST);
	default:
		bad_access(dev, "read", off, size);
		return 0;
	}
}

static void set_addr_half(uint64_t *addr, int high, uint32_t val)
{
	if (high)
		*addr = (*addr & 0xffffffffULL) | ((uint64_t)val << 32);
	else
		*addr = (*addr & ~0xffffffffULL) | val;
}

static void queue_ready(struct ulk_vmmio_dev *dev, struct ulk_vq *vq,
			uint32_t val)
{
	int err = 0;

	pthread_mutex_lock(&vq->lock);
	if (val && !vq->ready)
		err = ulk_vq_enable(vq, __atomic_load_n(&dev->driver_features,
							__ATOMIC_RELAXED));
	else if (!val)
		ulk_vq_disable(vq);
	pthread_mutex_unlock(&vq->lock);
	if (err)
		fprintf(stderr, "ulk: virtio device %s: queue %u not enabled: "
			"size %u or ring addresses 0x%llx/0x%llx/0x%llx not "
			"usable\n", dev->name, vq->index, vq->num,
			(unsigned long long)vq->desc_addr,
			(unsigned long long)vq->avail_addr,
			(unsigned long long)vq->used_addr);
}

static void device_reset(struct ulk_vmmio_dev *dev)
{
	unsigned int i;

	if (dev->ops->reset)
		dev->ops->reset(dev);
	for (i = 0; i < dev->num_queues; i++) {
		struct ulk_vq *vq = &dev->vqs[i];

		pthread_mutex_lock(&vq->lock);
		ulk_vq_disable(vq);
		vq->num = 0;
		vq->desc_addr = vq->avail_addr = vq->used_addr = 0;
		pthread_mutex_unlock(&vq->lock);
	}
	dev->dev_features_sel = dev->drv_features_sel = dev->queue_sel = 0;
	__atomic_store_n(&dev->driver_features, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&dev->isr, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&dev->broken, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&dev->status, 0, __ATOMIC_SEQ_CST);
}

static void status_write(struct ulk_vmmio_dev *dev, uint32_t val)
{
	uint32_t old = __atomic_load_n(&dev->status, __ATOMIC_SEQ_CST);
	uint64_t drv;

	if (!val) {
		device_reset(dev);
		return;
	}
	val &= 0xff;
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		drv = __atomic_load_n(&dev->driver_features, __ATOMIC_RELAXED);
		/* The driver reads FEATURES_OK back: leaving it clear refuses. */
		if ((drv & ~dev->features) ||
		    !(drv & (1ULL << VIRTIO_F_VERSION_1))) {
			fprintf(stderr, "ulk: virtio device %s: refused "
				"features 0x%llx (offered 0x%llx)\n",
				dev->name, (unsigned long long)drv,
				(unsigned long long)dev->features);
			val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
		}
	}
	/* NEEDS_RESET is the device's to set and only a reset clears it. */
	val |= old & VIRTIO_CONFIG_S_NEEDS_RESET;
	__atomic_store_n(&dev->status, val, __ATOMIC_SEQ_CST);
	if ((val & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(old & VIRTIO_CONFIG_S_DRIVER_OK) && dev->ops->driver_ok)
		dev->ops->driver_ok(dev);
}

/**
 * ulk_vmmio_write() - iomem_write host operation: a register write.
 * @addr: address inside the I/O window.
 * @size: 1, 2, 4 or 8.
 * @val: the value.
 */
void ulk_vmmio_write(unsigned long addr, int size, unsigned long long val)
{
	struct ulk_vmmio_dev *dev;
	unsigned long off;
	struct ulk_vq *vq;
	uint32_t v = (uint32_t)val;
	uint64_t drv;

	dev = lookup(addr, &off);
	if (!dev)
		return;
	if (off >= VIRTIO_MMIO_CONFIG)
		return;		/* the devices here have read-only config */
	if (size != 4 || (off & 3)) {
		bad_access(dev, "write", off, size);
		return;
	}
	vq = selected_vq(dev);
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		dev->dev_features_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		dev->drv_features_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (dev->drv_features_sel > 1 ||
		    (__atomic_load_n(&dev->status, __ATOMIC_RELAXED) &
		     VIRTIO_CONFIG_S_FEATURES_OK))
			break;
		drv = __atomic_load_n(&dev->driver_features, __ATOMIC_RELAXED);
		set_addr_half(&drv, dev->drv_features_sel, v);
		__atomic_store_n(&dev->driver_features, drv, __ATOMIC_RELAXED);
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		dev->queue_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (vq && !vq->ready)
			vq->num = v > ULK_VMMIO_QUEUE_NUM_MAX ? 0 : v;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (vq)
			queue_ready(dev, vq, v);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (vq && !vq->ready)
			set_addr_half(&vq->desc_addr,
				      off == VIRTIO_MMIO_QUEUE_DESC_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		if (vq && !vq->ready)
			set_addr_half(&vq->avail_addr,
				      off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		if (vq && !vq->ready)
			set_addr_half(&vq->used_addr,
				      off == VIRTIO_MMIO_QUEUE_USED_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* Without NOTIFICATION_DATA the value is the queue number. */
		if (v < dev->num_queues &&
		    __atomic_load_n(&dev->vqs[v].ready, __ATOMIC_ACQUIRE) &&
		    !ulk_vmmio_is_broken(dev))
			dev->ops->notify(dev, v);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_fetch_and(&dev->isr, ~v, __ATOMIC_SEQ_CST);
		break;
	case VIRTIO_MMIO_STATUS:
		status_write(dev, v);
		break;
	case VIRTIO_MMIO_SHM_SEL:
		break;
	default:
		bad_access(dev, "write", off, size);
		break;
	}
}
