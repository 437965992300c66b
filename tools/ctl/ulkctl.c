// SPDX-License-Identifier: GPL-2.0
/*
 * ulkctl: look into, and change, running ulk instances from outside.
 *
 *   ulkctl list                      the instances this user can reach
 *   ulkctl NAME -- CMD [ARGS...]     run an unmodified tool (ip, ss,
 *                                    nstat, sysctl, ethtool, cat...) with
 *                                    its sockets and its /proc/net,
 *                                    /proc/sys/net and /sys/class/net
 *                                    files served by the instance
 *   ulkctl NAME cat PATH             a file of the instance's /proc, /sys
 *   ulkctl NAME ls PATH              a directory of them
 *   ulkctl NAME sysctl KEY[=VALUE]   read or set a kernel parameter
 *
 * NAME is an instance's name or its control socket's path. Everything
 * goes through the instance's control socket (lib/ctl/): ulkctl attaches
 * to it with ulk_attach(), and `-- CMD` runs CMD under the preload shim
 * attached the same way (ULK_ATTACH), so CMD's calls are made inside the
 * instance, on descriptors of its own.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <ulk/ulk.h>
#include <ulk/net.h>
#include <ulk/linux/fcntl.h>
#include <ulk/socket_extra.h>

#include "capture.h"
#include "ctl/ctl.h"
#include "ctl/proto.h"

#define EXIT_USAGE	2

static const char usage_text[] =
"usage: ulkctl list\n"
"       ulkctl NAME -- CMD [ARGS...]\n"
"       ulkctl NAME cat PATH\n"
"       ulkctl NAME ls PATH\n"
"       ulkctl NAME sysctl KEY[=VALUE]\n"
"       ulkctl NAME capture [-i IF] [-w FILE|-] [-c N] [-s SNAPLEN] [FILTER]\n"
"\n"
"Look into and change a running ulk instance (a program under ulk-run,\n"
"an ulk-proxy, a program linking libulk) from outside it.\n"
"\n"
"  list                 the instances you can reach: name, pid, program,\n"
"                       uptime, interfaces and addresses\n"
"  NAME -- CMD ARGS     run CMD (ip, ss, nstat, sysctl, ethtool, cat, ...)\n"
"                       with its sockets and its opens of /proc/net,\n"
"                       /proc/sys/net and /sys/class/net served by the\n"
"                       instance: `ulkctl web -- ss -tinm`,\n"
"                       `ulkctl web -- ip addr add 10.0.0.9/24 dev eth0`\n"
"  NAME cat PATH        print a file of the instance (/proc/net/snmp)\n"
"  NAME ls PATH         list a directory of the instance (/proc/sys/net)\n"
"  NAME sysctl KEY[=V]  read or set a kernel parameter of the instance\n"
"  NAME capture ...     capture the instance's frames: -i one interface\n"
"                       (default all), -w a pcap file or - for standard\n"
"                       output (tcpdump -r, tshark, Wireshark read it;\n"
"                       without -w, one line per frame), -c stop after N,\n"
"                       -s keep SNAPLEN bytes of each; FILTER is tcpdump's\n"
"                       syntax, run inside the instance. Ends at ^C.\n"
"\n"
"NAME is what ulk-run --name or ulk-proxy --name gave (default: program\n"
"name and pid), or a control socket's path. Sockets live in\n"
"$XDG_RUNTIME_DIR/ulk (/run/ulk for root, else /tmp/ulk-UID).\n"
"The shim for `--` is ULK_PRELOAD if set, else ../lib/libulk-preload.so\n"
"beside ulkctl.\n";

static __attribute__((noreturn, format(printf, 2, 3)))
void die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("ulkctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void attach_or_die(const char *name)
{
	int err = ulk_attach(name);

	if (err == -ENOENT)
		die(1, "%s: no such instance (`ulkctl list` shows them)", name);
	if (err == -ECONNREFUSED)
		die(1, "%s: the instance is gone (its socket is stale)", name);
	if (err == -EINVAL)
		die(EXIT_USAGE, "%s: not an instance name (letters, digits, '.', '_', '-') or a socket path",
		    name);
	if (err)
		die(1, "%s: %s", name, ulk_strerror(err));
}

/* --- list ---------------------------------------------------------------- */

