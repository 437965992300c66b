// SPDX-License-Identifier: GPL-2.0
/*
 * Stream backend: Ethernet frames over a connected AF_UNIX stream socket,
 * in the framing of QEMU's "-netdev stream" (QEMU 7.2 and later) and of
 * passt's qemu socket: each frame is preceded by its length as a 4-byte
 * big-endian integer, and carries no virtio-net header.
 *
 * Theory of operation
 * -------------------
 * No header on the wire means no offload metadata: the backend carries no
 * checksum or segmentation offload (be->offloads is RX_MRG only, which is
 * the device's own business), so the device offers none to the kernel's
 * driver and every frame crossing is a plain, complete Ethernet frame of at
 * most MTU + 18 bytes. send() drops the 12-byte header the device hands it
 * (refusing one that asks for an offload, which the driver cannot have
 * negotiated); recv() writes a zero header in front of each frame.
 *
 * Transmit. send() writes prefix and frame with one non-blocking
 * sendmsg(). When the socket takes only part of it, the rest is copied
 * into the out-queue and the packet counts as sent: a stream cannot take
 * back half a frame, and sending the next frame first would put the peer
 * out of sync. The out-queue holds that one tail and nothing more: while
 * it is not empty send() first tries to write it, and returns -EAGAIN
 * (the device keeps its packet) if it cannot. tick() writes it too and
 * returns -EAGAIN while any of it is left; the device calls tick() when
 * its transmit queue runs empty, so it then waits for the socket to be
 * writable and no tail is left behind. Frames leave in the order the
 * device sent them, none is lost, and ulk holds at most one frame's worth
 * of bytes beyond the socket's own buffer.
 *
 * Receive. The peer is untrusted: a length prefix shorter than an
 * Ethernet header or longer than the largest frame any ulk device takes
 * (ULK_NET_STREAM_MAX_FRAME) cannot start a frame, so the stream is out of
 * sync (or was never a stream of frames). That is not guessed around: the
 * backend says why once (why_gone), shuts the socket down both ways and
 * returns -EPIPE, the "peer gone" of every backend, on which the device
 * stops polling it and takes the link down. A frame that is well formed
 * but larger than the driver's buffers is dropped by the device as
 * truncated, and the stream goes on. ulk_net_stream_decode() is the
 * framing check, a pure function (tests/fuzz/fuzz_stream.c fuzzes it).
 *
 * Reads are exact: in the steady state one readv() takes the rest of the
 * current frame straight into the device's buffers plus the next frame's
 * prefix into the input buffer. When the frame is not all there yet, what
 * came is copied into the input buffer and later reads fill it there.
 * Never reading past the next prefix means a complete frame is never held
 * in ulk while the socket looks idle: the device's readiness polling (and
 * the idle threads', see lib/virtio/net.c) stays exact.
 *
 * Threads: send() and tick() (serialised by the device) use only the
 * transmit half, recv() only the receive half; the socket is shared, which
 * the host kernel allows. why_gone() publishes its string with release
 * order once it is written.
 *
 * Connecting and listening (ulk_net_stream_path()): the connect is made at
 * once and fails if nobody listens; a listening end waits in accept() for
 * its one peer, before ulk boots (the kernel takes devices at boot only,
 * and the link then has its peer from the start, with no descriptor that
 * changes under the device's polling), then removes its socket file.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include "hostfd.h"
#include "hostutil.h"
#include "net/backend.h"
#include "virtio/virtqueue.h"

#define STREAM_SNDBUF		(4 << 20)
#define STREAM_RCVBUF		(4 << 20)
/* Device buffers a receive may be given (RX_MAX_IOV in lib/virtio/net.c). */
#define STREAM_MAX_IOV		256
/* One frame, its prefix, and the next frame's prefix. */
#define STREAM_IN_SIZE		(2 * ULK_NET_STREAM_PREFIX + \
				 ULK_NET_STREAM_MAX_FRAME)
