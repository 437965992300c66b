// SPDX-License-Identifier: GPL-2.0
/*
 * The virtual CPU: token, context switches, interrupts, idle.
 *
 * Theory of operation
 * -------------------
 * ulk has one virtual CPU and many host threads. The CPU is a token: at most
 * one host thread executes kernel code at any instant, and that thread runs
 * as the kernel's `current`. Three kinds of host threads take part:
 *
 *  - kernel threads (idle, init, kthreadd, ksoftirqd, kworkers...): each
 *    task has a host thread of its own, created with the task;
 *  - application threads: on its first system call a thread gets a "host
 *    task" (a thread of the init process) and from then on executes kernel
 *    code itself, as that task, on its own stack;
 *  - borrowers: device and timer threads that raise interrupts. They have
 *    no task; they run interrupt handlers in whatever task is current.
 *
 * Token. ulk_cpu_sem counts 1 when the CPU is free. A thread that finds it
 * free (sem_down or sem_trydown) holds the CPU. At a context switch the
 * token travels with the switch: the switching thread posts the next task's
 * semaphore and the woken thread continues as its holder; cpu_sem is not
 * touched. The holder records itself in ulk_cpu_holder.
 *
 * Who is current while the CPU is free? Only two kinds of task can be:
 *  (a) idle, whose thread released the token in arch_cpu_idle() and waits
 *      on its semaphore, and
 *  (b) a host task whose application thread returned from a system call
 *      and is running application code. It stays current and runnable, so
 *      that thread's next system call is just "take token, call, release"
 *      (the fast path: no thread wake-up at all).
 * Kernel threads never release the token except by switching. And when
 * the token goes free, no task but current is runnable: a thread about to
 * release it first reschedules if anything else can run (must_reschedule()),
 * since nobody else would call the scheduler until the next interrupt.
 *
 * Borrowing and escaping. A thread that takes the free token without being
 * current's thread is a borrower for that moment: an interrupt thread, an
 * application thread whose task is not current, or the idle thread that
 * finds an interrupt pending just after releasing. It may run interrupts
 * and it may call the scheduler on current's behalf. If that switches
 * tasks, the borrower posts the next task's semaphore and then, since it
 * must not wait on a semaphore that is not its own, it "escapes": it
 * longjmps back to where it took the token (struct ulk_hthread.escape),
 * leaving the scheduler's tail to the next task's thread, which runs it
 * when it resumes: inside its own __switch_to() if it was switched out
 * normally, else through schedule_tail() where it waited (new kernel
 * threads, idle in arch_cpu_idle(), application threads at syscall entry).
 * The tail therefore runs exactly once per switch, on the thread that
 * continues as next. Before rescheduling on behalf of a host task of kind
 * (b), the borrower parks it (TASK_PARKED, which no wake-up but ulk's own
 * syscall entry undoes) so that the scheduler never hands the CPU to a task
 * whose thread is off running application code.
 *
 * Interrupts. ulk_trigger_irq() marks the line in ulk_irq_pending, then
 * tries to take the token. If it gets it, the caller runs the handlers and
 * softirqs itself (direct IRQ). If not, the holder runs them when it next
 * enables interrupts or when it releases the token: releasing posts
 * cpu_sem, then re-checks the pending set and, if it is not empty, tries
 * to take the token back. Either the raiser's trydown comes after the post
 * (and it runs the interrupt) or the releaser's re-check comes after the
 * raiser's mark (and it does): no interrupt is left behind.
 *
 * Idle is virtual. The idle task's own thread runs only once: at boot it
 * reaches arch_cpu_idle(), releases the token and parks for good. From
 * then on a switch to idle (ulk_idle_resting) posts no semaphore: the
 * thread that made the switch continues as idle itself. It runs the
 * switch's tail, does what do_idle() does on entry (tick_nohz_idle_enter())
 * and what arch_cpu_idle() does (stop the tick, release the token with the
 * re-check), and then waits on its own semaphore for its own task's next
 * turn. A blocking thread therefore gives the CPU back without waking
 * anyone. While the token is free with idle current, the kernel's state is
 * exactly that of an idle loop sleeping in arch_cpu_idle(): in idle (the
 * tick's INIDLE), tick stopped. Whoever takes the token then is a borrower
 * acting for idle: after interrupts it restops the tick for timers the
 * handlers armed (idle_retick()), and before it reschedules on idle's
 * behalf it does what do_idle() does on the way out (tick_nohz_idle_exit():
 * jiffies caught up, the tick restarted for the task that will run). There
 * is no "idle decided to sleep" flag, so there is no window in which a
 * wake-up can be lost: an interrupt or a system call arriving at any point
 * takes the token and finds the state above.
 *
 * Escapes and idle. A borrower whose reschedule picks idle has nobody to
 * hand the token to: __switch_to() records the switched-out task in
 * ulk_hthread.idle_prev and escapes with the token still held; every
 * escape point settles that debt (settle_idle(): tail, idle entry,
 * release), so the tail still runs exactly once.
 *
 * The tick while not idle. A task other than idle being current means the
 * CPU is busy, so the periodic tick runs (jiffies, timer wheel, scheduler
 * tick), as on hardware. A host task stays current while its thread runs
 * application code (case (b)), which would keep the tick, and a host timer
 * thread, waking HZ times a second for an instance that has nothing to do.
 * So a borrower that finds current a host task whose thread left the
 * kernel more than a jiffy ago (ulk_hthread.left_jiffies, stamped at every
 * system call exit) parks it, as it would before any reschedule: idle
 * becomes current and the tick stops. That thread's next system call takes
 * the slow path once (wake the parked task, switch to it on idle's behalf,
 * no thread wake-up), then the fast path again.
 */
