/* SPDX-License-Identifier: GPL-2.0 */
/* CPU lists ("0-3,5"), shared by libulk and ulk-run (cpulist.c). */
#ifndef ULK_CPULIST_H
#define ULK_CPULIST_H

#ifndef _GNU_SOURCE
#error "cpu_set_t needs _GNU_SOURCE, defined before the first #include"
#endif
#include <sched.h>

int ulk_cpulist_parse(const char *list, cpu_set_t *set);
int ulk_cpulist_usable(const cpu_set_t *set);

#endif /* ULK_CPULIST_H */
