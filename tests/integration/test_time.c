// SPDX-License-Identifier: GPL-2.0
/*
 * Time inside ulk: nanosleep(10 ms) sleeps at least 10 ms and, in the
 * median of five, under 50 ms (host CLOCK_MONOTONIC as the judge); jiffies
 * advance during a stream of system calls that starts while ulk is idle
 * (times(), from a new thread and from a thread whose task was parked);
 * CLOCK_REALTIME inside ulk agrees with the host's to well under 1 ms; and
 * an idle booted instance costs the process under 1% of a CPU over 5 s,
 * from utime+stime in the host's /proc/self/stat, with the tick stopped
 * (almost no timer interrupts in ulk's /proc/interrupts).
 */
#include "common.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>

#define SLEEP_NS	(10 * NSEC_PER_MSEC)
#define SLEEP_MAX_NS	(50 * NSEC_PER_MSEC)
#define SLEEPS		5
#define IDLE_NS		(5 * NSEC_PER_SEC)
#define IDLE_MAX_CPU	0.01
#define IDLE_MAX_TICKS	25	/* timer interrupts in 5 s idle (HZ 250: 1250) */
#define STREAM_NS	(1 * NSEC_PER_SEC)
#define REALTIME_MAX_NS	200000	/* 0.2 ms */

static void test_nanosleep(void)
{
	int64_t took[SLEEPS], sorted[SLEEPS], med;
	bool all_long_enough = true;
	int i;

	for (i = 0; i < SLEEPS; i++) {
		struct __ulk_kernel_timespec req = { 0, SLEEP_NS }, rem = { 0, 0 };
		int64_t t0 = now_ns();
		long ret = ulk_sys_nanosleep(&req, &rem);

		took[i] = now_ns() - t0;
		CHECK(ret == 0, "nanosleep(10 ms) #%d returns 0 (got %s) after "
		      "%.3f ms", i + 1, errstr(ret), took[i] / 1e6);
		if (took[i] < SLEEP_NS)
			all_long_enough = false;
	}
	memcpy(sorted, took, sizeof(took));
	med = median_i64(sorted, SLEEPS);
	CHECK(all_long_enough, "every nanosleep(10 ms) slept >= 10 ms (shortest "
	      "%.3f ms)", sorted[0] / 1e6);
	CHECK(med < SLEEP_MAX_NS, "median nanosleep(10 ms) < 50 ms (median "
	      "%.3f ms, longest %.3f ms)", med / 1e6, sorted[SLEEPS - 1] / 1e6);
}

/* utime + stime of this process in clock ticks, from /proc/self/stat. */
static long long host_cpu_ticks(void)
{
	char buf[2048], *p;
	unsigned long long utime, stime;
	ssize_t n;
	int fd, field;

	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* Field 2 (comm) may hold spaces; count from the ')' that ends it. */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	p++;
	/* p now points at " S ..." where S is field 3; find field 14. */
	for (field = 3; field < 14; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -1;
	}
	if (sscanf(p, " %llu %llu", &utime, &stime) != 2)
		return -1;
	return (long long)(utime + stime);
}

