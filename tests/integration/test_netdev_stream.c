// SPDX-License-Identifier: GPL-2.0
/*
 * The stream backend (QEMU's "-netdev stream" framing: 4-byte big-endian
 * length, then the Ethernet frame): two ulk kernels in two processes
 * linked by an AF_UNIX stream socket, and a hostile peer.
 *
 * As in test_netdev_pipe.c, every scenario forks its sides before either
 * boots: A (10.78.0.1) connects over TCP to B (10.78.0.2) and sends a
 * stream that B checks byte by byte, then B sends its own back; the parent
 * compares checksums across the processes.
 *
 * Scenarios:
 *  1. a socketpair, MTU 1500, 64 MiB each way, and ping A -> B: no
 *     offload is negotiated over this backend (offloads were asked for)
 *     and no frame is above the MTU;
 *  2. the pipe backend with the same settings (offloads none, MTU 1500),
 *     in the same run: the throughput to compare with;
 *  3. a named socket, B listening (ulk_netdev_add_stream_path(.., 1)),
 *     A connecting, MTU 65520 (passt's): 64 MiB each way;
 *  4. a slow relay between A and B (a plain process reading and writing
 *     random-sized pieces, pausing now and then), MTU 65520: frames are
 *     cut anywhere in B's reads and A's socket fills, so A's sends are
 *     partial (64 KiB socket send buffers, 64 KiB frames) and its
 *     out-queue and tick() carry the rest (tx stalls > 0):
 *     16 MiB each way must still arrive intact, in order.
 *  5. hostile peers: a ulk process whose stream's other end is written by
 *     the test itself: a zero length, a length below an Ethernet header,
 *     0xffffffff, one byte above the largest frame, random bytes, a frame
 *     cut short by the peer closing, and 2000 well-framed random frames
 *     followed by a bad length. Each time the process must stay alive
 *     (it answers on its loopback afterwards and exits cleanly), say what
 *     happened exactly once on stderr, close its end of the stream, and
 *     take its link down (IFF_RUNNING cleared). The random frames alone
 *     must not take it down.
 */
#include "common.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <ulk/net.h>

#include "net/netdev_helpers.h"

#define PORT		5002
#define IP_A		"10.78.0.1"
#define IP_B		"10.78.0.2"
#define SEED_AB		0xa3bULL
#define SEED_BA		0xb3aULL
#define RCV_TIMEOUT_S	20
#define SCENARIO_S	90
#define WATCHDOG_S	420
#define PINGS		10

enum cable { CABLE_PAIR, CABLE_PIPE, CABLE_PATH, CABLE_RELAY };

struct scenario {
	const char *name;
	unsigned long long bytes;	/* each way */
	enum cable cable;
	unsigned int mtu;
	unsigned int offloads;
	bool ping;
	bool want_stalls;		/* A's transmit must have waited */
	bool small_sndbuf;		/* 64 KiB socket send buffers */
};

static const struct scenario scenarios[] = {
	{ "stream socketpair, MTU 1500, offloads asked for", 64ULL << 20,
	  CABLE_PAIR, 1500, 0, true, false, false },
	{ "pipe socketpair, MTU 1500, offloads off (to compare)", 64ULL << 20,
	  CABLE_PIPE, 1500, ULK_NETDEV_OFFLOAD_NONE, false, false, false },
	{ "stream named socket, B listens, A connects, MTU 65520",
	  64ULL << 20, CABLE_PATH, 65520, 0, true, false, false },
	{ "stream through a slow relay (partial reads and writes), MTU 65520",
	  16ULL << 20, CABLE_RELAY, 65520, 0, false, true, true },
};

struct report {
	int setup_ok;
	char msg[256];
	struct xfer sent;
	struct xfer got;
	struct ulk_netdev_stats st;
	int pings_sent, pings_ok;
	double ping_ms;		/* average round trip */
};

struct side {
	const char *name;
	pid_t pid;
	int to_parent;
	int from_parent;
	struct report r;
	bool reported;
};

/* ---- both sides ------------------------------------------------------------- */

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(3);
		p += n;
		len -= n;
	}
}

static void set_timeout(long fd)
{
	struct { long sec, usec; } tv = { RCV_TIMEOUT_S, 0 };

	ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_RCVTIMEO_OLD, &tv,
			   sizeof(tv));
	ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_SNDTIMEO_OLD, &tv,
			   sizeof(tv));
}

