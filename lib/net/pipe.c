// SPDX-License-Identifier: GPL-2.0
/*
 * Pipe backend: AF_UNIX datagram sockets linking two ulk instances.
 *
 * One packet is one datagram: the 12-byte virtio-net header, then the
 * frame. The header travels untouched, so two ulk kernels exchange 64 KiB
 * TSO segments with partial checksums exactly as a virtio-net card would
 * hand them over, and neither side segments or checksums anything.
 *
 * Two forms:
 *  - a descriptor the caller already has: one end of a socketpair
 *    (SOCK_DGRAM or SOCK_SEQPACKET), or any connected AF_UNIX datagram
 *    socket; typically made before fork(), one end per process;
 *  - a path: role A binds PATH.a and sends to PATH.b, role B the reverse.
 *    The socket is connected to the peer lazily: until the peer has bound
 *    its path, packets are dropped (as on an unplugged cable) and a
 *    connect is retried at most every 100 ms; if the peer goes away and
 *    comes back, the next send failure reconnects. Until connected, the
 *    socket takes datagrams only from the peer's path (any process could
 *    send to it); those of strangers are dropped and counted.
 *    A connected datagram socket takes datagrams from its peer only, and
 *    the host kernel does not tell it when that peer dies: a new peer
 *    bound at the same path (a program restarted, the next ulk-run on
 *    that end) has its every datagram refused (EPERM) for as long as this
 *    end, not sending, never finds out; a server waiting for clients
 *    never sends. So while nothing has been received for RECHECK_NS, the
 *    device's tick() connects again to whatever is bound at the peer's
 *    path (none: unconnected, taking datagrams from the path by name):
 *    one connect() a second while idle, no more.
 *
 * Sizes. AF_UNIX limits a datagram to the sender's send buffer, and a
 * connected pair is flow-controlled by it alone (the receive buffer and
 * net.unix.max_dgram_qlen do not apply between peers connected to each
 * other). The send buffer is raised to hold several 64 KiB packets
 * (SO_SNDBUFFORCE when allowed, else up to the host's wmem_max); a full
 * buffer makes send() return -EAGAIN and the device wait for POLLOUT.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hostfd.h"
#include "hostutil.h"
#include "net/backend.h"

#define PIPE_SNDBUF		(4 << 20)
#define PIPE_RCVBUF		(4 << 20)
#define RECONNECT_NS		100000000LL
#define RECHECK_NS		1000000000LL

struct pipe {
	struct ulk_net_backend be;
	bool named;
	bool connected;
	long long next_connect_ns;
	struct sockaddr_un peer;
	struct sockaddr_un self;
	unsigned long strangers;
	long long last_rx_ns;		/* named: last datagram, or recheck */
};


/* Named form: connect to the peer if it is time to try. */
static void pipe_try_connect(struct pipe *p)
{
	long long now = ulk_mono_ns();

	if (now < p->next_connect_ns)
		return;
	p->next_connect_ns = now + RECONNECT_NS;
	if (!connect(p->be.fd, (struct sockaddr *)&p->peer, sizeof(p->peer))) {
		__atomic_store_n(&p->last_rx_ns, now, __ATOMIC_RELAXED);
		p->connected = true;
	}
}

static ssize_t pipe_send(struct ulk_net_backend *be, const struct iovec *iov,
			 int iovcnt)
{
	struct pipe *p = (struct pipe *)be;
	struct msghdr msg = {
		.msg_iov = (struct iovec *)iov,
		.msg_iovlen = iovcnt,
	};
	ssize_t n;
	int err;

	if (p->named && !p->connected) {
		pipe_try_connect(p);
		if (!p->connected)
			return -ENOTCONN;
	}
	n = ulk_host_sendmsg(be->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n >= 0)
		return n;
	err = errno == EWOULDBLOCK ? EAGAIN : errno;
	/* The peer went away: reconnect later (a new peer may bind). */
	if (p->named && (err == ECONNREFUSED || err == ENOTCONN ||
			 err == ENOENT)) {
		p->connected = false;
		pipe_try_connect(p);
	}
	return -err;
}

/*
 * Whether a datagram that @name sent may be taken: always on a connected
 * socket (the host kernel lets only the peer send to it); on a named one
 * not yet connected, only from the peer's path: any local process may
 * send to a bound datagram socket, and none but the peer has any business
 * putting frames on this link.
 */
static bool from_peer(const struct pipe *p, const struct sockaddr_un *name,
		      socklen_t len)
{
	size_t off = offsetof(struct sockaddr_un, sun_path);

	if (!p->named || p->connected)
		return true;
	return len > off && name->sun_family == AF_UNIX &&
	       strncmp(name->sun_path, p->peer.sun_path,
		       sizeof(name->sun_path)) == 0;
}

