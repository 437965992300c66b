// SPDX-License-Identifier: GPL-2.0
/* The kernel console: printk output goes to the host's print operation. */
#include <linux/init.h>
#include <linux/console.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
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

/*
 * A panic ends the process, with the kernel log on stderr: the host's
 * panic operation prints what the console wrote (kept in memory unless
 * verbose) and aborts. Without this, panic() would spin in its final
 * mdelay() loop forever, at full CPU, printing nothing and deaf to
 * SIGTERM (there is no watchdog or reboot to end it).
 */
static int ulk_panic_notify(struct notifier_block *nb, unsigned long event,
			    void *msg)
{
	console_flush_on_panic(CONSOLE_FLUSH_PENDING);
	ulk_host->panic();
	return NOTIFY_DONE;
}

static struct notifier_block ulk_panic_nb = {
	.notifier_call	= ulk_panic_notify,
	/* Last: let every other panic notifier have its say first. */
	.priority	= INT_MIN,
};

static int __init ulk_panic_init(void)
{
	atomic_notifier_chain_register(&panic_notifier_list, &ulk_panic_nb);
	return 0;
}
early_initcall(ulk_panic_init);