/* Echo requests to @ip from an ICMP datagram socket; fills r->ping_*. */
static void ping(const char *ip, struct report *r)
{
	struct { long sec, usec; } tv = { 2, 0 };
	unsigned char pkt[64], reply[128];
	struct ulk_sockaddr sa;
	int64_t t0, total = 0;
	long fd, n;
	int i;

	ulk_sysctl_set("net.ipv4.ping_group_range", "0 2147483647");
	fd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_DGRAM | ULK_SOCK_CLOEXEC,
			    ULK_IPPROTO_ICMP);
	if (fd < 0) {
		snprintf(r->msg, sizeof(r->msg), "ping socket: %s",
			 errstr(fd));
		return;
	}
	ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_RCVTIMEO_OLD, &tv,
			   sizeof(tv));
	ulk_sin(&sa, ip, 0);
	for (i = 0; i < PINGS; i++) {
		memset(pkt, 0, sizeof(pkt));
		pkt[0] = 8;			/* echo request */
		pkt[7] = (unsigned char)i;	/* sequence */
		memset(pkt + 8, 0x5a, sizeof(pkt) - 8);
		t0 = now_ns();
		n = ulk_sys_sendto(fd, pkt, sizeof(pkt), 0, &sa,
				   sizeof(struct ulk_sockaddr_in));
		if (n != (long)sizeof(pkt))
			continue;
		r->pings_sent++;
		n = ulk_sys_recvfrom(fd, reply, sizeof(reply), 0, NULL, NULL);
		if (n == (long)sizeof(pkt) && reply[0] == 0 &&
		    reply[7] == (unsigned char)i &&
		    !memcmp(reply + 8, pkt + 8, sizeof(pkt) - 8)) {
			r->pings_ok++;
			total += now_ns() - t0;
		}
	}
	if (r->pings_ok)
		r->ping_ms = total / 1e6 / r->pings_ok;
	ulk_sys_close(fd);
}

static int add_device(const struct scenario *sc, int cable, const char *path,
		      bool is_b, char *msg, size_t len)
{
	struct ulk_netdev_opts opts = {
		.mtu = sc->mtu, .offloads = sc->offloads,
	};
	int64_t deadline = now_ns() + 10 * NSEC_PER_SEC;
	int dev;

	switch (sc->cable) {
	case CABLE_PIPE:
		dev = ulk_netdev_add_pipe_fd(cable, &opts);
		break;
	case CABLE_PATH:
		/* B waits in accept(); A tries until B is listening. */
		for (;;) {
			dev = ulk_netdev_add_stream_path(path, is_b, &opts);
			if (is_b || (dev != -ENOENT && dev != -ECONNREFUSED) ||
			    now_ns() > deadline)
				break;
			sleep_ns(10 * NSEC_PER_MSEC);
		}
		break;
	default:
		dev = ulk_netdev_add_stream_fd(cable, &opts);
	}
	if (dev < 0)
		snprintf(msg, len, "adding the device: %s (%s)", errstr(dev),
			 ulk_netdev_last_error());
	return dev;
}

