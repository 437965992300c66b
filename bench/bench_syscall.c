// SPDX-License-Identifier: GPL-2.0
/*
 * System-call cost inside ulk or on the host kernel, one measurement per
 * run; bench/bench_syscall.sh runs it interleaved (ulk, host, ulk, ...)
 * under each placement and prints the figures.
 *
 *   bench_syscall getppid ulk|host
 *	median per-call time over 20 batches of 100,000 calls, after a
 *	warm-up; ulk_sys_getppid() or the host's syscall(SYS_getppid)
 *	(syscall() so that no C library caching can answer).
 *   bench_syscall pingpong ulk|host [--split CPU_A,CPU_B]
 *	median round trip of two host threads bouncing a count over two
 *	eventfds with blocking reads: inside ulk, or on host eventfds.
 *	--split pins the initiating thread (and, for ulk, every thread ulk
 *	made) to CPU_A and the partner to CPU_B; otherwise the process's
 *	placement is whatever it was started with (taskset).
 *
 * Prints "ns=<nanoseconds>". Only the host side of a "host" run: ulk is
 * not booted there, so its threads cannot disturb the baseline.
 */
#include "common.h"

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

#define BATCHES		20
#define CALLS_PER_BATCH	100000
#define WARMUP_CALLS	100000
#define PP_BATCHES	20
#define PP_PER_BATCH	1000
#define PP_WARMUP	500

static double median_ns_per(int64_t *batch_ns, int n, long per)
{
	return (double)median_i64(batch_ns, n) / per;
}

/* --- getppid ---------------------------------------------------------------- */

static long sink;

static double bench_getppid_ulk(void)
{
	int64_t t[BATCHES];
	long i;
	int b;

	for (i = 0; i < WARMUP_CALLS; i++)
		sink += ulk_sys_getppid();
	for (b = 0; b < BATCHES; b++) {
		int64_t t0 = now_ns();

		for (i = 0; i < CALLS_PER_BATCH; i++)
			sink += ulk_sys_getppid();
		t[b] = now_ns() - t0;
	}
	return median_ns_per(t, BATCHES, CALLS_PER_BATCH);
}

static double bench_getppid_host(void)
{
	int64_t t[BATCHES];
	long i;
	int b;

	for (i = 0; i < WARMUP_CALLS; i++)
		sink += syscall(SYS_getppid);
	for (b = 0; b < BATCHES; b++) {
		int64_t t0 = now_ns();

		for (i = 0; i < CALLS_PER_BATCH; i++)
			sink += syscall(SYS_getppid);
		t[b] = now_ns() - t0;
	}
	return median_ns_per(t, BATCHES, CALLS_PER_BATCH);
}

/* --- eventfd ping-pong -------------------------------------------------------- */

struct pingpong {
	bool ulk;
	long ping, pong;	/* eventfds: ping -> partner, pong -> back */
	long rounds;		/* total, warm-up included */
	bool failed;
};

static long efd_write(const struct pingpong *pp, long fd)
{
	uint64_t one = 1;

	if (pp->ulk)
		return ulk_sys_write(fd, &one, sizeof(one));
	return write((int)fd, &one, sizeof(one));
}

static long efd_read(const struct pingpong *pp, long fd)
{
	uint64_t v = 0;

	if (pp->ulk)
		return ulk_sys_read(fd, &v, sizeof(v));
	return read((int)fd, &v, sizeof(v));
}

static void *ponger(void *arg)
{
	struct pingpong *pp = arg;
	long i;

	for (i = 0; i < pp->rounds; i++) {
		if (efd_read(pp, pp->ping) != 8 || efd_write(pp, pp->pong) != 8) {
			pp->failed = true;
			break;
		}
	}
	return NULL;
}

/* Pin every thread of this process to @cpu. Return: 0 or -errno. */
static int pin_process(int cpu)
{
	cpu_set_t m;
	struct dirent *d;
	DIR *dir = opendir("/proc/self/task");
	int err = 0;

	if (!dir)
		return -errno;
	CPU_ZERO(&m);
	CPU_SET(cpu, &m);
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.' &&
		    sched_setaffinity(atoi(d->d_name), sizeof(m), &m))
			err = -errno;
	closedir(dir);
	return err;
}

/*
 * Median round trip in ns, or -1 on failure. @cpu_a >= 0: this thread and
 * all others but the partner on @cpu_a, the partner on @cpu_b.
 */
