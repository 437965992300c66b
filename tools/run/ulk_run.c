// SPDX-License-Identifier: GPL-2.0
/*
 * ulk-run: run an unmodified program on ulk's TCP/IP stack.
 *
 *	ulk-run [OPTIONS] [--] PROGRAM [ARGS...]
 *
 * ulk-run checks the settings, so that a bad one is reported here, before
 * the program starts, then hands them to the preload shim
 * (libulk-preload.so), which boots ulk inside the program when it first
 * needs it:
 *
 *  1. the options are copied, with a --config file's settings expanded
 *     where --config appears (config.c);
 *  2. the whole list is parsed with ulk_run_parse(), the parser the shim
 *     uses too, and the devices are checked on this machine;
 *  3. the shim and the program are looked up;
 *  4. ULK_RUN_OPTS gets the option list (without the options only ulk-run
 *     uses), LD_PRELOAD the shim;
 *  5. what only the kernel can judge (a sysctl it refuses, a device it
 *     cannot take, a TAP in use) is checked by booting ulk once with the
 *     settings, in a child (this program again, with the shim booting it
 *     before main, see ULK_RUN_PID), which exits at once and so releases
 *     the devices;
 *  6. the program is executed (not a statically linked one, which the
 *     shim cannot serve), under a seccomp filter that makes socket calls
 *     bypassing the shim fail (confine.c). Its shim boots ulk at its first socket (or
 *     epoll instance), processes it starts at their first socket: only a
 *     process that uses the network holds the devices, and one that never
 *     does (a shell, timeout, setpriv) has none of ulk's threads either.
 *
 * Exit status: 2 for bad settings or usage, 127 if the program is not
 * found, 126 if it cannot be executed; otherwise the program's own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "config.h"
#include "ctl/ctl.h"
#include "confine.h"
#include "options.h"

#define CHECK_BOOT_ARG	"--internal-check-boot"
#define EXIT_USAGE	2
#define EXIT_NOEXEC	126
#define EXIT_NOTFOUND	127
#define DEFAULT_PATH	"/usr/local/bin:/usr/bin:/bin"

static const char usage_text[] =
"usage: ulk-run [OPTIONS] [--] PROGRAM [ARGS...]\n"
"\n"
"Run PROGRAM with its sockets on ulk, the Linux kernel's TCP/IP stack\n"
"inside the process (through the preload shim libulk-preload.so).\n"
"\n"
"Devices (repeatable; the options after a --net apply to that device):\n"
"  --net tap:IFNAME          an existing host TAP interface\n"
"                            (ip tuntap add IFNAME mode tap user $USER)\n"
"  --net pipe:PATH[:a|:b]    a pipe to another ulk-run program: end a binds\n"
"                            PATH.a, end b PATH.b (default a)\n"
"  --net stream:PATH         connect to a unix stream socket carrying\n"
"                            length-prefixed frames (QEMU's -netdev stream\n"
"                            with server=on, passt's socket, or another\n"
"                            ulk-run with stream-listen:PATH); no offloads\n"
"  --net stream-listen:PATH  listen on PATH and wait for one peer (QEMU's\n"
"                            -netdev stream,server=off,addr.type=unix,\n"
"                            addr.path=PATH) at the program's first socket,\n"
"                            then remove PATH\n"
"  --ip ADDR/PREFIX          IPv4 address of the device (repeatable)\n"
"  --ip6 ADDR/PREFIX         IPv6 address of the device (repeatable)\n"
"  --mtu N                   MTU, 68..65535 (default 1500)\n"
"  --mac XX:XX:XX:XX:XX:XX   Ethernet address (default random)\n"
"  --offload LIST            none, all (default), or a comma list of\n"
"                            tx-csum, rx-csum, tx-tso4, tx-tso6, tx-ecn,\n"
"                            rx-tso4, rx-tso6, rx-ecn, rx-mrg\n"
"\n"
"Stack:\n"
"  --gw ADDR                 IPv4 default gateway\n"
"  --gw6 ADDR                IPv6 default gateway\n"
"  --dns ADDR                name server for the program's lookups, reached\n"
"                            through ulk (repeatable; default: resolv.conf's)\n"
"  --sysctl NAME=VALUE       set a kernel sysctl (repeatable),\n"
"                            e.g. net.ipv4.tcp_congestion_control=bbr\n"
"  --mem SIZE                kernel memory, 16M..64G (K, M, G suffixes)\n"
"  --pin CPULIST             run ulk's own threads (kernel threads, timer,\n"
"                            device I/O) on these CPUs, e.g. 0 or 0-1\n"
"  --name NAME               the instance's name for ulkctl (default:\n"
"                            program name and pid)\n"
"  --ctl PATH|none           its control socket (default NAME.sock in\n"
"                            $XDG_RUNTIME_DIR/ulk, /run/ulk for root)\n"
"  --pcap FILE               capture every frame of every interface from\n"
"                            boot into FILE (pcap; tcpdump -r reads it)\n"
"  --verbose                 kernel log and shim notes on stderr\n"
"\n"
"ulk-run:\n"
"  --config FILE             JSON settings, expanded where --config is\n"
"  --preload LIB.so          also preload LIB.so (repeatable)\n"
"  --help                    this text\n"
"\n"
"Options take their value as the next argument or after '=' (--mtu=9000).\n"
"The shim is ULK_PRELOAD if set, else ../lib/libulk-preload.so beside\n"
"ulk-run. Socket calls that bypass the shim (raw system calls, as Go\n"
"makes them; io_uring) fail instead of reaching the host's network (a\n"
"seccomp filter; without CAP_SYS_ADMIN it sets no_new_privs), and\n"
"statically linked programs are refused. Exit status: 2 for bad options,\n"
"127 if PROGRAM is not found, 126 if it cannot be run, else PROGRAM's.\n";

static __attribute__((noreturn, format(printf, 2, 3)))
void die(int status, const char *fmt, ...);

/* A --name (or --ctl path) a running instance already has is refused now. */
static void check_name(const struct ulk_run_config *cfg)
{
	char path[108];
	const char *where = path;

	if (!strcmp(cfg->ctl, "none"))
		return;
	if (*cfg->ctl)
		where = cfg->ctl;
	else if (!*cfg->name ||
		 ulk_ctl_path(cfg->name, path, sizeof(path), false))
		return;
	if (ulk_ctl_live(where) > 0)
		die(EXIT_USAGE, "%s%s: a running instance already has it (ulkctl list)",
		    *cfg->ctl ? "--ctl " : "--name ", *cfg->ctl ? cfg->ctl : cfg->name);
}

