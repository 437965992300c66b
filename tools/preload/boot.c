// SPDX-License-Identifier: GPL-2.0
/*
 * The preload shim's life cycle: boot ulk with ulk-run's settings, and at
 * exit let TCP deliver what the program sent before halting it.
 *
 * When: at a process's first socket (or name lookup through ulk), never
 * before: a process that never uses the network (a shell, timeout, xargs,
 * setpriv) holds no device and runs none of ulk's threads, so its
 * children can use the network and its credential changes stay its own.
 * The program ulk-run executes (ULK_RUN_MAIN, its pid) also boots at its
 * first epoll instance, so that its epoll sets are served inside ulk
 * (servers often make the instance before their sockets). ulk-run has
 * already booted the same settings once in a child of its own, so that
 * any setting the kernel refuses stopped the program before it started:
 * that child is the one process that boots in a constructor, before main()
 * (ULK_RUN_PID, its pid). Each process has its own kernel; nothing is
 * shared between them.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <assert.h>
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <ulk/ulk.h>
#include <ulk/net.h>
#include <ulk/netdev.h>
#include <ulk/linux/if_addr.h>
#include <ulk/linux/resource.h>
#include <ulk/linux/fcntl.h>

#include "capture.h"
#include "ctl/ctl.h"
#include "options.h"
#include "shim.h"

/* How long exit waits for TCP peers that stopped taking data. */
#define FLUSH_WAIT_MS	5000

int shim_forked;
int shim_verbose;

static struct ulk_run_config cfg;
/* This process is ulk-run's check boot (ULK_RUN_PID), not the program. */
static int check_only;
static pthread_once_t boot_once = PTHREAD_ONCE_INIT;
static int boot_err;		/* 0 up, or why not */
static int booted;
/* Attached to another process's instance (ULK_ATTACH): nothing to flush. */
static int attached;
/* The process that booted (a vfork() child shares its memory, not its pid). */
static long boot_pid;

static void flush_before_death(int sig);

/**
 * shim_next() - the next definition of a symbol after this shim's (libc's).
 * @name: the symbol.
 *
 * Return: its address; aborts if there is none, which would mean a wrapper
 * of a function libc does not have.
 */
void *shim_next(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p) {
		fprintf(stderr, "ulk-run: no libc symbol %s\n", name);
		abort();
	}
	return p;
}

/**
 * shim_say() - one line on the program's standard error, written straight
 * to the host (never through the shim's own write()).
 * @fmt: printf() format; the newline is added.
 */
void shim_say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* Straight to the host: never through the shim's own write(). */
	syscall(SYS_write, 2, buf, n);
}

static int add_device(const struct ulk_run_dev *d)
{
	struct ulk_netdev_opts o = {
		.mac = d->has_mac ? d->mac : NULL,
		.mtu = d->mtu,
		.offloads = d->offloads,
	};
	int dev;

	static const char *const kinds[] = {
		[ULK_RUN_DEV_TAP] = "tap",
		[ULK_RUN_DEV_PIPE] = "pipe",
		[ULK_RUN_DEV_STREAM] = "stream",
	};
	int sv[2];

	static_assert(sizeof(kinds) / sizeof(kinds[0]) ==
		      ULK_RUN_DEV_KIND_COUNT, "a name for each kind");
	if (d->kind == ULK_RUN_DEV_TAP) {
		dev = ulk_netdev_add_tap(d->name, &o);
	} else if (d->kind == ULK_RUN_DEV_STREAM && check_only) {
		/*
		 * ulk-run's check boot must not be the stream's peer: a
		 * listener takes its first connection for the link's one
		 * peer, and a listening check would wait for one. A
		 * socketpair stands in (its other end stays open until the
		 * check exits, so the link stays up); ulk-run checked the
		 * path itself.
		 */
		dev = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) ?
		      -errno : ulk_netdev_add_stream_fd(sv[0], &o);
	} else if (d->kind == ULK_RUN_DEV_STREAM) {
		dev = ulk_netdev_add_stream_path(d->name, d->stream_listen,
						 &o);
	} else {
		dev = ulk_netdev_add_pipe_path(d->name, d->pipe_role, &o);
	}
	if (dev < 0)
		shim_say("ulk-run: --net %s%s:%s: %s", kinds[d->kind],
		    d->kind == ULK_RUN_DEV_STREAM && d->stream_listen ?
		    "-listen" : "", d->name, *ulk_netdev_last_error() ?
		    ulk_netdev_last_error() : ulk_strerror(dev));
	return dev;
}