static void __attribute__((noreturn))
run_side(const struct scenario *sc, bool is_b, int cable, const char *path,
	 int to_parent, int from_parent)
{
	static struct report r;
	const char *ip = is_b ? IP_B : IP_A;
	struct ulk_sockaddr sa;
	long lfd = -1, fd = -1, ret;
	int dev, ifindex, one = 1;
	char c;

	test_watchdog(SCENARIO_S + 30);
	dev = add_device(sc, cable, path, is_b, r.msg, sizeof(r.msg));
	if (dev < 0)
		goto report;
	/*
	 * The backend raised the socket's send buffer; a small one makes
	 * nearly every 64 KiB frame go out in parts (the descriptor is
	 * ulk's now, but still ours to set an option on).
	 */
	if (sc->small_sndbuf)
		setsockopt(cable, SOL_SOCKET, SO_SNDBUF, &(int){ 65536 },
			   sizeof(int));
	ulk_boot_or_die();
	ifindex = ulk_netdev_ifindex(dev);
	ret = ifindex > 0 ? ulk_ifconfig4(ifindex, ip, 24) : ifindex;
	if (ret) {
		snprintf(r.msg, sizeof(r.msg), "configuring %s (ifindex %d): "
			 "%s", ip, ifindex, errstr(ret));
		goto report;
	}
	if (is_b) {
		lfd = ulk_sys_socket(ULK_AF_INET,
				     ULK_SOCK_STREAM | ULK_SOCK_CLOEXEC, 0);
		ulk_sys_setsockopt(lfd, ULK_SOL_SOCKET, ULK_SO_REUSEADDR, &one,
				   sizeof(one));
		ulk_sin(&sa, IP_B, PORT);
		ret = ulk_sys_bind(lfd, &sa, sizeof(struct ulk_sockaddr_in));
		if (!ret)
			ret = ulk_sys_listen(lfd, 4);
		if (ret) {
			snprintf(r.msg, sizeof(r.msg), "bind/listen: %s",
				 errstr(ret));
			goto report;
		}
		write_all(to_parent, "R", 1);
		fd = ulk_sys_accept4(lfd, NULL, NULL, ULK_SOCK_CLOEXEC);
		if (fd < 0) {
			snprintf(r.msg, sizeof(r.msg), "accept: %s",
				 errstr(fd));
			goto report;
		}
	} else {
		write_all(to_parent, "R", 1);
		if (read(from_parent, &c, 1) != 1)
			_exit(4);
		if (sc->ping)
			ping(IP_B, &r);
		fd = ulk_sys_socket(ULK_AF_INET,
				    ULK_SOCK_STREAM | ULK_SOCK_CLOEXEC, 0);
		set_timeout(fd);
		ulk_sin(&sa, IP_B, PORT);
		ret = ulk_sys_connect(fd, &sa, sizeof(struct ulk_sockaddr_in));
		if (ret) {
			snprintf(r.msg, sizeof(r.msg), "connect to %s:%d: %s",
				 IP_B, PORT, errstr(ret));
			goto report;
		}
	}
	set_timeout(fd);
	r.setup_ok = 1;
	if (is_b) {
		xfer_recv(&ulk_api, fd, SEED_AB, sc->bytes, &r.got);
		xfer_send(&ulk_api, fd, SEED_BA, sc->bytes, &r.sent);
		ulk_sys_shutdown(fd, ULK_SHUT_WR);
		while (ulk_sys_recvfrom(fd, &c, 1, 0, NULL, NULL) > 0)
			;
	} else {
		xfer_send(&ulk_api, fd, SEED_AB, sc->bytes, &r.sent);
		ulk_sys_shutdown(fd, ULK_SHUT_WR);
		xfer_recv(&ulk_api, fd, SEED_BA, sc->bytes, &r.got);
	}
report:
	if (dev >= 0)
		ulk_netdev_stats(dev, &r.st);
	write_all(to_parent, "D", 1);
	write_all(to_parent, &r, sizeof(r));
	for (;;) {
		ssize_t n = read(from_parent, &c, 1);

		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	if (fd >= 0)
		ulk_sys_close(fd);
	if (lfd >= 0)
		ulk_sys_close(lfd);
	_exit(0);
}

/*
 * The slow relay of scenario 4: bytes from each end go to the other in
 * random-sized reads and writes, with a pause of 200 us every few reads,
 * until either end closes.
 */
static void __attribute__((noreturn)) run_relay(int a, int b)
{
	static unsigned char buf[65536];
	uint64_t rnd = 0x5eed;
	struct pollfd pfd[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
	unsigned long reads = 0;
	int i;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		for (i = 0; i < 2; i++) {
			size_t want, off = 0;
			ssize_t n;

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			rnd = stream_word(reads, rnd);
			want = 1 + rnd % (rnd & 0x100 ? 40000 : 3000);
			n = read(pfd[i].fd, buf, want);
			if (n <= 0)
				_exit(0);
			while (off < (size_t)n) {
				size_t k = 1 + (rnd >> 20) % ((size_t)n - off);
				ssize_t w = write(pfd[!i].fd, buf + off, k);

				if (w <= 0)
					_exit(0);
				off += (size_t)w;
				rnd = stream_word(off, rnd);
			}
			if (++reads % 4 == 0)
				usleep(1000);
		}
	}
}

/* ---- the parent ------------------------------------------------------------- */

static bool spawn(struct side *s, const struct scenario *sc, bool is_b,
		  int cable, const int *close_fds, int nclose, const char *path,
		  const struct side *other)
{
	int up[2], down[2], i;

	if (pipe(up) || pipe(down))
		return false;
	fflush(stdout);
	s->pid = fork();
	if (s->pid < 0)
		return false;
	if (s->pid == 0) {
		close(up[0]);
		close(down[1]);
		for (i = 0; i < nclose; i++)
			if (close_fds[i] >= 0 && close_fds[i] != cable)
				close(close_fds[i]);
		if (other->pid > 0) {
			close(other->to_parent);
			close(other->from_parent);
		}
		run_side(sc, is_b, cable, path, up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);
	s->to_parent = up[0];
	s->from_parent = down[1];
	return true;
}

static bool read_until(int fd, void *buf, size_t len, int64_t deadline)
{
	char *p = buf;

	while (len) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t left = deadline - now_ns();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, left / NSEC_PER_MSEC + 1) == 0)
			return false;
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

static bool wait_ready(struct side *s, int64_t deadline)
{
	char c;

	if (s->reported || !read_until(s->to_parent, &c, 1, deadline))
		return false;
	if (c == 'R')
		return true;
	s->reported = c == 'D' &&
		      read_until(s->to_parent, &s->r, sizeof(s->r), deadline);
	return false;
}

static void get_report(struct side *s, int64_t deadline)
{
	char c;

	if (!s->reported)
		s->reported = read_until(s->to_parent, &c, 1, deadline) &&
			      c == 'D' && read_until(s->to_parent, &s->r,
						     sizeof(s->r), deadline);
	if (!s->reported)
		CHECK(false, "%s reported back within %d s", s->name,
		      SCENARIO_S);
}

static void check_stream(const char *dir, const struct xfer *got,
			 const struct xfer *sent, unsigned long long bytes)
{
	CHECK(got->err == 0 && got->bytes == bytes && sent->bytes == bytes,
	      "%s: %llu of %llu bytes arrived (send err %s, receive err %s), "
	      "%.1f MB/s", dir, (unsigned long long)got->bytes, bytes,
	      errstr(sent->err), errstr(got->err), xfer_rate(got));
	CHECK(got->bad_offset < 0 && got->sum == sent->sum,
	      "%s: data identical to the stream sent (first difference at "
	      "%lld; checksum %016llx, sender's %016llx)", dir,
	      (long long)got->bad_offset, (unsigned long long)got->sum,
	      (unsigned long long)sent->sum);
}

/* Largest frame counted, by size class: none above the MTU's class. */
static bool no_frame_above(const struct ulk_netdev_dir_stats *d,
			   unsigned int mtu)
{
	int k, top = mtu + 18 <= 1518 ? ULK_NETDEV_SIZE_1518 :
		     ULK_NETDEV_SIZE_64K;

	for (k = top + 1; k < ULK_NETDEV_SIZE_COUNT; k++)
		if (d->sizes[k])
			return false;
	return true;
}

/* Throughputs of the scenarios, for the comparison line at the end. */
static double rate_of[sizeof(scenarios) / sizeof(scenarios[0])];

static void run_scenario(size_t idx, const char *tmpdir)
{
	const struct scenario *sc = &scenarios[idx];
	struct side a = { .name = "A", .pid = -1 };
	struct side b = { .name = "B", .pid = -1 };
	int sv[2] = { -1, -1 }, sv2[2] = { -1, -1 }, status, i;
	int64_t deadline = now_ns() + SCENARIO_S * NSEC_PER_SEC;
	int64_t t0 = now_ns();
	int cable_a = -1, cable_b = -1, fds[4];
	pid_t relay = -1;
	char path[128] = "";
	bool ok;

	NOTE("--- %s, %llu MB each way", sc->name, sc->bytes >> 20);
	if (sc->cable == CABLE_PATH) {
		snprintf(path, sizeof(path), "%s/stream.sock", tmpdir);
	} else if (socketpair(AF_UNIX, (sc->cable == CABLE_PIPE ?
					SOCK_DGRAM : SOCK_STREAM) |
			      SOCK_CLOEXEC, 0, sv)) {
		CHECK(false, "socketpair: %s", strerror(errno));
		return;
	}
	cable_a = sv[0];
	cable_b = sv[1];
	if (sc->cable == CABLE_RELAY) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv2)) {
			CHECK(false, "socketpair: %s", strerror(errno));
			close(sv[0]);
			close(sv[1]);
			return;
		}
		/* A - sv[0] | sv[1] - relay - sv2[0] | sv2[1] - B */
		cable_b = sv2[1];
		fflush(stdout);
		relay = fork();
		if (relay == 0) {
			close(sv[0]);
			close(sv2[1]);
			run_relay(sv[1], sv2[0]);
		}
		close(sv[1]);
		close(sv2[0]);
		sv[1] = sv2[0] = -1;
	}
	fds[0] = sv[0];
	fds[1] = sv[1];
	fds[2] = sv2[0];
	fds[3] = sv2[1];
	ok = spawn(&a, sc, false, cable_a, fds, 4, path, &b) &&
	     spawn(&b, sc, true, cable_b, fds, 4, path, &a);
	for (i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (!CHECK(ok, "fork: %s", ok ? "" : strerror(errno)))
		goto reap;

	if (!wait_ready(&a, deadline) || !wait_ready(&b, deadline)) {
		CHECK(false, "both sides set up and ready%s%s%s%s",
		      a.reported ? "; A: " : "", a.reported ? a.r.msg : "",
		      b.reported ? "; B: " : "", b.reported ? b.r.msg : "");
		goto reap;
	}
	write_all(a.from_parent, "G", 1);
	get_report(&a, deadline);
	get_report(&b, deadline);

	if (a.reported && b.reported &&
	    CHECK(a.r.setup_ok && b.r.setup_ok, "set up: devices added, "
		  "kernels booted, %s and %s configured, connected%s%s%s%s",
		  IP_A, IP_B, *a.r.msg ? "; A: " : "", a.r.msg,
		  *b.r.msg ? "; B: " : "", b.r.msg)) {
		check_stream("A->B", &b.r.got, &a.r.sent, sc->bytes);
		check_stream("B->A", &a.r.got, &b.r.sent, sc->bytes);
		rate_of[idx] = (xfer_rate(&b.r.got) + xfer_rate(&a.r.got)) / 2;
		print_netdev_stats_of("A", &a.r.st);
		print_netdev_stats_of("B", &b.r.st);
		if (sc->cable != CABLE_PIPE) {
			unsigned int no = ~ULK_NETDEV_OFFLOAD_RX_MRG;

			CHECK(!(a.r.st.offloads & no) && !(b.r.st.offloads & no),
			      "no checksum or segmentation offload negotiated "
			      "over the stream (A 0x%x, B 0x%x)",
			      a.r.st.offloads, b.r.st.offloads);
		}
		CHECK(no_frame_above(&a.r.st.tx, sc->mtu) &&
		      no_frame_above(&b.r.st.tx, sc->mtu) &&
		      no_frame_above(&a.r.st.rx, sc->mtu) &&
		      no_frame_above(&b.r.st.rx, sc->mtu),
		      "no frame larger than MTU %u + 18 crossed", sc->mtu);
		if (sc->mtu > 32768)
			CHECK(a.r.st.tx.large && b.r.st.rx.large,
			      "frames above 32 KiB (MTU %u) crossed: A sent "
			      "%llu, B received %llu", sc->mtu,
			      a.r.st.tx.large, b.r.st.rx.large);
		CHECK(!a.r.st.broken && !b.r.st.broken &&
		      !a.r.st.tx.errors && !a.r.st.rx.errors &&
		      !b.r.st.tx.errors && !b.r.st.rx.errors &&
		      !a.r.st.rx.dropped && !b.r.st.rx.dropped,
		      "no device errors or receive drops (A tx %llu rx %llu/%llu, "
		      "B tx %llu rx %llu/%llu)", a.r.st.tx.errors,
		      a.r.st.rx.errors, a.r.st.rx.dropped, b.r.st.tx.errors,
		      b.r.st.rx.errors, b.r.st.rx.dropped);
		if (sc->want_stalls)
			CHECK(a.r.st.tx.stalls > 0 && b.r.st.tx.stalls > 0,
			      "the slow relay filled the sockets: A's transmit "
			      "waited %llu times, B's %llu", a.r.st.tx.stalls,
			      b.r.st.tx.stalls);
		if (sc->ping)
			CHECK(a.r.pings_ok == PINGS, "ping %s: %d of %d echo "
			      "replies (%d sent), %.3f ms average", IP_B,
			      a.r.pings_ok, PINGS, a.r.pings_sent,
			      a.r.ping_ms);
	}
reap:
	for (i = 0; i < 2; i++) {
		struct side *s = i ? &b : &a;

		if (s->pid <= 0)
			continue;
		close(s->to_parent);
		close(s->from_parent);
		if (!s->reported)
			kill(s->pid, SIGKILL);
		if (waitpid(s->pid, &status, 0) == s->pid && s->reported)
			CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
			      "%s exited cleanly (status 0x%x)", s->name,
			      status);
	}
	if (relay > 0) {
		kill(relay, SIGKILL);
		waitpid(relay, &status, 0);
	}
	if (*path)
		unlink(path);
	NOTE("scenario took %.1f s", (now_ns() - t0) / 1e9);
}

