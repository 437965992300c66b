/* SPDX-License-Identifier: GPL-2.0 */
/* No MMU: page tables exist only as the types generic code names. */
#ifndef _ASM_ULK_PGTABLE_H
#define _ASM_ULK_PGTABLE_H

#include <asm-generic/pgtable-nopmd.h>
#include <asm/page.h>

#define PAGE_NONE		__pgprot(0)
#define PAGE_SHARED		__pgprot(0)
#define PAGE_SHARED_EXEC	__pgprot(0)
#define PAGE_COPY		__pgprot(0)
#define PAGE_READONLY		__pgprot(0)
#define PAGE_KERNEL		__pgprot(0)
#define PAGE_KERNEL_EXEC	__pgprot(0)

#define swapper_pg_dir ((pgd_t *)0)

extern void *empty_zero_page;
#define ZERO_PAGE(vaddr)	(virt_to_page(empty_zero_page))

#define VMALLOC_START		0UL
#define VMALLOC_END		(~0UL)
#define KMAP_START		0UL
#define KMAP_END		(~0UL)

#define pgprot_noncached(prot)		(prot)
#define pgprot_writecombine(prot)	(prot)

static inline int pte_swp_exclusive(pte_t pte) { return 0; }

#endif /* _ASM_ULK_PGTABLE_H */
