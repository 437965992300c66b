// SPDX-License-Identifier: GPL-2.0
/*
 * Host signals interrupt blocking system calls.
 *
 * An application thread blocked in a ulk system call waits on its host
 * semaphore in __switch_to(), without the CPU token. When the program's
 * host signal handler runs on that thread, the wait returns -EINTR
 * (sem_down_intr). The thread cannot touch its task without the token, so
 * it marks itself (host_signal) and raises ULK_SIGNAL_IRQ; the interrupt
 * handler, which runs with the token, gives every marked task a
 * TIF_NOTIFY_SIGNAL and wakes it from an interruptible sleep, as a signal
 * would. The sleep returns -ERESTARTSYS, the call returns -EINTR
 * (syscalls.c turns restart codes into -EINTR), and the return to "user
 * space" clears the flag. The thread meanwhile waits again to be switched
 * to, so it continues as its task does. Uninterruptible sleeps finish
 * first; a call that does not block again completes normally.
 *
 * This mirrors what the host kernel does for a thread blocked in a system
 * call when a signal with a handler arrives; whether the call should be
 * restarted (SA_RESTART) is the host side's decision (lib/signals.c),
 * since only it knows which handler ran.
 *
 * Another thread can ask for the same on a given application thread
 * (ulk_arch_interrupt(), for pthread_cancel()): it leaves the thread's
 * host identifier in a free request slot and raises the same interrupt,
 * whose handler matches the slots against every task's host thread. And
 * ulk_interrupt_all() (halt) does it for every application thread in a
 * call.
 */
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/sched/signal.h>
#include <asm/irq.h>
#include <asm/ulk.h>

/**
 * ulk_wait_switched_to() - wait, without the token, until the scheduler
 * switches to @self's task; a host signal handler running meanwhile
 * interrupts the task's system call.
 * @self: the calling thread.
 * @idle: the thread just left the CPU to idle: if it is an application
 *	thread, the host may poll devices on it while it waits (see
 *	sem_down_idle in <ulk/host_ops.h>).
 */
void ulk_wait_switched_to(struct ulk_hthread *self, bool idle)
{
	/*
	 * Only application threads poll: they wait for the network; a
	 * kernel thread would hold the poller's place and then have to
	 * wake the application thread the packet was for.
	 */
	int poll = self->task && self->task->thread.host_task;
	int err;

	for (;;) {
		if (idle && ulk_host->sem_down_idle)
			err = ulk_host->sem_down_idle(self->sem, poll);
		else
			err = ulk_host->sem_down_intr(self->sem);
		if (!err)
			break;
		if (!self->task || (self->task->flags & PF_KTHREAD))
			continue;
		WRITE_ONCE(self->host_signal, 1);
		ulk_trigger_irq(ULK_SIGNAL_IRQ);
	}
}

#define INTERRUPT_SLOTS	16

/* Host identifiers of threads to interrupt; 0 is a free slot. */
static unsigned long interrupt_req[INTERRUPT_SLOTS];

/* Whether @ht is asked for in a slot; the slot is freed. */
static bool interrupt_requested(struct ulk_hthread *ht)
{
	int i;

	if (!ht->host_id)
		return false;
	for (i = 0; i < INTERRUPT_SLOTS; i++)
		if (READ_ONCE(interrupt_req[i]) == ht->host_id &&
		    cmpxchg(&interrupt_req[i], ht->host_id, 0) == ht->host_id)
			return true;
	return false;
}

static irqreturn_t host_signal_irq(int irq, void *dev)
{
	struct task_struct *g, *t;

	rcu_read_lock();
	for_each_process_thread(g, t) {
		struct ulk_hthread *ht = t->thread.ht;

		if (!ht || ht->task != t)
			continue;
		if (READ_ONCE(ht->host_signal) || interrupt_requested(ht)) {
			WRITE_ONCE(ht->host_signal, 0);
			set_notify_signal(t);
		}
	}
	rcu_read_unlock();
	return IRQ_HANDLED;
}

/**
 * ulk_arch_interrupt() - interrupt the ulk call of another host thread, as
 * a host signal handler running on it would.
 * @host_id: the thread, as the host's thread_self() names it.
 *
 * A thread not in a call is not affected (its request lapses with the
 * next one for it). Callable without the token, from any thread.
 * Return: 0, -EBUSY if too many requests are outstanding, -ESHUTDOWN
 * after halt.
 */
int ulk_arch_interrupt(unsigned long host_id)
{
	int i;

	if (!READ_ONCE(ulk_host))
		return -ESHUTDOWN;	/* not booted */
	if (!host_id)
		return 0;
	for (i = 0; i < INTERRUPT_SLOTS; i++)
		if (cmpxchg(&interrupt_req[i], 0, host_id) == 0)
			return ulk_trigger_irq(ULK_SIGNAL_IRQ);
	return -EBUSY;
}

/**
 * ulk_interrupt_all() - interrupt every application thread's call, as if
 * a host signal handler ran on each; called with the token (halt).
 * Return: how many application threads are in a call (the caller's own
 * excepted).
 */
int ulk_interrupt_all(void)
{
	struct task_struct *g, *t;
	int n = 0;

	rcu_read_lock();
	for_each_process_thread(g, t) {
		struct ulk_hthread *ht = t->thread.ht;

		if (t == current || !ht || ht->task != t ||
		    !t->thread.host_task || !READ_ONCE(ht->in_kernel))
			continue;
		set_notify_signal(t);
		n++;
	}
	rcu_read_unlock();
	return n;
}

static int __init ulk_signal_init(void)
{
	return request_irq(ULK_SIGNAL_IRQ, host_signal_irq, 0, "host-signal",
			   NULL);
}
arch_initcall(ulk_signal_init);
