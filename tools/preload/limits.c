// SPDX-License-Identifier: GPL-2.0
/*
 * The preload shim's RLIMIT_NOFILE wrappers. ulk places its own host
 * descriptors above the program's soft limit by raising the limit for the
 * one call that places each, then putting it back (lib/hostfd.c); a limit
 * the program sets meanwhile would be undone by that put-back, so the
 * program's changes wait for the window to close. The limits themselves
 * are the host's, unchanged: the program sees and sets exactly what it
 * would without ulk.
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/types.h>

#include "hostfd.h"
#include "shim.h"

typedef int (*setrlimit_fn)(int, const struct rlimit *);
typedef int (*prlimit_fn)(pid_t, int, const struct rlimit *, struct rlimit *);

static int set_limit(const char *name, int res, const struct rlimit *rl)
{
	setrlimit_fn next = (setrlimit_fn)shim_next(name);
	int r;

	if (res != RLIMIT_NOFILE)
		return next(res, rl);
	ulk_hostfd_limit_lock();
	r = next(res, rl);
	ulk_hostfd_limit_unlock();
	return r;
}

static int pr_limit(const char *name, pid_t pid, int res,
		    const struct rlimit *rl, struct rlimit *old)
{
	prlimit_fn next = (prlimit_fn)shim_next(name);
	int r;

	if (res != RLIMIT_NOFILE || !rl)
		return next(pid, res, rl, old);
	ulk_hostfd_limit_lock();
	r = next(pid, res, rl, old);
	ulk_hostfd_limit_unlock();
	return r;
}

int setrlimit(__rlimit_resource_t res, const struct rlimit *rl)
{
	return set_limit("setrlimit", res, rl);
}

int setrlimit64(__rlimit_resource_t res, const struct rlimit64 *rl)
{
	return set_limit("setrlimit64", res, (const struct rlimit *)rl);
}

int prlimit(pid_t pid, __rlimit_resource_t res, const struct rlimit *rl,
	    struct rlimit *old)
{
	return pr_limit("prlimit", pid, res, rl, old);
}

int prlimit64(pid_t pid, __rlimit_resource_t res, const struct rlimit64 *rl,
	      struct rlimit64 *old)
{
	return pr_limit("prlimit64", pid, res, (const struct rlimit *)rl,
			(struct rlimit *)old);
}
