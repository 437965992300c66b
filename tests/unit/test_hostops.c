// SPDX-License-Identifier: GPL-2.0
/*
 * Tier-1 test of the POSIX host operations (lib/hostops_posix.c), no kernel:
 * each check drives one operation the way arch/ulk will and asserts on what
 * it must guarantee. One output line per check; exit 0 only if all pass.
 *
 * Waits are bounded (wait_flag) so a broken operation fails a check instead
 * of hanging the test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hostops_posix.h"

#define MS		1000000ULL
#define TIMER_SLACK_NS	(20 * MS)

static const struct ulk_host_ops *ops;
static int failures;

/* Print one result line; @ok decides PASS or FAIL, the rest says what. */
static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		failures++;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int load(int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Wait up to @ms for *@flag to reach @want; true if it did. */
static bool wait_flag(int *flag, int want, unsigned int ms)
{
	unsigned long long end = ops->time_ns() + ms * MS;

	while (load(flag) < want) {
		if (ops->time_ns() > end)
			return false;
		sleep_ms(1);
	}
	return true;
}

/* ---- semaphores, mutexes, threads -------------------------------------- */

#define PING_ROUNDS 10000

struct pingpong {
	struct ulk_sem *ping, *pong;
	int done;
};

static void pong_thread(void *p)
{
	struct pingpong *pp = p;
	int i;

	for (i = 0; i < PING_ROUNDS; i++) {
		ops->sem_down(pp->ping);
		ops->sem_up(pp->pong);
	}
	store(&pp->done, 1);
}

static void test_sem_pingpong(void)
{
	struct pingpong pp = { ops->sem_alloc(0), ops->sem_alloc(0), 0 };
	int i, err;

	err = ops->thread_create(pong_thread, &pp);
	for (i = 0; !err && i < PING_ROUNDS; i++) {
		ops->sem_up(pp.ping);
		ops->sem_down(pp.pong);
	}
	check(!err && wait_flag(&pp.done, 1, 5000),
	      "semaphore ping-pong, %d round trips between two threads",
	      PING_ROUNDS);
	ops->sem_free(pp.ping);
	ops->sem_free(pp.pong);
}

static void test_sem_trydown(void)
{
	struct ulk_sem *s = ops->sem_alloc(1);
	bool ok;

	ok = ops->sem_trydown(s) == 1;
	ok = ok && ops->sem_trydown(s) == 0;
	ops->sem_up(s);
	ops->sem_up(s);
	ok = ok && ops->sem_trydown(s) == 1 && ops->sem_trydown(s) == 1;
	ok = ok && ops->sem_trydown(s) == 0;
	check(ok, "sem_trydown takes only what is there, never blocks");
	ops->sem_free(s);
}

struct mutex_arg {
	struct ulk_mutex *m;
	int locked;
};

static void mutex_locker(void *p)
{
	struct mutex_arg *a = p;

	ops->mutex_lock(a->m);
	store(&a->locked, 1);
	ops->mutex_unlock(a->m);
	store(&a->locked, 2);
}

static void test_mutex(int recursive)
{
	struct mutex_arg a = { ops->mutex_alloc(recursive), 0 };
	bool held_out = true;

	ops->mutex_lock(a.m);
	if (recursive)
		ops->mutex_lock(a.m);
	if (ops->thread_create(mutex_locker, &a)) {
		check(false, "thread_create for mutex test");
		return;
	}
	sleep_ms(30);
	held_out = held_out && load(&a.locked) == 0;
	if (recursive) {
		ops->mutex_unlock(a.m);
		sleep_ms(30);
		held_out = held_out && load(&a.locked) == 0;
	}
	ops->mutex_unlock(a.m);
	check(held_out && wait_flag(&a.locked, 2, 5000),
	      "%s mutex excludes another thread until fully unlocked",
	      recursive ? "recursive" : "plain");
	ops->mutex_free(a.m);
}

struct thread_info {
	size_t stack;
	unsigned long self;
	int done;
};

static void info_thread(void *p)
{
	struct thread_info *ti = p;
	pthread_attr_t attr;

	ti->self = ops->thread_self();
	if (!pthread_getattr_np(pthread_self(), &attr)) {
		pthread_attr_getstacksize(&attr, &ti->stack);
		pthread_attr_destroy(&attr);
	}
	store(&ti->done, 1);
}

static void test_thread(void)
{
	struct thread_info ti = { 0, 0, 0 };
	bool ok = ops->thread_create(info_thread, &ti) == 0 &&
		  wait_flag(&ti.done, 1, 5000);

	/* Arguments are evaluated in any order: wait before reading ti. */
	check(ok && ti.stack >= (2UL << 20) && ti.self != ops->thread_self(),
	      "thread_create runs fn on a new thread with a %zu KiB stack",
	      ti.stack >> 10);
}

/* ---- thread-local storage ---------------------------------------------- */

struct tls_arg {
	struct ulk_tls_key *key;
	bool use_exit;
	bool saw_own;		/* tls_get returned what the thread set */
	unsigned long self;
};

static int dtor_calls;
static void *dtor_value;
static unsigned long dtor_thread;

static void tls_destructor(void *value)
{
	dtor_value = value;
	dtor_thread = ops->thread_self();
	__atomic_add_fetch(&dtor_calls, 1, __ATOMIC_ACQ_REL);
}

static void tls_thread(void *p)
{
	struct tls_arg *a = p;

	a->self = ops->thread_self();
	a->saw_own = ops->tls_get(a->key) == NULL &&
		     ops->tls_set(a->key, a) == 0 &&
		     ops->tls_get(a->key) == a;
	if (a->use_exit)
		ops->thread_exit();
}

static void test_tls(bool use_exit)
{
	struct tls_arg a = { ops->tls_alloc(tls_destructor), use_exit,
			     false, 0 };
	int before = load(&dtor_calls);
	bool ok;

	ok = a.key && ops->tls_set(a.key, &before) == 0 &&
	     ops->thread_create(tls_thread, &a) == 0 &&
	     wait_flag(&dtor_calls, before + 1, 5000);
	ok = ok && a.saw_own && dtor_value == &a && dtor_thread == a.self &&
	     ops->tls_get(a.key) == &before;
	check(ok, "tls: per-thread values, destructor runs in the thread on %s",
	      use_exit ? "thread_exit" : "return");
	ops->tls_set(a.key, NULL);
	ops->tls_free(a.key);
}

/* ---- memory and time --------------------------------------------------- */

static void test_mem_big(void)
{
	unsigned long size = 64UL << 20;
	unsigned char *p = ops->mem_alloc(size);
	unsigned char vec;
	bool ok;

	ok = p && ((uintptr_t)p & 4095) == 0;
	if (ok) {
		p[0] = 1;
		p[size - 1] = 2;
		ok = p[0] == 1 && p[size - 1] == 2;
		ops->mem_free(p);
		/* mincore fails with ENOMEM on an address that is unmapped. */
		ok = ok && mincore(p, 4096, &vec) == -1 && errno == ENOMEM;
	}
	check(ok, "mem_alloc(64 MiB) is page aligned, usable, unmapped by mem_free");
}

static void test_mem_small(void)
{
	bool ok = true;
	unsigned long size;

	for (size = 1; size < (1UL << 20); size = size * 3 + 1) {
		unsigned char *p = ops->mem_alloc(size);

		ok = ok && p && ((uintptr_t)p & 15) == 0;
		if (p) {
			memset(p, 0xa5, size);
			ops->mem_free(p);
		}
	}
	ops->mem_free(NULL);
	check(ok, "mem_alloc small blocks are 16-byte aligned and usable");
}

static void test_time(void)
{
	unsigned long long a = ops->time_ns(), b, wall = ops->realtime_ns();

	sleep_ms(10);
	b = ops->time_ns();
	/* 2020-01-01 as a floor for a sane wall clock. */
	check(b - a >= 10 * MS && b - a < 1000 * MS &&
	      wall > 1577836800ULL * 1000000000ULL,
	      "time_ns advances with sleep, realtime_ns is wall time");
}

/* ---- timers ------------------------------------------------------------ */

struct timer_arg {
	struct ulk_timer *timer;
	int fired;
	unsigned long long at[8];	/* time_ns of each firing */
	int rearm;			/* re-arm this many more times */
	unsigned long long period;
	unsigned int sleep_ms;		/* stay in the callback this long */
	int entered;			/* callback has started */
	int left;			/* callback has returned */
	bool free_self;
};

static void timer_cb(void *p)
{
	struct timer_arg *a = p;
	int n = load(&a->fired);

	store(&a->entered, n + 1);
	if (n < 8)
		a->at[n] = ops->time_ns();
	if (a->rearm > 0) {
		a->rearm--;
		ops->timer_set(a->timer, ops->time_ns() + a->period);
	}
	if (a->sleep_ms)
		sleep_ms(a->sleep_ms);
	if (a->free_self)
		ops->timer_free(a->timer);
	store(&a->fired, n + 1);
	store(&a->left, n + 1);
}

static void test_timer_deadline(void)
{
	struct timer_arg a = { 0 };
	unsigned long long worst = 0;
	bool ok = true;
	int i;

	a.timer = ops->timer_alloc(timer_cb, &a);
	for (i = 0; ok && i < 5; i++) {
		unsigned long long due = ops->time_ns() + (5 + i * 3) * MS;

		ok = ops->timer_set(a.timer, due) == 0 &&
		     wait_flag(&a.fired, i + 1, 2000) && a.at[i] >= due;
		if (ok && a.at[i] - due > worst)
			worst = a.at[i] - due;
	}
	check(ok && worst <= TIMER_SLACK_NS,
	      "timer fires at or after its deadline, worst late by %llu us",
	      worst / 1000);
	ops->timer_free(a.timer);
}

static void test_timer_rearm_in_callback(void)
{
	struct timer_arg a = { .rearm = 3, .period = 5 * MS };
	unsigned long long due;
	bool ok;
	int i;

	a.timer = ops->timer_alloc(timer_cb, &a);
	due = ops->time_ns() + 5 * MS;
	ok = ops->timer_set(a.timer, due) == 0 &&
	     wait_flag(&a.fired, 4, 2000);
	for (i = 1; ok && i < 4; i++)
		ok = a.at[i] >= a.at[i - 1] + a.period &&
		     a.at[i] <= a.at[i - 1] + a.period + TIMER_SLACK_NS;
	sleep_ms(20);
	check(ok && load(&a.fired) == 4,
	      "timer re-armed from its own callback fires again, on time");
	ops->timer_free(a.timer);
}

static void test_timer_move_earlier(void)
{
	struct timer_arg a = { 0 };
	unsigned long long due;
	bool ok;

	a.timer = ops->timer_alloc(timer_cb, &a);
	ops->timer_set(a.timer, ops->time_ns() + 10000 * MS);
	sleep_ms(5);
	due = ops->time_ns() + 5 * MS;
	ok = ops->timer_set(a.timer, due) == 0 &&
	     wait_flag(&a.fired, 1, 2000) &&
	     a.at[0] >= due && a.at[0] - due <= TIMER_SLACK_NS;
	check(ok, "timer_set from another thread moves a pending deadline earlier");
	ops->timer_free(a.timer);
}

static void test_timer_cancel(void)
{
	struct timer_arg a = { 0 };
	bool ok;

	a.timer = ops->timer_alloc(timer_cb, &a);
	ops->timer_set(a.timer, ops->time_ns() + 20 * MS);
	ops->timer_cancel(a.timer);
	sleep_ms(60);
	ok = load(&a.fired) == 0;
	/* Cancelling must not break the timer for later use. */
	ops->timer_set(a.timer, ops->time_ns() + 5 * MS);
	ok = ok && wait_flag(&a.fired, 1, 2000);
	check(ok, "timer_cancel prevents firing; the timer can be armed again");
	ops->timer_free(a.timer);
}

static void test_timer_free_other_thread(void)
{
	struct timer_arg a = { 0 }, b = { .sleep_ms = 50 };

	/* An idle armed timer: free must disarm it and return promptly. */
	a.timer = ops->timer_alloc(timer_cb, &a);
	ops->timer_set(a.timer, ops->time_ns() + 30 * MS);
	ops->timer_free(a.timer);
	sleep_ms(60);
	check(load(&a.fired) == 0, "timer_free of an armed timer disarms it");

	/* A callback in progress: free must wait until it has returned. */
	b.timer = ops->timer_alloc(timer_cb, &b);
	ops->timer_set(b.timer, ops->time_ns());
	wait_flag(&b.entered, 1, 2000);
	ops->timer_free(b.timer);
	check(load(&b.entered) == 1 && load(&b.left) == 1, "timer_free waits for a running callback");
}

static void test_timer_free_in_callback(void)
{
	struct timer_arg a = { .free_self = true };
	bool ok;

	a.timer = ops->timer_alloc(timer_cb, &a);
	ops->timer_set(a.timer, ops->time_ns() + 2 * MS);
	ok = wait_flag(&a.fired, 1, 2000);
	/* Give the detached thread time to release the timer before exit. */
	sleep_ms(50);
	check(ok, "timer_free from inside its own callback");
}

/* ---- non-local jumps --------------------------------------------------- */

struct jmp_arg {
	struct ulk_jmp_buf jb;
	int before, after;
	bool jump;
};

static void __attribute__((noinline)) deep(struct jmp_arg *a, int depth)
{
	if (depth > 0) {
		deep(a, depth - 1);
		return;
	}
	if (a->jump)
		ops->jmp_buf_longjmp(&a->jb);
}

static void jmp_fn(void *p)
{
	struct jmp_arg *a = p;

	a->before++;
	deep(a, 10);
	a->after++;
}

static void test_jmp(void)
{
	struct jmp_arg a = { .jump = false };
	struct jmp_arg b = { .jump = true };

	ops->jmp_buf_set(&a.jb, jmp_fn, &a);
	ops->jmp_buf_set(&b.jb, jmp_fn, &b);
	check(a.before == 1 && a.after == 1 && b.before == 1 && b.after == 0,
	      "jmp_buf_set returns when fn returns and when fn longjmps");
}

/* ---- console output and panic ------------------------------------------ */

static char captured[256];
static int captured_len;

static void capture(const char *str, int len, void *arg)
{
	(void)arg;
	if (captured_len + len <= (int)sizeof(captured)) {
		memcpy(captured + captured_len, str, (size_t)len);
		captured_len += len;
	}
}

static void test_print_callback(void)
{
	ulk_hostops_set_print(capture, NULL, 1);
	ops->print("hello ", 6);
	ops->print("world\n", 6);
	ulk_hostops_set_print(NULL, NULL, 0);
	ops->print("quiet\n", 6);
	check(captured_len == 12 && !memcmp(captured, "hello world\n", 12),
	      "verbose print goes to the callback, quiet print does not");
}

/*
 * In a child: fill the quiet ring past its size, then panic. The parent
 * reads the child's stderr: the last lines must be there, the first (long
 * overwritten) must not, and the child must die of SIGABRT.
 */
static void test_panic_dump(void)
{
	static char out[256 << 10];
	size_t got = 0;
	int fds[2], status = 0;
	pid_t pid;
	ssize_t n;
	bool ok;

	if (pipe(fds)) {
		check(false, "pipe for panic test");
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		char line[64];
		int i;

		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		ulk_hostops_set_print(NULL, NULL, 0);
		for (i = 0; i < 5000; i++) {
			int len = snprintf(line, sizeof(line),
					   "line %05d of the kernel log\n", i);
			ops->print(line, len);
		}
		ops->panic();
		_exit(0);
	}
	close(fds[1]);
	while (got < sizeof(out) - 1 &&
	       (n = read(fds[0], out + got, sizeof(out) - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
	}
	out[got] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT &&
	     strstr(out, "line 04999 of the kernel log\n") &&
	     !strstr(out, "line 00000 ") && strstr(out, "panic");
	check(ok, "panic dumps the quiet ring's newest 64 KiB and aborts");
}

/**
 * main() - run every check once.
 *
 * Return: 0 if all checks passed, 1 otherwise.
 */
int main(void)
{
	ops = ulk_hostops_posix();
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* First, while single-threaded: a child forked later would inherit
	 * the bookkeeping of threads it does not have, which valgrind then
	 * reports as leaks in the child. */
	test_panic_dump();
	test_sem_pingpong();
	test_sem_trydown();
	test_mutex(1);
	test_mutex(0);
	test_thread();
	test_tls(false);
	test_tls(true);
	test_mem_big();
	test_mem_small();
	test_time();
	test_timer_deadline();
	test_timer_rearm_in_callback();
	test_timer_move_earlier();
	test_timer_cancel();
	test_timer_free_other_thread();
	test_timer_free_in_callback();
	test_jmp();
	test_print_callback();

	printf("%s: %d check(s) failed\n", failures ? "FAIL" : "PASS",
	       failures);
	return failures ? 1 : 0;
}
