// SPDX-License-Identifier: GPL-2.0
/*
 * Fault-safe copies to and from "user" memory: the host operations behind
 * the kernel's copy_{from,to}_user(), get_user(), put_user(), clear_user()
 * (arch/ulk's asm/uaccess.h).
 *
 * Theory of operation. A program's buffer is ordinary memory of this
 * process, so a copy is a plain copy, until the program passes a bad
 * pointer (write(fd, NULL, 1000)): on Linux the system call returns
 * EFAULT; a plain copy here would take the whole process down with
 * SIGSEGV. As the Linux kernel does with its exception table, the copies
 * are made by one known instruction each (rep movsb, rep stosb on x86-64).
 * A SIGSEGV or SIGBUS handler, installed before the kernel boots, looks at
 * where the fault happened: at one of those instructions, it resumes
 * execution just after it, where the count register still holds the bytes
 * not copied, which the copy returns (the kernel then returns -EFAULT, or
 * a short count, as Linux's would). Anywhere else the fault is not ulk's
 * business: it goes on to the handler that was installed before ulk's, or
 * the program's own installed later through ulk_sigaction() (the preload
 * shim routes every sigaction() there), and with neither, the default
 * action takes place as if ulk had never been there (the handler restores
 * SIG_DFL and returns: the faulting instruction runs again and faults).
 *
 * Without an instruction known here (hosts other than x86-64) the copies
 * are plain memcpy()/memset() and a bad pointer still kills the process.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <ucontext.h>

#include "uaccess.h"

extern int __sigaction(int sig, const struct sigaction *act,
		       struct sigaction *oldact);

#if defined(__x86_64__)

/*
 * rdi = destination, rsi = source (copy) / none (clear), rdx = count.
 * Returns rax = bytes not copied: rcx after the string instruction, which
 * a fault leaves at the bytes still to go.
 */
extern const char ulk_uaccess_copy_insn[], ulk_uaccess_copy_end[];
extern const char ulk_uaccess_clear_insn[], ulk_uaccess_clear_end[];

__asm__(".text\n"
	".p2align 4\n"
	".globl ulk_uaccess_copy\n"
	".hidden ulk_uaccess_copy\n"
	".type ulk_uaccess_copy, @function\n"
	"ulk_uaccess_copy:\n"
	"	.cfi_startproc\n"
	"	movq %rdx, %rcx\n"
	"ulk_uaccess_copy_insn:\n"
	"	rep movsb\n"
	"ulk_uaccess_copy_end:\n"
	"	movq %rcx, %rax\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size ulk_uaccess_copy, .-ulk_uaccess_copy\n"
	".globl ulk_uaccess_clear\n"
	".hidden ulk_uaccess_clear\n"
	".type ulk_uaccess_clear, @function\n"
	"ulk_uaccess_clear:\n"
	"	.cfi_startproc\n"
	"	movq %rsi, %rcx\n"
	"	xorl %eax, %eax\n"
	"ulk_uaccess_clear_insn:\n"
	"	rep stosb\n"
	"ulk_uaccess_clear_end:\n"
	"	movq %rcx, %rax\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size ulk_uaccess_clear, .-ulk_uaccess_clear\n"
	".globl ulk_uaccess_copy_insn\n.hidden ulk_uaccess_copy_insn\n"
	".globl ulk_uaccess_copy_end\n.hidden ulk_uaccess_copy_end\n"
	".globl ulk_uaccess_clear_insn\n.hidden ulk_uaccess_clear_insn\n"
	".globl ulk_uaccess_clear_end\n.hidden ulk_uaccess_clear_end\n");

/* Where a fault at @ip resumes, or NULL if @ip is not a copy's. */
static const char *fixup(const char *ip)
{
	if (ip == ulk_uaccess_copy_insn)
		return ulk_uaccess_copy_end;
	if (ip == ulk_uaccess_clear_insn)
		return ulk_uaccess_clear_end;
	return NULL;
}

static bool try_fixup(void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *ip = &uc->uc_mcontext.gregs[REG_RIP];
	const char *to = fixup((const char *)*ip);

	if (!to)
		return false;
	*ip = (greg_t)to;
	return true;
}

#define HAVE_FIXUP 1

#else

unsigned long ulk_uaccess_copy(void *dst, const void *src, unsigned long n)
{
	memcpy(dst, src, n);
	return 0;
}

unsigned long ulk_uaccess_clear(void *dst, unsigned long n)
{
	memset(dst, 0, n);
	return 0;
}

static bool try_fixup(void *ucv)
{
	(void)ucv;
	return false;
}

#define HAVE_FIXUP 0

#endif

/* SIGSEGV and SIGBUS: the handler faults go on to when they are not ulk's. */
static struct sigaction next_act[2];
static bool installed;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int slot(int sig)
{
	return sig == SIGBUS;
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	struct sigaction next;

	if (try_fixup(uc))
		return;
	next = next_act[slot(sig)];
	if (next.sa_flags & SA_SIGINFO) {
		next.sa_sigaction(sig, si, uc);
	} else if (next.sa_handler != SIG_DFL && next.sa_handler != SIG_IGN) {
		next.sa_handler(sig);
	} else {
		struct sigaction dfl = { .sa_handler = SIG_DFL };

		/* The instruction faults again, with the default action. */
		__sigaction(sig, &dfl, NULL);
	}
}

/**
 * ulk_uaccess_init() - install the fault handler for user copies (once;
 * later calls do nothing).
 *
 * The handlers in place (a program's, a sanitizer's) become the ones that
 * faults elsewhere go to.
 * Return: 0, or -1 with errno set.
 */
int ulk_uaccess_init(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS };
	struct sigaction sa;
	int ret = 0;
	size_t i;

	if (!HAVE_FIXUP)
		return 0;
	pthread_mutex_lock(&lock);
	if (installed)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		ret = __sigaction(sigs[i], &sa, &next_act[slot(sigs[i])]);
		if (ret)
			goto out;
	}
	installed = true;
out:
	pthread_mutex_unlock(&lock);
	return ret;
}

/**
 * ulk_uaccess_sigaction() - sigaction() of SIGSEGV or SIGBUS once ulk's
 * fault handler is in place: the action becomes the one faults outside
 * ulk's copies go to, and ulk's handler stays in front.
 * @sig: SIGSEGV or SIGBUS (anything else: plain sigaction()).
 * @act: the new action, or NULL.
 * @oldact: receives the previous one, or NULL.
 * Return: 0, or -1 with errno set.
 */
int ulk_uaccess_sigaction(int sig, const struct sigaction *act,
			  struct sigaction *oldact)
{
	struct sigaction old;

	if (sig != SIGSEGV && sig != SIGBUS)
		return __sigaction(sig, act, oldact);
	pthread_mutex_lock(&lock);
	if (!installed) {
		pthread_mutex_unlock(&lock);
		return __sigaction(sig, act, oldact);
	}
	old = next_act[slot(sig)];
	if (act)
		next_act[slot(sig)] = *act;
	pthread_mutex_unlock(&lock);
	if (oldact)
		*oldact = old;
	return 0;
}
