/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ulk has no MMU: kernel "physical" addresses are the host process's
 * virtual addresses (identity mapping). The page allocator manages the one
 * region the host hands over at boot; ARCH_PFN_OFFSET is its first pfn.
 */
#ifndef _ASM_ULK_PAGE_H
#define _ASM_ULK_PAGE_H

#include <linux/const.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	(_AC(1, UL) << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

#ifndef __ASSEMBLY__

#include <linux/types.h>

struct page;

extern unsigned long ulk_mem_start;	/* first byte of the region */
extern unsigned long ulk_mem_end;	/* one past its last byte */

#define clear_page(page)	__builtin_memset((page), 0, PAGE_SIZE)
#define copy_page(to, from)	__builtin_memcpy((to), (from), PAGE_SIZE)
#define clear_user_page(page, vaddr, pg)	clear_page(page)
#define copy_user_page(to, from, vaddr, pg)	copy_page(to, from)

typedef struct { unsigned long pte; } pte_t;
typedef struct { unsigned long pgd; } pgd_t;
typedef struct { unsigned long pgprot; } pgprot_t;
typedef struct page *pgtable_t;

#define pte_val(x)	((x).pte)
#define pgd_val(x)	((x).pgd)
#define pgprot_val(x)	((x).pgprot)
#define __pte(x)	((pte_t) { (x) })
#define __pgd(x)	((pgd_t) { (x) })
#define __pgprot(x)	((pgprot_t) { (x) })

#define PAGE_OFFSET		(ulk_mem_start)
#define ARCH_PFN_OFFSET		(ulk_mem_start >> PAGE_SHIFT)

#define __pa(vaddr)		((unsigned long)(vaddr))
#define __va(paddr)		((void *)((unsigned long)(paddr)))
#define __pa_symbol(x)		__pa(x)

#define virt_to_pfn(kaddr)	(__pa(kaddr) >> PAGE_SHIFT)
#define pfn_to_virt(pfn)	__va((pfn) << PAGE_SHIFT)
#define virt_to_page(kaddr)	pfn_to_page(virt_to_pfn(kaddr))
#define page_to_virt(page)	pfn_to_virt(page_to_pfn(page))
#define page_to_phys(page)	((phys_addr_t)page_to_pfn(page) << PAGE_SHIFT)
#define phys_to_page(paddr)	pfn_to_page((paddr) >> PAGE_SHIFT)

#define virt_addr_valid(kaddr)	\
	((unsigned long)(kaddr) >= ulk_mem_start && \
	 (unsigned long)(kaddr) < ulk_mem_end)

#include <asm-generic/memory_model.h>
#include <asm-generic/getorder.h>

#endif /* __ASSEMBLY__ */

#endif /* _ASM_ULK_PAGE_H */
