// SPDX-License-Identifier: GPL-2.0
/*
 * The preload shim's signal wrappers: every handler a program installs goes
 * through ulk_sigaction() (lib/signals.c), so that it runs only outside ulk
 * calls, as on Linux, and interrupts and restarts calls as Linux does. And
 * pthread_cancel() interrupts the target's ulk call, whose waits are not
 * cancellation points, so that the cancellation is acted on as the call
 * returns.
 *
 * glibc's signal(), bsd_signal() and sysv_signal() call its sigaction
 * internally, past any interposition, so each is wrapped here with the
 * semantics glibc gives it. glibc's __sigaction is not wrapped: it is how
 * lib/signals.c reaches the C library's own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include <ulk/ulk.h>

#include "shim.h"

int sigaction(int sig, const struct sigaction *act, struct sigaction *oldact)
{
	return ulk_sigaction(sig, act, oldact);
}

/* signal() as glibc makes it: BSD semantics, or System V's with @sysv. */
static sighandler_t install(int sig, sighandler_t handler, int sysv)
{
	struct sigaction act, old;

	if (handler == SIG_ERR || sig <= 0 || sig >= NSIG) {
		errno = EINVAL;
		return SIG_ERR;
	}
	memset(&act, 0, sizeof(act));
	act.sa_handler = handler;
	sigemptyset(&act.sa_mask);
	if (sysv) {
		act.sa_flags = SA_RESETHAND | SA_NODEFER;
	} else {
		sigaddset(&act.sa_mask, sig);
		act.sa_flags = SA_RESTART;
	}
	if (ulk_sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

sighandler_t signal(int sig, sighandler_t handler)
{
	return install(sig, handler, 0);
}

sighandler_t bsd_signal(int sig, sighandler_t handler)
{
	return install(sig, handler, 0);
}

sighandler_t ssignal(int sig, sighandler_t handler)
{
	return install(sig, handler, 0);
}

sighandler_t sysv_signal(int sig, sighandler_t handler)
{
	return install(sig, handler, 1);
}

sighandler_t __sysv_signal(int sig, sighandler_t handler)
{
	return install(sig, handler, 1);
}

int pthread_cancel(pthread_t thread)
{
	static int (*next)(pthread_t);
	int err;

	if (!next)
		next = (int (*)(pthread_t))shim_next("pthread_cancel");
	err = next(thread);
	if (!err)
		(void)ulk_interrupt_thread((unsigned long)thread);
	return err;
}