static double rusage_sec(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/*
 * Call times() for STREAM_NS and report how far the clock ticks it returns
 * (USER_HZ, 100 a second) moved, and how often the value changed.
 */
struct stream_result {
	long first, last, changes, errors;
};

static void *times_stream(void *arg)
{
	struct stream_result *r = arg;
	int64_t end = now_ns() + STREAM_NS;
	long prev, t;

	r->first = prev = ulk_sys_times(NULL);
	while (now_ns() < end) {
		t = ulk_sys_times(NULL);
		if (t < 0 && t > -4096) {
			r->errors++;
			continue;
		}
		if (t != prev)
			r->changes++;
		prev = t;
	}
	r->last = prev;
	return NULL;
}

static void check_stream(const struct stream_result *r, const char *who)
{
	double want = STREAM_NS / 1e9 * 100;

	/*
	 * Every tick counted, but not every change seen: a host as loaded as
	 * CI's can keep this thread off its CPU for a few ticks (74 changes
	 * of 99 ticks seen so). The bug this guards against showed none.
	 */
	CHECK(!r->errors && r->changes >= want * 0.5 &&
	      r->last - r->first >= want * 0.8 &&
	      r->last - r->first <= want * 1.2,
	      "jiffies advance during 1 s of times() calls %s: %ld ticks, "
	      "%ld changes (want about %.0f), %ld errors", who,
	      r->last - r->first, r->changes, want, r->errors);
}

static void test_jiffies(void)
{
	struct __ulk_kernel_timespec req = { 0, 20 * NSEC_PER_MSEC };
	struct stream_result r = { 0 };
	pthread_t t;

	/*
	 * The blocking call leaves idle current; a new thread's first call
	 * then arrives while ulk is idle.
	 */
	ulk_sys_nanosleep(&req, NULL);
	sleep_ns(50 * NSEC_PER_MSEC);
	if (!CHECK(!pthread_create(&t, NULL, times_stream, &r),
		   "start a thread"))
		return;
	pthread_join(t, NULL);
	check_stream(&r, "from a new thread");

	/* This thread's task was parked while it slept on the host. */
	sleep_ns(50 * NSEC_PER_MSEC);
	memset(&r, 0, sizeof(r));
	times_stream(&r);
	check_stream(&r, "from a thread back from application code");
}

static void test_realtime(void)
{
	int64_t best = INT64_MAX, off = 0;
	int i;

	/* The host clock read on both sides brackets ulk's reading. */
	for (i = 0; i < 20; i++) {
		struct __ulk_kernel_timespec u;
		struct timespec a, b;
		int64_t ta, tb, tu;
		long ret;

		clock_gettime(CLOCK_REALTIME, &a);
		ret = ulk_sys_clock_gettime(ULK_CLOCK_REALTIME, &u);
		clock_gettime(CLOCK_REALTIME, &b);
		if (ret) {
			CHECK(0, "clock_gettime(CLOCK_REALTIME) in ulk (%s)",
			      errstr(ret));
			return;
		}
		ta = a.tv_sec * NSEC_PER_SEC + a.tv_nsec;
		tb = b.tv_sec * NSEC_PER_SEC + b.tv_nsec;
		tu = u.tv_sec * NSEC_PER_SEC + u.tv_nsec;
		if (tb - ta < best) {
			best = tb - ta;
			off = tu < ta ? tu - ta : tu > tb ? tu - tb : 0;
		}
	}
	CHECK(off > -REALTIME_MAX_NS && off < REALTIME_MAX_NS,
	      "CLOCK_REALTIME in ulk is the host's to within 0.2 ms (off by "
	      "%.3f ms)", off / 1e6);
}

/* Timer interrupts so far, from ulk's /proc/interrupts; -1 if unknown. */
static long long timer_irqs(void)
{
	char buf[4096], *line;
	long n = ulk_read_file("/proc/interrupts", buf, sizeof(buf));

	if (n <= 0)
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, " timer"))
			return strtoll(strchr(line, ':') + 1, NULL, 10);
	return -1;
}

static void test_idle_cpu(void)
{
	long hz = sysconf(_SC_CLK_TCK);
	long long t0, t1, i0, i1;
	double r0, r1, cpu;
	int64_t w0, wall;
	long ret;

	/* A few calls first, so the host task and the timer exist. */
	ret = ulk_sys_getpid();
	CHECK(ret > 0, "getpid before the idle period (got %s)", errstr(ret));

	i0 = timer_irqs();
	t0 = host_cpu_ticks();
	r0 = rusage_sec();
	w0 = now_ns();
	if (!CHECK(t0 >= 0 && hz > 0, "read utime+stime from /proc/self/stat"))
		return;
	sleep_ns(IDLE_NS);
	t1 = host_cpu_ticks();
	r1 = rusage_sec();
	i1 = timer_irqs();
	wall = now_ns() - w0;
	if (!CHECK(t1 >= t0, "read utime+stime again"))
		return;
	cpu = (double)(t1 - t0) / hz / (wall / 1e9);
	CHECK(cpu < IDLE_MAX_CPU, "idle instance uses < 1%% of a CPU over %.1f s "
	      "(%lld ticks at %ld Hz = %.2f%%; getrusage: %.1f ms = %.2f%%)",
	      wall / 1e9, t1 - t0, hz, cpu * 100, (r1 - r0) * 1e3,
	      (r1 - r0) / (wall / 1e9) * 100);
	CHECK(i0 >= 0 && i1 - i0 <= IDLE_MAX_TICKS, "the tick stops while "
	      "idle: %lld timer interrupts in %.1f s (at most %d)", i1 - i0,
	      wall / 1e9, IDLE_MAX_TICKS);
	ret = ulk_sys_getppid();
	CHECK(ret >= 0, "ulk answers after the idle period (getppid %s)",
	      errstr(ret));
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_watchdog(60);
	ulk_boot_or_die();
	test_nanosleep();
	test_jiffies();
	test_realtime();
	test_idle_cpu();
	CHECK(ulk_halt() == 0, "ulk_halt");
	return test_finish();
}