#define STREAM_OUT_SIZE		(ULK_NET_STREAM_PREFIX + \
				 ULK_NET_STREAM_MAX_FRAME)

struct stream {
	struct ulk_net_backend be;
	/* Receive half (recv() only). */
	unsigned char *in;	/* bytes from a frame boundary on */
	size_t in_len;
	bool rx_dead;
	/* Transmit half (send() and tick() only). */
	unsigned char *out;	/* unwritten tail of the last frame */
	size_t out_off, out_len;
	/* Why the peer is gone; published through gone. */
	char gone_buf[200];
	const char *gone;
};

/* ---- framing: pure functions ------------------------------------------ */

/**
 * ulk_net_stream_decode() - check the frame at the start of stream bytes.
 * @buf: bytes received and not consumed yet, starting at a frame boundary
 *	(at a length prefix).
 * @len: how many.
 * @max_frame: longest frame accepted (at most ULK_NET_STREAM_MAX_FRAME).
 * @frame_len: receives the length the prefix gives once all 4 bytes of it
 *	are in @buf (0 before), valid or not.
 *
 * No state, no allocation, no I/O: the whole framing rule of the stream
 * backend, for it and for the fuzzer.
 * Return: ULK_NET_STREAM_PREFIX + *@frame_len, the bytes prefix and frame
 * take, when they are all in @buf (the frame is at @buf + 4); 0 when more
 * bytes are needed; -EPROTO when the prefix cannot start a frame (below
 * ULK_NET_STREAM_MIN_FRAME or above @max_frame): the stream is out of sync.
 */
ssize_t ulk_net_stream_decode(const void *buf, size_t len, size_t max_frame,
			      size_t *frame_len)
{
	const unsigned char *p = buf;
	uint32_t be32;
	size_t flen;

	*frame_len = 0;
	if (len < ULK_NET_STREAM_PREFIX)
		return 0;
	memcpy(&be32, p, sizeof(be32));
	flen = be32toh(be32);
	*frame_len = flen;
	if (flen < ULK_NET_STREAM_MIN_FRAME || flen > max_frame ||
	    flen > ULK_NET_STREAM_MAX_FRAME)
		return -EPROTO;
	if (len - ULK_NET_STREAM_PREFIX < flen)
		return 0;
	return (ssize_t)(ULK_NET_STREAM_PREFIX + flen);
}

/**
 * ulk_net_stream_prefix() - the length prefix of a frame.
 * @frame_len: the frame's length (ULK_NET_STREAM_MIN_FRAME..
 *	ULK_NET_STREAM_MAX_FRAME).
 * @prefix: receives the 4 bytes that precede it on the wire.
 */
void ulk_net_stream_prefix(size_t frame_len,
			   unsigned char prefix[ULK_NET_STREAM_PREFIX])
{
	uint32_t be32 = htobe32((uint32_t)frame_len);

	memcpy(prefix, &be32, sizeof(be32));
}

/* ---- peer gone ---------------------------------------------------------- */

/*
 * The peer is gone (closed, reset, or put the stream out of sync): say
 * why (first reason wins), stop both directions, and report -EPIPE. Only
 * recv() calls this; send() sees the shutdown as EPIPE.
 */
static ssize_t stream_gone(struct stream *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static ssize_t stream_gone(struct stream *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->rx_dead) {
		s->rx_dead = true;
		if (!__atomic_load_n(&s->gone, __ATOMIC_ACQUIRE)) {
			va_start(ap, fmt);
			vsnprintf(s->gone_buf, sizeof(s->gone_buf), fmt, ap);
			va_end(ap);
			__atomic_store_n(&s->gone, s->gone_buf,
					 __ATOMIC_RELEASE);
		}
		ulk_host_shutdown(s->be.fd, SHUT_RDWR);
	}
	return -EPIPE;
}

