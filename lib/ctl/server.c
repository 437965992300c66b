// SPDX-License-Identifier: GPL-2.0
/*
 * An instance's control socket: the server that lets ulkctl, and programs
 * it runs, make system calls in this process's ulk (proto.h).
 *
 * Theory of operation.
 *
 * Threads. One listener thread accepts; each accepted connection gets a
 * thread of its own, which reads a call, makes it in ulk (where it may
 * block as long as the client's call would: a netlink recvmsg of `ip
 * monitor` blocks for good) and writes the result. A monitor thread
 * watches the sockets of connections whose call is in progress: a byte
 * arriving there is an INTR (or the client's end closing), and the
 * monitor then interrupts that connection's ulk call as a signal would
 * (ulk_arch_interrupt()), again every INTR_REPEAT_MS until the call ends,
 * since an interruption that lands before the call blocks is lost. So a
 * client that dies in the middle of a blocking call frees its thread.
 *
 * Its host calls are direct system calls, never the libc functions the
 * preload shim interposes (a program under ulk-run is an instance too).
 *
 * None of these threads holds the CPU token while talking to a client:
 * they take it only inside the ulk call, like any application thread. A
 * slow or stuck client stalls its own connection and nothing else; the
 * number of connections is bounded (MAX_CONNS), and a client that does
 * not say HELLO within HELLO_TIMEOUT_MS is dropped. All of them block
 * every signal: the program's handlers must not run on them.
 *
 * Who may connect. The socket is created with mode 0600 in a directory
 * only its owner can enter, and every connection's SO_PEERCRED uid must
 * be the uid that created it (or root): the kernel's own check, done
 * twice.
 *
 * Sessions. The connections of one client process share a session, and
 * the ulk descriptors a session creates are recorded in it (a bitmap):
 * marshal.c refuses every call on any other descriptor, so a client can
 * neither read nor close the sockets of the program that owns the
 * instance. When the session's last connection goes, its descriptors are
 * closed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <ulk/host_ops.h>
#include <ulk/syscalls.h>

#include "ctl/ctl.h"
#include "ctl/marshal.h"
#include "ctl/proto.h"
#include "hostfd.h"

#define MAX_CONNS		64
#define HELLO_TIMEOUT_MS	2000
#define INTR_REPEAT_MS		20
#define CONN_STACK		(1UL << 20)

struct session {
	uint64_t id;
	int conns;
	pthread_mutex_t lock;
	unsigned char *fds;	/* bit per ulk descriptor */
	size_t nbits;
	struct session *next;
};

/*
 * struct conn - one client connection.
 * @fd: its socket.
 * @thread: the thread serving it.
 * @in_call: a call is in progress (the monitor watches @fd).
 * @intr: the monitor saw a byte or the end on @fd during this call.
 */
struct conn {
	int fd;
	pthread_t thread;
	int in_call;
	int intr;
	struct session *s;
	struct conn *next;
};

static struct {
	pthread_mutex_t lock;
	int listen_fd;
	int wake_fd;		/* eventfd: the monitor's set changed */
	uid_t owner;
	int nconns;
	struct conn *conns;
	struct session *sessions;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ulk_ctl_welcome info;
	bool running;
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER, .listen_fd = -1, .wake_fd = -1 };

/* --- sessions ------------------------------------------------------------ */

