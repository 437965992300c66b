// SPDX-License-Identifier: GPL-2.0
/* Device register accesses, forwarded to the host's device model. */
#include <linux/io.h>
#include <linux/export.h>
#include <asm/ulk.h>

unsigned long ulk_iomem_base;
unsigned long ulk_iomem_size;

/**
 * ulk_iomem_read() - read a device register.
 * @addr: address inside the I/O window.
 * @size: 1, 2, 4 or 8.
 * Return: the register's value.
 */
unsigned long long ulk_iomem_read(unsigned long addr, int size)
{
	return ulk_host->iomem_read(addr, size);
}

/**
 * ulk_iomem_write() - write a device register.
 * @addr: address inside the I/O window.
 * @size: 1, 2, 4 or 8.
 * @val: the value.
 */
void ulk_iomem_write(unsigned long addr, int size, unsigned long long val)
{
	ulk_host->iomem_write(addr, size, val);
}
