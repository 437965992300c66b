/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_ULK_SYSCALLS_H
#define _ASM_ULK_SYSCALLS_H

#include <asm-generic/syscalls.h>

#endif