static void print_uptime(long long started_ns)
{
	struct timespec now;
	long long s;

	clock_gettime(CLOCK_REALTIME, &now);
	s = (now.tv_sec * 1000000000LL + now.tv_nsec - started_ns) / 1000000000LL;
	if (s < 0)
		s = 0;
	if (s < 3600)
		printf("%3lldm%02llds", s / 60, s % 60);
	else
		printf("%3lldh%02lldm", s / 3600, s / 60 % 60);
}

/* "lo 127.0.0.1/8 ::1/128, eth0 10.0.0.2/24 ..." */
static void print_interfaces(void)
{
	int ifindex, misses = 0, first = 1;

	for (ifindex = 1; misses < 16 && ifindex < 4096; ifindex++) {
		struct ulk_if_addr a[16];
		char name[64], text[INET6_ADDRSTRLEN];
		int n, i;

		if (ulk_if_name(ifindex, name, sizeof(name))) {
			misses++;
			continue;
		}
		misses = 0;
		printf("%s%s", first ? "" : ", ", name);
		first = 0;
		n = ulk_if_get_addrs(ifindex, ULK_AF_UNSPEC, a, 16);
		for (i = 0; i < n && i < 16; i++) {
			int af = a[i].family == ULK_AF_INET ? AF_INET : AF_INET6;

			if (inet_ntop(af, a[i].addr, text, sizeof(text)))
				printf(" %s/%d", text, a[i].prefixlen);
		}
	}
}

static int cmd_list(void)
{
	char dir[PATH_MAX];
	struct dirent **ents;
	int n, i, shown = 0, err;

	err = ulk_ctl_dir(dir, sizeof(dir), false);
	if (err == -ENOENT) {
		printf("no instances (%s does not exist)\n", dir);
		return 0;
	}
	if (err)
		die(1, "%s: %s", dir, ulk_strerror(err));
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		die(1, "%s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		const char *f = ents[i]->d_name;
		size_t len = strlen(f);
		char path[PATH_MAX];
		struct ulk_ctl_welcome w;

		if (len <= 5 || strcmp(f + len - 5, ".sock") ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, f) >=
		    sizeof(path))
			continue;
		err = ulk_attach(path);
		if (err == -ECONNREFUSED) {
			/* Its process died without removing it: ours to clean. */
			unlink(path);
			continue;
		}
		if (err || ulk_attach_info(&w)) {
			fprintf(stderr, "ulkctl: %s: %s\n", path,
				ulk_strerror(err ? err : -EIO));
			continue;
		}
		if (!shown++)
			printf("%-20s %7s %-16s %7s  %s\n", "NAME", "PID",
			       "PROGRAM", "UPTIME", "INTERFACES");
		printf("%-20s %7d %-16s ", w.name, w.pid, w.program);
		print_uptime(w.started_ns);
		printf("  ");
		print_interfaces();
		printf("\n");
		ulk_detach();
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	if (!shown)
		printf("no instances in %s\n", dir);
	return 0;
}

/* --- cat, ls, sysctl ----------------------------------------------------- */

static int cmd_cat(const char *path)
{
	char buf[65536];
	long fd, n;

	fd = ulk_sys_openat(ULK_AT_FDCWD, path, ULK_O_RDONLY, 0);
	if (fd < 0)
		die(1, "%s: %s", path, ulk_strerror(fd));
	while ((n = ulk_sys_read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, n, stdout) != (size_t)n)
			die(1, "writing: %s", strerror(errno));
	if (n < 0)
		die(1, "%s: %s", path, ulk_strerror(n));
	ulk_sys_close(fd);
	return 0;
}