static ssize_t pipe_recv(struct ulk_net_backend *be, const struct iovec *iov,
			 int iovcnt)
{
	struct pipe *p = (struct pipe *)be;
	struct sockaddr_un from;
	struct msghdr msg;
	ssize_t n;

	for (;;) {
		memset(&from, 0, sizeof(from));
		msg = (struct msghdr){
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = (struct iovec *)iov,
			.msg_iovlen = iovcnt,
		};
		n = ulk_host_recvmsg(be->fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		if (from_peer(p, &from, msg.msg_namelen))
			break;
		p->strangers++;
	}
	if (p->named)
		__atomic_store_n(&p->last_rx_ns, ulk_mono_ns(),
				 __ATOMIC_RELAXED);
	/*
	 * 0 is end of file on a seqpacket socket whose peer closed; on a
	 * datagram socket it is an empty datagram, which is not a packet.
	 */
	if (n == 0) {
		int type = 0;
		socklen_t len = sizeof(type);

		getsockopt(be->fd, SOL_SOCKET, SO_TYPE, &type, &len);
		return type == SOCK_SEQPACKET && !p->named ? -EPIPE : 0;
	}
	return n;
}

/*
 * Named form, connected and idle for RECHECK_NS: connect again to
 * whoever is bound at the peer's path now (see the top of the file).
 * Runs where send() runs, so it never races with it.
 */
static int pipe_tick(struct ulk_net_backend *be)
{
	struct pipe *p = (struct pipe *)be;
	long long now;

	if (!p->named || !p->connected)
		return 0;
	now = ulk_mono_ns();
	if (now - __atomic_load_n(&p->last_rx_ns, __ATOMIC_RELAXED) <
	    RECHECK_NS)
		return 0;
	__atomic_store_n(&p->last_rx_ns, now, __ATOMIC_RELAXED);
	if (connect(be->fd, (struct sockaddr *)&p->peer, sizeof(p->peer))) {
		/* Nobody there: take the peer's path by name until one is. */
		struct sockaddr_un none = { .sun_family = AF_UNSPEC };

		connect(be->fd, (struct sockaddr *)&none, sizeof(none));
		p->connected = false;
	}
	return 0;
}

/* Named and connected: when pipe_tick() must look again. */
static int pipe_timeout_ms(struct ulk_net_backend *be)
{
	struct pipe *p = (struct pipe *)be;
	long long left;

	if (!p->named || !p->connected)
		return -1;
	left = __atomic_load_n(&p->last_rx_ns, __ATOMIC_RELAXED) +
	       RECHECK_NS - ulk_mono_ns();
	return left <= 0 ? 0 : (int)((left + 999999) / 1000000);
}

static void pipe_close(struct ulk_net_backend *be)
{
	struct pipe *p = (struct pipe *)be;

	close(be->fd);
	if (p->named)
		unlink(p->self.sun_path);
	free(p);
}

static const struct ulk_net_backend_ops pipe_ops = {
	.send = pipe_send,
	.recv = pipe_recv,
	.close = pipe_close,
};

/* The named form also looks again for its peer while idle. */
static const struct ulk_net_backend_ops pipe_named_ops = {
	.send = pipe_send,
	.recv = pipe_recv,
	.timeout_ms = pipe_timeout_ms,
	.tick = pipe_tick,
	.close = pipe_close,
};

static void raise_buffers(int fd)
{
	int snd = PIPE_SNDBUF, rcv = PIPE_RCVBUF;

	/* FORCE needs CAP_NET_ADMIN; the plain one is capped by wmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
}

/* Check the send buffer can hold a largest packet; 0 or -EMSGSIZE. */
static int check_sndbuf(int fd, char *why, size_t why_len)
{
	int snd = 0;
	socklen_t len = sizeof(snd);

	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &len))
		return 0;
	/* AF_UNIX refuses a datagram above sk_sndbuf - 32. */
	if (snd - 32 < ULK_NET_MAX_PACKET) {
		snprintf(why, why_len, "pipe: send buffer of %d bytes cannot "
			 "hold a %d-byte packet (raise net.core.wmem_max)",
			 snd, ULK_NET_MAX_PACKET);
		return -EMSGSIZE;
	}
	return 0;
}

static struct pipe *pipe_new(int fd, bool named)
{
	struct pipe *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->be.ops = named ? &pipe_named_ops : &pipe_ops;
	p->be.fd = fd;
	p->be.offloads = ULK_NETDEV_OFFLOAD_ALL;
	p->named = named;
	return p;
}

/**
 * ulk_net_pipe_fd() - use an AF_UNIX datagram or seqpacket socket the
 * caller has as a backend.
 * @fd: the socket; the backend owns it from a successful return on.
 * @out: receives the backend.
 * @why: receives the reason on failure.
 * @why_len: size of @why.
 *
 * Return: 0; -EBADF, -ENOTSOCK, -EAFNOSUPPORT, -EPROTOTYPE for an
 * unsuitable @fd; -EMSGSIZE if its send buffer cannot be made large enough;
 * -ENOMEM.
 */
