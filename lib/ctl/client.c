// SPDX-License-Identifier: GPL-2.0
/*
 * ulk_attach(): make this process's ulk calls in another process's
 * instance, over its control socket (proto.h, server.c).
 *
 * Theory of operation.
 *
 * Once attached, ulk_syscall() hands every call to ulk_remote_syscall()
 * instead of the kernel: the call is marshalled (marshal.c), sent on the
 * calling thread's own connection, and the thread waits for its result.
 * Each thread gets a connection at its first call, so calls of different
 * threads block independently, as they would in a local ulk; all of the
 * process's connections share one session, and so its descriptors. A
 * thread's connection is closed when the thread exits.
 *
 * Signals and cancellation. A handler installed with ulk_sigaction() that
 * lands while its thread waits for a result does not run there (signals.c
 * defers it); it asks for the call to be interrupted instead, by sending
 * INTR on the thread's connection, as a local call's wait would be ended.
 * The INTR is sent only once the CALL has left whole (@waiting), so that
 * it cannot land inside the CALL's bytes; a signal that comes earlier sets
 * @intr_pending and the sender sends it. The server interrupts its ulk
 * call; the restart code comes back as the result, and signals.c decides
 * on the restart as for a local call. The waits are direct system calls,
 * not cancellation points.
 *
 * After fork() the child's inherited connections are its parent's
 * conversation: the child closes them, and its calls (under a session of
 * its own) open new ones.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <ulk/ulk.h>

#include "ctl/ctl.h"
#include "ctl/marshal.h"
#include "ctl/proto.h"
#include "hostfd.h"
#include "uaccess.h"

/**
 * struct rconn - a thread's connection to the instance.
 * @fd: its socket, -1 once closed.
 * @thread: the thread.
 * @waiting: the thread's CALL is sent whole and it waits for the result.
 * @intr_pending: a signal asked for an interruption before @waiting.
 * @next: in the list of all connections.
 */
struct rconn {
	int fd;
	pthread_t thread;
	volatile sig_atomic_t waiting;
	volatile sig_atomic_t intr_pending;
	struct rconn *next;
};

int ulk_remote_attached;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static uint64_t session;
static struct ulk_ctl_welcome welcome;
static struct rconn *conns;
static pthread_key_t conn_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static __thread struct rconn *self;

static int read_full(int fd, void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n) {
		long k = ulk_host_read(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= k;
	}
	return 0;
}

static int send_msg(int fd, uint16_t type, const void *body, size_t len)
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

/* Async-signal-safe: one small write, whole or not at all. */
static void send_intr(struct rconn *c)
{
	struct ulk_ctl_hdr h = { .type = ULK_CTL_INTR };

	(void)!ulk_host_write(c->fd, &h, sizeof(h));
}

static void conn_close(struct rconn *c)
{
	if (c->fd >= 0)
		syscall(SYS_close, c->fd);
	c->fd = -1;
}

static void conn_exit(void *arg)
{
	struct rconn *c = arg, **pp;

	pthread_mutex_lock(&lock);
	for (pp = &conns; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	pthread_mutex_unlock(&lock);
	conn_close(c);
	free(c);
}

static void make_key(void)
{
	pthread_key_create(&conn_key, conn_exit);
}

/* Connect and say HELLO; the WELCOME is kept in @w. */
static int dial(const char *where, uint64_t sess, struct ulk_ctl_welcome *w)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ulk_ctl_hello hello = { .version = ULK_CTL_VERSION,
				       .session = sess };
	struct ulk_ctl_hdr h;
	int fd, err;

	if (strlen(where) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, where);
	fd = syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_connect, fd, &sa, sizeof(sa))) {
		err = -errno;
		syscall(SYS_close, fd);
		return err;
	}
	fd = ulk_hostfd_move_high(fd);
	if (fd < 0)
		return -EMFILE;
	if (send_msg(fd, ULK_CTL_HELLO, &hello, sizeof(hello)) ||
	    read_full(fd, &h, sizeof(h)) || h.type != ULK_CTL_WELCOME ||
	    h.len != sizeof(*w) || read_full(fd, w, sizeof(*w)) ||
	    w->version != ULK_CTL_VERSION || !w->session ||
	    (sess && w->session != sess)) {
		syscall(SYS_close, fd);
		return -ECONNREFUSED;
	}
	w->name[sizeof(w->name) - 1] = 0;
	w->program[sizeof(w->program) - 1] = 0;
	return fd;
}

static struct rconn *conn_get(void)
{
	struct ulk_ctl_welcome w;
	struct rconn *c = self;
	uint64_t sess;
	int fd;

	if (c && c->fd >= 0)
		return c;
	pthread_once(&key_once, make_key);
	pthread_mutex_lock(&lock);
	sess = session;
	pthread_mutex_unlock(&lock);
	fd = dial(path, sess, &w);
	if (fd < 0)
		return NULL;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c) {
			syscall(SYS_close, fd);
			return NULL;
		}
		c->thread = pthread_self();
		pthread_setspecific(conn_key, c);
		self = c;
	}
	c->fd = fd;
	pthread_mutex_lock(&lock);
	if (!session) {
		session = w.session;
		welcome = w;
	}
	c->next = conns;
	conns = c;
	pthread_mutex_unlock(&lock);
	return c;
}

/**
 * ulk_remote_syscall() - make a system call in the attached instance.
 * @nr: the call.
 * @args: its six arguments.
 *
 * Return: as ulk_arch_syscall() (restart codes included), -ESHUTDOWN if
 * the instance is gone, -EIO if it answered nonsense.
 */
