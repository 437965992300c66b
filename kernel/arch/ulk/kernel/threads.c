// SPDX-License-Identifier: GPL-2.0
/*
 * Tasks and the host threads they run on.
 *
 * Kernel threads: copy_thread() creates a host thread that parks on the
 * task's semaphore until the scheduler first switches to it, then finishes
 * that switch and calls the thread function.
 *
 * Host tasks: an application thread's first system call asks init (pid 1)
 * to create a task for it, a thread of the init process sharing its files,
 * so descriptors are shared by all application threads as in one process.
 * copy_thread() recognises the request and binds the new task to the
 * application thread instead of creating a host thread; the application
 * thread waits on its own semaphore until the scheduler switches to the new
 * task, and from then on executes kernel code itself (see cpu.c).
 */
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/wait.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <asm/ulk.h>

/* A pending request from an application thread for a host task. */
struct host_task_req {
	struct list_head list;
	struct ulk_hthread *ht;
};

static LIST_HEAD(host_task_reqs);
static DECLARE_WAIT_QUEUE_HEAD(init_wq);

static void kthread_trampoline(void *arg)
{
	struct ulk_hthread *self = arg;
	struct task_struct *p = self->task;
	int ret;

	ulk_cpu_wait_switch_in(self);
	ret = p->thread.fn(p->thread.fn_arg);
	/*
	 * Kernel threads never return. A user-mode thread returning 0 has
	 * "entered user space" after an exec: for init that means boot is
	 * over and it starts serving host task requests.
	 */
	if (is_global_init(current) && ret == 0)
		ulk_init_serve();
	do_exit(ret);
}

/**
 * ulk_host_task_start() - marker entry point of host tasks; never called.
 * @arg: unused.
 * Return: never returns a value to anyone.
 */
int ulk_host_task_start(void *arg)
{
	BUG();
	return 0;
}

/**
 * copy_thread() - set up the arch part of a new task.
 * @p: the new task.
 * @args: clone arguments; only kernel-internal threads (args->fn) exist
 *	in ulk.
 * Return: 0, or a negative errno.
 */
int copy_thread(struct task_struct *p, const struct kernel_clone_args *args)
{
	struct ulk_hthread *ht;
	int ret;

	memset(&p->thread, 0, sizeof(p->thread));
	if (!args->fn)
		return -ENOSYS;	/* a new process from user space */

	if (args->fn == ulk_host_task_start) {
		ht = args->fn_arg;
		ht->task = p;
		p->thread.ht = ht;
		p->thread.host_task = true;
		return 0;
	}

	ht = ulk_hthread_alloc(p);
	if (!ht)
		return -ENOMEM;
	p->thread.ht = ht;
	p->thread.fn = args->fn;
	p->thread.fn_arg = args->fn_arg;
	ret = ulk_host->thread_create(kthread_trampoline, ht);
	if (ret) {
		ulk_hthread_free(ht);
		p->thread.ht = NULL;
		return ret;
	}
	return 0;
}

/**
 * flush_thread() - exec hook; nothing to reset in ulk.
 */
void flush_thread(void)
{
}

/**
 * __get_wchan() - where a sleeping task waits; ulk keeps no call frames.
 * @p: the task.
 * Return: 0.
 */
unsigned long __get_wchan(struct task_struct *p)
{
	return 0;
}

/**
 * ulk_host_task_create() - ask init for a host task for @self.
 * @self: the calling application thread, holding the token as a borrower.
 *
 * Queues the request and wakes init; the caller then schedules away and
 * waits with ulk_cpu_wait_switch_in() (see ulk_syscall()).
 * Return: 0 or -ENOMEM.
 */
int ulk_host_task_create(struct ulk_hthread *self)
{
	struct host_task_req *req = kmalloc(sizeof(*req), GFP_KERNEL);

	if (!req)
		return -ENOMEM;
	req->ht = self;
	list_add_tail(&req->list, &host_task_reqs);
	wake_up(&init_wq);
	return 0;
}

/**
 * ulk_init_serve() - init's life after boot: create host tasks on demand.
 */
void __noreturn ulk_init_serve(void)
{
	const unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES |
				    CLONE_SIGHAND | CLONE_THREAD |
				    CLONE_SYSVSEM;

	ulk_boot_done(0);
	for (;;) {
		struct host_task_req *req;
		struct ulk_hthread *ht;
		pid_t pid;

		wait_event(init_wq, !list_empty(&host_task_reqs));
		req = list_first_entry(&host_task_reqs, struct host_task_req,
				       list);
		list_del(&req->list);
		ht = req->ht;
		kfree(req);

		pid = user_mode_thread(ulk_host_task_start, ht, flags);
		if (pid < 0) {
			/* Nothing will switch to it: wake it with the error. */
			ht->create_err = pid;
			ulk_host->sem_up(ht->sem);
		}
	}
}
