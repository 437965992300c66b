// SPDX-License-Identifier: GPL-2.0
/*
 * ulk_start() and ulk_halt(): reserve the kernel's memory, fill the host
 * operations, and hand over to the architecture's boot entry.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ulk/ulk.h>
#include <ulk/host_ops.h>
#include "hostops_posix.h"

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
	const struct ulk_host_ops *ops;
	char cmdline[ULK_CMDLINE_MAX];
	unsigned long mem;
	void *region;
	int n;

	if (!opts)
		opts = &defaults;
	mem = opts->mem_size ? opts->mem_size : ULK_DEFAULT_MEM;
	if (mem < ULK_MIN_MEM || mem > ULK_MAX_MEM)
		return -EINVAL;
	mem &= ~4095UL;
	if (opts->verbose < 0 || opts->verbose > 1)
		return -EINVAL;
	n = snprintf(cmdline, sizeof(cmdline), "%s%s%s", base_cmdline,
		     *base_cmdline && opts->cmdline ? " " : "",
		     opts->cmdline ? opts->cmdline : "");
	if (n < 0 || (size_t)n >= sizeof(cmdline))
		return -E2BIG;

	/* One kernel per process, ever: its state cannot be reset. */
	if (__atomic_exchange_n(&started, 1, __ATOMIC_SEQ_CST))
		return -EALREADY;

	ulk_hostops_set_print(opts->print, opts->print_arg, opts->verbose);
	ops = ulk_hostops_posix();
	region = ops->mem_alloc(mem);
	if (!region)
		return -ENOMEM;
	return ulk_arch_boot(ops, region, mem, cmdline, 0, 0);
}

int ulk_halt(void)
{
	return ulk_arch_halt();
}
