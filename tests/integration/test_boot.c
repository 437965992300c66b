// SPDX-License-Identifier: GPL-2.0
/*
 * Boot ulk and check what a booted kernel must show: its identity (uname),
 * process ids, /proc and /sys mounted by init, a few /proc files read
 * through ulk_sys_*, a sysctl written through /proc taking effect, and the
 * lifecycle rules of the API (one start per process, halt, calls after it).
 *
 * tests/integration/test_valgrind.sh runs this same program under memcheck.
 */
#include "common.h"

#include <ctype.h>

static char buf[64 * 1024];

static void check_uname(void)
{
	struct ulk_new_utsname uts;
	long ret;

	memset(&uts, 0, sizeof(uts));
	ret = ulk_sys_uname(&uts);
	if (!CHECK(ret == 0, "uname returns 0 (got %s)", errstr(ret)))
		return;
	CHECK(strcmp(uts.sysname, "Linux") == 0,
	      "uname sysname is \"Linux\" (got \"%.65s\")", uts.sysname);
	CHECK(strncmp(uts.release, "6.12", 4) == 0 &&
	      (uts.release[4] == '.' || uts.release[4] == '\0' ||
	       uts.release[4] == '-'),
	      "uname release starts with 6.12 (got \"%.65s\")", uts.release);
	CHECK(strcmp(uts.machine, "ulk") == 0,
	      "uname machine is \"ulk\" (got \"%.65s\")", uts.machine);
	NOTE("uname: %.65s %.65s %.65s %.65s %.65s", uts.sysname,
	     uts.nodename, uts.release, uts.version, uts.machine);
}

static void check_ids(void)
{
	long pid = ulk_sys_getpid();
	long ppid = ulk_sys_getppid();

	CHECK(pid > 0, "getpid > 0 (got %s)", errstr(pid));
	CHECK(ppid >= 0, "getppid >= 0 (got %s)", errstr(ppid));
}

static void check_mounts(void)
{
	long ret;

	ret = ulk_read_file("/proc/self/mounts", buf, sizeof(buf));
	if (ret >= 0)
		NOTE("/proc/self/mounts:\n%s", buf);
	ret = ulk_path_open_check("/proc/self/stat", 0);
	CHECK(ret == 0, "/proc is mounted: open /proc/self/stat (got %s)",
	      errstr(ret));
	ret = ulk_path_open_check("/sys/kernel", ULK_O_DIRECTORY);
	CHECK(ret == 0, "/sys is mounted: open directory /sys/kernel (got %s)",
	      errstr(ret));
}

/* Read @path and check that it contains @needle. */
static void check_file_has(const char *path, const char *needle)
{
	long ret = ulk_read_file(path, buf, sizeof(buf));

	if (!CHECK(ret > 0, "read %s (got %s)", path, errstr(ret)))
		return;
	CHECK(strstr(buf, needle) != NULL, "%s contains \"%s\" (%ld bytes)",
	      path, needle, ret);
}

/* Strip trailing white space in place. */
static char *chomp(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Write @value to the sysctl file @path, then read it back. */
static void check_sysctl_write(const char *path, const char *value)
{
	char line[128];
	long ret;

	snprintf(line, sizeof(line), "%s\n", value);
	ret = ulk_write_file(path, line, strlen(line));
	CHECK(ret == (long)strlen(line), "write \"%s\" to %s (got %s)", value,
	      path, errstr(ret));
	ret = ulk_read_file(path, buf, sizeof(buf));
	if (!CHECK(ret > 0, "read back %s (got %s)", path, errstr(ret)))
		return;
	CHECK(strcmp(chomp(buf), value) == 0,
	      "%s reads back \"%s\" (got \"%s\")", path, value, buf);
}

static void check_proc(void)
{
	static const char cc[] = "/proc/sys/net/ipv4/tcp_congestion_control";
	char current[64], avail[256], target[64];
	char *tok, *save;
	long ret;

	check_file_has("/proc/meminfo", "MemTotal:");
	check_file_has("/proc/net/snmp", "Tcp:");

	ret = ulk_read_file(cc, buf, sizeof(buf));
	CHECK(ret > 0 && *chomp(buf), "%s is non-empty (got %s, \"%s\")", cc,
	      errstr(ret), ret > 0 ? buf : "");
	snprintf(current, sizeof(current), "%.63s", ret > 0 ? buf : "");

	/* somaxconn exists whenever there is networking. */
	check_sysctl_write("/proc/sys/net/core/somaxconn", "1234");

	/*
	 * Switch congestion control to another available algorithm (reno is
	 * always built in), then back.
	 */
	ret = ulk_read_file("/proc/sys/net/ipv4/tcp_available_congestion_control",
			    avail, sizeof(avail));
	if (!CHECK(ret > 0, "read tcp_available_congestion_control (got %s)",
		   errstr(ret)))
		return;
	NOTE("congestion control: current \"%s\", available \"%s\"", current,
	     chomp(avail));
	snprintf(target, sizeof(target), "reno");
	for (tok = strtok_r(avail, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		if (strcmp(tok, current) != 0) {
			snprintf(target, sizeof(target), "%.63s", tok);
			break;
		}
	}
	check_sysctl_write(cc, target);
	if (*current)
		check_sysctl_write(cc, current);
}

static void check_lifecycle(void)
{
	long ret;
	int r;

	r = ulk_start(NULL);
	CHECK(r == -EALREADY, "second ulk_start() returns -EALREADY (got %d, %s)",
	      r, ulk_strerror(r));
	ret = ulk_sys_getpid();
	CHECK(ret > 0, "ulk still works after the second ulk_start() (getpid %s)",
	      errstr(ret));

	r = ulk_halt();
	CHECK(r == 0, "ulk_halt() returns 0 (got %d, %s)", r, ulk_strerror(r));
	ret = ulk_sys_getpid();
	CHECK(ret == -ESHUTDOWN, "getpid after halt returns -ESHUTDOWN (got %s)",
	      errstr(ret));
	ret = ulk_syscall(__ULK_NR_getppid, NULL);
	CHECK(ret == -ESHUTDOWN,
	      "ulk_syscall(getppid) after halt returns -ESHUTDOWN (got %s)",
	      errstr(ret));
	r = ulk_start(NULL);
	CHECK(r == -EALREADY, "ulk_start() after halt returns -EALREADY (got %d)",
	      r);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_watchdog(120);
	ulk_boot_or_die();
	check_uname();
	check_ids();
	check_mounts();
	check_proc();
	check_lifecycle();
	return test_finish();
}
