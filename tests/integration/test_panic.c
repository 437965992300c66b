// SPDX-License-Identifier: GPL-2.0
/*
 * A kernel panic ends the process at once with the kernel log on stderr
 * (console.c's panic notifier, the host's panic operation), instead of
 * spinning forever, silent and deaf to SIGTERM, in panic()'s last loop.
 *
 * A child run of this program boots (not verbose: the log is only in
 * memory) and panics the kernel through /proc/sysrq-trigger; the parent
 * checks that it died of SIGABRT within 10 s and that its stderr has the
 * panic message, the log before it, and ulk's own last line.
 */
#include "common.h"

#include <poll.h>
#include <sys/wait.h>

#define LIMIT_NS	(10 * NSEC_PER_SEC)

static int child(void)
{
	long fd, r;

	ulk_boot_or_die();
	fd = ulk_sys_openat(ULK_AT_FDCWD, "/proc/sysrq-trigger", ULK_O_WRONLY, 0);
	if (fd < 0) {
		printf("cannot open /proc/sysrq-trigger: %s\n", errstr(fd));
		return 2;
	}
	r = ulk_sys_write(fd, "c", 1);
	printf("still running after the panic (write: %s)\n", errstr(r));
	return 3;
}

int main(int argc, char **argv)
{
	static char err[1 << 17];
	size_t len = 0;
	int pipefd[2], status = 0;
	int64_t t0;
	pid_t pid, w;

	if (argc > 1 && !strcmp(argv[1], "child"))
		return child();
	test_watchdog(60);
	if (pipe(pipefd))
		return 1;
	fflush(stdout);
	t0 = now_ns();
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		unsetenv("ULK_VERBOSE");
		execl(argv[0], argv[0], "child", (char *)NULL);
		_exit(4);
	}
	close(pipefd[1]);
	for (;;) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		int64_t left = LIMIT_NS - (now_ns() - t0);
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)(left / NSEC_PER_MSEC)) <= 0)
			break;
		n = read(pipefd[0], err + len, sizeof(err) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	err[len] = 0;
	/*
	 * The end of its stderr is not the end of the process: the last of
	 * its threads closes the descriptors before the process becomes a
	 * zombie, after tearing down its memory (long for a sanitized build,
	 * whose shadow memory goes with it). Wait out the rest of the limit.
	 */
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	       now_ns() - t0 < LIMIT_NS)
		usleep(10000);
	if (w != pid) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		CHECK(false, "the panicked process was still there after 10 s");
		return test_finish();
	}
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	      "the process died of SIGABRT in %.1f s (status 0x%x)",
	      (now_ns() - t0) / 1e9, status);
	CHECK(strstr(err, "Kernel panic - not syncing: sysrq triggered crash"),
	      "stderr has the panic message");
	CHECK(strstr(err, "Linux version 6.12"),
	      "stderr has the kernel log from boot on");
	CHECK(strstr(err, "ulk: kernel panic, aborting"),
	      "stderr ends with ulk's line");
	if (test_failures)
		printf("---- child's stderr:\n%s----\n", err);
	return test_finish();
}
