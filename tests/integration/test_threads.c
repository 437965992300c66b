// SPDX-License-Identifier: GPL-2.0
/*
 * Many host threads in ulk at once.
 *
 * 8 host threads each make 100,000 system calls, a mix of non-blocking ones
 * (getpid, getppid, uname, clock_gettime, eventfd, epoll_pwait with zero or
 * 1 ms timeouts) and pipe reads that block until the thread's partner
 * writes: threads 2k and 2k+1 ping-pong one byte through two pipes every
 * ten calls. Every result is checked. A watchdog fails the test with each
 * thread's progress if it has not finished after 120 s (deadlock or lost
 * wake-up).
 *
 * Host tasks: while the threads are alive, /proc/1/task lists each of them
 * (8 more entries than before); once they have exited, the count returns to
 * what it was (waiting up to 2 s for the release).
 */
#include "common.h"

#include <pthread.h>

#define NTHREADS	8
#define CALLS		100000
#define CALLS_PER_ITER	10
#define ITERS		(CALLS / CALLS_PER_ITER)
#define WATCHDOG_SEC	120
#define REAP_WAIT_NS	(2 * NSEC_PER_SEC)

struct worker {
	int id;
	pthread_t th;
	long tid;		/* gettid inside ulk */
	long efd, epfd;
	int wr_fd, rd_fd;	/* pipe ends shared with the partner */
	long iter;		/* progress, read by the watchdog */
	long calls;
	/* first unexpected result */
	const char *err_op;
	long err_ret, err_iter;
};

static struct worker workers[NTHREADS];
static pthread_barrier_t barrier;
static long main_pid, main_ppid;

/* Async-signal-safe decimal output for the watchdog. */
static void put_str(const char *s)
{
	if (write(STDOUT_FILENO, s, strlen(s)) < 0)
		_exit(2);
}

static void put_long(long v)
{
	char buf[24], *p = buf + sizeof(buf);

	*--p = '\0';
	if (v < 0) {
		put_str("-");
		v = -v;
	}
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_str(p);
}

static void watchdog(int sig)
{
	int i;

	(void)sig;
	put_str("FAIL watchdog: threads still running after ");
	put_long(WATCHDOG_SEC);
	put_str(" s: deadlock or lost wake-up. Progress (iteration of ");
	put_long(ITERS);
	put_str(", calls made):\n");
	for (i = 0; i < NTHREADS; i++) {
		put_str("     thread ");
		put_long(i);
		put_str(": ");
		put_long(__atomic_load_n(&workers[i].iter, __ATOMIC_RELAXED));
		put_str(", ");
		put_long(__atomic_load_n(&workers[i].calls, __ATOMIC_RELAXED));
		put_str("\n");
	}
	put_str("RESULT: timed out\n");
	_exit(1);
}

/* Record the first error and unblock the partner (EOF on its pipe). */
static bool fail(struct worker *w, const char *op, long ret)
{
	if (!w->err_op) {
		w->err_op = op;
		w->err_ret = ret;
		w->err_iter = w->iter;
		ulk_sys_close(w->wr_fd);
	}
	return false;
}

#define EXPECT(w, cond, op, ret) ((cond) ? true : fail((w), (op), (ret)))

