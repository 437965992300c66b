/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ulk: the Linux kernel as a library.
 *
 * Boot a Linux 6.12 kernel inside this process with ulk_start(), then use
 * its system calls through ulk_syscall() or the generated ulk_sys_<name>()
 * wrappers (<ulk/syscalls.h>, included below). Any host thread may make
 * system calls: on its first one it gets a kernel task of its own (a thread
 * of the kernel's init process), released when the host thread exits.
 *
 * Kernel structures and constants are available with every identifier
 * prefixed (struct ulk_sockaddr_in, ULK_AF_INET, __ULK_NR_socket) from the
 * headers under <ulk/linux/...> and <ulk/asm/...>, so they sit beside libc's.
 *
 * Return values follow the kernel: 0 or a positive result on success, a
 * negative errno on failure (ulk_strerror() describes it).
 *
 * What is not served: calls that need an MMU or a process model (fork,
 * vfork, clone of a new process, execve, file-backed mmap) return -ENOSYS
 * or another negative errno; they never affect the host process.
 *
 * Threads and signals: kernel code runs on the calling thread's stack:
 * give threads that call into ulk at least 256 KiB. A signal handler
 * installed with ulk_sigaction() (the preload shim installs every handler
 * of a program under ulk-run so) runs only outside ulk calls, as handlers
 * run on Linux only on the way back to user space: one that arrives during
 * a call interrupts the call if it blocks, runs once the call has returned,
 * and the call then restarts or returns -EINTR as it would on Linux
 * (SA_RESTART and the call's kind decide). Such a handler may make ulk
 * calls, siglongjmp() or exit(). A handler installed with the host's
 * sigaction() directly runs wherever the signal lands, inside ulk too: it
 * still interrupts a blocked call, but it must not leave by siglongjmp(),
 * and a ulk call made from it on a thread already inside one returns
 * -EDEADLK. Waits inside ulk are not cancellation points; see
 * ulk_interrupt_thread(). A write or send failing with -EPIPE raises
 * SIGPIPE on the calling thread, as on Linux, unless sent with
 * MSG_NOSIGNAL (ignore SIGPIPE or use that flag to get the error alone).
 */
#ifndef ULK_ULK_H
#define ULK_ULK_H

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct ulk_start_opts - boot options; zero fields take their defaults.
 * @mem_size: bytes of memory for the kernel (default 256 MiB, minimum
 *	16 MiB). Reserved address space; pages cost memory once touched.
 * @cmdline: extra kernel command line appended to ulk's own, or NULL.
 * @verbose: 0 prints nothing from the kernel except on panic; 1 prints
 *	the kernel log to stderr (or to @print).
 * @print: receives console output instead of stderr when non-NULL;
 *	called with the CPU token held, so it must not call into ulk.
 * @print_arg: passed to @print.
 * @cpus: a CPU list ("1", "0-3", "0,2") that ulk's own threads (kernel
 *	threads, the timer, device I/O threads) are confined to, or NULL to
 *	leave them to the host's scheduler. Application threads, which run
 *	kernel code themselves, stay where the application puts them. Which
 *	is faster depends on the machine: on a VM where a wake-up across
 *	vCPUs costs tens of microseconds, ulk's threads on the application's
 *	CPU trade parallelism for latency (docs/theory-of-operation.md).
 * @name: the instance's name for `ulkctl` (1 to 63 characters of
 *	[A-Za-z0-9._-]), or NULL for the program's name and pid
 *	("nginx-4242").
 * @ctl: the control socket through which `ulkctl` and ulk_attach()
 *	reach the instance: NULL for NAME.sock in the user's directory
 *	($XDG_RUNTIME_DIR/ulk, /run/ulk for root, else /tmp/ulk-UID), a
 *	path, or "none" for no control socket. Only its owner (and root)
 *	may connect. Removed at ulk_halt() and at exit.
 */
struct ulk_start_opts {
	unsigned long mem_size;
	const char *cmdline;
	int verbose;
	void (*print)(const char *str, int len, void *arg);
	void *print_arg;
	const char *cpus;
	const char *name;
	const char *ctl;
};

/**
 * ulk_start() - boot the kernel in this process.
 * @opts: options, or NULL for defaults.
 *
 * Network devices added before (<ulk/netdev.h>) are probed during boot and
 * their I/O threads started before this returns.
 *
 * Return: 0 once the kernel is up; -EALREADY if ulk was already started in
 * this process (one kernel per process, and not again after ulk_halt());
 * -EINVAL for bad options (a @cpus list that is malformed or names no CPU
 * this process may use, a bad @name); -EADDRINUSE if a running instance
 * has that name; -EPERM if the control socket's directory is not the
 * user's alone; -ENOMEM if memory could not be reserved;
 * -E2BIG if the command line, with one entry per device, exceeds 511
 * bytes; a device's negative errno if its I/O thread could not start (the
 * kernel is up then, without that device's traffic).
 */