static int add_address(int ifindex, const char *cidr, int family)
{
	unsigned char addr[16];
	char host[64];
	char *slash;
	int err;

	snprintf(host, sizeof(host), "%s", cidr);
	slash = strchr(host, '/');
	err = -EINVAL;
	if (slash) {
		*slash = 0;
		if (inet_pton(family, host, addr) == 1)
			err = ulk_if_add_addr_flags(ifindex, family, addr,
						    atoi(slash + 1),
						    ULK_IFA_F_NODAD);
	}
	if (err)
		shim_say("ulk-run: --ip%s %s: %s", family == AF_INET6 ? "6" : "",
		    cidr, *ulk_if_errmsg() ? ulk_if_errmsg() : ulk_strerror(err));
	return err;
}

static int configure(const struct ulk_run_config *cfg)
{
	struct ulk_rlimit files = { 1 << 20, 1 << 20 };
	int i, j, idx, err;

	err = ulk_if_set_up(ulk_if_index("lo"), 1);
	if (err) {
		shim_say("ulk-run: cannot bring lo up: %s", ulk_strerror(err));
		return err;
	}
	for (i = 0; i < cfg->n_devs; i++) {
		const struct ulk_run_dev *d = &cfg->devs[i];

		idx = ulk_netdev_ifindex(i);
		err = idx < 0 ? idx : ulk_if_set_up(idx, 1);
		if (err) {
			shim_say("ulk-run: --net %s: the kernel did not take the device: %s",
			    d->name, ulk_strerror(err));
			return err;
		}
		for (j = 0; !err && j < d->n_ip; j++)
			err = add_address(idx, d->ip[j], AF_INET);
		for (j = 0; !err && j < d->n_ip6; j++)
			err = add_address(idx, d->ip6[j], AF_INET6);
		if (err)
			return err;
	}
	if (*cfg->gw && (err = ulk_route_add_str("default", cfg->gw, 0))) {
		shim_say("ulk-run: --gw %s: %s", cfg->gw, ulk_strerror(err));
		return err;
	}
	if (*cfg->gw6 && (err = ulk_route_add_str("default", cfg->gw6, 0))) {
		shim_say("ulk-run: --gw6 %s: %s", cfg->gw6, ulk_strerror(err));
		return err;
	}
	for (i = 0; i < cfg->n_sysctls; i++) {
		err = ulk_sysctl_set(cfg->sysctls[i].name,
				     cfg->sysctls[i].value);
		if (err) {
			shim_say("ulk-run: --sysctl %s=%s: %s", cfg->sysctls[i].name,
			    cfg->sysctls[i].value, err == -ENOENT ?
			    "ulk's kernel has no such setting" :
			    ulk_strerror(err));
			return err;
		}
	}
	/* The program's limit is the host's; ulk's own must not be lower. */
	ulk_sys_prlimit64(0, ULK_RLIMIT_NOFILE, (void *)&files, NULL);
	return 0;
}

/* The open descriptors. */
struct fd_list {
	int *fd;
	size_t n;
};

static int fd_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* List the open descriptors, sorted (none listed if that fails). */
static void fd_snapshot(struct fd_list *l)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	size_t cap = 0;
	long fd;
	int *p;

	l->fd = NULL;
	l->n = 0;
	if (!d)
		return;
	while ((de = readdir(d))) {
		fd = strtol(de->d_name, NULL, 10);
		if (de->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if (l->n == cap) {
			cap = cap ? 2 * cap : 64;
			p = realloc(l->fd, cap * sizeof(*p));
			if (!p)
				break;
			l->fd = p;
		}
		l->fd[l->n++] = (int)fd;
	}
	closedir(d);
	qsort(l->fd, l->n, sizeof(*l->fd), fd_cmp);
}

/*
 * Mark what boot opened as ulk's own (see shim_fd_mark_internal()),
 * wherever it lies (lib/hostfd.c places it above the soft limit if it can).
 */
static void protect_boot_fds(struct fd_list *before)
{
	struct fd_list after;
	size_t i;

	fd_snapshot(&after);
	for (i = 0; i < after.n; i++)
		if (!bsearch(&after.fd[i], before->fd, before->n,
			     sizeof(*before->fd), fd_cmp))
			shim_fd_mark_internal(after.fd[i]);
	free(after.fd);
	free(before->fd);
	before->fd = NULL;
	before->n = 0;
}