static bool one_iteration(struct worker *w, long i)
{
	struct __ulk_kernel_timespec ts;
	struct ulk_new_utsname uts;
	struct ulk_epoll_event ev[2];
	bool even = !(w->id & 1);
	unsigned char byte;
	uint64_t val;
	long ret;

	ret = ulk_sys_getpid();
	if (!EXPECT(w, ret == main_pid, "getpid", ret))
		return false;
	ret = ulk_sys_getppid();
	if (!EXPECT(w, ret == main_ppid, "getppid", ret))
		return false;
	ret = ulk_sys_uname(&uts);
	if (!EXPECT(w, ret == 0 && !strcmp(uts.sysname, "Linux"), "uname", ret))
		return false;
	ret = ulk_sys_clock_gettime(ULK_CLOCK_MONOTONIC, &ts);
	if (!EXPECT(w, ret == 0 && ts.tv_nsec >= 0 && ts.tv_nsec < NSEC_PER_SEC,
		    "clock_gettime", ret))
		return false;
	val = 1;
	ret = ulk_sys_write(w->efd, &val, sizeof(val));
	if (!EXPECT(w, ret == sizeof(val), "eventfd write", ret))
		return false;
	ret = ulk_sys_epoll_pwait(w->epfd, ev, 2, 0, NULL, 0);
	if (!EXPECT(w, ret == 1 && (ev[0].events & ULK_EPOLLIN) &&
		    ev[0].data == (uint64_t)w->id, "epoll_pwait (ready)", ret))
		return false;
	val = 0;
	ret = ulk_sys_read(w->efd, &val, sizeof(val));
	if (!EXPECT(w, ret == sizeof(val) && val == 1, "eventfd read", ret))
		return false;
	/* Nothing pending now: a zero timeout, or 1 ms every 64 rounds. */
	ret = ulk_sys_epoll_pwait(w->epfd, ev, 2, i % 64 ? 0 : 1, NULL, 0);
	if (!EXPECT(w, ret == 0, "epoll_pwait (idle)", ret))
		return false;

	/* Ping-pong with the partner: the reader blocks until it writes. */
	byte = (unsigned char)i;
	if (even) {
		ret = ulk_sys_write(w->wr_fd, &byte, 1);
		if (!EXPECT(w, ret == 1, "pipe write (ping)", ret))
			return false;
		byte = 0;
		ret = ulk_sys_read(w->rd_fd, &byte, 1);
		if (!EXPECT(w, ret == 1 && byte == (unsigned char)~i,
			    "pipe read (pong)", ret))
			return false;
	} else {
		byte = 0;
		ret = ulk_sys_read(w->rd_fd, &byte, 1);
		if (!EXPECT(w, ret == 1 && byte == (unsigned char)i,
			    "pipe read (ping)", ret))
			return false;
		byte = (unsigned char)~i;
		ret = ulk_sys_write(w->wr_fd, &byte, 1);
		if (!EXPECT(w, ret == 1, "pipe write (pong)", ret))
			return false;
	}
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	long i;

	w->tid = ulk_sys_gettid();
	/* Main counts the host tasks here, then lets everyone go. */
	pthread_barrier_wait(&barrier);
	pthread_barrier_wait(&barrier);
	for (i = 0; i < ITERS; i++) {
		__atomic_store_n(&w->iter, i, __ATOMIC_RELAXED);
		if (!one_iteration(w, i))
			return NULL;
		__atomic_store_n(&w->calls, (i + 1) * CALLS_PER_ITER,
				 __ATOMIC_RELAXED);
	}
	__atomic_store_n(&w->iter, ITERS, __ATOMIC_RELAXED);
	return NULL;
}

/* Matches the kernel's struct linux_dirent64 (not in the uapi headers). */
struct dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/*
 * List /proc/1/task into @tids (up to @max). Return: the number of tasks,
 * or a negative errno.
 */