#include <linux/sched.h>
#include <linux/cpu.h>
#include <linux/sched/task.h>
#include <linux/sched/stat.h>
#include <linux/interrupt.h>
#include <linux/hardirq.h>
#include <linux/irq.h>
#include <linux/tick.h>
#include <asm/irq_regs.h>
#include <asm/switch_to.h>
#include <asm/ulk.h>

const struct ulk_host_ops *ulk_host;
struct ulk_hthread *ulk_cpu_holder;
struct task_struct *ulk_switch_last;
struct task_struct *ulk_current = &init_task;
int ulk_halted;
/* ulk_arch_halt() is stopping the application threads' calls (setup.c). */
int ulk_halting;
bool ulk_idle_resting;

static struct ulk_sem *ulk_cpu_sem;

unsigned long ulk_irq_enabled;
unsigned long ulk_irq_pending;

/**
 * ulk_hthread_alloc() - new host thread record with its semaphore.
 * @task: the task it runs as, or NULL.
 *
 * Host memory, not slab: it is used by threads that do not hold the token.
 * Return: the record or NULL.
 */
struct ulk_hthread *ulk_hthread_alloc(struct task_struct *task)
{
	struct ulk_hthread *ht = ulk_host->mem_alloc(sizeof(*ht));

	if (!ht)
		return NULL;
	*ht = (struct ulk_hthread){ .task = task };
	ht->sem = ulk_host->sem_alloc(0);
	if (!ht->sem) {
		ulk_host->mem_free(ht);
		return NULL;
	}
	return ht;
}

/**
 * ulk_hthread_free() - release a record made by ulk_hthread_alloc().
 * @ht: the record; nobody may be waiting on its semaphore.
 */
void ulk_hthread_free(struct ulk_hthread *ht)
{
	ulk_host->sem_free(ht->sem);
	ulk_host->mem_free(ht);
}

/**
 * ulk_cpu_init() - create the token, held by the calling (boot) thread.
 * @boot: the boot thread's record.
 * Return: 0 or -ENOMEM.
 */
