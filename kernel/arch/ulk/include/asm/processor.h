/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_ULK_PROCESSOR_H
#define _ASM_ULK_PROCESSOR_H

#include <asm/ptrace.h>

#ifndef __ASSEMBLY__

struct task_struct;
struct ulk_sem;
struct ulk_hthread;

/**
 * struct thread_struct - what ulk keeps per kernel task.
 * @ht: the host thread this task runs on (see kernel/cpu.c). Kernel
 *	threads get a dedicated one at creation; a host task borrows the
 *	application thread that owns it.
 * @fn: entry point of a kernel thread, called on its first switch-in.
 * @fn_arg: argument of @fn.
 * @regs: the system call in progress (host tasks).
 * @host_task: the task belongs to an application thread.
 */
struct thread_struct {
	struct ulk_hthread *ht;
	bool host_task;
	int (*fn)(void *);
	void *fn_arg;
	struct pt_regs regs;
};

#define INIT_THREAD { }

#define task_pt_regs(tsk)	(&(tsk)->thread.regs)
#define KSTK_EIP(tsk)		(0UL)
#define KSTK_ESP(tsk)		(0UL)

/* The whole address space is the application's and the kernel's at once. */
#define TASK_SIZE		(~0UL)
#define TASK_SIZE_MAX		TASK_SIZE
#define TASK_UNMAPPED_BASE	0UL
#define STACK_TOP		TASK_SIZE
#define STACK_TOP_MAX		TASK_SIZE

#ifdef __x86_64__
#define cpu_relax()		__asm__ __volatile__("pause" ::: "memory")
#else
#define cpu_relax()		__asm__ __volatile__("" ::: "memory")
#endif

static inline void start_thread(struct pt_regs *regs, unsigned long pc,
				unsigned long sp)
{
}

unsigned long __get_wchan(struct task_struct *p);

#endif /* __ASSEMBLY__ */
#endif /* _ASM_ULK_PROCESSOR_H */
