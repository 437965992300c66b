/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POSIX host operations: the host side of the kernel/host wall, built on
 * pthreads, POSIX semaphores, mmap and clock_gettime.
 */
#ifndef ULK_HOSTOPS_POSIX_H
#define ULK_HOSTOPS_POSIX_H

#include <ulk/host_ops.h>

/**
 * ulk_hostops_posix() - the POSIX host operations table.
 *
 * Return: a pointer to a static table, valid for the life of the process.
 */
const struct ulk_host_ops *ulk_hostops_posix(void);

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