int ulk_cpu_init(struct ulk_hthread *boot)
{
	ulk_cpu_sem = ulk_host->sem_alloc(0);
	if (!ulk_cpu_sem)
		return -ENOMEM;
	ulk_cpu_holder = boot;
	return 0;
}

/**
 * ulk_cpu_take() - wait for the free token and hold it.
 * @self: the calling thread.
 */
void ulk_cpu_take(struct ulk_hthread *self)
{
	ulk_host->sem_down(ulk_cpu_sem);
	ulk_cpu_holder = self;
}

/**
 * ulk_cpu_try_take() - take the token if it is free.
 * @self: the calling thread.
 * Return: true if the caller now holds the token.
 */
bool ulk_cpu_try_take(struct ulk_hthread *self)
{
	if (!ulk_host->sem_trydown(ulk_cpu_sem))
		return false;
	ulk_cpu_holder = self;
	return true;
}

/**
 * ulk_cpu_put() - release the token without running anything (shutdown).
 */
void ulk_cpu_put(void)
{
	ulk_cpu_holder = NULL;
	ulk_host->sem_up(ulk_cpu_sem);
}

/**
 * ulk_irq_run_pending() - run the handlers of raised interrupt lines.
 *
 * Called by the token holder when it enables interrupts with some pending.
 * Each handler runs with interrupts disabled, as on hardware; softirqs run
 * on the way out of each and may enable interrupts, which can nest another
 * round for lines raised meanwhile.
 */
void ulk_irq_run_pending(void)
{
	static struct pt_regs irq_regs;

	for (;;) {
		unsigned long pend;
		struct pt_regs *old;
		int irq;

		ulk_irq_enabled = ARCH_IRQ_DISABLED;
		pend = __atomic_load_n(&ulk_irq_pending, __ATOMIC_ACQUIRE);
		if (!pend)
			break;
		irq = __builtin_ctzl(pend);
		__atomic_fetch_and(&ulk_irq_pending, ~(1UL << irq),
				   __ATOMIC_ACQ_REL);
		old = set_irq_regs(&irq_regs);
		irq_enter();
		generic_handle_irq(irq);
		irq_exit();
		set_irq_regs(old);
	}
	ulk_irq_enabled = ARCH_IRQ_ENABLED;
}

/*
 * Reschedule on behalf of current from a thread that will not wait as
 * current. If current is a host task, its application thread is (or is
 * about to be) running application code: park it first, so the scheduler
 * cannot pick it until that thread's next system call wakes it. If current
 * is idle, leave idle first as do_idle() would (and come back into it if
 * the scheduler finds nothing else to run). Returns only if the scheduler
 * kept current; otherwise the thread escapes.
 */
static void schedule_as_borrower(void)
{
	if (is_idle_task(current)) {
		tick_nohz_idle_exit();
		schedule();
		tick_nohz_idle_enter();
		return;
	}
	if (current->thread.host_task)
		__set_current_state(TASK_PARKED);
	schedule();
}

/*
 * Before the token goes free, every runnable task must be running or
 * about to: with the CPU free and current a host task in application code,
 * nobody would otherwise call the scheduler for a task woken without
 * preempting current (a blocked reader woken by a writer's system call).
 * And a host task whose thread has been out of the kernel for over a
 * jiffy gives way to idle, so that the tick can stop (see "The tick while
 * not idle"); its own thread, leaving a system call, never parks it.
 */
static bool must_reschedule(struct ulk_hthread *self)
{
	struct task_struct *cur = current;

	if (need_resched())
		return true;
	if (!cur->thread.host_task)
		return false;
	if (nr_running() > 1)
		return true;
	return cur->thread.ht != self &&
	       time_after(jiffies, cur->thread.ht->left_jiffies + 1);
}

/*
 * Interrupts just ran while idle is current (virtually: see "Idle is
 * virtual"): do what the idle loop does after every interrupt on real
 * hardware, and reprogram the stopped tick for the next timer. The
 * handlers may have armed timers (a neighbour or TCP timer re-armed from
 * softirq, a socket timeout...) that the tick, stopped for a later event
 * or for none, knows nothing about; without this they would never fire.
 * Interrupts raised meanwhile stay pending: the caller's release re-checks.
 */