static bool owns(void *ctx, int fd)
{
	struct session *s = ctx;
	bool ret;

	pthread_mutex_lock(&s->lock);
	ret = fd >= 0 && (size_t)fd < s->nbits &&
	      (s->fds[fd / 8] & (1 << (fd % 8)));
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static void adopt(void *ctx, int fd)
{
	struct session *s = ctx;

	if (fd < 0)
		return;
	pthread_mutex_lock(&s->lock);
	if ((size_t)fd >= s->nbits) {
		size_t nbits = ((size_t)fd + 64) & ~(size_t)63;
		unsigned char *p = realloc(s->fds, nbits / 8);

		if (!p) {
			pthread_mutex_unlock(&s->lock);
			/* Not recorded: not usable either; better closed. */
			ulk_sys_close(fd);
			return;
		}
		memset(p + s->nbits / 8, 0, (nbits - s->nbits) / 8);
		s->fds = p;
		s->nbits = nbits;
	}
	s->fds[fd / 8] |= 1 << (fd % 8);
	pthread_mutex_unlock(&s->lock);
}

static void release(void *ctx, int fd)
{
	struct session *s = ctx;

	pthread_mutex_lock(&s->lock);
	if (fd >= 0 && (size_t)fd < s->nbits)
		s->fds[fd / 8] &= ~(1 << (fd % 8));
	pthread_mutex_unlock(&s->lock);
}

static long call(void *ctx, long nr, long *args)
{
	(void)ctx;
	return ulk_arch_syscall(nr, args);
}

/* Join session @id (0: a new one); NULL if there is no such session. */
static struct session *session_join(uint64_t id)
{
	struct session *s;

	pthread_mutex_lock(&srv.lock);
	for (s = id ? srv.sessions : NULL; s; s = s->next)
		if (s->id == id)
			break;
	if (!s && !id && (s = calloc(1, sizeof(*s)))) {
		pthread_mutex_init(&s->lock, NULL);
		while (!s->id && getrandom(&s->id, sizeof(s->id), 0) !=
		       sizeof(s->id))
			;
		s->next = srv.sessions;
		srv.sessions = s;
	}
	if (s)
		s->conns++;
	pthread_mutex_unlock(&srv.lock);
	return s;
}

/* Leave @s; the last connection closes its descriptors. */
static void session_leave(struct session *s)
{
	struct session **pp;
	size_t fd;

	pthread_mutex_lock(&srv.lock);
	if (--s->conns) {
		pthread_mutex_unlock(&srv.lock);
		return;
	}
	for (pp = &srv.sessions; *pp != s; pp = &(*pp)->next)
		;
	*pp = s->next;
	pthread_mutex_unlock(&srv.lock);
	for (fd = 0; fd < s->nbits; fd++)
		if (s->fds[fd / 8] & (1 << (fd % 8)))
			ulk_sys_close(fd);
	pthread_mutex_destroy(&s->lock);
	free(s->fds);
	free(s);
}

/* --- I/O with a client --------------------------------------------------- */

/* All of @n bytes, or -1 (end, error, or @ms passed without a byte). */
static int read_full(int fd, void *buf, size_t n, int ms)
{
	unsigned char *p = buf;

	while (n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long k;

		if (ms >= 0 && ulk_host_poll(&pfd, 1, ms) <= 0)
			return -1;
		k = ulk_host_read(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= k;
	}
	return 0;
}

static int write_msg(int fd, uint16_t type, const void *body, size_t len)
{
	struct ulk_ctl_hdr h = { .len = (uint32_t)len, .type = type };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)body, len } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

	while (iov[0].iov_len + iov[1].iov_len) {
		long k = ulk_host_sendmsg(fd, &msg, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		for (int i = 0; i < 2; i++) {
			size_t d = (size_t)k < iov[i].iov_len ? (size_t)k :
				   iov[i].iov_len;

			iov[i].iov_base = (char *)iov[i].iov_base + d;
			iov[i].iov_len -= d;
			k -= d;
		}
	}
	return 0;
}

static void wake_monitor(void)
{
	uint64_t one = 1;

	(void)!ulk_host_write(srv.wake_fd, &one, sizeof(one));
}

static int serve_hello(struct conn *c)
{
	struct ulk_ctl_hdr h;
	struct ulk_ctl_hello hello;
	struct ulk_ctl_welcome w;

	if (read_full(c->fd, &h, sizeof(h), HELLO_TIMEOUT_MS) ||
	    h.type != ULK_CTL_HELLO || h.len != sizeof(hello) ||
	    read_full(c->fd, &hello, sizeof(hello), HELLO_TIMEOUT_MS) ||
	    hello.version != ULK_CTL_VERSION)
		return -1;
	c->s = session_join(hello.session);
	if (!c->s)
		return -1;
	w = srv.info;
	w.session = c->s->id;
	return write_msg(c->fd, ULK_CTL_WELCOME, &w, sizeof(w));
}

static void serve(struct conn *c)
{
	const struct ulk_ctl_exec x = {
		.call = call, .owns = owns, .adopt = adopt,
		.release = release, .ctx = c->s,
	};
	struct ulk_ctl_hdr h;
	unsigned char *body = NULL;

	while (!read_full(c->fd, &h, sizeof(h), -1)) {
		struct ulk_ctl_buf reply = { 0 };
		void *p;

		if (h.type == ULK_CTL_INTR && !h.len)
			continue;	/* for a call that ended first */
		if (h.type != ULK_CTL_CALL || h.len > ULK_CTL_MAX_BODY)
			break;
		p = realloc(body, h.len ? h.len : 1);
		if (!p)
			break;
		body = p;
		if (read_full(c->fd, body, h.len, -1))
			break;
		__atomic_store_n(&c->intr, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&c->in_call, 1, __ATOMIC_SEQ_CST);
		wake_monitor();
		ulk_ctl_serve_call(body, h.len, &x, &reply);
		__atomic_store_n(&c->in_call, 0, __ATOMIC_SEQ_CST);
		if (reply.failed ||
		    write_msg(c->fd, ULK_CTL_RESULT, reply.p, reply.len)) {
			ulk_ctl_buf_free(&reply);
			break;
		}
		ulk_ctl_buf_free(&reply);
	}
	free(body);
}

static void conn_free(struct conn *c)
{
	struct conn **pp;

	pthread_mutex_lock(&srv.lock);
	for (pp = &srv.conns; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	srv.nconns--;
	pthread_mutex_unlock(&srv.lock);
	wake_monitor();
	if (c->s)
		session_leave(c->s);
	syscall(SYS_close, c->fd);
	free(c);
}

static void *conn_thread(void *arg)
{
	struct conn *c = arg;

	if (!serve_hello(c))
		serve(c);
	conn_free(c);
	return NULL;
}

/* --- the monitor and the listener ---------------------------------------- */

static void *monitor_thread(void *arg)
{
	struct pollfd pfd[MAX_CONNS + 1];
	struct conn *who[MAX_CONNS + 1];

	(void)arg;
	for (;;) {
		int n = 1, timeout = -1, i;
		struct conn *c;

		pfd[0].fd = srv.wake_fd;
		pfd[0].events = POLLIN;
		pthread_mutex_lock(&srv.lock);
		for (c = srv.conns; c && n <= MAX_CONNS; c = c->next) {
			if (!__atomic_load_n(&c->in_call, __ATOMIC_SEQ_CST))
				continue;
			if (__atomic_load_n(&c->intr, __ATOMIC_SEQ_CST)) {
				/* Until the call ends: it may not block yet. */
				ulk_arch_interrupt((unsigned long)c->thread);
				timeout = INTR_REPEAT_MS;
				continue;
			}
			pfd[n].fd = c->fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			who[n++] = c;
		}
		pthread_mutex_unlock(&srv.lock);
		if (ulk_host_poll(pfd, n, timeout) < 0 && errno != EINTR)
			return NULL;
		if (pfd[0].revents) {
			uint64_t v;

			(void)!ulk_host_read(srv.wake_fd, &v, sizeof(v));
		}
		pthread_mutex_lock(&srv.lock);
		for (i = 1; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			/* @who[i] is still listed: only its thread frees it. */
			for (c = srv.conns; c && c != who[i]; c = c->next)
				;
			if (c && __atomic_load_n(&c->in_call, __ATOMIC_SEQ_CST)) {
				__atomic_store_n(&c->intr, 1, __ATOMIC_SEQ_CST);
				ulk_arch_interrupt((unsigned long)c->thread);
			}
		}
		pthread_mutex_unlock(&srv.lock);
	}
	return NULL;
}

static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	return cred.uid == srv.owner || cred.uid == 0;
}

static void *listen_thread(void *arg)
{
	pthread_attr_t attr;

	(void)arg;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, CONN_STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		struct pollfd pfd = { .fd = srv.listen_fd, .events = POLLIN };
		struct conn *c;
		int fd;

		/*
		 * Wait in poll, never in accept: a blocked accept holds the
		 * lowest free descriptor number from the start, and the
		 * program's next open() or socket() would get another one.
		 */
		if (ulk_host_poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		fd = syscall(SYS_accept4, srv.listen_fd, NULL, NULL,
			     SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN)
				continue;
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				if (errno != EINTR && errno != ECONNABORTED)
					usleep(100 * 1000);
				continue;
			}
			break;
		}
		fd = ulk_hostfd_move_high(fd);
		pthread_mutex_lock(&srv.lock);
		if (fd < 0 || srv.nconns >= MAX_CONNS || !peer_allowed(fd) ||
		    !(c = calloc(1, sizeof(*c)))) {
			pthread_mutex_unlock(&srv.lock);
			if (fd >= 0)
				syscall(SYS_close, fd);
			continue;
		}
		c->fd = fd;
		c->next = srv.conns;
		srv.conns = c;
		srv.nconns++;
		if (pthread_create(&c->thread, &attr, conn_thread, c)) {
			srv.conns = c->next;
			srv.nconns--;
			pthread_mutex_unlock(&srv.lock);
			syscall(SYS_close, fd);
			free(c);
			continue;
		}
		pthread_mutex_unlock(&srv.lock);
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

/* --- set-up -------------------------------------------------------------- */

static void remove_socket(void)
{
	if (srv.running && *srv.path)
		unlink(srv.path);
	srv.running = false;
}

/* Bind @fd at @path unless a live instance answers there. */
static int bind_free(int fd, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int live;

	strcpy(sa.sun_path, path);
	if (!syscall(SYS_bind, fd, &sa, sizeof(sa)))
		return 0;
	if (errno != EADDRINUSE)
		return -errno;
	/* Someone's file: stale if nobody listens on it any more. */
	live = ulk_ctl_live(path);
	if (live)
		return live > 0 ? -EADDRINUSE : live;
	unlink(path);
	return syscall(SYS_bind, fd, &sa, sizeof(sa)) ? -errno : 0;
}

static void program_name(char *buf, size_t n)
{
	extern char *program_invocation_short_name;

	snprintf(buf, n, "%s", program_invocation_short_name ?
		 program_invocation_short_name : "ulk");
}

/**
 * ulk_ctl_server_prepare() - create this instance's control socket.
 * @name: the instance's name, or NULL for the program's name and pid.
 * @where: NULL for the default directory (ulk_ctl_dir()), "none" for no
 *	control socket, or the socket's path.
 *
 * Called before boot, so that a name in use fails ulk_start() before a
 * kernel is started for nothing; ulk_ctl_server_start() serves it.
 * Return: 0 (also for "none"), -EADDRINUSE if a live instance has that
 * name, -EINVAL for a bad name or path, or another negative errno.
 */
int ulk_ctl_server_prepare(const char *name, const char *where)
{
	char dflt[ULK_CTL_NAME_MAX];
	int fd, err;

	if (where && !strcmp(where, "none"))
		return 0;
	program_name(srv.info.program, sizeof(srv.info.program));
	if (!name || !*name) {
		snprintf(dflt, sizeof(dflt), "%.40s-%d", srv.info.program,
			 (int)getpid());
		name = dflt;
	}
	if (!ulk_ctl_name_ok(name))
		return -EINVAL;
	if (where) {
		if (strlen(where) >= sizeof(srv.path))
			return -ENAMETOOLONG;
		strcpy(srv.path, where);
	} else {
		err = ulk_ctl_path(name, srv.path, sizeof(srv.path), true);
		if (err)
			return err;
	}
	snprintf(srv.info.name, sizeof(srv.info.name), "%s", name);
	fd = syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
		     SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Created 0600 (no window in which another user may connect). */
	{
		mode_t old = umask(0177);

		err = bind_free(fd, srv.path);
		umask(old);
	}
	if (!err && syscall(SYS_listen, fd, 16))
		err = -errno;
	if (err) {
		syscall(SYS_close, fd);
		*srv.path = 0;
		return err;
	}
	srv.listen_fd = ulk_hostfd_move_high(fd);
	srv.owner = getuid();
	srv.running = true;
	atexit(remove_socket);
	return 0;
}

/**
 * ulk_ctl_server_start() - serve the socket ulk_ctl_server_prepare()
 * made, once the kernel is up.
 *
 * Return: 0 (also when there is no socket), or a negative errno; the
 * socket is removed then.
 */
int ulk_ctl_server_start(void)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t t;
	struct timespec now;
	int err;

	if (srv.listen_fd < 0)
		return 0;
	clock_gettime(CLOCK_REALTIME, &now);
	srv.info.version = ULK_CTL_VERSION;
	srv.info.pid = getpid();
	srv.info.started_ns = now.tv_sec * 1000000000LL + now.tv_nsec;
	srv.wake_fd = syscall(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv.wake_fd < 0) {
		err = -errno;
		goto fail;
	}
	srv.wake_fd = ulk_hostfd_move_high(srv.wake_fd);
	/*
	 * The threads inherit this mask: no handler of the program runs
	 * there. Faults stay deliverable: a bad pointer from a client
	 * becomes an EFAULT through uaccess.c's SIGSEGV handler.
	 */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGTRAP);
	sigdelset(&all, SIGSYS);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, CONN_STACK);
	err = -pthread_create(&t, &attr, monitor_thread, NULL);
	if (!err)
		err = -pthread_create(&t, &attr, listen_thread, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!err)
		return 0;
fail:
	remove_socket();
	return err;
}

/**
 * ulk_ctl_server_stop() - remove the control socket (at halt). Clients
 * connected meanwhile find their calls failing with -ESHUTDOWN.
 */
void ulk_ctl_server_stop(void)
{
	remove_socket();
}

/**
 * ulk_ctl_server_path() - where this instance's control socket is.
 *
 * Return: its path, or NULL if it has none.
 */
const char *ulk_ctl_server_path(void)
{
	return srv.running ? srv.path : NULL;
}