/* ---- hostile peers ------------------------------------------------------------ */

struct hostile {
	const char *name;
	const char *expect;	/* in the one "link is down" line */
	int kind;
};

enum { H_ZERO, H_RUNT, H_HUGE, H_ABOVE_MAX, H_RANDOM, H_TRUNCATED,
       H_FRAMES_THEN_BAD };

static const struct hostile hostiles[] = {
	{ "a zero length", "length of 0 bytes", H_ZERO },
	{ "a length of 13 (below an Ethernet header)", "length of 13 bytes",
	  H_RUNT },
	{ "a length of 0xffffffff", "length of 4294967295 bytes", H_HUGE },
	{ "a length one above the largest frame", "length of 65554 bytes",
	  H_ABOVE_MAX },
	{ "random bytes", "out of sync", H_RANDOM },
	{ "a frame cut short, then close", "middle of a frame", H_TRUNCATED },
	{ "2000 random well-framed frames, then a bad length",
	  "length of 3735928559 bytes", H_FRAMES_THEN_BAD },
};

struct hostile_report {
	int setup_ok;
	char msg[200];
	int up_before;		/* IFF_RUNNING once configured */
	int up_after_frames;	/* ... after the well-framed ones (last case) */
	int down;		/* IFF_RUNNING cleared after the bad bytes */
	double down_s;
	int lo_ok;		/* still serving: a TCP connect on loopback */
	struct ulk_netdev_stats st;
};

