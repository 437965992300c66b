// SPDX-License-Identifier: GPL-2.0
/*
 * System call entry: application threads execute kernel code themselves.
 *
 * ulk_syscall() takes the CPU token. In the common case the calling
 * thread's host task is still current from its previous call (cpu.c, case
 * (b)) and the handler runs at once: a semaphore, a call, a semaphore.
 * Otherwise the thread wakes its parked task (or has init create one on its
 * first call), lets the scheduler switch to it on current's behalf, and
 * waits until it is switched in. On the way out it does what a return to
 * user space does (task work such as deferred file release, signal
 * cleanup) and leaves the CPU, handing it over if a reschedule is due.
 *
 * Restart codes (-ERESTARTSYS and friends) are returned as they are: only
 * the host side knows which signal handler ran and how it was installed,
 * so lib/signals.c, which wraps this entry as the public ulk_syscall(),
 * decides between a restart and -EINTR.
 *
 * Halting (ulk_arch_halt()): new calls are refused with -ESHUTDOWN, and a
 * call that a halt interrupted returns -ESHUTDOWN rather than its -EINTR.
 */
#include <linux/syscalls.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/resume_user_mode.h>
#include <linux/task_work.h>
#include <linux/mman.h>
#include <asm/unistd.h>
#include <asm/ulk.h>

typedef long (*ulk_syscall_fn)(long, long, long, long, long, long);

/* Calls that need a process model or an MMU are not served. */
#define sys_clone	sys_ni_syscall
#define sys_clone3	sys_ni_syscall
#define sys_execve	sys_ni_syscall
#define sys_execveat	sys_ni_syscall
#define sys_rt_sigreturn sys_ni_syscall

/* Anonymous memory only: there is no MMU to map files with. */
SYSCALL_DEFINE6(mmap, unsigned long, addr, unsigned long, len,
		unsigned long, prot, unsigned long, flags,
		unsigned long, fd, unsigned long, off)
{
	if (!(flags & MAP_ANONYMOUS))
		return -ENOSYS;
	if (off & ~PAGE_MASK)
		return -EINVAL;
	return ksys_mmap_pgoff(addr, len, prot, flags, fd, off >> PAGE_SHIFT);
}

#undef __SYSCALL
#define __SYSCALL(nr, call) [nr] = (call),
#define __SYSCALL_WITH_COMPAT(nr, native, compat) __SYSCALL(nr, native)

void *sys_call_table[__NR_syscalls] = {
	[0 ... __NR_syscalls - 1] = sys_ni_syscall,
#include <asm/syscall_table_64.h>
};

static struct ulk_tls_key *ulk_tls;

/* Take the CPU as the calling thread's host task. 0 or negative errno. */
static int enter(struct ulk_hthread *self)
{
	int err;

	if (READ_ONCE(ulk_halted))
		return -ESHUTDOWN;
	ulk_cpu_take(self);
	if (unlikely(READ_ONCE(ulk_halted) || READ_ONCE(ulk_halting))) {
		ulk_cpu_put();
		return -ESHUTDOWN;
	}
	if (likely(current == self->task))
		return 0;

	if (!self->task) {
		err = ulk_host_task_create(self);
		if (err) {
			ulk_cpu_leave(self);
			return err;
		}
	} else {
		wake_up_state(self->task, TASK_PARKED);
	}
	ulk_cpu_schedule_away(self);

	ulk_host->sem_down(self->sem);
	if (unlikely(self->create_err)) {
		err = self->create_err;
		self->create_err = 0;
		return err;
	}
	ulk_cpu_finish_switch_in(self);
	return 0;
}

