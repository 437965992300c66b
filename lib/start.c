// SPDX-License-Identifier: GPL-2.0
/*
 * ulk_start() and ulk_halt(): reserve the kernel's memory, fill the host
 * operations, and hand over to the architecture's boot entry.
 *
 * Devices: the virtio-mmio devices added before ulk_start() (lib/virtio/)
 * are appended to the command line, the I/O window their registers live in
 * is passed to the kernel with the register callbacks in the host
 * operations, and once the kernel is up each device's I/O thread starts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ulk/ulk.h>
#include <ulk/host_ops.h>
#include "cpulist.h"
#include "ctl/ctl.h"
#include "hostops_posix.h"
#include "uaccess.h"
#include "virtio/mmio.h"
#include "virtio/virtqueue.h"

#define ULK_DEFAULT_MEM		(256UL << 20)
#define ULK_MIN_MEM		(16UL << 20)
#define ULK_MAX_MEM		(64UL << 30)
#define ULK_CMDLINE_MAX		512

/* ulk's own part of the kernel command line; the caller's comes after. */
static const char base_cmdline[] = "";

static int started;

int ulk_start(const struct ulk_start_opts *opts)
{
	static const struct ulk_start_opts defaults;
	/* The kernel keeps using the table: it must outlive this call. */
	static struct ulk_host_ops ops;
	char cmdline[ULK_CMDLINE_MAX];
	cpu_set_t cpus;
	unsigned long mem, iomem = 0, iomem_size = 0;
	void *region;
	int n, err;

	if (!opts)
		opts = &defaults;
	mem = opts->mem_size ? opts->mem_size : ULK_DEFAULT_MEM;
	if (mem < ULK_MIN_MEM || mem > ULK_MAX_MEM)
		return -EINVAL;
	mem &= ~4095UL;
	if (opts->verbose < 0 || opts->verbose > 1)
		return -EINVAL;
	if (opts->cpus && (ulk_cpulist_parse(opts->cpus, &cpus) ||
			   ulk_cpulist_usable(&cpus)))
		return -EINVAL;
	n = snprintf(cmdline, sizeof(cmdline), "%s%s%s", base_cmdline,
		     *base_cmdline && opts->cmdline ? " " : "",
		     opts->cmdline ? opts->cmdline : "");
	if (n < 0 || (size_t)n >= sizeof(cmdline))
		return -E2BIG;

	if (ulk_remote_attached)
		return -EALREADY;
	/* One kernel per process, ever: its state cannot be reset. */
	if (__atomic_exchange_n(&started, 1, __ATOMIC_SEQ_CST))
		return -EALREADY;

	ulk_hostops_set_print(opts->print, opts->print_arg, opts->verbose);
	ulk_hostops_set_cpus(opts->cpus ? &cpus : NULL);
	ops = *ulk_hostops_posix();
	err = ulk_vmmio_prepare_boot(cmdline, sizeof(cmdline), &iomem,
				     &iomem_size);
	if (err) {
		__atomic_store_n(&started, 0, __ATOMIC_SEQ_CST);
		return err;
	}
	if (iomem_size) {
		ops.iomem_read = ulk_vmmio_read;
		ops.iomem_write = ulk_vmmio_write;
		/* Without it, blocking threads just wait: slower, not wrong. */
		(void)ulk_hostops_set_idle_poller(&ulk_vmmio_idle_poller);
	}
	/* A bad pointer from the program must cost an EFAULT, not the process. */
	if (ulk_uaccess_init())
		return -errno;
	/* Before the boot: a name in use is the caller's error. */
	err = ulk_ctl_server_prepare(opts->name, opts->ctl);
	if (err)
		return err;
	region = ops.mem_alloc(mem);
	if (!region)
		return -ENOMEM;
	/* Device rings and buffers must lie in the kernel's memory. */
	ulk_vq_set_memory((unsigned long)region, mem);
	err = ulk_arch_boot(&ops, region, mem, cmdline, iomem, iomem_size);
	if (err) {
		ulk_ctl_server_stop();
		return err;
	}
	err = ulk_vmmio_start_all();
	/* Without it the instance works, unseen: not worth failing for. */
	if (ulk_ctl_server_start() && opts->verbose)
		fprintf(stderr, "ulk: the control socket could not be served\n");
	return err;
}

int ulk_halt(void)
{
	int err;

	if (ulk_remote_attached)
		return ulk_detach();
	ulk_ctl_server_stop();
	err = ulk_arch_halt();
	if (!err)
		ulk_vmmio_stop_all();
	return err;
}

/**
 * ulk_ctl_socket() - where this instance's control socket is.
 *
 * Return: its path, or NULL if it has none (none asked for, not started,
 * or halted).
 */
const char *ulk_ctl_socket(void)
{
	return ulk_ctl_server_path();
}
