// SPDX-License-Identifier: GPL-2.0
/*
 * Signals and ulk calls: the public ulk_syscall(), and the handlers a
 * program installs through ulk_sigaction() (the preload shim routes every
 * sigaction() and signal() of a program under ulk-run here).
 *
 * Theory of operation.
 *
 * Kernel code runs on the calling thread's own stack: while a thread is
 * inside ulk_arch_syscall() its stack holds kernel frames (wait-queue
 * entries, a socket lock, sometimes the CPU token). A program's signal
 * handler that ran there could siglongjmp() out of them, exit() (whose
 * ulk calls would find the thread still inside ulk: -EDEADLK), or call
 * into ulk itself. On Linux, a handler runs only on the way back to user
 * space, after the call has returned or been interrupted. ulk does the
 * same for the handlers it knows of:
 *
 *  - Each such handler is installed as trampoline(), with the program's
 *    flags and mask. Outside ulk (@depth 0) it calls the program's handler
 *    at once. Inside, it defers: it keeps the siginfo and notes the signal
 *    in @deferred. It also ends the thread's wait in the kernel, if it
 *    was waiting, or its next one (ulk_hostops_interrupt_wait(), see the
 *    semaphores in hostops_posix.c): the kernel call is interrupted as
 *    Linux's would be, SA_RESTART or not.
 *  - When ulk_arch_syscall() returns with @deferred set, the deferred
 *    handlers run there, with no kernel frame left on the stack, each with
 *    its siginfo and with the mask the host kernel would have applied
 *    (the action's sa_mask, and the signal itself unless SA_NODEFER). The
 *    ucontext they get is the place they run from, not the interrupted
 *    one; a signal that arrives again while deferred runs once (real-time
 *    signals included: a deferred one is not queued twice).
 *    (Queueing the signal again, blocked until the call returns, would
 *    have let the host deliver it with its own frame, but valgrind does
 *    not honour a handler's change to the mask it returns to, and the
 *    signal then came back at once, forever.)
 *  - The call's restart code then decides, as Linux does with the handler
 *    that ran: -ERESTARTSYS restarts if every deferred handler has
 *    SA_RESTART, -ERESTARTNOINTR always restarts, the others become
 *    -EINTR. When the call was interrupted by a handler ulk does not know
 *    (one installed with the host's sigaction directly, or glibc's own),
 *    -ERESTARTSYS restarts only if every handler installed has SA_RESTART.
 *
 * Synchronous signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS)
 * cannot wait: they go to the program's handler directly, wherever they
 * happen.
 *
 * Cancellation. No wait inside ulk is a cancellation point (see the
 * semaphores in hostops_posix.c): pthread_cancel() of a thread blocked in a
 * ulk call only marks it, and ulk_interrupt_thread() (which the preload
 * shim calls after every pthread_cancel()) interrupts its call. An
 * interrupted call then calls pthread_testcancel() here, outside the
 * kernel, where unwinding is safe.
 *
 * SIGPIPE. The kernel's tasks cannot take signals for the host thread (they
 * are threads of ulk's init, for which SIGPIPE is ignored), so the rule is
 * applied here: a write or send that fails with -EPIPE raises SIGPIPE on
 * the calling thread unless it was a send with MSG_NOSIGNAL, and the
 * program's disposition (default: death) and mask apply as on Linux.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <ulk/host_ops.h>
#include <ulk/ulk.h>

#include "ctl/ctl.h"
#include "hostops_posix.h"
#include "uaccess.h"

#define ERESTARTSYS		512
#define ERESTARTNOINTR		513
#define ERESTARTNOHAND		514
#define ERESTART_RESTARTBLOCK	516

#define NSIGS	65	/* signals 1..64 */

/**
 * struct sig_thread - one thread's view of ulk calls and signals.
 * @depth: the thread is inside ulk_arch_syscall() (> 0).
 * @deferred: signals (bit n-1 for signal n) whose handler trampoline()
 *	deferred during the current call.
 * @info: the siginfo of each deferred signal (signal n at n-1).
 */
struct sig_thread {
	int depth;
	unsigned long long deferred;
	siginfo_t info[64];
};

