/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POSIX host operations: the host side of the kernel/host wall, built on
 * pthreads, POSIX semaphores, mmap and clock_gettime.
 */
#ifndef ULK_HOSTOPS_POSIX_H
#define ULK_HOSTOPS_POSIX_H

#include <pthread.h>
#include <stdbool.h>

#include <ulk/host_ops.h>

#ifdef _GNU_SOURCE
#include <sched.h>

/**
 * ulk_hostops_set_cpus() - confine the threads ulk creates from now on.
 * @cpus: the CPUs, or NULL for no constraint.
 *
 * Call it before the kernel boots; applies to kernel threads, timer
 * threads and device I/O threads (ulk_host_thread_start()).
 */
void ulk_hostops_set_cpus(const cpu_set_t *cpus);
#endif

struct pollfd;

/**
 * struct ulk_idle_poller - the devices' input, as a thread going idle may
 * poll it (run-to-completion; see sem_down_idle in <ulk/host_ops.h>). One
 * thread at a time: calls come in the order claim, run..., release.
 * @claim: the calling thread takes over waiting for input from the I/O
 *	threads: fill @fds (at most @max) with descriptors to poll and
 *	their events; return how many (0: nothing to poll, release follows).
 * @run: @fds[@i] was ready: receive as the I/O thread would (this may
 *	enter the kernel through ulk_trigger_irq()); false if the device
 *	cannot take more input now and @fds[@i] must not be polled again.
 * @release: the thread stops polling; the I/O threads wait for input
 *	again.
 */
struct ulk_idle_poller {
	int (*claim)(struct pollfd *fds, int max);
	bool (*run)(int i);
	void (*release)(void);
};

int ulk_hostops_set_idle_poller(const struct ulk_idle_poller *poller);

/**
 * ulk_host_thread_start() - start a host thread that will run kernel code.
 * @tid: receives the thread.
 * @detached: start it detached, else the caller joins it.
 * @start: its function.
 * @arg: passed to @start.
 *
 * Big stack (kernel code, softirqs included, runs on it), asynchronous
 * signals blocked, and the CPUs of ulk_hostops_set_cpus().
 * Return: 0 or a positive errno, like pthread_create().
 */
int ulk_host_thread_start(pthread_t *tid, bool detached,
			  void *(*start)(void *), void *arg);

/**
 * ulk_hostops_posix() - the POSIX host operations table.
 *
 * Return: a pointer to a static table, valid for the life of the process.
 */
const struct ulk_host_ops *ulk_hostops_posix(void);

void ulk_hostops_interrupt_wait(void);
void ulk_hostops_interrupt_done(void);

/**
 * ulk_hostops_set_print() - choose where kernel console output goes.
 * @print: callback that receives console output when @verbose is set, or
 *	NULL for stderr. Called from whichever thread prints, possibly with
 *	kernel locks held, so it must not call into ulk.
 * @arg: passed to @print.
 * @verbose: 0 keeps the output in a 64 KiB in-memory ring that is dumped
 *	to stderr only on panic; 1 writes it out as it comes.
 *
 * Call it before the kernel boots: the settings are read without locking.
 */
void ulk_hostops_set_print(void (*print)(const char *str, int len, void *arg),
			   void *arg, int verbose);

#endif /* ULK_HOSTOPS_POSIX_H */