/*
 * Attach to the instance at @where (ulkctl NAME -- CMD): this process's
 * sockets are then that instance's; no device, no configuration, and
 * nothing to flush at exit (the instance lives on).
 */
static void attach(const char *where)
{
	static struct fd_list before;

	fd_snapshot(&before);
	boot_err = ulk_attach(where);
	if (boot_err) {
		shim_say("ulk: cannot reach the instance at %s: %s", where,
			 ulk_strerror(boot_err));
		return;
	}
	attached = 1;
	booted = 1;
	boot_pid = (long)getpid();
	boot_err = shim_fdtable_init();
	if (boot_err) {
		shim_say("ulk: cannot start the descriptor watcher: %s",
			 ulk_strerror(boot_err));
		return;
	}
	protect_boot_fds(&before);
	pthread_atfork(shim_fdtable_fork_prepare, shim_fdtable_fork_parent,
		       shim_fdtable_fork_child);
}

/* Boot and configure; boot_err says how it went, and was said. */
static void boot_steps(void)
{
	static struct fd_list before;
	struct ulk_start_opts so = { 0 };
	const char *env = getenv(ULK_RUN_OPTS_ENV);
	const char *where = getenv(ULK_ATTACH_ENV);
	char err[512];
	int i;

	if (where && *where && !check_only) {
		attach(where);
		return;
	}
	boot_err = ulk_run_parse_env(&cfg, env ? env : "", err, sizeof(err));
	if (boot_err) {
		shim_say("ulk-run: %s", err);
		return;
	}
	shim_verbose = cfg.verbose;
	fd_snapshot(&before);
	for (i = 0; i < cfg.n_devs; i++) {
		boot_err = add_device(&cfg.devs[i]);
		if (boot_err < 0)
			return;
	}
	so.mem_size = cfg.mem;
	so.cpus = *cfg.pin ? cfg.pin : NULL;
	so.verbose = cfg.verbose;
	so.name = *cfg.name ? cfg.name : NULL;
	/* The check boot must not take the program's name. */
	so.ctl = check_only ? "none" : *cfg.ctl ? cfg.ctl : NULL;
	boot_err = ulk_start(&so);
	if (boot_err) {
		if (boot_err == -EADDRINUSE)
			shim_say("ulk-run: --name %s: a running instance already has it (ulkctl list)",
				 *cfg.name ? cfg.name : *cfg.ctl ? cfg.ctl : "(default)");
		else
			shim_say("ulk-run: cannot boot ulk: %s",
				 ulk_strerror(boot_err));
		return;
	}
	booted = 1;
	boot_pid = (long)getpid();
	/* From boot, so that the configuration's first frames are in it. */
	if (*cfg.pcap && !check_only) {
		boot_err = ulk_capture_start_file(cfg.pcap);
		if (boot_err) {
			shim_say("ulk-run: --pcap %s: %s", cfg.pcap,
				 ulk_strerror(boot_err));
			return;
		}
	}
	/* configure() names what failed itself. */
	boot_err = configure(&cfg);
	if (boot_err)
		return;
	boot_err = shim_fdtable_init();
	if (boot_err) {
		shim_say("ulk-run: cannot start the descriptor watcher: %s",
		    ulk_strerror(boot_err));
		return;
	}
	protect_boot_fds(&before);
	pthread_atfork(shim_fdtable_fork_prepare, shim_fdtable_fork_parent,
		       shim_fdtable_fork_child);
	/* SIGTERM and its kind, at their default: flush, then die of them. */
	ulk_signal_on_death(flush_before_death);
	if (shim_verbose)
		shim_say("ulk-run: ulk is up in pid %d", (int)getpid());
}

static void boot(void)
{
	int stdio_fill[3] = { -1, -1, -1 }, fd;

	/* ulk's descriptors must not land on a closed 0, 1 or 2. */
	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			stdio_fill[fd] = open("/dev/null", O_RDWR);
	boot_steps();
	for (fd = 0; fd < 3; fd++)
		if (stdio_fill[fd] >= 0)
			syscall(SYS_close, stdio_fill[fd]);
}

/**
 * shim_n_dns() - how many name servers --dns gave.
 *
 * Return: 0..ULK_RUN_MAX_DNS.
 */
int shim_n_dns(void)
{
	return cfg.n_dns;
}

/**
 * shim_dns() - a --dns name server.
 * @i: 0..shim_n_dns() - 1.
 *
 * Return: its address as text.
 */