/* The layout getdents64 fills (struct linux_dirent64). */
struct dent64 {
	unsigned long long ino;
	long long off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

static int cmd_ls(const char *path)
{
	char buf[65536];
	long fd, n, at;

	fd = ulk_sys_openat(ULK_AT_FDCWD, path,
			    ULK_O_RDONLY | ULK_O_DIRECTORY, 0);
	if (fd < 0)
		die(1, "%s: %s", path, ulk_strerror(fd));
	while ((n = ulk_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (at = 0; at + (long)sizeof(struct dent64) <= n;) {
			struct dent64 *d = (struct dent64 *)(buf + at);

			if (d->reclen < sizeof(*d) || at + d->reclen > n)
				die(1, "%s: malformed directory entry", path);
			if (strcmp(d->name, ".") && strcmp(d->name, ".."))
				printf("%s%s\n", d->name,
				       d->type == DT_DIR ? "/" : "");
			at += d->reclen;
		}
	}
	if (n < 0)
		die(1, "%s: %s", path, ulk_strerror(n));
	ulk_sys_close(fd);
	return 0;
}

static int cmd_sysctl(const char *arg)
{
	char key[256], value[4096];
	const char *eq = strchr(arg, '=');
	int err;

	if (eq) {
		if ((size_t)(eq - arg) >= sizeof(key))
			die(EXIT_USAGE, "%s: name too long", arg);
		memcpy(key, arg, eq - arg);
		key[eq - arg] = 0;
		err = ulk_sysctl_set(key, eq + 1);
		if (err)
			die(1, "%s: %s", key, ulk_strerror(err));
	} else {
		snprintf(key, sizeof(key), "%s", arg);
	}
	err = ulk_sysctl_get(key, value, sizeof(value));
	if (err < 0)
		die(1, "%s: %s", key, ulk_strerror(err));
	printf("%s = %s\n", key, value);
	return 0;
}

/* --- capture ------------------------------------------------------------ */

static volatile sig_atomic_t capture_stop;

static void on_stop(int sig)
{
	(void)sig;
	capture_stop = 1;
}

/* One line per frame when no -w is given: time, length, what it carries. */
static void summarize(const unsigned char *p, size_t caplen, size_t len,
		      const struct timespec *ts)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	struct tm tm;
	unsigned int type;
	size_t l3 = 14;

	localtime_r(&ts->tv_sec, &tm);
	printf("%02d:%02d:%02d.%06ld ", tm.tm_hour, tm.tm_min, tm.tm_sec,
	       ts->tv_nsec / 1000);
	if (caplen < 14) {
		printf("short frame, length %zu\n", len);
		return;
	}
	type = p[12] << 8 | p[13];
	if (type == 0x0800 && caplen >= l3 + 20) {
		size_t ihl = (p[l3] & 15) * 4;
		unsigned int proto = p[l3 + 9];

		inet_ntop(AF_INET, p + l3 + 12, a, sizeof(a));
		inet_ntop(AF_INET, p + l3 + 16, b, sizeof(b));
		if ((proto == 6 || proto == 17) && caplen >= l3 + ihl + 4)
			printf("IP %s.%u > %s.%u: %s, length %zu\n", a,
			       p[l3 + ihl] << 8 | p[l3 + ihl + 1], b,
			       p[l3 + ihl + 2] << 8 | p[l3 + ihl + 3],
			       proto == 6 ? "tcp" : "udp", len);
		else
			printf("IP %s > %s: proto %u, length %zu\n", a, b,
			       proto, len);
	} else if (type == 0x86dd && caplen >= l3 + 40) {
		inet_ntop(AF_INET6, p + l3 + 8, a, sizeof(a));
		inet_ntop(AF_INET6, p + l3 + 24, b, sizeof(b));
		printf("IP6 %s > %s: next header %u, length %zu\n", a, b,
		       p[l3 + 6], len);
	} else if (type == 0x0806) {
		printf("ARP, length %zu\n", len);
	} else {
		printf("ethertype 0x%04x, length %zu\n", type, len);
	}
}

/* Read the pcap stream from @fd (a pipe from the capture) and print it. */
static void print_stream(int fd)
{
	unsigned char hdr[24], rec[16];
	static unsigned char frame[ULK_CAPTURE_SNAPLEN];
	FILE *in = fdopen(fd, "r");

	if (!in || fread(hdr, 1, sizeof(hdr), in) != sizeof(hdr))
		return;
	while (fread(rec, 1, sizeof(rec), in) == sizeof(rec)) {
		uint32_t sec, nsec, caplen, len;
		struct timespec ts;

		memcpy(&sec, rec, 4);
		memcpy(&nsec, rec + 4, 4);
		memcpy(&caplen, rec + 8, 4);
		memcpy(&len, rec + 12, 4);
		if (caplen > sizeof(frame) ||
		    fread(frame, 1, caplen, in) != caplen)
			return;
		ts.tv_sec = sec;
		ts.tv_nsec = nsec;
		summarize(frame, caplen, len, &ts);
		fflush(stdout);
	}
}

static int cmd_capture(const char *name, int argc, char **argv)
{
	struct ulk_capture c = { .stop = &capture_stop };
	struct bpf_program prog = { 0 };
	struct sock_fprog fprog;
	struct sigaction sa = { .sa_handler = on_stop };
	const char *ifname = NULL, *out = NULL;
	char filter[4096] = "";
	int opt, pipefd[2] = { -1, -1 };
	pid_t printer = -1;
	long n;

	optind = 1;
	while ((opt = getopt(argc, argv, "+i:w:c:s:")) != -1) {
		char *end;

		switch (opt) {
		case 'i': ifname = optarg; break;
		case 'w': out = optarg; break;
		case 'c':
			c.count = strtol(optarg, &end, 10);
			if (*end || c.count <= 0)
				die(EXIT_USAGE, "-c %s: not a positive count", optarg);
			break;
		case 's':
			c.snaplen = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || c.snaplen < 64 || c.snaplen > ULK_CAPTURE_SNAPLEN)
				die(EXIT_USAGE, "-s %s: not 64..%d", optarg,
				    ULK_CAPTURE_SNAPLEN);
			break;
		default:
			die(EXIT_USAGE, "capture [-i IF] [-w FILE|-] [-c N] [-s SNAPLEN] [FILTER]");
		}
	}
	for (; optind < argc; optind++) {
		if (strlen(filter) + strlen(argv[optind]) + 2 > sizeof(filter))
			die(EXIT_USAGE, "filter too long");
		if (*filter)
			strcat(filter, " ");
		strcat(filter, argv[optind]);
	}
	if (*filter) {
		pcap_t *p = pcap_open_dead(ULK_CAPTURE_LINKTYPE,
					   c.snaplen ? (int)c.snaplen :
					   ULK_CAPTURE_SNAPLEN);

		if (!p || pcap_compile(p, &prog, filter, 1,
				       PCAP_NETMASK_UNKNOWN))
			die(EXIT_USAGE, "filter '%s': %s", filter,
			    p ? pcap_geterr(p) : "libpcap failed");
		pcap_close(p);
		fprog.len = (unsigned short)prog.bf_len;
		fprog.filter = (struct sock_filter *)prog.bf_insns;
		c.filter = &fprog;
	}
	attach_or_die(name);
	if (ifname) {
		c.ifindex = ulk_if_index(ifname);
		if (c.ifindex < 0)
			die(1, "-i %s: %s has no such interface", ifname, name);
	}
	if (!out) {
		/* The summary printer reads what the capture writes. */
		if (pipe(pipefd))
			die(1, "pipe: %s", strerror(errno));
		printer = fork();
		if (printer == 0) {
			close(pipefd[1]);
			print_stream(pipefd[0]);
			_exit(0);
		}
		close(pipefd[0]);
		c.out_fd = pipefd[1];
	} else if (!strcmp(out, "-")) {
		c.out_fd = STDOUT_FILENO;
	} else {
		c.out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				0644);
		if (c.out_fd < 0)
			die(1, "%s: %s", out, strerror(errno));
	}
	signal(SIGPIPE, SIG_IGN);
	ulk_sigaction(SIGINT, &sa, NULL);
	ulk_sigaction(SIGTERM, &sa, NULL);
	if (ulk_capture_header(c.out_fd, c.snaplen))
		die(1, "writing the capture: %s", strerror(errno));
	n = ulk_capture_run(&c);
	if (n < 0 && !c.packets)
		die(1, "capture in %s: %s", name, ulk_strerror(n));
	if (printer > 0) {
		close(pipefd[1]);
		waitpid(printer, NULL, 0);
	} else if (c.out_fd != STDOUT_FILENO) {
		close(c.out_fd);
	}
	fprintf(stderr, "%ld packet%s captured\n", c.packets,
		c.packets == 1 ? "" : "s");
	pcap_freecode(&prog);
	return 0;
}

