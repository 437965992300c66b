// SPDX-License-Identifier: GPL-2.0
/*
 * How much of ulk's memory TCP, and fragments awaiting reassembly, may
 * use. A general-purpose kernel lets TCP buffers take 4.7-9.4% of memory
 * (tcp_init_mem()); ulk's kernel exists to run a network stack, and at
 * the default 256 MiB that left 24 MiB for all connections' queues: 100
 * concurrent streams into ulk ran into TCP's memory pressure (shrunken
 * windows, pruned queues) at a third of a single stream's throughput.
 * Here TCP may use a quarter of the memory before pressure and half at
 * most; the rest stays for everything else. A program can still change
 * net.ipv4.tcp_mem.
 *
 * Fragments waiting for reassembly. Each family's queues may hold 4 MB
 * (ipfrag_high_thresh) whatever the memory, counted by the skbs' truesize;
 * but a fragment received into a mergeable buffer keeps the whole 32 KiB
 * page that buffer was cut from, so a flood of fragments that never
 * complete held about 60 MB (tests/run/test_hostile_tap.sh): at --mem
 * 32M that was all of it, and the next GFP_KERNEL allocation found nothing
 * to reclaim and no process to kill: "System is deadlocked on memory".
 * Here the thresholds scale with memory, 1/128 of it per family (2 MB at
 * the default 256 MiB, 256 KiB at 32 MiB: still a 64 KiB datagram at a
 * time), at most the kernel's 4 MB; low at 3/4 of high, as the kernel's.
 * A program can still change net.ipv4.ipfrag_high_thresh and
 * net.ipv6.ip6frag_high_thresh.
 */
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/swap.h>
#include <net/inet_frag.h>
#include <net/net_namespace.h>
#include <net/tcp.h>

#define FRAG_MAX_THRESH		(4L << 20)

static void __init frag_thresh(struct fqdir *fq, long high)
{
	if (!fq)
		return;
	fq->high_thresh = high;
	fq->low_thresh = high / 4 * 3;
}

static int __init ulk_net_mem(void)
{
	unsigned long pages = nr_free_buffer_pages();
	long frag;

	sysctl_tcp_mem[0] = pages / 4;
	sysctl_tcp_mem[1] = pages / 3;
	sysctl_tcp_mem[2] = pages / 2;

	frag = min_t(long, FRAG_MAX_THRESH,
		     (long)totalram_pages() * PAGE_SIZE / 128);
	frag_thresh(init_net.ipv4.fqdir, frag);
#if IS_ENABLED(CONFIG_IPV6)
	frag_thresh(init_net.ipv6.fqdir, frag);
#endif
	return 0;
}
late_initcall(ulk_net_mem);