static int if_running(int ifindex)
{
	struct ulk_ifreq ifr;
	long fd, ret;

	fd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_DGRAM | ULK_SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ulk_ifr_ifindex = ifindex;
	ret = ulk_sys_ioctl(fd, ULK_SIOCGIFNAME, (long)&ifr);
	if (!ret)
		ret = ulk_sys_ioctl(fd, ULK_SIOCGIFFLAGS, (long)&ifr);
	ulk_sys_close(fd);
	if (ret)
		return -1;
	return !!(ifr.ulk_ifr_flags & ULK_IFF_RUNNING);
}

/* A TCP connection to itself on 127.0.0.1: the kernel still works. */
static int loopback_ok(void)
{
	struct ulk_sockaddr sa;
	long l, c, s;
	int ok;

	l = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_STREAM, 0);
	ulk_sin(&sa, "127.0.0.1", 5099);
	if (ulk_sys_bind(l, &sa, sizeof(struct ulk_sockaddr_in)) ||
	    ulk_sys_listen(l, 1))
		return 0;
	c = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_STREAM, 0);
	ok = !ulk_sys_connect(c, &sa, sizeof(struct ulk_sockaddr_in));
	s = ok ? ulk_sys_accept4(l, NULL, NULL, 0) : -1;
	ok = ok && s >= 0 && ulk_sys_sendto(c, "x", 1, 0, NULL, 0) == 1;
	if (s >= 0)
		ulk_sys_close(s);
	ulk_sys_close(c);
	ulk_sys_close(l);
	return ok;
}

