/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* ulk uses the generic system call table of 64-bit Linux. */
#include <asm/unistd_64.h>
