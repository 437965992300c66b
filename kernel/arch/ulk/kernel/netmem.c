// SPDX-License-Identifier: GPL-2.0
/*
 * How much of ulk's memory TCP may use. A general-purpose kernel lets TCP
 * buffers take 4.7-9.4% of memory (tcp_init_mem()); ulk's kernel exists to
 * run a network stack, and at the default 256 MiB that left 24 MiB for
 * all connections' queues: 100 concurrent streams into ulk ran into TCP's
 * memory pressure (shrunken windows, pruned queues) at a third of a single
 * stream's throughput. Here TCP may use a quarter of the memory before
 * pressure and half at most; the rest stays for everything else. A
 * program can still change net.ipv4.tcp_mem.
 */
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/swap.h>
#include <net/tcp.h>

static int __init ulk_tcp_mem(void)
{
	unsigned long pages = nr_free_buffer_pages();

	sysctl_tcp_mem[0] = pages / 4;
	sysctl_tcp_mem[1] = pages / 3;
	sysctl_tcp_mem[2] = pages / 2;
	return 0;
}
late_initcall(ulk_tcp_mem);
