// SPDX-License-Identifier: GPL-2.0
/*
 * System-call cost inside ulk beside the host kernel, from one run:
 *
 *   getppid: ulk=<ns> ns base=<ns> ns ratio=<ulk/base>
 *	median per-call time over 20 batches of 100,000 calls, after a
 *	warm-up; ulk_sys_getppid() against the host's syscall(SYS_getppid)
 *	(syscall() so that no C library caching can answer).
 *   eventfd-pingpong: ulk=<ns> ns base=<ns> ns ratio=<ulk/base>
 *	median round trip of two host threads bouncing a count over two
 *	eventfds with blocking reads: inside ulk, and on host eventfds.
 */
#include "common.h"

#include <pthread.h>
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

/* Median round trip in ns, or -1 on failure. */
static double bench_pingpong(bool ulk)
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

static void report(const char *name, double ulk, double base)
{
	printf("%s: ulk=%.1f ns base=%.1f ns ratio=%.2f\n", name, ulk, base,
	       ulk / base);
	fflush(stdout);
}

int main(void)
{
	struct ulk_start_opts opts = { .verbose = getenv("ULK_VERBOSE") != NULL };
	double u, h;
	int ret;

	/* Quiet: only the figure lines go to stdout. */
	ret = ulk_start(&opts);
	if (ret) {
		fprintf(stderr, "bench_syscall: ulk_start: %s\n", ulk_strerror(ret));
		return 1;
	}

	u = bench_getppid_ulk();
	h = bench_getppid_host();
	report("getppid", u, h);

	u = bench_pingpong(true);
	h = bench_pingpong(false);
	if (u < 0 || h < 0) {
		fprintf(stderr, "eventfd-pingpong: failed\n");
		return 1;
	}
	report("eventfd-pingpong", u, h);

	if (sink == 42)
		putchar('\n');
	return ulk_halt() == 0 ? 0 : 1;
}
