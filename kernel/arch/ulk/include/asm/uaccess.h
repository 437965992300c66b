/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User memory is the host process's memory, reached through the host's
 * fault-safe copies (lib/uaccess.c): a bad pointer from a program ends the
 * copy short, and the call returns -EFAULT as on Linux, where a plain
 * memcpy() would kill the process. Single values (get_user, put_user) go
 * through the same copies (asm-generic's defaults).
 */
#ifndef _ASM_ULK_UACCESS_H
#define _ASM_ULK_UACCESS_H

#include <linux/compiler.h>
#include <linux/unaligned.h>
#include <asm/ulk.h>

static inline __must_check unsigned long
raw_copy_from_user(void *to, const void __user *from, unsigned long n)
{
	return ulk_host->copy_user(to, (const void __force *)from, n);
}

static inline __must_check unsigned long
raw_copy_to_user(void __user *to, const void *from, unsigned long n)
{
	return ulk_host->copy_user((void __force *)to, from, n);
}
#define INLINE_COPY_FROM_USER
#define INLINE_COPY_TO_USER

static inline __must_check unsigned long
__clear_user(void __user *to, unsigned long n)
{
	return ulk_host->clear_user((void __force *)to, n);
}
#define __clear_user __clear_user

/* Kernel addresses are never bad here: plain accesses, as asm-generic's. */
#define __get_kernel_nofault(dst, src, type, err_label)			\
do {									\
	*((type *)dst) = get_unaligned((type *)(src));			\
	if (0)								\
		goto err_label;						\
} while (0)

#define __put_kernel_nofault(dst, src, type, err_label)			\
do {									\
	put_unaligned(*((type *)src), (type *)(dst));			\
	if (0)								\
		goto err_label;						\
} while (0)

#include <asm-generic/uaccess.h>

#endif /* _ASM_ULK_UACCESS_H */