long ulk_remote_syscall(long nr, const long *args)
{
	struct ulk_ctl_buf b = { 0 };
	struct ulk_ctl_pending p;
	struct ulk_ctl_hdr h;
	struct rconn *c = conn_get();
	unsigned char *body;
	long ret;

	if (!c)
		return -ESHUTDOWN;
	ret = ulk_ctl_encode_call(&b, nr, args, &p);
	if (ret) {
		ulk_ctl_buf_free(&b);
		return ret;
	}
	if (send_msg(c->fd, ULK_CTL_CALL, b.p, b.len)) {
		ulk_ctl_buf_free(&b);
		conn_close(c);
		return -ESHUTDOWN;
	}
	ulk_ctl_buf_free(&b);
	c->waiting = 1;
	if (c->intr_pending)
		send_intr(c);
	if (read_full(c->fd, &h, sizeof(h)) || h.type != ULK_CTL_RESULT ||
	    h.len > ULK_CTL_MAX_BODY || !(body = malloc(h.len ? h.len : 1))) {
		c->waiting = 0;
		conn_close(c);
		return -ESHUTDOWN;
	}
	if (read_full(c->fd, body, h.len)) {
		c->waiting = 0;
		free(body);
		conn_close(c);
		return -ESHUTDOWN;
	}
	c->waiting = 0;
	c->intr_pending = 0;
	ret = ulk_ctl_decode_result(body, h.len, &p);
	free(body);
	if (ret == -EIO)
		conn_close(c);	/* out of step, or lying: start afresh */
	return ret;
}

/**
 * ulk_remote_interrupt_self() - interrupt the calling thread's remote call
 * (from a signal handler; async-signal-safe).
 */
void ulk_remote_interrupt_self(void)
{
	struct rconn *c = self;

	if (!c || c->fd < 0)
		return;
	if (c->waiting)
		send_intr(c);
	else
		c->intr_pending = 1;
}

/**
 * ulk_remote_interrupt() - interrupt another thread's remote call.
 * @thread: the thread (a pthread_t).
 *
 * Return: 0.
 */
int ulk_remote_interrupt(unsigned long thread)
{
	struct rconn *c;

	pthread_mutex_lock(&lock);
	for (c = conns; c; c = c->next)
		if (pthread_equal(c->thread, (pthread_t)thread) && c->fd >= 0) {
			if (c->waiting)
				send_intr(c);
			else
				c->intr_pending = 1;
		}
	pthread_mutex_unlock(&lock);
	return 0;
}

static void forked_child(void)
{
	struct rconn *c;

	for (c = conns; c; c = c->next)
		conn_close(c);
	conns = NULL;
	session = 0;
	pthread_mutex_init(&lock, NULL);
}

/**
 * ulk_attach() - make this process's ulk calls in a running instance.
 * @instance: an instance's name (see `ulkctl list`), or its control
 *	socket's path (anything with a '/').
 *
 * From then on ulk_syscall() and every ulk_sys_*() call of every thread
 * of this process are made in that instance, on descriptors of this
 * process's own (it cannot use the instance's). Calls whose arguments
 * cannot travel fail with -ENOSYS (ioctls: -ENOTTY).
 * Return: 0; -EALREADY if ulk runs in this process or it is attached;
 * -EINVAL for a bad name; -ENOENT or -ECONNREFUSED if no instance
 * answers there; another negative errno.
 */
int ulk_attach(const char *instance)
{
	static int atfork_done;
	struct rconn *c;
	int err;

	if (!instance)
		return -EINVAL;
	if (ulk_remote_attached || ulk_ctl_server_path())
		return -EALREADY;
	if (strchr(instance, '/')) {
		if (strlen(instance) >= sizeof(path))
			return -ENAMETOOLONG;
		strcpy(path, instance);
	} else {
		err = ulk_ctl_path(instance, path, sizeof(path), false);
		if (err)
			return err;
	}
	if (ulk_uaccess_init())
		return -errno;
	if (!atfork_done) {
		pthread_atfork(NULL, NULL, forked_child);
		atfork_done = 1;
	}
	c = conn_get();
	if (!c) {
		struct ulk_ctl_welcome w;

		err = dial(path, 0, &w);	/* for the reason */
		if (err >= 0) {
			syscall(SYS_close, err);
			err = -EAGAIN;
		}
		return err;
	}
	ulk_remote_attached = 1;
	return 0;
}

/**
 * ulk_detach() - stop making ulk calls in the instance ulk_attach() named.
 *
 * The instance closes every descriptor this process made there.
 * Return: 0, or -ENOTCONN if not attached.
 */
int ulk_detach(void)
{
	struct rconn *c;

	if (!ulk_remote_attached)
		return -ENOTCONN;
	pthread_mutex_lock(&lock);
	for (c = conns; c; c = c->next)
		conn_close(c);
	session = 0;
	ulk_remote_attached = 0;
	pthread_mutex_unlock(&lock);
	return 0;
}

/**
 * ulk_attach_info() - what the attached instance said of itself.
 * @w: receives its WELCOME (name, pid, program, boot time).
 *
 * Return: 0, or -ENOTCONN if not attached.
 */
int ulk_attach_info(struct ulk_ctl_welcome *w)
{
	if (!ulk_remote_attached)
		return -ENOTCONN;
	pthread_mutex_lock(&lock);
	*w = welcome;
	pthread_mutex_unlock(&lock);
	return 0;
}
