// SPDX-License-Identifier: GPL-2.0
/* The kernel console: printk output goes to the host's print operation. */
#include <linux/init.h>
#include <linux/console.h>
#include <asm/ulk.h>

static void console_write(struct console *con, const char *str,
			  unsigned int len)
{
	ulk_host->print(str, len);
}

static struct console ulk_console = {
	.name	= "ulk",
	.write	= console_write,
	.flags	= CON_PRINTBUFFER | CON_ANYTIME | CON_ENABLED,
	.index	= -1,
};

/**
 * ulk_console_init() - register the console, early in setup_arch().
 */
void __init ulk_console_init(void)
{
	register_console(&ulk_console);
}