static __thread struct sig_thread sig_self
	__attribute__((tls_model("initial-exec")));

/*
 * The program's action for each signal installed through ulk_sigaction(),
 * and whether trampoline() stands in for it. Written under act_lock, read
 * by trampoline() without it (a handler changing while it is delivered is
 * a race on Linux too).
 */
static struct sigaction prog_act[NSIGS];

/*
 * Signals whose default action (death) is preceded by @death_hook: the
 * preload shim's flush of the program's TCP data (ulk_signal_on_death()).
 */
static volatile sig_atomic_t death[NSIGS];
static void (*death_hook)(int sig);

/*
 * The C library's own sigaction(): inside the preload shim, the name
 * sigaction is the shim's wrapper (which calls ulk_sigaction()).
 */
extern int __sigaction(int sig, const struct sigaction *act,
		       struct sigaction *oldact);
#define sigaction(sig, act, old) __sigaction(sig, act, old)

static volatile sig_atomic_t wrapped[NSIGS];
static pthread_mutex_t act_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned long long sig_bit(int sig)
{
	return 1ULL << (sig - 1);
}

static bool synchronous(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
	       sig == SIGILL || sig == SIGTRAP || sig == SIGSYS;
}

/*
 * The program left @sig at its default action, death: run the hook, then
 * die of the signal as the host would have killed the process.
 */
static void die_of(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t set;

	/* A second one kills at once (the hook may wait for TCP peers). */
	sigaction(sig, &dfl, NULL);
	if (death_hook)
		death_hook(sig);
	sigemptyset(&set);
	sigaddset(&set, sig);
	syscall(SYS_tgkill, getpid(), gettid(), sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static void run_program_handler(int sig, siginfo_t *info, void *uc)
{
	struct sigaction act = prog_act[sig];

	if (death[sig] && !(act.sa_flags & SA_SIGINFO) &&
	    act.sa_handler == SIG_DFL) {
		die_of(sig);
		return;
	}

	if (act.sa_flags & SA_RESETHAND) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };

		/* What the host kernel would have done before delivery. */
		wrapped[sig] = 0;
		prog_act[sig] = dfl;
		sigaction(sig, &dfl, NULL);
	}
	if (act.sa_flags & SA_SIGINFO)
		act.sa_sigaction(sig, info, uc);
	else if (act.sa_handler != SIG_DFL && act.sa_handler != SIG_IGN)
		act.sa_handler(sig);
}

static void trampoline(int sig, siginfo_t *info, void *uc)
{
	struct sig_thread *t = &sig_self;

	if (sig <= 0 || sig >= NSIGS)
		return;
	if (t->depth == 0 || synchronous(sig)) {
		run_program_handler(sig, info, uc);
		return;
	}
	if (!(t->deferred & sig_bit(sig))) {
		t->info[sig - 1] = *info;
		t->deferred |= sig_bit(sig);
	}
	/* End the thread's wait inside the kernel, or its next one. */
	if (ulk_remote_attached)
		ulk_remote_interrupt_self();
	else
		ulk_hostops_interrupt_wait();
}

/**
 * ulk_sigaction() - sigaction() for a program that makes ulk calls.
 * @sig: the signal.
 * @act: new action, or NULL.
 * @oldact: receives the previous action, or NULL.
 *
 * Takes the same arguments and gives the same results as sigaction(); the
 * handler then runs only outside ulk calls (a call it interrupts returns,
 * or restarts, first), as a handler runs on Linux only on the way back to
 * user space. Synchronous signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGTRAP, SIGSYS) are installed as they are.
 *
 * Return: 0, or -1 with errno set.
 */
int ulk_sigaction(int sig, const struct sigaction *act,
		  struct sigaction *oldact)
{
	struct sigaction old, tramp, host_old;
	bool handler;
	int ret;