static const char *stream_why_gone(struct ulk_net_backend *be)
{
	struct stream *s = (struct stream *)be;

	return __atomic_load_n(&s->gone, __ATOMIC_ACQUIRE);
}

/* ---- transmit ------------------------------------------------------------ */

static ssize_t tx_errno(int err)
{
	switch (err) {
	case EWOULDBLOCK:
		return -EAGAIN;
	case EPIPE:
	case ECONNRESET:
	case ENOTCONN:
		return -EPIPE;
	}
	return -err;
}

/* Write the out-queue: 0 when empty, -EAGAIN, or -EPIPE (tail dropped). */
static int tx_flush(struct stream *s)
{
	while (s->out_off < s->out_len) {
		struct iovec iov = {
			s->out + s->out_off, s->out_len - s->out_off
		};
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		long n = ulk_host_sendmsg(s->be.fd, &msg,
					  MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			ssize_t err = tx_errno(errno);

			if (err == -EAGAIN || err == -EINTR)
				return -EAGAIN;
			s->out_off = s->out_len = 0;
			return (int)err;
		}
		s->out_off += (size_t)n;
	}
	s->out_off = s->out_len = 0;
	return 0;
}

static ssize_t stream_send(struct ulk_net_backend *be, const struct iovec *iov,
			   int iovcnt)
{
	struct stream *s = (struct stream *)be;
	struct iovec vec[ULK_VQ_MAX_SEGS + 1];
	unsigned char prefix[ULK_NET_STREAM_PREFIX];
	struct virtio_net_hdr_v1 h;
	size_t total = ulk_iov_total(iov, iovcnt), flen, skip, done;
	struct msghdr msg = { .msg_iov = vec };
	int i, err;
	long n;

	if (total < ULK_NET_HDR_LEN + ULK_NET_STREAM_MIN_FRAME ||
	    total > ULK_NET_MAX_PACKET || iovcnt > ULK_VQ_MAX_SEGS)
		return -EINVAL;
	ulk_iov_copy(iov, iovcnt, 0, &h, ULK_NET_HDR_LEN, false);
	/* Not negotiable over this backend: nothing could carry them. */
	if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) ||
	    h.gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return -EOPNOTSUPP;
	if (s->out_len) {
		err = tx_flush(s);
		if (err)
			return err;
	}
	flen = total - ULK_NET_HDR_LEN;
	ulk_net_stream_prefix(flen, prefix);
	vec[0] = (struct iovec){ prefix, sizeof(prefix) };
	msg.msg_iovlen = 1;
	for (i = 0, skip = ULK_NET_HDR_LEN; i < iovcnt; i++) {
		if (iov[i].iov_len <= skip) {
			skip -= iov[i].iov_len;
			continue;
		}
		vec[msg.msg_iovlen++] = (struct iovec){
			(unsigned char *)iov[i].iov_base + skip,
			iov[i].iov_len - skip
		};
		skip = 0;
	}
	n = ulk_host_sendmsg(be->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return tx_errno(errno);
	done = (size_t)n;
	if (done == sizeof(prefix) + flen)
		return (ssize_t)total;
	/* Taken in part: the rest goes first, from the out-queue. */
	s->out_off = 0;
	s->out_len = sizeof(prefix) + flen - done;
	if (done < sizeof(prefix)) {
		memcpy(s->out, prefix + done, sizeof(prefix) - done);
		ulk_iov_copy(iov, iovcnt, ULK_NET_HDR_LEN,
			     s->out + sizeof(prefix) - done, flen, false);
	} else {
		ulk_iov_copy(iov, iovcnt, ULK_NET_HDR_LEN + done -
			     sizeof(prefix), s->out, s->out_len, false);
	}
	return (ssize_t)total;
}

static int stream_tick(struct ulk_net_backend *be)
{
	struct stream *s = (struct stream *)be;

	if (!s->out_len)
		return 0;
	return tx_flush(s) == -EAGAIN ? -EAGAIN : 0;
}

