/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#ifndef _UAPI_ASM_ULK_PTRACE_H
#define _UAPI_ASM_ULK_PTRACE_H

/*
 * There is no user register file in ulk: application code runs on host
 * threads outside the kernel's control. pt_regs only carries the system
 * call being executed, for the few generic paths that look at it.
 */
#ifndef __ASSEMBLY__
struct user_pt_regs {
	unsigned long syscallno;
	unsigned long args[6];
	unsigned long ret;
};
#endif

#endif
