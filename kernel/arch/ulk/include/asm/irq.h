/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_ULK_IRQ_H
#define _ASM_ULK_IRQ_H

#define NR_IRQS		CONFIG_ULK_NR_IRQS
/* Line 0 is the clock event device's. */
#define ULK_TIMER_IRQ	0
/* Raised when a host signal interrupted a thread blocked in ulk (signal.c). */
#define ULK_SIGNAL_IRQ	(NR_IRQS - 1)

#include <asm-generic/irq.h>

#endif