static long list_tasks(long *tids, long max)
{
	static char buf[32768];
	long fd, n, count = 0, off;

	fd = ulk_sys_openat(ULK_AT_FDCWD, "/proc/1/task",
			    ULK_O_RDONLY | ULK_O_DIRECTORY | ULK_O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	while ((n = ulk_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			if (d->d_reclen == 0) {
				n = -EIO;
				break;
			}
			off += d->d_reclen;
			if (d->d_name[0] == '.')
				continue;
			if (count < max)
				tids[count] = strtol(d->d_name, NULL, 10);
			count++;
		}
		if (n < 0)
			break;
	}
	ulk_sys_close(fd);
	return n < 0 ? n : count;
}

static bool has_tid(const long *tids, long n, long tid)
{
	long i;

	for (i = 0; i < n; i++)
		if (tids[i] == tid)
			return true;
	return false;
}

/* Count tasks until it equals @want or @wait_ns passes. */
static long wait_task_count(long want, int64_t wait_ns)
{
	int64_t deadline = now_ns() + wait_ns;
	long tids[256], n;

	for (;;) {
		n = list_tasks(tids, 256);
		if (n == want || n < 0 || now_ns() >= deadline)
			return n;
		sleep_ns(20 * NSEC_PER_MSEC);
	}
}

static bool setup_fds(void)
{
	int k, i;

	for (k = 0; k < NTHREADS / 2; k++) {
		int p[2][2];

		for (i = 0; i < 2; i++) {
			long ret = ulk_sys_pipe2(p[i], ULK_O_CLOEXEC);

			if (!CHECK(ret == 0, "pipe2 %d of pair %d (got %s)", i,
				   k, errstr(ret)))
				return false;
		}
		/* p[0]: even -> odd; p[1]: odd -> even. */
		workers[2 * k].wr_fd = p[0][1];
		workers[2 * k + 1].rd_fd = p[0][0];
		workers[2 * k + 1].wr_fd = p[1][1];
		workers[2 * k].rd_fd = p[1][0];
	}
	for (i = 0; i < NTHREADS; i++) {
		struct worker *w = &workers[i];
		struct ulk_epoll_event ev = { .events = ULK_EPOLLIN,
					      .data = (uint64_t)i };
		long ret;

		w->id = i;
		w->efd = ulk_sys_eventfd2(0, 0);
		w->epfd = ulk_sys_epoll_create1(0);
		ret = w->efd < 0 || w->epfd < 0 ? -1 :
		      ulk_sys_epoll_ctl(w->epfd, ULK_EPOLL_CTL_ADD, w->efd, &ev);
		if (!CHECK(ret == 0, "eventfd/epoll for thread %d (%s, %s, %s)",
			   i, errstr(w->efd), errstr(w->epfd), errstr(ret)))
			return false;
	}
	return true;
}

int main(void)
{
	long tids[256], before, during, after, missing = 0;
	int64_t t0, elapsed;
	int i, started = 0;
	bool all_ok = true;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, watchdog);
	alarm(WATCHDOG_SEC);
	ulk_boot_or_die();

	main_pid = ulk_sys_getpid();
	main_ppid = ulk_sys_getppid();
	CHECK(main_pid > 0 && main_ppid >= 0, "main thread: getpid %ld, getppid %ld",
	      main_pid, main_ppid);
	before = list_tasks(tids, 256);
	if (!CHECK(before > 0, "count /proc/1/task before the threads (got %s)",
		   errstr(before)))
		return test_finish();
	NOTE("/proc/1/task has %ld entries before", before);
	if (!setup_fds())
		return test_finish();

	pthread_barrier_init(&barrier, NULL, NTHREADS + 1);
	for (i = 0; i < NTHREADS; i++) {
		if (pthread_create(&workers[i].th, NULL, worker_main,
				   &workers[i]) != 0)
			break;
		started++;
	}
	if (!CHECK(started == NTHREADS, "start %d host threads (started %d)",
		   NTHREADS, started)) {
		/* The barrier cannot complete: stop here. */
		printf("RESULT: could not start threads\n");
		_exit(1);
	}
	pthread_barrier_wait(&barrier);

	/* All threads have made a call and are waiting: count them. */
	during = list_tasks(tids, 256);
	CHECK(during == before + NTHREADS,
	      "/proc/1/task has %d more entries while the threads live "
	      "(%ld -> %s)", NTHREADS, before, errstr(during));
	for (i = 0; i < NTHREADS; i++)
		if (workers[i].tid <= 0 || !has_tid(tids, during, workers[i].tid))
			missing++;
	CHECK(missing == 0, "every thread's gettid is listed in /proc/1/task "
	      "(%ld missing)", missing);

	t0 = now_ns();
	pthread_barrier_wait(&barrier);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(workers[i].th, NULL);
	elapsed = now_ns() - t0;
	alarm(0);

	for (i = 0; i < NTHREADS; i++) {
		struct worker *w = &workers[i];

		if (w->err_op) {
			all_ok = false;
			CHECK(0, "thread %d: %s returned %s at iteration %ld "
			      "(%ld calls done)", i, w->err_op,
			      errstr(w->err_ret), w->err_iter, w->calls);
		} else {
			CHECK(w->calls == CALLS, "thread %d made %ld calls, all "
			      "as expected", i, w->calls);
		}
	}
	CHECK(all_ok, "%d threads x %d mixed calls in %.2f s (%.0f ns per call "
	      "overall)", NTHREADS, CALLS, elapsed / 1e9,
	      (double)elapsed / ((double)NTHREADS * CALLS));

	after = wait_task_count(before, REAP_WAIT_NS);
	CHECK(after == before, "after the threads exit, /proc/1/task returns to "
	      "%ld entries (got %s)", before, errstr(after));

	for (i = 0; i < NTHREADS; i++) {
		ulk_sys_close(workers[i].efd);
		ulk_sys_close(workers[i].epfd);
	}
	CHECK(ulk_halt() == 0, "ulk_halt");
	return test_finish();
}
