/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's memory copies, from arch/ulk/lib/string.c. The generic
 * lib/string.c versions copy a byte at a time, which was half of ulk's
 * CPU in bulk transfers; everything else stays generic.
 */
#ifndef _ASM_ULK_STRING_H
#define _ASM_ULK_STRING_H

#include <linux/types.h>

#define __HAVE_ARCH_MEMCPY
void *memcpy(void *dest, const void *src, size_t n);
#define __HAVE_ARCH_MEMMOVE
void *memmove(void *dest, const void *src, size_t n);
#define __HAVE_ARCH_MEMSET
void *memset(void *s, int c, size_t n);

#endif /* _ASM_ULK_STRING_H */
