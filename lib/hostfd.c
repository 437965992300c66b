// SPDX-License-Identifier: GPL-2.0
/*
 * ulk's own host descriptors (timer, device eventfds, TAP, pipe sockets)
 * live high in the descriptor table. A program expects open() and
 * socket() to return the lowest free number; a ulk that boots lazily, at
 * the program's first socket, must not take the numbers the program is
 * about to get.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "hostfd.h"

#define LOW_FDS		64	/* never below this, whatever the limit */
#define HIGH_FDS	1024	/* nor above: some callers scan that far */

/**
 * ulk_hostfd_move_high() - move a descriptor ulk made for itself above the
 * numbers a program normally uses.
 * @fd: a descriptor just created (close-on-exec is set on the new one).
 *
 * The new number is at least half the soft RLIMIT_NOFILE, clamped to
 * 64..1024 (the preload shim scans the first 4096 descriptors for those
 * that boot made); if no such number is free, @fd is kept as it is.
 * Return: the descriptor to use from now on (@fd itself when it stays),
 * or a negative errno if @fd was negative.
 */
int ulk_hostfd_move_high(int fd)
{
	struct rlimit rl;
	long floor = LOW_FDS;
	int nfd;

	if (fd < 0)
		return fd;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    (long)(rl.rlim_cur / 2) > floor)
		floor = (long)(rl.rlim_cur / 2);
	if (floor > HIGH_FDS)
		floor = HIGH_FDS;
	if (fd >= floor)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, (int)floor);
	if (nfd < 0)
		return fd;
	close(fd);
	return nfd;
}
