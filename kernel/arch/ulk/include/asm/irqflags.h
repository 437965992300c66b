/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interrupts are a flag: "disabling" them only defers the handlers of
 * interrupts raised meanwhile by host threads, which wait in a pending set
 * until the token holder re-enables interrupts or releases the CPU.
 */
#ifndef _ASM_ULK_IRQFLAGS_H
#define _ASM_ULK_IRQFLAGS_H

#define ARCH_IRQ_DISABLED	0UL
#define ARCH_IRQ_ENABLED	1UL

#ifndef __ASSEMBLY__

extern unsigned long ulk_irq_enabled;
extern unsigned long ulk_irq_pending;

void ulk_irq_run_pending(void);

static inline unsigned long arch_local_save_flags(void)
{
	return ulk_irq_enabled;
}

static inline void arch_local_irq_restore(unsigned long flags)
{
	ulk_irq_enabled = flags;
	__asm__ __volatile__("" ::: "memory");
	if (flags != ARCH_IRQ_DISABLED &&
	    __builtin_expect(__atomic_load_n(&ulk_irq_pending,
					     __ATOMIC_RELAXED) != 0, 0))
		ulk_irq_run_pending();
}

#include <asm-generic/irqflags.h>

#endif
#endif