int ulk_start(const struct ulk_start_opts *opts);

/**
 * ulk_halt() - shut the kernel down.
 *
 * Later system calls return -ESHUTDOWN. The process may then exit normally.
 * Return: 0, or -ENODEV if ulk is not running.
 */
int ulk_halt(void);

/**
 * ulk_ctl_socket() - where this instance's control socket is.
 *
 * Return: its path, or NULL if it has none.
 */
const char *ulk_ctl_socket(void);

/**
 * ulk_attach() - make this process's ulk calls in a running instance
 * (another process's ulk) instead of booting one.
 * @instance: its name (`ulkctl list`) or its control socket's path.
 *
 * Every ulk_syscall() of every thread then travels over the instance's
 * control socket and is made there, on descriptors this process creates
 * there (the instance's own are out of reach). Signals interrupt a
 * remote call as they would a local one. What cannot travel fails:
 * -ENOSYS (for ioctls, -ENOTTY). The descriptors are closed when the
 * process exits or calls ulk_detach() (or ulk_halt()).
 * Return: 0; -EALREADY if ulk runs in this process or it is attached;
 * -EINVAL for a bad name; -ENOENT or -ECONNREFUSED if no instance answers;
 * another negative errno.
 */
int ulk_attach(const char *instance);

/**
 * ulk_detach() - end ulk_attach(); later calls return -ESHUTDOWN.
 * Return: 0, or -ENOTCONN if not attached.
 */
int ulk_detach(void);

/**
 * ulk_syscall() - make a kernel system call from the calling host thread.
 * @nr: system call number from the generic table (__ULK_NR_*).
 * @args: six arguments (unused ones are ignored; may be NULL if none).
 *
 * Return: the system call's result, or a negative errno. -ENOSYS for an
 * unknown number, -ESHUTDOWN when ulk is not running or halts during the
 * call, -EDEADLK when called from a handler not installed with
 * ulk_sigaction() that interrupted a ulk call on the same thread.
 */
long ulk_syscall(long nr, const long *args);

struct sigaction;

/**
 * ulk_signal_on_death() - run @hook before the process dies of a signal
 * left at its default action (SIGTERM, SIGINT, SIGHUP, SIGPIPE and the
 * others whose default ends the process), for instance to let TCP deliver
 * what was sent; the process then dies of the signal as it would have.
 * @hook: called outside any ulk call, with the signal.
 *
 * Only for signals at SIG_DFL now (or set so later with ulk_sigaction());
 * sigaction() still reports SIG_DFL for them. A second such signal during
 * @hook kills at once.
 * Return: 0, or -1 with errno set.
 */
int ulk_signal_on_death(void (*hook)(int sig));

/**
 * ulk_sigaction() - sigaction() for a program that makes ulk calls.
 * @sig: the signal.
 * @act: new action, or NULL.
 * @oldact: receives the previous action, or NULL.
 *
 * Same arguments and results as sigaction(); the handler then runs only
 * outside ulk calls (see "Threads and signals" above). Synchronous signals
 * (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS) are installed as they
 * are.
 * Return: 0, or -1 with errno set.
 */
int ulk_sigaction(int sig, const struct sigaction *act,
		  struct sigaction *oldact);

/**
 * ulk_interrupt_thread() - interrupt the ulk call another thread is
 * making, as a signal handler running on it would.
 * @thread: the thread (a pthread_t).
 *
 * Waits inside ulk are not cancellation points (a cancellation acting
 * there would unwind through kernel frames): after pthread_cancel() of a
 * thread that may be blocked in ulk, call this; its call is interrupted
 * and the cancellation acted on as the call returns. A thread not in a
 * call is unaffected.
 * Return: 0, -EBUSY if too many interruptions are outstanding (try again),
 * -ESHUTDOWN if ulk is not running.
 */
int ulk_interrupt_thread(unsigned long thread);

/**
 * ulk_trigger_irq() - raise an interrupt line of the kernel.
 * @irq: interrupt number (from a device's registration).
 *
 * Callable from any host thread. Runs the handler on the calling thread if
 * the CPU is free, otherwise leaves it pending for the CPU's holder.
 * Return: 0, or -EINVAL for a bad line.
 */
int ulk_trigger_irq(int irq);

/**
 * ulk_strerror() - describe a negative (or positive) errno value.
 * @err: error number, as returned by the API.
 *
 * Return: a static string; never NULL.
 */
const char *ulk_strerror(int err);

#ifdef __cplusplus
}
#endif

#include <ulk/syscalls.h>

#endif /* ULK_ULK_H */
