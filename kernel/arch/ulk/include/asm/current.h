/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_ULK_CURRENT_H
#define _ASM_ULK_CURRENT_H

#ifndef __ASSEMBLY__
struct task_struct;

/*
 * One virtual CPU and one CPU token: whoever holds the token runs as
 * ulk_current, which the context switch updates.
 */
extern struct task_struct *ulk_current;

static __always_inline struct task_struct *get_current(void)
{
	return ulk_current;
}

#define current get_current()
#endif

#endif
