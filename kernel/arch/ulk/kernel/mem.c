// SPDX-License-Identifier: GPL-2.0
/*
 * Memory: the region the host hands over at boot is all the RAM there is.
 * Its addresses are host virtual addresses and, with no MMU, the kernel's
 * physical addresses too. The kernel image itself lives in the library's
 * data and is never given to the page allocator.
 */
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/memblock.h>
#include <linux/pfn.h>
#include <asm/ulk.h>

unsigned long ulk_mem_start;
unsigned long ulk_mem_end;
void *empty_zero_page;

/**
 * ulk_mem_init() - hand the host's region to memblock and size the zones.
 */
void __init ulk_mem_init(void)
{
	unsigned long max_zone_pfns[MAX_NR_ZONES] = { 0 };

	memblock_add(ulk_mem_start, ulk_mem_end - ulk_mem_start);
	min_low_pfn = PFN_UP(ulk_mem_start);
	max_low_pfn = PFN_DOWN(ulk_mem_end);
	max_pfn = max_low_pfn;
	set_max_mapnr(max_low_pfn - min_low_pfn);
	high_memory = (void *)ulk_mem_end;

	empty_zero_page = memblock_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!empty_zero_page)
		panic("ulk: no memory for the zero page");

	max_zone_pfns[ZONE_NORMAL] = max_low_pfn;
	free_area_init(max_zone_pfns);
}

/**
 * mem_init() - release memblock's free memory to the page allocator.
 */
void __init mem_init(void)
{
	memblock_free_all();
}

/**
 * free_initmem() - keep init sections: they are part of the library's
 * image, not of the page allocator's region.
 */
void free_initmem(void)
{
}