static void idle_retick(void)
{
	ulk_irq_enabled = ARCH_IRQ_DISABLED;
	tick_nohz_idle_stop_tick();
	ulk_irq_enabled = ARCH_IRQ_ENABLED;
}

/*
 * Release the token, then take it back if an interrupt was raised in the
 * meantime (see "Interrupts": the raiser's trydown or this re-check, one
 * of them sees the other). Return: true if @self holds the token again and
 * must run what is pending.
 */
static __always_inline bool release(struct ulk_hthread *self)
{
	ulk_cpu_holder = NULL;
	ulk_host->sem_up(ulk_cpu_sem);
	if (likely(!__atomic_load_n(&ulk_irq_pending, __ATOMIC_SEQ_CST)) ||
	    !ulk_host->sem_trydown(ulk_cpu_sem))
		return false;
	if (READ_ONCE(ulk_halted)) {
		ulk_host->sem_up(ulk_cpu_sem);
		return false;
	}
	ulk_cpu_holder = self;
	return true;
}

static void leave_body(void *data)
{
	struct ulk_hthread *self = data;

	do {
		local_irq_enable();
		if (must_reschedule(self))
			schedule_as_borrower();
		if (is_idle_task(current))
			idle_retick();
	} while (release(self));
}

/* Run @fn with @self's escape point set to here. */
static void escapable(struct ulk_hthread *self, void (*fn)(void *), void *arg)
{
	struct ulk_jmp_buf jb, *outer = self->escape;

	self->escape = &jb;
	ulk_host->jmp_buf_set(&jb, fn, arg);
	self->escape = outer;
}

/*
 * @self escaped from a switch to idle with the token (see "Escapes and
 * idle"): continue as idle, as a switched-to idle thread would, until the
 * token is released or handed to another task's thread.
 */
static void settle_idle(struct ulk_hthread *self)
{
	struct task_struct *prev;

	while ((prev = self->idle_prev)) {
		self->idle_prev = NULL;
		schedule_tail(prev);
		tick_nohz_idle_enter();
		escapable(self, leave_body, self);
	}
}

/**
 * ulk_cpu_run_escapable() - run @fn, which may reschedule on current's
 * behalf, with the calling thread's escape point set.
 * @self: the calling thread, holding the token.
 * @fn: what to run; a switch it makes hands the CPU over and returns here.
 * @arg: passed to @fn.
 *
 * If a switch @fn made picked idle, the calling thread continues as idle
 * until the token is free (see "Escapes and idle").
 */
void ulk_cpu_run_escapable(struct ulk_hthread *self, void (*fn)(void *),
			   void *arg)
{
	escapable(self, fn, arg);
	settle_idle(self);
}

/**
 * ulk_cpu_leave() - give up the token held by the calling thread.
 * @self: the calling thread.
 *
 * Runs pending interrupts, then either hands the CPU to the task the
 * scheduler picks (if a reschedule is due) or releases the token. If
 * current is a host task (the caller's own, at the end of a system call)
 * a reschedule parks it: the thread goes back to application code at once
 * instead of waiting for its turn. Returns when the thread no longer holds
 * the token.
 */
void ulk_cpu_leave(struct ulk_hthread *self)
{
	/*
	 * The common end of a system call: nothing pending, nobody to switch
	 * to, current not idle. Release without setting an escape point;
	 * the re-check after the release is leave_body()'s.
	 */
	if (likely(ulk_irq_enabled == ARCH_IRQ_ENABLED &&
		   !__atomic_load_n(&ulk_irq_pending, __ATOMIC_RELAXED) &&
		   !is_idle_task(current) && !must_reschedule(self)) &&
	    !release(self))
		return;
	ulk_cpu_run_escapable(self, leave_body, self);
}