int ulk_net_pipe_fd(int fd, struct ulk_net_backend **out, char *why,
		    size_t why_len)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int type = 0, flags, err;
	socklen_t tlen = sizeof(type);
	struct pipe *p;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0) {
		snprintf(why, why_len, "pipe: fd %d is not open", fd);
		return -EBADF;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &len)) {
		err = errno;
		snprintf(why, why_len, "pipe: fd %d is not a socket", fd);
		return -err;
	}
	if (ss.ss_family != AF_UNIX) {
		snprintf(why, why_len, "pipe: fd %d is not an AF_UNIX socket",
			 fd);
		return -EAFNOSUPPORT;
	}
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen);
	if (type != SOCK_DGRAM && type != SOCK_SEQPACKET) {
		snprintf(why, why_len, "pipe: fd %d is not a datagram or "
			 "seqpacket socket", fd);
		return -EPROTOTYPE;
	}
	raise_buffers(fd);
	err = check_sndbuf(fd, why, why_len);
	if (err)
		return err;
	p = pipe_new(fd, false);
	if (!p) {
		snprintf(why, why_len, "pipe: out of memory");
		return -ENOMEM;
	}
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	snprintf(p->be.desc, sizeof(p->be.desc), "pipe fd %d", fd);
	*out = &p->be;
	return 0;
}

/**
 * ulk_net_pipe_path() - a named AF_UNIX datagram socket as a backend.
 * @path: common prefix; see the theory of operation for the naming.
 * @role: ULK_NETDEV_PIPE_A or ULK_NETDEV_PIPE_B.
 * @out: receives the backend.
 * @why: receives the reason on failure.
 * @why_len: size of @why.
 *
 * Return: 0; -EINVAL for a bad role or empty path; -ENAMETOOLONG; the
 * negative errno of socket() or bind() (-EADDRINUSE, -EACCES, -ENOENT for
 * a missing directory); -EMSGSIZE; -ENOMEM.
 */
int ulk_net_pipe_path(const char *path, int role,
		      struct ulk_net_backend **out, char *why,
		      size_t why_len)
{
	struct sockaddr_un self = { .sun_family = AF_UNIX };
	struct sockaddr_un peer = { .sun_family = AF_UNIX };
	const char *mine, *theirs;
	struct pipe *p;
	int fd, err;

	if (role != ULK_NETDEV_PIPE_A && role != ULK_NETDEV_PIPE_B) {
		snprintf(why, why_len, "pipe: role %d is neither "
			 "ULK_NETDEV_PIPE_A nor ULK_NETDEV_PIPE_B", role);
		return -EINVAL;
	}
	if (!path || !*path) {
		snprintf(why, why_len, "pipe: empty path");
		return -EINVAL;
	}
	mine = role == ULK_NETDEV_PIPE_A ? "a" : "b";
	theirs = role == ULK_NETDEV_PIPE_A ? "b" : "a";
	if ((size_t)snprintf(self.sun_path, sizeof(self.sun_path), "%s.%s",
			     path, mine) >= sizeof(self.sun_path)) {
		snprintf(why, why_len, "pipe: path \"%s.%s\" longer than %zu "
			 "bytes", path, mine, sizeof(self.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	snprintf(peer.sun_path, sizeof(peer.sun_path), "%s.%s", path, theirs);

	fd = ulk_hostfd_move_high(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
					      SOCK_CLOEXEC, 0));
	if (fd < 0) {
		err = errno;
		snprintf(why, why_len, "pipe: socket: %s", strerror(err));
		return -err;
	}
	/* Our own path by convention: a leftover socket file is stale. */
	{
		struct stat st;

		if (!lstat(self.sun_path, &st) && S_ISSOCK(st.st_mode))
			unlink(self.sun_path);
	}
	if (bind(fd, (struct sockaddr *)&self, sizeof(self))) {
		err = errno;
		snprintf(why, why_len, "pipe: cannot bind %s: %s",
			 self.sun_path, strerror(err));
		close(fd);
		return -err;
	}
	raise_buffers(fd);
	err = check_sndbuf(fd, why, why_len);
	p = err ? NULL : pipe_new(fd, true);
	if (!p) {
		if (!err) {
			snprintf(why, why_len, "pipe: out of memory");
			err = -ENOMEM;
		}
		close(fd);
		unlink(self.sun_path);
		return err;
	}
	p->self = self;
	p->peer = peer;
	pipe_try_connect(p);
	snprintf(p->be.desc, sizeof(p->be.desc), "pipe %.50s", self.sun_path);
	*out = &p->be;
	return 0;
}
