// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt lines. Each line is a simple edge: a host thread raises it with
 * ulk_trigger_irq() and the handler runs once per raise that it sees
 * (raises that arrive while the line is already pending coalesce, as with
 * edge-triggered hardware). Delivery protocol: see cpu.c.
 */
#include <linux/init.h>
#include <linux/irq.h>
#include <linux/interrupt.h>
#include <linux/errno.h>
#include <asm/ulk.h>

/**
 * init_IRQ() - give every line a simple flow handler.
 */
void __init init_IRQ(void)
{
	int irq;

	for (irq = 0; irq < NR_IRQS; irq++)
		irq_set_chip_and_handler(irq, &dummy_irq_chip,
					 handle_simple_irq);
}

/**
 * ulk_trigger_irq() - raise an interrupt line from any host thread.
 * @irq: the line.
 *
 * Return: 0, -EINVAL for a bad line, -ESHUTDOWN after halt.
 */
int ulk_trigger_irq(int irq)
{
	struct ulk_hthread self = { 0 };

	if (irq < 0 || irq >= NR_IRQS)
		return -EINVAL;
	if (READ_ONCE(ulk_halted))
		return -ESHUTDOWN;
	__atomic_fetch_or(&ulk_irq_pending, 1UL << irq, __ATOMIC_SEQ_CST);
	if (!ulk_cpu_try_take(&self))
		return 0;	/* the holder will run it */
	if (READ_ONCE(ulk_halted)) {
		ulk_cpu_put();
		return -ESHUTDOWN;
	}
	ulk_cpu_leave(&self);
	return 0;
}