static void schedule_away_body(void *data)
{
	schedule_as_borrower();
	*(bool *)data = true;
}

/**
 * ulk_cpu_schedule_away() - let the scheduler pick a task, from a thread
 * that holds the token but is not current's (see "Borrowing" above).
 * @self: the calling thread.
 *
 * The caller has just made a task runnable, so a switch is expected.
 * Returns once the CPU has been handed over or released.
 */
void ulk_cpu_schedule_away(struct ulk_hthread *self)
{
	bool kept = false;

	ulk_cpu_run_escapable(self, schedule_away_body, &kept);
	if (kept) {
		WARN_ONCE(1, "ulk: reschedule kept current\n");
		ulk_cpu_leave(self);
	}
}

/**
 * ulk_cpu_wait_switch_in() - wait until the scheduler switches to @self's
 * task, then finish that switch (the scheduler's tail).
 * @self: the calling thread, which does not hold the token.
 */
void ulk_cpu_wait_switch_in(struct ulk_hthread *self)
{
	ulk_host->sem_down(self->sem);
	ulk_cpu_finish_switch_in(self);
}

/**
 * ulk_cpu_finish_switch_in() - @self was switched to while waiting outside
 * __switch_to(): take over as holder and run the scheduler's tail.
 * @self: the calling thread, just woken on its semaphore.
 */
void ulk_cpu_finish_switch_in(struct ulk_hthread *self)
{
	ulk_cpu_holder = self;
	schedule_tail(ulk_switch_last);
}

/*
 * The thread switching @prev out continues as idle (see "Idle is
 * virtual"): finish the switch, enter idle, release the token.
 */
static void continue_as_idle(struct ulk_hthread *self, struct task_struct *prev)
{
	self->idle_prev = prev;
	settle_idle(self);
}

/**
 * __switch_to() - hand the CPU from @prev to @next.
 * @prev: the task being switched out (current).
 * @next: the task to run.
 *
 * Runs on the token holder's thread, which is @prev's own thread unless a
 * borrower is rescheduling (then it escapes instead of waiting).
 * Return: the task that was switched out when this thread's task next runs.
 */
struct task_struct *__switch_to(struct task_struct *prev,
				struct task_struct *next)
{
	struct ulk_hthread *self = ulk_cpu_holder;
	struct ulk_hthread *to = next->thread.ht;
	bool virtual_idle = is_idle_task(next) && READ_ONCE(ulk_idle_resting);

	ulk_switch_last = prev;
	ulk_current = next;

	if (self->escape) {
		if (virtual_idle)
			self->idle_prev = prev;
		else
			ulk_host->sem_up(to->sem);
		ulk_host->jmp_buf_longjmp(self->escape);
	}

	if (READ_ONCE(prev->__state) == TASK_DEAD) {
		/* A kernel thread ends: its thread exits, nothing waits. */
		if (virtual_idle)
			continue_as_idle(self, prev);
		else
			ulk_host->sem_up(to->sem);
		ulk_hthread_free(self);
		ulk_host->thread_exit();
	}

	if (virtual_idle)
		continue_as_idle(self, prev);
	else
		ulk_host->sem_up(to->sem);
	ulk_wait_switched_to(self, virtual_idle);
	ulk_cpu_holder = self;
	return ulk_switch_last;
}

/**
 * arch_cpu_idle() - nothing to run: release the CPU, for good.
 *
 * Called by the idle task with interrupts disabled. Only the first call
 * reaches the point of no return: from then on idle is virtual (see the
 * theory of operation) and the idle task's own thread waits forever.
 */
void arch_cpu_idle(void)
{
	struct ulk_hthread *self = ulk_cpu_holder;

	if (__atomic_load_n(&ulk_irq_pending, __ATOMIC_RELAXED)) {
		local_irq_enable();
		return;
	}
	WRITE_ONCE(ulk_idle_resting, true);
	ulk_cpu_leave(self);
	for (;;)
		ulk_host->sem_down(self->sem);
}
