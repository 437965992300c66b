// SPDX-License-Identifier: GPL-2.0
/*
 * Time: a clock source reading the host's monotonic clock and a one-shot
 * clock event device on a host timer, whose expiry raises ULK_TIMER_IRQ
 * from the timer's own host thread.
 *
 * HZ is 250, as in Debian's own kernels: TCP's jiffies-based timers
 * (delayed ACK, retransmission, keepalive, user timeout) then round the
 * way the host kernel's do, and netdev_budget_usecs (2 jiffies) bounds a
 * softirq round to 8 ms. HZ=100 put every such timer on a 10 ms grid and
 * let one receive round hold the CPU for 20 ms. The tick only runs while
 * a task other than idle is current (cpu.c, "The tick while not idle").
 */
#include <linux/init.h>
#include <linux/clocksource.h>
#include <linux/clockchips.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/delay.h>
#include <linux/sched/clock.h>
#include <linux/timekeeping.h>
#include <asm/ulk.h>

static unsigned long long boot_ns;
static struct ulk_timer *tick_timer;

/**
 * sched_clock() - nanoseconds since boot, from the host's monotonic clock.
 * Return: the time.
 */
unsigned long long notrace sched_clock(void)
{
	return ulk_host ? ulk_host->time_ns() - boot_ns : 0;
}

static u64 clock_read(struct clocksource *cs)
{
	return ulk_host->time_ns();
}

static struct clocksource ulk_clocksource = {
	.name	= "ulk",
	.rating	= 400,
	.read	= clock_read,
	.mask	= CLOCKSOURCE_MASK(64),
	.flags	= CLOCK_SOURCE_IS_CONTINUOUS,
};

/*
 * The host timer is only ever moved earlier. Every idle entry stops the
 * tick (the next event moves later) and every idle exit restarts it (back
 * to the next jiffy): re-arming the host timer each time cost three
 * timerfd_settime() calls per request/response. Keeping an earlier
 * deadline instead is always safe: the clock event handler, called early,
 * runs what is due (nothing) and programs the next event, which then goes
 * to the host. So the host timer fires at most once per jiffy more than
 * needed, and once after the tick stops for good. Both fields are used
 * with the CPU token held.
 */
static unsigned long long armed_ns;	/* host deadline, 0 if none pending */

static int event_next(unsigned long delta, struct clock_event_device *evt)
{
	unsigned long long when = ulk_host->time_ns() + delta;
	int err;

	if (armed_ns && when >= armed_ns)
		return 0;
	err = ulk_host->timer_set(tick_timer, when);
	if (!err)
		armed_ns = when;
	return err;
}

/* Left armed: the early call it causes finds nothing due (see above). */
static int event_shutdown(struct clock_event_device *evt)
{
	return 0;
}

static struct clock_event_device ulk_clockevent = {
	.name			= "ulk",
	.features		= CLOCK_EVT_FEAT_ONESHOT,
	.set_next_event		= event_next,
	.set_state_shutdown	= event_shutdown,
	.set_state_oneshot_stopped = event_shutdown,
	.rating			= 400,
};

static irqreturn_t timer_irq(int irq, void *dev)
{
	struct clock_event_device *evt = dev;

	armed_ns = 0;
	if (evt->event_handler)
		evt->event_handler(evt);
	return IRQ_HANDLED;
}

static void timer_fired(void *arg)
{
	ulk_trigger_irq(ULK_TIMER_IRQ);
}

/**
 * read_persistent_clock64() - wall-clock time at boot, from the host.
 * @ts: set to the host's real-time clock.
 */
void read_persistent_clock64(struct timespec64 *ts)
{
	*ts = ns_to_timespec64(ulk_host->realtime_ns());
}

/*
 * Wall-clock time is read from the host once, in timekeeping_init(), but
 * until the clock source above takes over (at fs_initcall) time runs on
 * the jiffies clock, which loses the ticks boot does not take: CLOCK_REALTIME
 * would stay some milliseconds behind the host's for good (packet
 * timestamps, ping's "time went back"). Set it again once ulk's clock
 * source is in charge; from then on both clocks advance with the host's
 * monotonic clock and agree to within the time of one read.
 */
static int __init ulk_sync_wall_clock(void)
{
	struct timespec64 ts = ns_to_timespec64(ulk_host->realtime_ns());

	return do_settimeofday64(&ts);
}
late_initcall_sync(ulk_sync_wall_clock);

/**
 * time_init() - register the clock source and the clock event device.
 */
void __init time_init(void)
{
	int err;

	boot_ns = ulk_host->time_ns();
	tick_timer = ulk_host->timer_alloc(timer_fired, NULL);
	if (!tick_timer)
		panic("ulk: cannot create the host timer");
	err = request_irq(ULK_TIMER_IRQ, timer_irq, IRQF_TIMER, "timer",
			  &ulk_clockevent);
	if (err)
		panic("ulk: cannot request the timer interrupt: %d", err);
	clocksource_register_hz(&ulk_clocksource, NSEC_PER_SEC);
	ulk_clockevent.cpumask = cpumask_of(0);
	clockevents_config_and_register(&ulk_clockevent, NSEC_PER_SEC,
					1000, ULONG_MAX);
}

/**
 * calibrate_delay_is_known() - delays are timed on the host clock, so
 * there is no loop to calibrate at boot.
 * Return: loops per jiffy as ulk_ndelay() counts them (nanoseconds).
 */
unsigned long calibrate_delay_is_known(void)
{
	return NSEC_PER_SEC / HZ;
}

/**
 * ulk_ndelay() - busy-wait on the host's monotonic clock.
 * @nsecs: how long.
 */
void ulk_ndelay(unsigned long nsecs)
{
	unsigned long long end = ulk_host->time_ns() + nsecs;

	while (ulk_host->time_ns() < end)
		cpu_relax();
}