static double bench_pingpong(bool ulk, int cpu_a, int cpu_b)
{
	struct pingpong pp = { .ulk = ulk,
			       .rounds = PP_WARMUP + PP_BATCHES * PP_PER_BATCH };
	int64_t t[PP_BATCHES];
	pthread_t th;
	long i;
	int b;

	if (ulk) {
		pp.ping = ulk_sys_eventfd2(0, 0);
		pp.pong = ulk_sys_eventfd2(0, 0);
	} else {
		pp.ping = eventfd(0, EFD_CLOEXEC);
		pp.pong = eventfd(0, EFD_CLOEXEC);
	}
	if (pp.ping < 0 || pp.pong < 0 ||
	    pthread_create(&th, NULL, ponger, &pp) != 0) {
		fprintf(stderr, "eventfd-pingpong (%s): setup failed: %s %s\n",
			ulk ? "ulk" : "host", errstr(pp.ping), errstr(pp.pong));
		return -1;
	}
	if (cpu_a >= 0) {
		cpu_set_t m;

		CPU_ZERO(&m);
		CPU_SET(cpu_b, &m);
		if (pin_process(cpu_a) ||
		    pthread_setaffinity_np(th, sizeof(m), &m)) {
			fprintf(stderr, "eventfd-pingpong: cannot pin to CPUs %d,%d\n",
				cpu_a, cpu_b);
			return -1;
		}
	}
	for (i = 0; i < PP_WARMUP; i++)
		if (efd_write(&pp, pp.ping) != 8 || efd_read(&pp, pp.pong) != 8)
			goto broken;
	for (b = 0; b < PP_BATCHES; b++) {
		int64_t t0 = now_ns();

		for (i = 0; i < PP_PER_BATCH; i++)
			if (efd_write(&pp, pp.ping) != 8 ||
			    efd_read(&pp, pp.pong) != 8)
				goto broken;
		t[b] = now_ns() - t0;
	}
	pthread_join(th, NULL);
	if (pp.failed)
		return -1;
	if (ulk) {
		ulk_sys_close(pp.ping);
		ulk_sys_close(pp.pong);
	} else {
		close((int)pp.ping);
		close((int)pp.pong);
	}
	return median_ns_per(t, PP_BATCHES, PP_PER_BATCH);
broken:
	/* The partner may be blocked for good: leave it, report, and stop. */
	fprintf(stderr, "eventfd-pingpong (%s): a read or write failed\n",
		ulk ? "ulk" : "host");
	return -1;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_syscall getppid|pingpong ulk|host [--split CPU_A,CPU_B]\n"
		"(the figures come from bench/bench_syscall.sh, which runs this)\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct ulk_start_opts opts = { .verbose = getenv("ULK_VERBOSE") != NULL };
	int ret, cpu_a = -1, cpu_b = -1;
	bool ulk, ppid;
	double ns;

	if (argc == 1) {
		/* Run directly by an older make bench: nothing to print. */
		fprintf(stderr, "bench_syscall: run bench/bench_syscall.sh for the figures\n");
		return 0;
	}
	if (argc != 3 && argc != 5)
		return usage();
	ppid = !strcmp(argv[1], "getppid");
	ulk = !strcmp(argv[2], "ulk");
	if ((!ppid && strcmp(argv[1], "pingpong")) ||
	    (!ulk && strcmp(argv[2], "host")))
		return usage();
	if (argc == 5 && (ppid || strcmp(argv[3], "--split") ||
			  sscanf(argv[4], "%d,%d", &cpu_a, &cpu_b) != 2 ||
			  cpu_a < 0 || cpu_b < 0))
		return usage();

	if (ulk) {
		ret = ulk_start(&opts);
		if (ret) {
			fprintf(stderr, "bench_syscall: ulk_start: %s\n",
				ulk_strerror(ret));
			return 1;
		}
	}
	if (ppid)
		ns = ulk ? bench_getppid_ulk() : bench_getppid_host();
	else
		ns = bench_pingpong(ulk, cpu_a, cpu_b);
	if (ns < 0)
		return 1;
	printf("ns=%.1f\n", ns);
	fflush(stdout);
	if (sink == 42)
		putchar('\n');
	return !ulk || ulk_halt() == 0 ? 0 : 1;
}
