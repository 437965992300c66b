/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the integration tests (and the benchmarks).
 *
 * Each test prints one line per check, "PASS ..." or "FAIL ...", and ends
 * with test_finish(), which prints a "RESULT:" line and returns the exit
 * status (0 all passed, 1 otherwise). test_skip() prints the reason as the
 * last line and exits 77, as tests/run.sh expects.
 *
 * Include this first: it sets _GNU_SOURCE for the libc headers after it.
 */
#ifndef ULK_TESTS_COMMON_H
#define ULK_TESTS_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <ulk/ulk.h>
#include <ulk/abi.h>

#define NSEC_PER_MSEC	1000000LL
#define NSEC_PER_SEC	1000000000LL

#define TEST_FAILS_KEPT	20

static int test_checks;
static int test_failures;
/* The first failed checks, repeated by test_finish() where logs are cut. */
static char test_fail_lines[TEST_FAILS_KEPT][200];

/*
 * check_report() - print one PASS/FAIL line and count it.
 * Return: @ok, so a caller can stop on a failed precondition.
 */
static inline __attribute__((format(printf, 2, 3)))
bool check_report(bool ok, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("%s %s\n", ok ? "PASS" : "FAIL", line);
	fflush(stdout);
	__atomic_add_fetch(&test_checks, 1, __ATOMIC_RELAXED);
	if (!ok) {
		n = __atomic_fetch_add(&test_failures, 1, __ATOMIC_RELAXED);
		if (n < TEST_FAILS_KEPT)
			snprintf(test_fail_lines[n], sizeof(test_fail_lines[n]),
				 "%.199s", line);
	}
	return ok;
}

/* CHECK(cond, fmt, ...) - one check: a PASS or FAIL line; evaluates to cond. */
#define CHECK(cond, ...) check_report(!!(cond), __VA_ARGS__)

/* Informational line that is not a check. */
#define NOTE(...) do { fputs("     ", stdout); printf(__VA_ARGS__); \
	putchar('\n'); fflush(stdout); } while (0)

/* test_finish() - print the summary line; Return: the exit status. */
static inline int test_finish(void)
{
	int i;

	if (test_failures) {
		printf("failed checks:\n");
		for (i = 0; i < test_failures && i < TEST_FAILS_KEPT; i++)
			printf("  FAIL %s\n", test_fail_lines[i]);
		printf("RESULT: %d of %d checks failed\n", test_failures,
		       test_checks);
	} else {
		printf("RESULT: all %d checks passed\n", test_checks);
	}
	fflush(stdout);
	return test_failures ? 1 : 0;
}

/* test_skip() - skip the whole test; the reason is the last line printed. */
static inline __attribute__((noreturn, format(printf, 1, 2)))
void test_skip(const char *fmt, ...)
{
	va_list ap;

	fputs("SKIP: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(77);
}

static const char *watchdog_msg;

static inline void watchdog_fired(int sig)
{
	const char *m = watchdog_msg;

	(void)sig;
	if (write(STDOUT_FILENO, m, strlen(m)) < 0)
		_exit(2);
	_exit(1);
}

/*
 * test_watchdog() - fail the test, with a line saying so, if it is still
 * running after @seconds (a hang). The message is printed from a signal
 * handler that does not call into ulk.
 */
static inline void test_watchdog(unsigned int seconds)
{
	static char msg[128];

	snprintf(msg, sizeof(msg),
		 "FAIL watchdog: still running after %u s: a hang (deadlock "
		 "or lost wake-up)\nRESULT: timed out\n", seconds);
	watchdog_msg = msg;
	signal(SIGALRM, watchdog_fired);
	alarm(seconds);
}

/* now_ns() - host CLOCK_MONOTONIC in nanoseconds. */
static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* sleep_ns() - sleep on the host (not inside ulk), restarting on EINTR. */
static inline void sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * errstr() - a ulk return value as words ("-2 (No such file...)"). The
 * result lives in one of 8 per-thread buffers used in turn, so up to 8 may
 * appear in one printf.
 */
static inline const char *errstr(long ret)
{
	static __thread char bufs[8][96];
	static __thread unsigned int next;
	char *buf = bufs[next++ % 8];

	if (ret >= 0)
		snprintf(buf, sizeof(bufs[0]), "%ld", ret);
	else
		snprintf(buf, sizeof(bufs[0]), "%ld (%s)", ret,
			 ulk_strerror((int)ret));
	return buf;
}

/*
 * ulk_boot_or_die() - boot ulk with the tests' options or exit failing.
 *
 * 256 MiB of memory; the kernel log goes to stderr when the environment
 * has ULK_VERBOSE=1.
 */
static inline void ulk_boot_or_die(void)
{
	struct ulk_start_opts opts = { .mem_size = 256UL << 20 };
	const char *v = getenv("ULK_VERBOSE");
	int64_t t0 = now_ns();
	int ret;

	opts.verbose = v && *v && strcmp(v, "0") != 0;
	ret = ulk_start(&opts);
	if (ret != 0) {
		printf("FAIL ulk_start() returned %d (%s)\n", ret,
		       ulk_strerror(ret));
		printf("RESULT: boot failed\n");
		fflush(stdout);
		exit(1);
	}
	printf("     booted in %.1f ms\n", (now_ns() - t0) / 1e6);
	fflush(stdout);
}

/*
 * ulk_read_file() - read a whole file inside ulk into @buf, NUL-terminated.
 * @path: path inside ulk.
 * @buf: destination, at least @size bytes; holds at most @size - 1 bytes.
 *
 * Return: bytes read, or a negative errno from openat/read.
 */
static inline long ulk_read_file(const char *path, char *buf, size_t size)
{
	long fd, n, total = 0;

	if (!size)
		return -EINVAL;
	fd = ulk_sys_openat(ULK_AT_FDCWD, path, ULK_O_RDONLY | ULK_O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	while ((size_t)total < size - 1) {
		n = ulk_sys_read(fd, buf + total, size - 1 - total);
		if (n < 0) {
			ulk_sys_close(fd);
			return n;
		}
		if (n == 0)
			break;
		total += n;
	}
	buf[total] = '\0';
	ulk_sys_close(fd);
	return total;
}

/*
 * ulk_write_file() - write @len bytes of @data to the file @path inside ulk
 * (opened O_WRONLY|O_TRUNC, as "echo value > file" does).
 *
 * Return: bytes written, or a negative errno from openat/write/close.
 */
static inline long ulk_write_file(const char *path, const void *data,
				  size_t len)
{
	long fd, n, ret;

	fd = ulk_sys_openat(ULK_AT_FDCWD, path,
			    ULK_O_WRONLY | ULK_O_TRUNC | ULK_O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	n = ulk_sys_write(fd, data, len);
	ret = ulk_sys_close(fd);
	if (n < 0)
		return n;
	return ret < 0 ? ret : n;
}

/*
 * ulk_path_open_check() - 0 if @path opens inside ulk (O_RDONLY plus
 * @flags), else the negative errno of openat.
 */
static inline long ulk_path_open_check(const char *path, long flags)
{
	long fd = ulk_sys_openat(ULK_AT_FDCWD, path,
				 ULK_O_RDONLY | ULK_O_CLOEXEC | flags, 0);

	if (fd < 0)
		return fd;
	ulk_sys_close(fd);
	return 0;
}

/* Sorting helper for medians. */
static inline int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* median_i64() - median of @n values (sorts @v in place). */
static inline int64_t median_i64(int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif /* ULK_TESTS_COMMON_H */