/* --- NAME -- CMD --------------------------------------------------------- */

static void find_shim(char *buf, size_t n)
{
	const char *env = getenv("ULK_PRELOAD");
	char exe[PATH_MAX];
	ssize_t len;
	char *slash;

	if (env && *env) {
		snprintf(buf, n, "%s", env);
		return;
	}
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0)
		die(1, "cannot find myself (/proc/self/exe): %s", strerror(errno));
	exe[len] = 0;
	slash = strrchr(exe, '/');
	*slash = 0;
	if ((size_t)snprintf(buf, n, "%s/../lib/libulk-preload.so", exe) >= n)
		die(1, "path too long");
	if (access(buf, R_OK))
		die(1, "%s: %s (set ULK_PRELOAD to the shim)", buf,
		    strerror(errno));
}

static int cmd_run(const char *name, char **argv)
{
	char shim[PATH_MAX], sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *old = getenv("LD_PRELOAD");
	char *preload;
	int err;

	/* Fail here, clearly, rather than in the tool's first socket. */
	attach_or_die(name);
	ulk_detach();
	if (strchr(name, '/'))
		snprintf(sock, sizeof(sock), "%s", name);
	else if ((err = ulk_ctl_path(name, sock, sizeof(sock), false)))
		die(1, "%s: %s", name, ulk_strerror(err));
	find_shim(shim, sizeof(shim));
	if (asprintf(&preload, "%s%s%s", shim, old && *old ? ":" : "",
		     old && *old ? old : "") < 0)
		die(1, "out of memory");
	setenv("LD_PRELOAD", preload, 1);
	setenv("ULK_ATTACH", sock, 1);
	/* A settings list of ulk-run's around us is not for this tool. */
	unsetenv("ULK_RUN_OPTS");
	unsetenv("ULK_RUN_PID");
	unsetenv("ULK_RUN_MAIN");
	execvp(argv[0], argv);
	die(errno == ENOENT ? 127 : 126, "%s: %s", argv[0], strerror(errno));
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "list")) {
		if (argc != 2)
			die(EXIT_USAGE, "list takes no arguments");
		return cmd_list();
	}
	if (argc < 3)
		die(EXIT_USAGE, "%s: what to do? (see ulkctl --help)", argv[1]);
	if (!strcmp(argv[2], "--")) {
		if (argc < 4)
			die(EXIT_USAGE, "no command after --");
		return cmd_run(argv[1], argv + 3);
	}
	if (!strcmp(argv[2], "capture"))
		return cmd_capture(argv[1], argc - 2, argv + 2);
	if (argc != 4)
		die(EXIT_USAGE, "%s %s: takes one argument (see ulkctl --help)",
		    argv[1], argv[2]);
	if (strcmp(argv[2], "cat") && strcmp(argv[2], "ls") &&
	    strcmp(argv[2], "sysctl"))
		die(EXIT_USAGE, "%s: unknown command (list, cat, ls, sysctl, capture or -- CMD)",
		    argv[2]);
	attach_or_die(argv[1]);
	if (!strcmp(argv[2], "cat"))
		return cmd_cat(argv[3]);
	if (!strcmp(argv[2], "ls"))
		return cmd_ls(argv[3]);
	return cmd_sysctl(argv[3]);
}
