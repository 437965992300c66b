// SPDX-License-Identifier: GPL-2.0
/*
 * CPU lists as Linux writes them ("0", "0-3", "1,3,5-7"): one parser for
 * ulk_start()'s @cpus and for ulk-run's --pin, which checks them before the
 * program starts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "cpulist.h"

/* A decimal CPU number below CPU_SETSIZE at *@s; advances *@s. */
static int number(const char **s, int *out)
{
	const char *p = *s;
	long n = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n >= CPU_SETSIZE)
			return -ERANGE;
	}
	*s = p;
	*out = (int)n;
	return 0;
}

/**
 * ulk_cpulist_parse() - parse a CPU list into a set.
 * @list: comma-separated CPU numbers and ranges A-B (A <= B), no spaces.
 * @set: receives the CPUs.
 *
 * Return: 0; -EINVAL for a malformed list or an empty one; -ERANGE for a
 * CPU number at or above CPU_SETSIZE.
 */
int ulk_cpulist_parse(const char *list, cpu_set_t *set)
{
	const char *p = list;
	int a, b, err;

	CPU_ZERO(set);
	if (!p || !*p)
		return -EINVAL;
	for (;;) {
		err = number(&p, &a);
		if (err)
			return err;
		b = a;
		if (*p == '-') {
			p++;
			err = number(&p, &b);
			if (err)
				return err;
			if (b < a)
				return -EINVAL;
		}
		for (; a <= b; a++)
			CPU_SET(a, set);
		if (!*p)
			return 0;
		if (*p++ != ',')
			return -EINVAL;
	}
}

/**
 * ulk_cpulist_usable() - whether this process may run on some CPU of @set.
 * @set: the CPUs asked for.
 *
 * Return: 0 if at least one CPU of @set is in the process's affinity mask,
 * -EINVAL if none is, or the errno of sched_getaffinity().
 */
int ulk_cpulist_usable(const cpu_set_t *set)
{
	cpu_set_t allowed, both;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return -errno;
	CPU_AND(&both, &allowed, set);
	return CPU_COUNT(&both) ? 0 : -EINVAL;
}
