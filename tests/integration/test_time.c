// SPDX-License-Identifier: GPL-2.0
/*
 * Time inside ulk: nanosleep(10 ms) sleeps at least 10 ms and, in the
 * median of five, under 50 ms (host CLOCK_MONOTONIC as the judge); and an
 * idle booted instance costs the process under 1% of a CPU over 5 s, from
 * utime+stime in the host's /proc/self/stat.
 */
#include "common.h"

#include <fcntl.h>
#include <sys/resource.h>

#define SLEEP_NS	(10 * NSEC_PER_MSEC)
#define SLEEP_MAX_NS	(50 * NSEC_PER_MSEC)
#define SLEEPS		5
#define IDLE_NS		(5 * NSEC_PER_SEC)
#define IDLE_MAX_CPU	0.01

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

static void test_idle_cpu(void)
{
	long hz = sysconf(_SC_CLK_TCK);
	long long t0, t1;
	double r0, r1, cpu;
	int64_t w0, wall;
	long ret;

	/* A few calls first, so the host task and the timer exist. */
	ret = ulk_sys_getpid();
	CHECK(ret > 0, "getpid before the idle period (got %s)", errstr(ret));

	t0 = host_cpu_ticks();
	r0 = rusage_sec();
	w0 = now_ns();
	if (!CHECK(t0 >= 0 && hz > 0, "read utime+stime from /proc/self/stat"))
		return;
	sleep_ns(IDLE_NS);
	t1 = host_cpu_ticks();
	r1 = rusage_sec();
	wall = now_ns() - w0;
	if (!CHECK(t1 >= t0, "read utime+stime again"))
		return;
	cpu = (double)(t1 - t0) / hz / (wall / 1e9);
	CHECK(cpu < IDLE_MAX_CPU, "idle instance uses < 1%% of a CPU over %.1f s "
	      "(%lld ticks at %ld Hz = %.2f%%; getrusage: %.1f ms = %.2f%%)",
	      wall / 1e9, t1 - t0, hz, cpu * 100, (r1 - r0) * 1e3,
	      (r1 - r0) / (wall / 1e9) * 100);
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
	test_idle_cpu();
	CHECK(ulk_halt() == 0, "ulk_halt");
	return test_finish();
}