/* ---- receive ------------------------------------------------------------- */

/* Deliver the frame buffered at s->in: zero header, frame, consume it. */
static ssize_t rx_deliver(struct stream *s, const struct iovec *iov,
			  int iovcnt, size_t flen)
{
	static const unsigned char zero[ULK_NET_HDR_LEN];
	size_t used = ULK_NET_STREAM_PREFIX + flen;

	/* Past the buffers' end it is truncated; the device drops it. */
	ulk_iov_copy(iov, iovcnt, 0, (void *)zero, sizeof(zero), true);
	ulk_iov_copy(iov, iovcnt, ULK_NET_HDR_LEN,
		     s->in + ULK_NET_STREAM_PREFIX, flen, true);
	memmove(s->in, s->in + used, s->in_len - used);
	s->in_len -= used;
	return (ssize_t)(ULK_NET_HDR_LEN + flen);
}

static ssize_t rx_read_failed(struct stream *s, long n)
{
	if (n == 0) {
		if (!s->in_len)
			return stream_gone(s, "the peer closed the stream");
		return stream_gone(s, "the peer closed the stream in the "
				   "middle of a frame (%zu bytes of it came)",
				   s->in_len);
	}
	if (errno == EWOULDBLOCK || errno == EINTR)
		return -EAGAIN;
	if (errno == ECONNRESET || errno == EPIPE)
		return stream_gone(s, "the peer reset the stream");
	return -errno;
}

/*
 * The frame whose prefix is all of s->in (@flen bytes long) straight into
 * the device's buffers, with the next prefix behind it into s->in.
 * Return: as recv(); when only part of the frame came it is moved into
 * s->in and 0 is returned (go on in the buffer).
 */
static ssize_t rx_direct(struct stream *s, const struct iovec *iov,
			 int iovcnt, size_t flen)
{
	static const unsigned char zero[ULK_NET_HDR_LEN];
	struct iovec vec[STREAM_MAX_IOV + 1];
	size_t skip = ULK_NET_HDR_LEN, want = flen;
	int i, k = 0;
	long n;

	for (i = 0; i < iovcnt && want; i++) {
		size_t seg = iov[i].iov_len;

		if (seg <= skip) {
			skip -= seg;
			continue;
		}
		seg -= skip;
		if (seg > want)
			seg = want;
		vec[k++] = (struct iovec){
			(unsigned char *)iov[i].iov_base + skip, seg
		};
		want -= seg;
		skip = 0;
	}
	vec[k++] = (struct iovec){ s->in, ULK_NET_STREAM_PREFIX };
	n = ulk_host_readv(s->be.fd, vec, k);
	if (n <= 0)
		return rx_read_failed(s, n);
	if ((size_t)n >= flen) {
		s->in_len = (size_t)n - flen;	/* the next prefix */
		ulk_iov_copy(iov, iovcnt, 0, (void *)zero, sizeof(zero), true);
		return (ssize_t)(ULK_NET_HDR_LEN + flen);
	}
	ulk_iov_copy(iov, iovcnt, ULK_NET_HDR_LEN,
		     s->in + ULK_NET_STREAM_PREFIX, (size_t)n, false);
	s->in_len = ULK_NET_STREAM_PREFIX + (size_t)n;
	return 0;
}