static __attribute__((noreturn, format(printf, 2, 3)))
void die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("ulk-run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void add(struct ulk_run_argv *a, const char *s)
{
	if (ulk_run_argv_add(a, s))
		die(EXIT_USAGE, "out of memory");
}

/*
 * Copy the options of argv to @opts, expanding --config in place; the
 * expanded strings are @opts->v[*from .. *to - 1]. A string that follows an
 * option taking a value is that value, whatever it looks like; the first
 * other string that is not an option, or the one after "--", is the
 * program. Return: its index in argv (argc if none).
 */
static int expand(int argc, char **argv, struct ulk_run_argv *opts,
		  const char **config, int *from, int *to)
{
	const char *a, *file;
	char err[512];
	int i;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (!strcmp(a, "--"))
			return i + 1;
		if (a[0] != '-' || !a[1])
			return i;
		if (!strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			exit(0);
		}
		if (strcmp(a, "--config") && strncmp(a, "--config=", 9)) {
			add(opts, a);
			if (ulk_run_option_takes_value(a) == 1 && i + 1 < argc)
				add(opts, argv[++i]);
			continue;
		}
		file = a[8] == '=' ? a + 9 : i + 1 < argc ? argv[++i] : "";
		if (!*file)
			die(EXIT_USAGE, "--config needs a value");
		if (*config)
			die(EXIT_USAGE, "--config %s: only one --config is allowed (%s given before)",
			    file, *config);
		*config = file;
		add(opts, "--config");	/* for the parser: cfg.config */
		add(opts, file);
		*from = opts->n;
		if (ulk_run_config_load(*config, opts, err, sizeof(err)))
			die(EXIT_USAGE, "%s", err);
		*to = opts->n;
	}
	return argc;
}

/*
 * The options the shim is given: the parsed list without those only
 * ulk-run uses, each as "--opt" SEP "value", joined with SEP.
 */
static char *canonical(const struct ulk_run_argv *opts)
{
	static const char *const own[] = { "--config", "--preload", "--help" };
	struct ulk_run_argv out = { 0 };
	size_t len = 1, n, k;
	const char *a, *eq;
	char *s, *p;
	int i, j;

	for (i = 0; i < opts->n; i++) {
		a = opts->v[i];
		n = strcspn(a, "=");
		for (k = 0; k < sizeof(own) / sizeof(own[0]); k++)
			if (strlen(own[k]) == n && !strncmp(own[k], a, n))
				break;
		eq = strchr(a, '=');
		if (k < sizeof(own) / sizeof(own[0])) {
			i += ulk_run_option_takes_value(a) == 1;
			continue;
		}
		if (eq) {
			s = strndup(a, n);
			if (!s)
				die(EXIT_USAGE, "out of memory");
			add(&out, s);
			add(&out, eq + 1);
			free(s);
		} else {
			add(&out, a);
			if (ulk_run_option_takes_value(a) == 1)
				add(&out, opts->v[++i]);
		}
	}
	for (j = 0; j < out.n; j++)
		len += strlen(out.v[j]) + 1;
	s = calloc(1, len);
	if (!s)
		die(EXIT_USAGE, "out of memory");
	for (j = 0, p = s; j < out.n; j++) {
		if (j)
			*p++ = ULK_RUN_OPTS_SEP;
		p = stpcpy(p, out.v[j]);
	}
	ulk_run_argv_free(&out);
	return s;
}