static void __attribute__((noreturn))
run_victim(int cable, int to_parent, int from_parent)
{
	static struct hostile_report r;
	int dev, ifindex;
	int64_t t0;
	char c;

	test_watchdog(60);
	dev = ulk_netdev_add_stream_fd(cable, NULL);
	if (dev < 0) {
		snprintf(r.msg, sizeof(r.msg), "adding the device: %s (%s)",
			 errstr(dev), ulk_netdev_last_error());
		goto report;
	}
	ulk_boot_or_die();
	ifindex = ulk_netdev_ifindex(dev);
	if (ifindex <= 0 || ulk_ifconfig4(ifindex, IP_A, 24)) {
		snprintf(r.msg, sizeof(r.msg), "configuring the interface");
		goto report;
	}
	if (ulk_if_set_up(ulk_if_index("lo"), 1)) {
		snprintf(r.msg, sizeof(r.msg), "bringing lo up");
		goto report;
	}
	r.setup_ok = 1;
	/* The link comes up when the driver starts; give it a moment. */
	for (t0 = now_ns(); if_running(ifindex) != 1 &&
	     now_ns() - t0 < 2 * NSEC_PER_SEC;)
		sleep_ns(10 * NSEC_PER_MSEC);
	r.up_before = if_running(ifindex) == 1;
	write_all(to_parent, "R", 1);
	/* 'F': the well-framed frames were written; 'B': the bad bytes. */
	while (read(from_parent, &c, 1) == 1 && c == 'F') {
		sleep_ns(300 * NSEC_PER_MSEC);
		r.up_after_frames = if_running(ifindex) == 1;
		write_all(to_parent, "R", 1);
	}
	for (t0 = now_ns(); now_ns() - t0 < 5 * NSEC_PER_SEC;) {
		if (if_running(ifindex) == 0) {
			r.down = 1;
			break;
		}
		sleep_ns(5 * NSEC_PER_MSEC);
	}
	r.down_s = (now_ns() - t0) / 1e9;
	r.lo_ok = loopback_ok();
report:
	if (dev >= 0)
		ulk_netdev_stats(dev, &r.st);
	write_all(to_parent, "D", 1);
	write_all(to_parent, &r, sizeof(r));
	while (read(from_parent, &c, 1) > 0)
		;
	_exit(0);
}