	if (sig <= 0 || sig >= NSIGS || synchronous(sig) || sig == SIGKILL ||
	    sig == SIGSTOP)
		return ulk_uaccess_sigaction(sig, act, oldact);
	pthread_mutex_lock(&act_lock);
	if (!act) {
		ret = sigaction(sig, NULL, &old);
		if (!ret && wrapped[sig])
			old = prog_act[sig];
		goto out;
	}
	handler = (act->sa_flags & SA_SIGINFO) ||
		  (act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN) ||
		  (death[sig] && act->sa_handler == SIG_DFL);
	if (!handler) {
		ret = sigaction(sig, act, &old);
		if (!ret) {
			if (wrapped[sig])
				old = prog_act[sig];
			wrapped[sig] = 0;
		}
		goto out;
	}
	tramp = *act;
	tramp.sa_sigaction = trampoline;
	tramp.sa_flags = (act->sa_flags | SA_SIGINFO) & ~SA_RESETHAND;
	/* Recorded first: the signal may arrive as soon as it is installed. */
	old = prog_act[sig];
	prog_act[sig] = *act;
	ret = sigaction(sig, &tramp, &host_old);
	if (ret) {
		prog_act[sig] = old;
	} else {
		if (!wrapped[sig])
			old = host_old;
		wrapped[sig] = 1;
	}
out:
	pthread_mutex_unlock(&act_lock);
	if (!ret && oldact)
		*oldact = old;
	return ret;
}

/**
 * ulk_signal_on_death() - run @hook before the process dies of a signal at
 * its default action.
 * @hook: called, outside any ulk call, with the signal; the process then
 *	dies of it as it would have.
 *
 * Applies to the signals whose default is to end the process (SIGHUP,
 * SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2, SIGXCPU,
 * SIGXFSZ, SIGVTALRM, SIGPROF, SIGPWR) while the program leaves them at
 * SIG_DFL; sigaction() still reports SIG_DFL for them.
 * Return: 0, or -1 with errno set.
 */
int ulk_signal_on_death(void (*hook)(int sig))
{
	static const int sigs[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGALRM, SIGUSR1,
		SIGUSR2, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGPWR,
	};
	struct sigaction cur, dfl = { .sa_handler = SIG_DFL };
	size_t i;

	death_hook = hook;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		int sig = sigs[i];

		if (ulk_sigaction(sig, NULL, &cur) ||
		    (cur.sa_flags & SA_SIGINFO) || cur.sa_handler != SIG_DFL)
			continue;
		death[sig] = 1;
		sigemptyset(&dfl.sa_mask);
		dfl.sa_flags = SA_NODEFER;
		if (ulk_sigaction(sig, &dfl, NULL))
			return -1;
		prog_act[sig].sa_flags = 0;	/* what the program set */
	}
	return 0;
}

/*
 * Whether an -ERESTARTSYS call, interrupted by a handler ulk does not
 * know, should restart: only if every handler installed has SA_RESTART
 * (which signal ran is not known). A sigaction() per signal, on this rare
 * path only.
 */
static bool all_handlers_restart(void)
{
	struct sigaction sa;
	int sig;

	for (sig = 1; sig < NSIGS; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa))
			continue;
		if (wrapped[sig])
			sa = prog_act[sig];
		if (!(sa.sa_flags & SA_SIGINFO) &&
		    (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN))
			continue;
		if (!(sa.sa_flags & SA_RESTART))
			return false;
	}
	return true;
}