/* What a return to user space does, minus signal delivery. */
static void exit_work(void)
{
	if (test_thread_flag(TIF_NOTIFY_SIGNAL)) {
		clear_notify_signal();
		task_work_run();
	}
	if (test_thread_flag(TIF_NOTIFY_RESUME))
		resume_user_mode_work(NULL);
	/*
	 * There is no user context to deliver a signal to (SIGPIPE from a
	 * send, say); left pending it would make every later blocking call
	 * return -EINTR. Drop them.
	 */
	if (unlikely(signal_pending(current)))
		flush_signals(current);
	if (test_thread_flag(TIF_RESTORE_SIGMASK))
		restore_saved_sigmask();
}

static long run(long nr, const long *args)
{
	static const long no_args[6];
	struct pt_regs *regs = task_pt_regs(current);
	ulk_syscall_fn fn = (ulk_syscall_fn)sys_call_table[nr];
	long ret;

	if (!args)
		args = no_args;
	regs->syscallno = nr;
	ret = fn(args[0], args[1], args[2], args[3], args[4], args[5]);
	if (unlikely(READ_ONCE(ulk_halting))) {
		switch (ret) {
		case -EINTR:
		case -ERESTARTSYS:
		case -ERESTARTNOINTR:
		case -ERESTARTNOHAND:
		case -ERESTART_RESTARTBLOCK:
			ret = -ESHUTDOWN;
			break;
		}
	}
	regs->ret = ret;
	return ret;
}

static struct ulk_hthread *self_get(void)
{
	struct ulk_hthread *self = ulk_host->tls_get(ulk_tls);

	if (likely(self))
		return self;
	self = ulk_hthread_alloc(NULL);
	if (!self)
		return NULL;
	self->host_id = ulk_host->thread_self();
	if (ulk_host->tls_set(ulk_tls, self)) {
		ulk_hthread_free(self);
		return NULL;
	}
	return self;
}

/**
 * ulk_arch_syscall() - make a system call from any host thread.
 * @nr: system call number (generic table).
 * @args: six arguments, or NULL.
 *
 * Return: the call's result or a negative errno, restart codes included;
 * see include/ulk/host_ops.h.
 */
long ulk_arch_syscall(long nr, const long *args)
{
	struct ulk_hthread *self;
	long ret;

	if (unlikely(!ulk_tls))
		return -ESHUTDOWN;
	if (unlikely((unsigned long)nr >= __NR_syscalls))
		return -ENOSYS;
	self = self_get();
	if (unlikely(!self))
		return -ENOMEM;
	if (unlikely(self->in_kernel))
		return -EDEADLK;

	self->in_kernel = 1;
	ret = enter(self);
	if (likely(!ret)) {
		ret = run(nr, args);
		exit_work();
		self->left_jiffies = jiffies;
		ulk_cpu_leave(self);
	}
	self->in_kernel = 0;
	return ret;
}

static void exit_body(void *unused)
{
	do_exit(0);
}

/* TLS destructor: an application thread is exiting; end its host task. */
static void host_thread_gone(void *data)
{
	struct ulk_hthread *self = data;

	/* do_exit() switches away for good; the switch escapes here. */
	if (self->task) {
		if (enter(self)) {
			/*
			 * Halting or halted: the task stays in the kernel's
			 * lists, pointing at this record (the halt's drain
			 * reads it), so the record stays too.
			 */
			return;
		}
		ulk_cpu_run_escapable(self, exit_body, NULL);
	}
	ulk_hthread_free(self);
}

/**
 * ulk_syscalls_init() - set up the per-thread key for application threads.
 * Return: 0 or -ENOMEM.
 */
int ulk_syscalls_init(void)
{
	ulk_tls = ulk_host->tls_alloc(host_thread_gone);
	return ulk_tls ? 0 : -ENOMEM;
}

/**
 * ulk_self() - the calling host thread's record, created if needed.
 * Return: the record, or NULL when out of memory.
 */
struct ulk_hthread *ulk_self(void)
{
	return self_get();
}

/**
 * ulk_enter() - take the CPU as the calling thread's host task.
 * @self: from ulk_self().
 * Return: 0 or a negative errno (then the CPU is not held).
 */
int ulk_enter(struct ulk_hthread *self)
{
	return enter(self);
}
