/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_ULK_PTRACE_H
#define _ASM_ULK_PTRACE_H

#include <uapi/asm/ptrace.h>

#ifndef __ASSEMBLY__
/*
 * Application code is not under the kernel's control, so there are no user
 * registers to save: pt_regs records the system call in progress.
 */
struct pt_regs {
	unsigned long syscallno;
	unsigned long args[6];
	unsigned long ret;
};

#define user_mode(regs)			(0)
#define instruction_pointer(regs)	(0UL)
#define profile_pc(regs)		(0UL)
#define user_stack_pointer(regs)	(0UL)
#define regs_return_value(regs)		((regs)->ret)
#define current_pt_regs()		task_pt_regs(current)
#define signal_pt_regs()		current_pt_regs()
#endif

#endif
