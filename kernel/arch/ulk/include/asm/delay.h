/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_ULK_DELAY_H
#define _ASM_ULK_DELAY_H

/* Busy-waits on the host's monotonic clock. */
void ulk_ndelay(unsigned long nsecs);

#define ndelay(n)	ulk_ndelay(n)
#define udelay(n)	ulk_ndelay((unsigned long)(n) * 1000UL)
#define __delay(loops)	ulk_ndelay(loops)

#endif
