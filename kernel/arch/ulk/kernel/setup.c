// SPDX-License-Identifier: GPL-2.0
/*
 * Boot and shutdown.
 *
 * ulk_arch_boot() starts a host thread that becomes init_task (later the
 * idle task) and runs start_kernel(). The caller waits until init has run
 * every initcall and "executed" /init: ulk registers a binary format that
 * accepts exactly that file for pid 1 and does nothing, so kernel_init()
 * returns into ulk_init_serve(), where init spends its life creating host
 * tasks. Generic code needs no patch for any of this.
 */
#include <linux/delay.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/start_kernel.h>
#include <linux/binfmts.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/init_syscalls.h>
#include <linux/task_work.h>
#include <linux/string.h>
#include <linux/reboot.h>
#include <linux/memblock.h>
#include <asm/setup.h>
#include <asm/io.h>
#include <asm/ulk.h>

static struct ulk_sem *boot_sem;
static int boot_err;
static int booted;

/**
 * ulk_boot_done() - let ulk_arch_boot() return.
 * @err: 0 when the kernel is ready for system calls.
 */
void ulk_boot_done(int err)
{
	boot_err = err;
	ulk_host->sem_up(boot_sem);
}

static void __ref boot_thread(void *arg)
{
	start_kernel();
}

/**
 * setup_arch() - architecture setup, early in start_kernel().
 * @cmdline_p: set to the kernel command line.
 */
void __init setup_arch(char **cmdline_p)
{
	*cmdline_p = boot_command_line;
	ulk_console_init();
	ulk_mem_init();
}

int __ref ulk_arch_boot(const struct ulk_host_ops *ops, void *mem,
		  unsigned long mem_size, const char *cmdline,
		  unsigned long iomem, unsigned long iomem_size)
{
	struct ulk_hthread *boot;
	int err;

	if (booted)
		return -EALREADY;
	booted = 1;
	ulk_host = ops;
	ulk_mem_start = (unsigned long)mem;
	ulk_mem_end = ulk_mem_start + mem_size;
	if (ops->iomem_read && ops->iomem_write) {
		ulk_iomem_base = iomem;
		ulk_iomem_size = iomem_size;
	}
	strscpy(boot_command_line, cmdline ? cmdline : "", COMMAND_LINE_SIZE);

	boot_sem = ops->sem_alloc(0);
	boot = ulk_hthread_alloc(&init_task);
	if (!boot_sem || !boot)
		return -ENOMEM;
	init_task.thread.ht = boot;
	err = ulk_cpu_init(boot);
	if (!err)
		err = ulk_syscalls_init();
	if (!err)
		err = ops->thread_create(boot_thread, boot);
	if (err)
		return err;
	ops->sem_down(boot_sem);
	return boot_err;
}

static void power_off_body(void *unused)
{
	kernel_power_off();
}

#define HALT_DRAIN_MS	2000
#define HALT_POLL_MS	5

/*
 * Before the kernel stops, every application thread inside a call gets
 * out of it: new calls are refused (ulk_halting), calls in progress are
 * interrupted as a signal would (they return -ESHUTDOWN, see syscalls.c),
 * and the halt waits for them to leave. A thread in an uninterruptible
 * sleep gets HALT_DRAIN_MS to finish it; one still inside after that
 * stays blocked for good, and the log says how many.
 */
static void stop_calls(void)
{
	int waited, n;

	WRITE_ONCE(ulk_halting, 1);
	for (waited = 0; (n = ulk_interrupt_all()) > 0; waited += HALT_POLL_MS) {
		if (waited >= HALT_DRAIN_MS) {
			pr_warn("ulk: halt: %d thread(s) still in a call\n", n);
			return;
		}
		msleep(HALT_POLL_MS);
	}
}

int ulk_arch_halt(void)
{
	struct ulk_hthread *self;
	int err;

	if (!booted)
		return -ENODEV;
	self = ulk_self();
	if (!self)
		return -ENOMEM;
	if (self->in_kernel)
		return -EDEADLK;
	if (READ_ONCE(ulk_halting))
		return -ENODEV;
	err = ulk_enter(self);
	if (err)
		return err == -ESHUTDOWN ? -ENODEV : err;
	stop_calls();
	/* machine_power_off() escapes back here with the CPU held. */
	ulk_cpu_run_escapable(self, power_off_body, NULL);
	/* Threads waiting for the CPU get it, see ulk_halted and go. */
	ulk_cpu_put();
	return 0;
}

/**
 * machine_power_off() - the kernel has shut down; return to ulk_arch_halt().
 */
void machine_power_off(void)
{
	WRITE_ONCE(ulk_halted, 1);
	ulk_host->jmp_buf_longjmp(ulk_cpu_holder->escape);
}

/**
 * machine_halt() - as machine_power_off().
 */
void machine_halt(void)
{
	machine_power_off();
}

/**
 * machine_restart() - ulk cannot reboot in place; it powers off.
 * @cmd: ignored.
 */
void machine_restart(char *cmd)
{
	machine_power_off();
}

/* The /init that pid 1 executes: accepted, and nothing to load. */
static int init_load_binary(struct linux_binprm *bprm)
{
	if (!is_global_init(current) || strcmp(bprm->filename, "/init"))
		return -ENOEXEC;
	return 0;
}

static struct linux_binfmt init_format = {
	.load_binary = init_load_binary,
};

static int __init ulk_init_binfmt(void)
{
	register_binfmt(&init_format);
	return 0;
}
core_initcall(ulk_init_binfmt);

static int __init ulk_make_init(void)
{
	struct file *f;
	int err;

	/* What a minimal init would mount first. */
	init_mkdir("/proc", 0555);
	err = init_mount("proc", "/proc", "proc", 0, NULL);
	if (err)
		pr_err("ulk: cannot mount /proc: %d\n", err);
	init_mkdir("/sys", 0555);
	err = init_mount("sysfs", "/sys", "sysfs", 0, NULL);
	if (err)
		pr_err("ulk: cannot mount /sys: %d\n", err);

	f = filp_open("/init", O_CREAT | O_WRONLY, 0700);
	if (IS_ERR(f))
		return PTR_ERR(f);
	/* Close it now: exec refuses a file still open for writing. */
	fput(f);
	task_work_run();
	flush_delayed_fput();
	return 0;
}
late_initcall(ulk_make_init);