const char *shim_dns(int i)
{
	return cfg.dns[i];
}

/**
 * shim_boot_on_epoll() - boot ulk at a new epoll instance, if this is the
 * program ulk-run executed (see the top of this file).
 */
void shim_boot_on_epoll(void)
{
	const char *pid = getenv(ULK_RUN_MAIN_ENV);

	if (!shim_forked && pid && atol(pid) == (long)getpid())
		pthread_once(&boot_once, boot);
}

/**
 * shim_unavailable() - make sure ulk is up before a new ulk socket.
 *
 * Return: 0 if ulk can serve; 1 with errno set if not: EOPNOTSUPP in a
 * forked child (it has no ulk), ENETDOWN if ulk could not boot (the reason
 * was printed on stderr).
 */
int shim_unavailable(void)
{
	if (shim_forked) {
		errno = EOPNOTSUPP;
		return 1;
	}
	pthread_once(&boot_once, boot);
	if (boot_err) {
		errno = ENETDOWN;
		return 1;
	}
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * How much TCP still has to deliver: the bytes in send queues, plus one
 * per socket whose FIN is unacknowledged (FIN_WAIT1, CLOSING, LAST_ACK).
 * 0 when all is delivered.
 */
static unsigned long tcp_unacked(const char *path)
{
	static char buf[1 << 16];
	long fd, n, len = 0;
	char *line, *save;
	unsigned long busy = 0;

	fd = ulk_sys_openat(ULK_AT_FDCWD, path, ULK_O_RDONLY, 0);
	if (fd < 0)
		return 0;
	while (len < (long)sizeof(buf) - 1 &&
	       (n = ulk_sys_read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	ulk_sys_close(fd);
	buf[len] = 0;
	line = strtok_r(buf, "\n", &save);	/* the header */
	while ((line = strtok_r(NULL, "\n", &save))) {
		unsigned int st;
		unsigned long txq;

		if (sscanf(line, "%*s %*s %*s %x %lx", &st, &txq) != 2)
			continue;
		busy += txq;
		if (st == 0x04 || st == 0x0b || st == 0x09)
			busy++;
	}
	return busy;
}

__attribute__((constructor)) static void shim_init(void)
{
	const char *pid = getenv(ULK_RUN_PID_ENV);

	if (pid && atol(pid) == (long)getpid()) {
		check_only = 1;
		pthread_once(&boot_once, boot);
		if (boot_err)
			_exit(2);
		/* Once per ulk-run: the settings' check is this process. */
		shim_dns_report(shim_verbose);
	}
}

/*
 * Close the program's sockets, let TCP deliver what they hold, halt: at
 * exit(), at _exit(), and before a death by signal.
 */
static void flush_and_halt(void)
{
	static int done;
	unsigned long left, before = 0;
	long deadline = 0;

	if (!booted || boot_err || shim_forked ||
	    syscall(SYS_getpid) != boot_pid ||
	    __atomic_exchange_n(&done, 1, __ATOMIC_SEQ_CST))
		return;
	if (!attached)
		ulk_ctl_server_stop();	/* going: no new clients, even if killed */
	shim_close_all();
	if (attached) {
		ulk_detach();
		return;
	}
	/*
	 * And whatever ulk descriptors are left: those of calls that never
	 * returned, because a signal handler that interrupted them called
	 * exit() (their references keep the slots, and so the sockets, open).
	 */
	ulk_sys_close_range(0, ~0U, 0);
	/* As long as the peers keep taking data, and FLUSH_WAIT_MS more. */
	while ((left = tcp_unacked("/proc/net/tcp") +
		       tcp_unacked("/proc/net/tcp6"))) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		if (left != before)
			deadline = now_ms() + FLUSH_WAIT_MS;
		else if (now_ms() > deadline)
			break;
		before = left;
		nanosleep(&ts, NULL);
	}
	ulk_halt();
}

__attribute__((destructor)) static void shim_exit(void)
{
	flush_and_halt();
}

static void flush_before_death(int sig)
{
	(void)sig;
	flush_and_halt();
}

/*
 * _exit() and _Exit() skip exit()'s destructors, not the data the
 * program sent: flush it first (in the process that booted only; a
 * forked or vforked child's _exit() leaves its parent's ulk alone).
 */
void _exit(int status)
{
	flush_and_halt();
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

void _Exit(int status)
{
	_exit(status);
}
