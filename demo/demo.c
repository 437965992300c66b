// SPDX-License-Identifier: GPL-2.0
/*
 * make demo: boot Linux inside this process, look around, shut it down.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ulk/ulk.h>
#include <ulk/abi.h>

static char buf[16384];

/* Read a file inside ulk into buf; Return: bytes, or a negative errno. */
static long slurp(const char *path)
{
	long fd, n, total = 0;

	fd = ulk_sys_openat(ULK_AT_FDCWD, path, ULK_O_RDONLY, 0);
	if (fd < 0)
		return fd;
	while ((size_t)total < sizeof(buf) - 1 &&
	       (n = ulk_sys_read(fd, buf + total, sizeof(buf) - 1 - total)) > 0)
		total += n;
	buf[total] = '\0';
	ulk_sys_close(fd);
	return total;
}

/* Print the lines of @path that start with one of @prefixes (NULL-ended). */
static void show(const char *heading, const char *path,
		 const char *const *prefixes)
{
	long n = slurp(path);
	char *line, *save;

	printf("\n%s (%s)\n", heading, path);
	if (n < 0) {
		printf("  cannot read: %s\n", ulk_strerror((int)n));
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *const *p;

		for (p = prefixes; *p; p++)
			if (!strncmp(line, *p, strlen(*p)))
				printf("  %s\n", line);
	}
}

int main(void)
{
	static const char *const mem[] = { "MemTotal:", "MemFree:", "Slab:",
					   NULL };
	static const char *const tcp[] = { "Tcp:", NULL };
	static const char *const all[] = { "", NULL };
	struct ulk_new_utsname uts;
	struct timespec t0, t1;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = ulk_start(NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret) {
		fprintf(stderr, "ulk_start: %s\n", ulk_strerror(ret));
		return 1;
	}
	printf("Booted Linux inside this process (pid %d on the host) in %.0f ms.\n",
	       (int)getpid(), (t1.tv_sec - t0.tv_sec) * 1e3 +
	       (t1.tv_nsec - t0.tv_nsec) / 1e6);

	printf("\nuname, from inside\n");
	if (ulk_sys_uname(&uts) == 0)
		printf("  %s %s %s %s %s\n", uts.sysname, uts.nodename,
		       uts.release, uts.version, uts.machine);
	printf("  getpid() inside ulk: %ld\n", ulk_sys_getpid());

	show("Memory", "/proc/meminfo", mem);
	show("TCP counters", "/proc/net/snmp", tcp);
	show("TCP congestion control",
	     "/proc/sys/net/ipv4/tcp_congestion_control", all);

	ret = ulk_halt();
	printf("\nHalted: %s.\n", ret ? ulk_strerror(ret) : "ok");
	return ret ? 1 : 0;
}
