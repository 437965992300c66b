/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces between the files of arch/ulk/kernel. See the theory
 * of operation at the top of arch/ulk/kernel/cpu.c.
 */
#ifndef _ASM_ULK_ULK_H
#define _ASM_ULK_ULK_H

#include <ulk/host_ops.h>

struct task_struct;

/**
 * struct ulk_hthread - a host thread as the CPU token protocol sees it.
 * @sem: the thread waits here whenever its task is not running.
 * @task: the kernel task this thread runs as (a kernel thread's own task,
 *	an application thread's host task), or NULL for a thread that only
 *	ever borrows the CPU (a device or timer thread raising interrupts).
 * @escape: when set, a context switch made by this thread hands the CPU
 *	to the next task and jumps here instead of waiting on @sem.
 * @in_kernel: an application thread is inside ulk_syscall().
 * @create_err: task creation for this thread failed with this errno.
 * @host_signal: a host signal handler interrupted this thread's wait.
 * @idle_prev: this thread escaped from a switch to idle with the token;
 *	the tail of that switch (out of this task) is still to run.
 * @left_jiffies: jiffies when this application thread last left a
 *	system call (see "The tick while not idle" in cpu.c).
 * @host_id: the host's identifier of an application thread (thread_self),
 *	0 for other threads.
 */
struct ulk_hthread {
	struct ulk_sem *sem;
	struct task_struct *task;
	struct ulk_jmp_buf *escape;
	int in_kernel;
	int create_err;
	int host_signal;
	struct task_struct *idle_prev;
	unsigned long left_jiffies;
	unsigned long host_id;
};

extern const struct ulk_host_ops *ulk_host;
extern struct ulk_hthread *ulk_cpu_holder;
extern struct task_struct *ulk_switch_last;
extern int ulk_halted;
extern int ulk_halting;
extern bool ulk_idle_resting;

struct ulk_hthread *ulk_hthread_alloc(struct task_struct *task);
void ulk_hthread_free(struct ulk_hthread *ht);

void ulk_cpu_take(struct ulk_hthread *self);
void ulk_cpu_put(void);
bool ulk_cpu_try_take(struct ulk_hthread *self);
int ulk_trigger_irq(int irq);
long ulk_arch_syscall(long nr, const long *args);
int ulk_interrupt_all(void);
void ulk_cpu_leave(struct ulk_hthread *self);
void ulk_cpu_wait_switch_in(struct ulk_hthread *self);
void ulk_cpu_finish_switch_in(struct ulk_hthread *self);
int ulk_cpu_init(struct ulk_hthread *boot);
void ulk_cpu_schedule_away(struct ulk_hthread *self);
void ulk_cpu_run_escapable(struct ulk_hthread *self, void (*fn)(void *),
			   void *arg);
void ulk_wait_switched_to(struct ulk_hthread *self, bool idle);

int ulk_host_task_start(void *arg);
int ulk_host_task_create(struct ulk_hthread *self);
void __noreturn ulk_init_serve(void);

void ulk_boot_done(int err);
int ulk_syscalls_init(void);
struct ulk_hthread *ulk_self(void);
int ulk_enter(struct ulk_hthread *self);
int ulk_time_init(void);
void ulk_mem_init(void);
void ulk_console_init(void);

#endif /* _ASM_ULK_ULK_H */