static ssize_t stream_recv(struct ulk_net_backend *be, const struct iovec *iov,
			   int iovcnt)
{
	struct stream *s = (struct stream *)be;
	size_t flen, want;
	ssize_t r;
	long n;

	if (s->rx_dead)
		return -EPIPE;
	for (;;) {
		r = ulk_net_stream_decode(s->in, s->in_len,
					  ULK_NET_STREAM_MAX_FRAME, &flen);
		if (r == -EPROTO)
			return stream_gone(s, "the peer sent a frame length of "
					   "%zu bytes where an Ethernet frame "
					   "of %d to %d bytes must be: the "
					   "stream is out of sync, closed", flen,
					   ULK_NET_STREAM_MIN_FRAME,
					   ULK_NET_STREAM_MAX_FRAME);
		if (r > 0)
			return rx_deliver(s, iov, iovcnt, flen);
		if (s->in_len == ULK_NET_STREAM_PREFIX &&
		    iovcnt <= STREAM_MAX_IOV &&
		    ulk_iov_total(iov, iovcnt) >= ULK_NET_HDR_LEN + flen) {
			r = rx_direct(s, iov, iovcnt, flen);
			if (r)
				return r;
			continue;
		}
		/* The prefix first, else the frame's rest and the next one. */
		want = s->in_len < ULK_NET_STREAM_PREFIX ?
		       ULK_NET_STREAM_PREFIX - s->in_len :
		       ULK_NET_STREAM_PREFIX + flen - s->in_len +
		       ULK_NET_STREAM_PREFIX;
		n = ulk_host_read(be->fd, s->in + s->in_len, want);
		if (n <= 0)
			return rx_read_failed(s, n);
		s->in_len += (size_t)n;
	}
}

/* ---- the rest of the table ------------------------------------------------ */

static void stream_close(struct ulk_net_backend *be)
{
	struct stream *s = (struct stream *)be;

	close(be->fd);
	free(s->in);
	free(s->out);
	free(s);
}

static const struct ulk_net_backend_ops stream_ops = {
	.send = stream_send,
	.recv = stream_recv,
	.tick = stream_tick,
	.why_gone = stream_why_gone,
	.close = stream_close,
};

static void raise_buffers(int fd)
{
	int snd = STREAM_SNDBUF, rcv = STREAM_RCVBUF;

	/* FORCE needs CAP_NET_ADMIN; the plain one is capped by wmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
}

/* Check @fd is a connected AF_UNIX stream socket; 0 or -errno. */
static int check_socket(int fd, char *why, size_t why_len)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int type = 0, err;
	socklen_t tlen = sizeof(type);

	if (fcntl(fd, F_GETFL) < 0) {
		snprintf(why, why_len, "stream: fd %d is not open", fd);
		return -EBADF;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &len)) {
		err = errno;
		snprintf(why, why_len, "stream: fd %d is not a socket", fd);
		return -err;
	}
	if (ss.ss_family != AF_UNIX) {
		snprintf(why, why_len, "stream: fd %d is not an AF_UNIX "
			 "socket", fd);
		return -EAFNOSUPPORT;
	}
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen);
	if (type != SOCK_STREAM) {
		snprintf(why, why_len, "stream: fd %d is not a stream socket",
			 fd);
		return -EPROTOTYPE;
	}
	len = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len)) {
		snprintf(why, why_len, "stream: fd %d is not connected", fd);
		return -ENOTCONN;
	}
	return 0;
}

/* The backend on a checked socket; takes @fd only on success. */
static int stream_new(int fd, const char *desc, struct ulk_net_backend **out,
		      char *why, size_t why_len)
{
	struct stream *s = calloc(1, sizeof(*s));

	if (s) {
		s->in = malloc(STREAM_IN_SIZE);
		s->out = malloc(STREAM_OUT_SIZE);
	}
	if (!s || !s->in || !s->out) {
		if (s) {
			free(s->in);
			free(s->out);
		}
		free(s);
		snprintf(why, why_len, "stream: out of memory");
		return -ENOMEM;
	}
	raise_buffers(fd);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	s->be.ops = &stream_ops;
	s->be.fd = fd;
	/* Mergeable buffers are the device's own; nothing else can cross. */
	s->be.offloads = ULK_NETDEV_OFFLOAD_RX_MRG;
	snprintf(s->be.desc, sizeof(s->be.desc), "%s", desc);
	*out = &s->be;
	return 0;
}