/* Run one deferred handler as the host kernel would have delivered it. */
static void run_deferred(struct sig_thread *t, int sig)
{
	struct sigaction act = prog_act[sig];
	siginfo_t info = t->info[sig - 1];
	sigset_t block, old;
	ucontext_t uc;

	block = act.sa_mask;
	if (!(act.sa_flags & SA_NODEFER))
		sigaddset(&block, sig);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	/* Cleared only now: the same signal, arriving meanwhile, waits. */
	__atomic_and_fetch(&t->deferred, ~sig_bit(sig), __ATOMIC_RELAXED);
	getcontext(&uc);
	if (wrapped[sig])
		run_program_handler(sig, &info, &uc);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Run the deferred handlers. Return: whether all of them allow restart. */
static bool deliver_deferred(struct sig_thread *t)
{
	bool restart = true;
	int sig;

	while (t->deferred) {
		sig = __builtin_ctzll(t->deferred) + 1;
		if (!(prog_act[sig].sa_flags & SA_RESTART))
			restart = false;
		run_deferred(t, sig);
	}
	return restart;
}

/* Whether a failed -EPIPE call raises SIGPIPE on Linux. */
static bool raises_sigpipe(long nr, const long *args)
{
	switch (nr) {
	case __ULK_NR_write:
	case __ULK_NR_writev:
	case __ULK_NR_pwrite64:
	case __ULK_NR_pwritev:
	case __ULK_NR_pwritev2:
	case __ULK_NR_sendfile:
	case __ULK_NR_splice:
	case __ULK_NR_vmsplice:
		return true;
	case __ULK_NR_sendto:
	case __ULK_NR_sendmmsg:
		return args && !(args[3] & MSG_NOSIGNAL);
	case __ULK_NR_sendmsg:
		return args && !(args[2] & MSG_NOSIGNAL);
	}
	return false;
}

static bool interrupted(long ret)
{
	return ret == -EINTR || (ret <= -ERESTARTSYS &&
				 ret >= -ERESTART_RESTARTBLOCK);
}

/* The kernel's entry: this process's, or the attached instance's. */
static inline long enter(long nr, const long *args)
{
	if (__builtin_expect(ulk_remote_attached, 0))
		return ulk_remote_syscall(nr, args);
	return ulk_arch_syscall(nr, args);
}

/* Whatever the common path leaves: restarts, deferred handlers, SIGPIPE. */
static long finish_call(struct sig_thread *t, long nr, const long *args,
			long ret)
{
	for (;;) {
		bool known = t->deferred != 0;
		bool restart;

		if (known)
			ulk_hostops_interrupt_done();
		restart = known ? deliver_deferred(t) : true;

		if (interrupted(ret))
			pthread_testcancel();
		switch (ret) {
		case -ERESTARTSYS:
			if (!known)
				restart = all_handlers_restart();
			if (!restart)
				return -EINTR;
			break;
		case -ERESTARTNOINTR:
			break;
		case -ERESTARTNOHAND:
		case -ERESTART_RESTARTBLOCK:
			return -EINTR;
		case -EPIPE:
			if (raises_sigpipe(nr, args))
				syscall(SYS_tgkill, getpid(), gettid(), SIGPIPE);
			return ret;
		default:
			return ret;
		}
		t->depth++;
		ret = enter(nr, args);
		t->depth--;
		if (__builtin_expect(!t->deferred && ret > -ERESTARTSYS &&
				     ret != -EPIPE, 1))
			return ret;
	}
}

/**
 * ulk_syscall() - make a kernel system call from the calling host thread.
 * @nr: system call number from the generic table (__ULK_NR_*).
 * @args: six arguments (unused ones are ignored; may be NULL if none).
 *
 * See include/ulk/ulk.h for the rules on signals.
 * Return: the system call's result, or a negative errno.
 */
long ulk_syscall(long nr, const long *args)
{
	struct sig_thread *t = &sig_self;
	long ret;

	t->depth++;
	ret = enter(nr, args);
	t->depth--;
	if (__builtin_expect(!t->deferred && (ret > -ERESTARTSYS ||
					      ret < -ERESTART_RESTARTBLOCK) &&
			     ret != -EPIPE, 1))
		return ret;
	return finish_call(t, nr, args, ret);
}

/**
 * ulk_interrupt_thread() - interrupt a ulk call another thread is making,
 * as a signal handler running on it would (the call returns -EINTR or
 * restarts, and a pending cancellation is then acted on).
 * @thread: the thread (a pthread_t).
 *
 * Call it after pthread_cancel() of a thread that may be blocked in ulk
 * (the preload shim does). A thread that is not in a call is unaffected.
 * Return: 0, -EBUSY if too many interruptions are outstanding (try again),
 * -ESHUTDOWN if ulk is not running.
 */
int ulk_interrupt_thread(unsigned long thread)
{
	if (ulk_remote_attached)
		return ulk_remote_interrupt(thread);
	return ulk_arch_interrupt(thread);
}
