// SPDX-License-Identifier: GPL-2.0
/* Small architecture hooks that generic code expects. */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/sched/debug.h>
#include <linux/printk.h>
#include <linux/ptrace.h>
#include <linux/seq_file.h>
#include <linux/audit.h>
#include <asm/syscall.h>
#include <asm/ptrace.h>

/**
 * show_stack() - kernel frames live on host stacks; use gdb to see them.
 * @task: ignored.
 * @sp: ignored.
 * @loglvl: log level of the message.
 */
void show_stack(struct task_struct *task, unsigned long *sp,
		const char *loglvl)
{
	printk("%s(ulk: no stack trace; attach gdb to the process)\n", loglvl);
}

/**
 * show_regs() - there are no user registers in ulk.
 * @regs: the system call in progress.
 */
void show_regs(struct pt_regs *regs)
{
	show_regs_print_info(KERN_DEFAULT);
	pr_info("syscall %lu\n", regs->syscallno);
}

/**
 * arch_ptrace() - ulk has no per-arch ptrace requests.
 * @child: traced task.
 * @request: request number.
 * @addr: request address.
 * @data: request data.
 * Return: as ptrace_request().
 */
long arch_ptrace(struct task_struct *child, long request,
		 unsigned long addr, unsigned long data)
{
	return ptrace_request(child, request, addr, data);
}

/**
 * ptrace_disable() - nothing to undo on detach.
 * @child: the task.
 */
void ptrace_disable(struct task_struct *child)
{
}

/**
 * syscall_get_arch() - the audit architecture of system calls.
 * @task: ignored.
 * Return: AUDIT_ARCH_X86_64 (ulk uses the generic table, 64-bit).
 */
int syscall_get_arch(struct task_struct *task)
{
	return AUDIT_ARCH_X86_64;
}

static int cpuinfo_show(struct seq_file *m, void *v)
{
	seq_puts(m, "processor\t: 0\nvendor_id\t: ulk\nmodel name\t: ulk virtual CPU\n\n");
	return 0;
}

static void *cpuinfo_start(struct seq_file *m, loff_t *pos)
{
	return *pos < 1 ? (void *)1 : NULL;
}

static void *cpuinfo_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return NULL;
}

static void cpuinfo_stop(struct seq_file *m, void *v)
{
}

const struct seq_operations cpuinfo_op = {
	.start	= cpuinfo_start,
	.next	= cpuinfo_next,
	.stop	= cpuinfo_stop,
	.show	= cpuinfo_show,
};
