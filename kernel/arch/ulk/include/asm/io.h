/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MMIO: device registers live in an address window the host reserved and
 * the kernel never dereferences. Accesses there go to the host's device
 * model (virtio-mmio); anything else is plain memory.
 */
#ifndef _ASM_ULK_IO_H
#define _ASM_ULK_IO_H

#include <linux/types.h>

extern unsigned long ulk_iomem_base;
extern unsigned long ulk_iomem_size;

unsigned long long ulk_iomem_read(unsigned long addr, int size);
void ulk_iomem_write(unsigned long addr, int size, unsigned long long val);

static inline bool ulk_is_iomem(const volatile void __iomem *addr)
{
	return (unsigned long)addr - ulk_iomem_base < ulk_iomem_size;
}

#define ULK_RAW_IO(bwlq, type, size)					\
static inline type __raw_read##bwlq(const volatile void __iomem *addr)	\
{									\
	if (ulk_is_iomem(addr))						\
		return ulk_iomem_read((unsigned long)addr, size);	\
	return *(const volatile type __force *)addr;			\
}									\
static inline void __raw_write##bwlq(type val, volatile void __iomem *addr) \
{									\
	if (ulk_is_iomem(addr))						\
		ulk_iomem_write((unsigned long)addr, size, val);	\
	else								\
		*(volatile type __force *)addr = val;			\
}

ULK_RAW_IO(b, u8, 1)
ULK_RAW_IO(w, u16, 2)
ULK_RAW_IO(l, u32, 4)
ULK_RAW_IO(q, u64, 8)
#undef ULK_RAW_IO

#define __raw_readb __raw_readb
#define __raw_readw __raw_readw
#define __raw_readl __raw_readl
#define __raw_readq __raw_readq
#define __raw_writeb __raw_writeb
#define __raw_writew __raw_writew
#define __raw_writel __raw_writel
#define __raw_writeq __raw_writeq

#include <asm-generic/io.h>

#endif /* _ASM_ULK_IO_H */