/* Write all of @buf to the victim's stream; false if it closed first. */
static bool peer_write(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

static void put_len(unsigned char *p, uint32_t len)
{
	p[0] = len >> 24;
	p[1] = len >> 16;
	p[2] = len >> 8;
	p[3] = len;
}

/* The victim closes its end: reads from ours end in EOF (its frames before). */
static bool peer_sees_eof(int fd, int64_t deadline)
{
	static unsigned char buf[65536];

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t left = deadline - now_ns();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, left / NSEC_PER_MSEC + 1) <= 0)
			return false;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			return true;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return errno == ECONNRESET;
	}
}

static void run_hostile(const struct hostile *h)
{
	static unsigned char buf[1 << 17];
	struct hostile_report r = { 0 };
	int sv[2], up[2], down[2], err[2], status, lines = 0;
	int64_t deadline = now_ns() + 30 * NSEC_PER_SEC;
	uint64_t rnd = 0xbad5eed;
	char c, errtxt[4096], *line, *save, downline[512] = "";
	bool wrote = true, eof = false, reported = false;
	ssize_t n, elen = 0;
	pid_t pid;
	int i;

	NOTE("--- hostile peer: %s", h->name);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) ||
	    pipe(up) || pipe(down) || pipe(err)) {
		CHECK(false, "socketpair/pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(sv[1]);
		close(up[0]);
		close(down[1]);
		close(err[0]);
		dup2(err[1], 2);
		close(err[1]);
		run_victim(sv[0], up[1], down[0]);
	}
	close(sv[0]);
	close(up[1]);
	close(down[0]);
	close(err[1]);
	if (!read_until(up[0], &c, 1, deadline) || c != 'R') {
		if (c == 'D')
			read_until(up[0], &r, sizeof(r), deadline);
		CHECK(false, "the victim set up its device and booted (%s)",
		      r.msg);
		goto reap;
	}
	switch (h->kind) {
	case H_ZERO:
		put_len(buf, 0);
		wrote = peer_write(sv[1], buf, 4);
		break;
	case H_RUNT:
		put_len(buf, 13);
		memset(buf + 4, 0xee, 13);
		wrote = peer_write(sv[1], buf, 17);
		break;
	case H_HUGE:
		put_len(buf, 0xffffffffU);
		memset(buf + 4, 0xee, 1000);
		wrote = peer_write(sv[1], buf, 1004);
		break;
	case H_ABOVE_MAX:
		put_len(buf, 65554);
		memset(buf + 4, 0xee, 65554);
		/* ulk may close before it has read everything. */
		peer_write(sv[1], buf, 4 + 65554);
		break;
	case H_RANDOM:
		stream_fill(rnd, 0, buf, 8192);
		/* A random first length small enough would be a frame. */
		buf[0] |= 0x80;
		peer_write(sv[1], buf, 8192);
		break;
	case H_TRUNCATED:
		put_len(buf, 1514);
		memset(buf + 4, 0xee, 700);
		wrote = peer_write(sv[1], buf, 704);
		shutdown(sv[1], SHUT_WR);
		break;
	case H_FRAMES_THEN_BAD:
		for (i = 0; i < 2000 && wrote; i++) {
			uint32_t flen = 14 + (stream_word(i, rnd) % 1501);

			put_len(buf, flen);
			stream_fill(rnd + i, 0, buf + 4, flen);
			buf[4] |= 0x02;		/* not for anyone's MAC... */
			buf[4] &= ~0x01;	/* ...and not multicast */
			wrote = peer_write(sv[1], buf, 4 + flen);
		}
		write_all(down[1], "F", 1);
		wrote = wrote && read_until(up[0], &c, 1, deadline) && c == 'R';
		put_len(buf, 0xdeadbeefU);
		wrote = wrote && peer_write(sv[1], buf, 4);
		break;
	}
	CHECK(wrote, "the hostile bytes were written");
	write_all(down[1], "B", 1);
	eof = peer_sees_eof(sv[1], now_ns() + 5 * NSEC_PER_SEC);
	reported = read_until(up[0], &c, 1, deadline) && c == 'D' &&
		   read_until(up[0], &r, sizeof(r), deadline);
	CHECK(reported && r.setup_ok, "the victim survived and reported%s%s",
	      *r.msg ? ": " : "", r.msg);
	if (reported) {
		CHECK(r.up_before, "its link was up before");
		if (h->kind == H_FRAMES_THEN_BAD)
			CHECK(r.up_after_frames, "well-framed random frames "
			      "left the link up (%llu frames received)",
			      r.st.rx.packets);
		CHECK(r.down, "its link went down (IFF_RUNNING cleared) "
		      "within %.2f s", r.down_s);
		CHECK(r.lo_ok, "its kernel still serves (TCP on loopback)");
	}
	CHECK(eof, "it closed its end of the stream (EOF at the peer)");
reap:
	close(down[1]);
	close(sv[1]);
	if (!reported)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (reported)
		CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
		      "it exited cleanly (status 0x%x)", status);
	while (elen < (ssize_t)sizeof(errtxt) - 1 &&
	       (n = read(err[0], errtxt + elen,
			 sizeof(errtxt) - 1 - elen)) > 0)
		elen += n;
	errtxt[elen > 0 ? elen : 0] = '\0';
	close(err[0]);
	close(up[0]);
	for (line = strtok_r(errtxt, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "link is down")) {
			lines++;
			snprintf(downline, sizeof(downline), "%s", line);
		}
	}
	CHECK(lines == 1 && strstr(downline, h->expect),
	      "said so once (%d lines), naming the cause (\"%s\"): %s", lines,
	      h->expect, downline);
}

int main(void)
{
	/* STREAM_SCENARIO=n runs scenario n only (hostile ones: 5). */
	const char *only = getenv("STREAM_SCENARIO");
	char tmpdir[] = "/tmp/ulk-stream-XXXXXX";
	size_t i;

	test_watchdog(WATCHDOG_S);
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(tmpdir)) {
		printf("FAIL mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (!only || (size_t)atoi(only) == i + 1)
			run_scenario(i, tmpdir);
	if (!only || atoi(only) == 5)
		for (i = 0; i < sizeof(hostiles) / sizeof(hostiles[0]); i++)
			run_hostile(&hostiles[i]);
	if (rate_of[0] > 0 && rate_of[1] > 0)
		NOTE("throughput at MTU 1500, no offloads: stream %.1f MB/s, "
		     "pipe %.1f MB/s (%.2fx); stream at MTU 65520: %.1f MB/s",
		     rate_of[0], rate_of[1], rate_of[0] / rate_of[1],
		     rate_of[2]);
	rmdir(tmpdir);
	return test_finish();
}