/* The shim's absolute path, in @path (PATH_MAX bytes); dies if missing. */
static void find_shim(char *path)
{
	const char *env = getenv("ULK_PRELOAD");
	char exe[PATH_MAX], want[PATH_MAX + 32];

	if (env && *env) {
		snprintf(want, sizeof(want), "%s", env);
	} else {
		if (!realpath("/proc/self/exe", exe))
			die(EXIT_USAGE, "/proc/self/exe: %s (set ULK_PRELOAD to the shim's path)",
			    strerror(errno));
		snprintf(want, sizeof(want), "%s/../lib/libulk-preload.so",
			 dirname(exe));
	}
	if (!realpath(want, path) || access(path, R_OK))
		die(EXIT_USAGE, "preload shim %s: %s (build it with make, or set ULK_PRELOAD)",
		    want, strerror(errno));
	if (strpbrk(path, ": \t"))
		die(EXIT_USAGE, "preload shim %s: a path with ':' or spaces cannot go in LD_PRELOAD",
		    path);
}

/* Each --preload given as a path must be readable (ld.so finds the rest). */
static void check_preloads(const char *list)
{
	char *copy = strdup(list), *lib, *save = NULL;

	if (!copy)
		die(EXIT_USAGE, "out of memory");
	for (lib = strtok_r(copy, ":", &save); lib;
	     lib = strtok_r(NULL, ":", &save))
		if (strchr(lib, '/') && access(lib, R_OK))
			die(EXIT_USAGE, "--preload %s: %s", lib, strerror(errno));
	free(copy);
}

/* 0 if @path is a file we may execute, else the shell's exit status. */
static int runnable(const char *path, const char **why)
{
	struct stat st;

	*why = "No such file or directory";
	if (stat(path, &st))
		return EXIT_NOTFOUND;
	*why = "Is a directory";
	if (S_ISDIR(st.st_mode))
		return EXIT_NOEXEC;
	*why = "Permission denied";
	return access(path, X_OK) ? EXIT_NOEXEC : 0;
}

/* Check that PROGRAM can be run, as a shell would before running it. */
/*
 * The dynamic linker ignores LD_PRELOAD for a program that gains
 * privileges when executed: it would run with the host's sockets, silently.
 * Refuse it instead.
 */
static void check_not_secure(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return;
	if (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
	    ((st.st_mode & S_ISGID) && st.st_gid != getegid()) ||
	    (geteuid() != 0 &&
	     getxattr(path, "security.capability", NULL, 0) > 0))
		die(EXIT_USAGE, "%s: gains privileges when run (set-user-ID or file capabilities), so the dynamic linker would not load the shim and its sockets would be the host's; run it as root or as its owner",
		    path);
}

/* Find PROGRAM as execvp() will; its path in @found (PATH_MAX bytes). */
static void find_program(const char *prog, char *found)
{
	const char *path = getenv("PATH"), *dir, *end, *why;
	char cand[PATH_MAX];
	int status, best = EXIT_NOTFOUND;
	struct stat st;

	if (strchr(prog, '/')) {
		status = runnable(prog, &why);
		if (status)
			die(status, "%s: %s", prog, why);
		check_not_secure(prog);
		snprintf(found, PATH_MAX, "%s", prog);
		return;
	}
	if (!path)
		path = DEFAULT_PATH;
	for (dir = path; ; dir = end + 1) {
		end = strchrnul(dir, ':');
		/* An empty entry is the current directory. */
		snprintf(cand, sizeof(cand), "%.*s%s%s", (int)(end - dir), dir,
			 end > dir ? "/" : "", prog);
		if (!stat(cand, &st) && !S_ISDIR(st.st_mode)) {
			status = runnable(cand, &why);
			if (!status) {
				check_not_secure(cand);
				snprintf(found, PATH_MAX, "%s", cand);
				return;
			}
			best = status;
		}
		if (!*end)
			break;
	}
	if (best == EXIT_NOEXEC)
		die(best, "%s: Permission denied", prog);
	die(best, "%s: command not found", prog);
}