/**
 * ulk_net_stream_fd() - use a connected AF_UNIX stream socket the caller
 * has as a backend.
 * @fd: the socket (one end of socketpair(AF_UNIX, SOCK_STREAM), or a
 *	connected one); the backend owns it from a successful return on.
 * @out: receives the backend.
 * @why: receives the reason on failure.
 * @why_len: size of @why.
 *
 * Return: 0; -EBADF, -ENOTSOCK, -EAFNOSUPPORT, -EPROTOTYPE, -ENOTCONN for
 * an unsuitable @fd; -ENOMEM.
 */
int ulk_net_stream_fd(int fd, struct ulk_net_backend **out, char *why,
		      size_t why_len)
{
	char desc[32];
	int err = check_socket(fd, why, why_len);

	if (err)
		return err;
	snprintf(desc, sizeof(desc), "stream fd %d", fd);
	return stream_new(fd, desc, out, why, why_len);
}

/* Listen on @sa and wait for one peer; its socket or -errno. */
static int accept_one(const struct sockaddr_un *sa, char *why, size_t why_len)
{
	struct stat st;
	int lfd, fd, err;

	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		err = errno;
		snprintf(why, why_len, "stream: socket: %s", strerror(err));
		return -err;
	}
	/* A socket file left there is stale; anything else is not ours. */
	if (!lstat(sa->sun_path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(why, why_len, "stream: %s exists and is not a "
				 "socket", sa->sun_path);
			close(lfd);
			return -EEXIST;
		}
		unlink(sa->sun_path);
	}
	if (bind(lfd, (const struct sockaddr *)sa, sizeof(*sa)) ||
	    listen(lfd, 1)) {
		err = errno;
		snprintf(why, why_len, "stream: cannot listen on %s: %s",
			 sa->sun_path, strerror(err));
		close(lfd);
		return -err;
	}
	do
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	err = errno;
	close(lfd);
	/* One peer per link: nobody else is to find the path. */
	unlink(sa->sun_path);
	if (fd < 0) {
		snprintf(why, why_len, "stream: accept on %s: %s",
			 sa->sun_path, strerror(err));
		return -err;
	}
	return fd;
}

/**
 * ulk_net_stream_path() - a stream socket at a path as a backend.
 * @path: the socket's path.
 * @listen: 0 to connect to @path now; 1 to listen on it and wait for one
 *	peer (see the theory of operation).
 * @out: receives the backend.
 * @why: receives the reason on failure.
 * @why_len: size of @why.
 *
 * Return: 0; -EINVAL for an empty path; -ENAMETOOLONG; the negative errno
 * of connect() (-ENOENT, -ECONNREFUSED, -EACCES), of bind() or listen()
 * (-EADDRINUSE, -EACCES, -ENOENT for a missing directory) or of accept();
 * -EEXIST if @path is a file other than a socket; -ENOMEM.
 */
int ulk_net_stream_path(const char *path, int listen,
			struct ulk_net_backend **out, char *why,
			size_t why_len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char desc[64];
	int fd, err;

	if (!path || !*path) {
		snprintf(why, why_len, "stream: empty path");
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(why, why_len, "stream: path \"%s\" longer than %zu "
			 "bytes", path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	if (listen) {
		fd = accept_one(&sa, why, why_len);
		if (fd < 0)
			return fd;
	} else {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = errno;
			snprintf(why, why_len, "stream: socket: %s",
				 strerror(err));
			return -err;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			err = errno;
			snprintf(why, why_len, "stream: cannot connect to %s: "
				 "%s", path, err == ECONNREFUSED ?
				 "nobody listens there" : strerror(err));
			close(fd);
			return -err;
		}
	}
	fd = ulk_hostfd_move_high(fd);
	snprintf(desc, sizeof(desc), "stream %.50s", path);
	err = stream_new(fd, desc, out, why, why_len);
	if (err)
		close(fd);
	return err;
}