/* LD_PRELOAD: the shim first, then --preload libraries, then the old one. */
static void set_preload(const char *shim, const char *extra)
{
	const char *old = getenv("LD_PRELOAD");
	char *v;

	if (asprintf(&v, "%s%s%s%s%s", shim, *extra ? ":" : "", extra,
		     old && *old ? ":" : "", old ? old : "") < 0)
		die(EXIT_USAGE, "out of memory");
	if (setenv("LD_PRELOAD", v, 1))
		die(EXIT_USAGE, "LD_PRELOAD: %s", strerror(errno));
	free(v);
}

/* Step 5 of the top comment: exit 2 if the settings do not boot. */
static void check_boot(void)
{
	char pid[24];
	pid_t child;
	int status;

	fflush(NULL);
	child = fork();
	if (child < 0)
		die(EXIT_USAGE, "fork: %s", strerror(errno));
	if (child == 0) {
		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		setenv(ULK_RUN_PID_ENV, pid, 1);
		execl("/proc/self/exe", "ulk-run", CHECK_BOOT_ARG, (char *)NULL);
		_exit(EXIT_NOEXEC);
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			die(EXIT_USAGE, "waitpid: %s", strerror(errno));
	/* The child said what failed. */
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		exit(EXIT_USAGE);
}

int main(int argc, char **argv)
{
	static struct ulk_run_config cfg;
	struct ulk_run_argv opts = { 0 };
	const char *config = NULL;
	char err[512], shim[PATH_MAX], path[PATH_MAX], *env, *p;
	int prog, used = 0, from = -1, to = -1, e;

	/* The child of check_boot(): the shim booted ulk before main. */
	if (argc == 2 && !strcmp(argv[1], CHECK_BOOT_ARG))
		return 0;
	prog = expand(argc, argv, &opts, &config, &from, &to);
	if (ulk_run_parse(&cfg, opts.n, opts.v, &used, err, sizeof(err))) {
		if (used >= from && used < to)
			die(EXIT_USAGE, "%s: %s", config, err);
		die(EXIT_USAGE, "%s", err);
	}
	if (used != opts.n)	/* expand() passes options only */
		die(EXIT_USAGE, "'%s' is not an option", opts.v[used]);
	if (prog >= argc)
		die(EXIT_USAGE, "no program to run (usage: ulk-run [OPTIONS] [--] PROGRAM [ARGS...]; see --help)");
	if (ulk_run_check_devices(&cfg, err, sizeof(err)))
		die(EXIT_USAGE, "%s", err);
	check_name(&cfg);
	if (*cfg.pcap) {
		/* Refused now rather than at the program's first socket. */
		int fd = open(cfg.pcap, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0)
			die(EXIT_USAGE, "--pcap %s: %s", cfg.pcap, strerror(errno));
		close(fd);
	}
	find_shim(shim);
	check_preloads(cfg.preloads);
	find_program(argv[prog], path);
	switch (ulk_run_check_binary(path)) {
	case ULK_BINARY_STATIC:
		die(EXIT_NOEXEC, "%s: statically linked: the preload shim cannot be loaded into it, so its sockets would be the host's; refused",
		    path);
	case ULK_BINARY_GO:
		fprintf(stderr, "ulk-run: %s is a Go program: Go makes its socket calls itself, past the shim, so they fail (EAFNOSUPPORT) rather than use the host's network\n",
			path);
		break;
	case ULK_BINARY_DYNAMIC:
		break;
	}

	env = canonical(&opts);
	if (setenv(ULK_RUN_OPTS_ENV, env, 1))
		die(EXIT_USAGE, "%s: %s", ULK_RUN_OPTS_ENV, strerror(errno));
	set_preload(shim, cfg.preloads);
	unsetenv(ULK_RUN_PID_ENV);
	check_boot();
	/* The program keeps this pid across exec (see shim_boot_on_epoll()). */
	snprintf(err, sizeof(err), "%ld", (long)getpid());
	if (setenv(ULK_RUN_MAIN_ENV, err, 1))
		die(EXIT_USAGE, "%s: %s", ULK_RUN_MAIN_ENV, strerror(errno));
	if (cfg.verbose) {
		for (p = env; *p; p++)
			if (*p == ULK_RUN_OPTS_SEP)
				*p = ' ';
		fprintf(stderr, "ulk-run: LD_PRELOAD=%s\nulk-run: %s=%s\n",
			getenv("LD_PRELOAD"), ULK_RUN_OPTS_ENV, env);
	}
	free(env);
	ulk_run_argv_free(&opts);

	if (ulk_run_confine(err, sizeof(err)))
		die(EXIT_USAGE, "%s", err);
	execvp(argv[prog], argv + prog);
	e = errno;
	die(e == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC, "%s: %s", argv[prog],
	    strerror(e));
}
