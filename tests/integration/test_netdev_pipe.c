// SPDX-License-Identifier: GPL-2.0
/*
 * Two ulk kernels, two processes, one cable: the pipe backend, no
 * privileges needed.
 *
 * One kernel per process, so every scenario forks two children before
 * either boots: A (10.77.0.1) and B (10.77.0.2), linked by the pipe
 * backend. B listens, A connects over TCP and sends a stream; B checks
 * every byte against the expected stream and sends its own back on the
 * same connection, which A checks the same way. Each side also checksums
 * what it sent and received, and the parent, which only orchestrates,
 * compares the checksums across the processes. Both kernels stay up until
 * the parent has both reports, so no data is lost with a kernel.
 *
 * Scenarios:
 *  1. every offload on, a SOCK_DGRAM socketpair, 256 MB each way: the
 *     device counters must show frames above 32 KiB crossing in both
 *     directions (TSO out, mergeable buffers in), so the virtio-net header
 *     and its offload metadata made it across;
 *  2. "big packets" receive mode (offloads on but mergeable buffers off), a
 *     SOCK_SEQPACKET socketpair: large frames still cross;
 *  3. every offload off, named sockets (PATH.a / PATH.b): no frame above
 *     32 KiB; and a device added after boot is refused with -EBUSY;
 *  4. the impairment filter on both devices, both directions: 5% loss,
 *     2% duplication, 5% reordering, 0.1% corruption of wire segments.
 *     The data must still arrive intact, the filters must report having
 *     done each of those things, and the kernels' RetransSegs
 *     (/proc/net/snmp) must show the loss was real. Only 2 MB: at 5% loss
 *     both ways TCP spends its time in recovery timers (delayed ACKs,
 *     RTO) and moves about 1 MB/s here.
 */
#include "common.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "net/netdev_helpers.h"

#define PORT		5001
#define IP_A		"10.77.0.1"
#define IP_B		"10.77.0.2"
#define SEED_AB		0xa2bULL
#define SEED_BA		0xb2aULL
#define RCV_TIMEOUT_S	20
#define SCENARIO_S	60	/* a scenario still running after this hangs */
#define WATCHDOG_S	200

enum cable { CABLE_DGRAM, CABLE_SEQPACKET, CABLE_PATH };

struct scenario {
	const char *name;
	unsigned long long bytes;	/* each way */
	enum cable cable;
	unsigned int offloads;
	bool late_add_b;		/* B tries adding a device after boot */
	bool impair;
	bool want_large;		/* frames above 32 KiB must cross */
};

static const struct ulk_netdev_impair bad_net = {
	.drop = 0.05, .duplicate = 0.02, .reorder = 0.05, .corrupt = 0.001,
	.seed = 42,
};

static const struct scenario scenarios[] = {
	{ "offloads on, datagram socketpair", 256ULL << 20, CABLE_DGRAM, 0,
	  false, false, true },
	{ "big packets (mergeable buffers off), seqpacket socketpair",
	  64ULL << 20, CABLE_SEQPACKET,
	  ULK_NETDEV_OFFLOAD_ALL & ~ULK_NETDEV_OFFLOAD_RX_MRG, false, false,
	  true },
	{ "offloads off, named sockets, a device added after boot",
	  32ULL << 20, CABLE_PATH, ULK_NETDEV_OFFLOAD_NONE, true, false,
	  false },
	{ "impaired both ways (5% loss, 2% dup, 5% reorder, 0.1% corrupt)",
	  2ULL << 20, CABLE_DGRAM, 0, false, true, false },
};

/* What each side tells the parent at the end. */
struct report {
	int setup_ok;
	char msg[256];
	struct xfer sent;
	struct xfer got;
	struct ulk_netdev_stats st;
	long long retrans;		/* Tcp RetransSegs, -1 if unknown */
	int late_add;			/* what adding a device after boot gave */
	char late_msg[256];
};

struct side {
	const char *name;
	const char *ip;
	pid_t pid;
	int to_parent;			/* parent's read end */
	int from_parent;		/* parent's write end */
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

/* RetransSegs from the "Tcp:" lines of /proc/net/snmp inside ulk. */
static long long tcp_retrans(void)
{
	static char buf[8192];
	char *hdr, *val, *h, *v, *hs, *vs;

	if (ulk_read_file("/proc/net/snmp", buf, sizeof(buf)) <= 0)
		return -1;
	hdr = strstr(buf, "\nTcp:");
	val = hdr ? strstr(hdr + 1, "\nTcp:") : NULL;
	if (!val)
		return -1;
	hdr = strtok_r(hdr + 1, "\n", &hs);
	val = strtok_r(val + 1, "\n", &vs);
	h = strtok_r(hdr, " ", &hs);
	v = strtok_r(val, " ", &vs);
	while (h && v) {
		if (!strcmp(h, "RetransSegs"))
			return atoll(v);
		h = strtok_r(NULL, " ", &hs);
		v = strtok_r(NULL, " ", &vs);
	}
	return -1;
}

static int add_device(const struct scenario *sc, int cable, const char *path,
		      int role, char *msg, size_t len)
{
	struct ulk_netdev_opts opts = { .offloads = sc->offloads };
	int dev;

	if (sc->impair) {
		opts.tx = bad_net;
		opts.rx = bad_net;
		opts.tx.seed += role * 2;
		opts.rx.seed += role * 2 + 1;
	}
	if (sc->cable == CABLE_PATH)
		dev = ulk_netdev_add_pipe_path(path, role, &opts);
	else
		dev = ulk_netdev_add_pipe_fd(cable, &opts);
	if (dev < 0)
		snprintf(msg, len, "adding the device: %s (%s)", errstr(dev),
			 ulk_netdev_last_error());
	return dev;
}

/*
 * One side: boot, add the device (before or after boot), configure, run
 * the transfer, report, and keep the kernel up until the parent hangs up.
 */
static void __attribute__((noreturn))
run_side(const struct scenario *sc, bool is_b, int cable, const char *path,
	 int to_parent, int from_parent)
{
	static struct report r;
	const char *ip = is_b ? IP_B : IP_A;
	int role = is_b ? ULK_NETDEV_PIPE_B : ULK_NETDEV_PIPE_A;
	struct ulk_sockaddr sa;
	long lfd = -1, fd = -1, ret;
	int dev = -1, ifindex, one = 1;
	char c;

	test_watchdog(SCENARIO_S + 30);
	r.retrans = -1;
	dev = add_device(sc, cable, path, role, r.msg, sizeof(r.msg));
	if (dev < 0)
		goto report;
	ulk_boot_or_die();
	if (is_b && sc->late_add_b) {
		char late_path[160];

		snprintf(late_path, sizeof(late_path), "%s-late", path);
		r.late_add = ulk_netdev_add_pipe_path(late_path,
						      ULK_NETDEV_PIPE_A, NULL);
		snprintf(r.late_msg, sizeof(r.late_msg), "%s",
			 ulk_netdev_last_error());
	}
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
		write_all(to_parent, "R", 1);	/* A may connect now */
		fd = ulk_sys_accept4(lfd, NULL, NULL, ULK_SOCK_CLOEXEC);
		if (fd < 0) {
			snprintf(r.msg, sizeof(r.msg), "accept: %s",
				 errstr(fd));
			goto report;
		}
	} else {
		write_all(to_parent, "R", 1);
		if (read(from_parent, &c, 1) != 1)	/* B is listening */
			_exit(4);
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
	r.retrans = tcp_retrans();
	write_all(to_parent, "D", 1);
	write_all(to_parent, &r, sizeof(r));
	/*
	 * Data this side sent may still sit in its kernel (waiting for the
	 * peer's window or a retransmission): keep the kernel alive until
	 * the parent has both reports and hangs up.
	 */
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

/* ---- the parent: orchestration and checks ------------------------------------ */

static bool spawn(struct side *s, const struct scenario *sc, bool is_b,
		  int cable, int other_cable, const char *path,
		  const struct side *other)
{
	int up[2], down[2];

	if (pipe(up) || pipe(down))
		return false;
	fflush(stdout);
	s->pid = fork();
	if (s->pid < 0)
		return false;
	if (s->pid == 0) {
		close(up[0]);
		close(down[1]);
		if (other_cable >= 0)
			close(other_cable);
		/* Only the parent may hold the other side's pipes. */
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

/* Read exactly @len bytes from @fd before @deadline (now_ns() clock). */
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

/*
 * Wait for a side's next message: 'R' (ready) returns true; 'D' is its
 * report (it gave up or finished), read here.
 */
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

static void check_large(const char *what, const struct ulk_netdev_dir_stats *d,
			bool want)
{
	if (want)
		CHECK(d->large > 0, "%s: %llu frames above 32 KiB crossed the "
		      "pipe (of %llu frames)", what, d->large, d->packets);
	else
		CHECK(d->large == 0, "%s: no frame above 32 KiB (%llu frames)",
		      what, d->packets);
}

static void check_impair(const char *who, const char *dir,
			 const struct ulk_netdev_impair_stats *im)
{
	CHECK(im->dropped && im->duplicated && im->reordered && im->corrupted,
	      "%s %s filter: %llu passed, %llu dropped, %llu duplicated, "
	      "%llu reordered, %llu corrupted", who, dir, im->passed,
	      im->dropped, im->duplicated, im->reordered, im->corrupted);
}

static void run_scenario(const struct scenario *sc, const char *tmpdir)
{
	struct side a = { .name = "A", .ip = IP_A, .pid = -1 };
	struct side b = { .name = "B", .ip = IP_B, .pid = -1 };
	int sv[2] = { -1, -1 }, status;
	int64_t deadline = now_ns() + SCENARIO_S * NSEC_PER_SEC;
	unsigned int want_off;
	char path[128] = "", sock[140];
	int i;

	NOTE("--- %s, %llu MB each way", sc->name, sc->bytes >> 20);
	if (sc->cable == CABLE_PATH) {
		snprintf(path, sizeof(path), "%s/cable", tmpdir);
	} else if (socketpair(AF_UNIX, (sc->cable == CABLE_DGRAM ?
					SOCK_DGRAM : SOCK_SEQPACKET) |
			      SOCK_CLOEXEC, 0, sv)) {
		CHECK(false, "socketpair: %s", strerror(errno));
		return;
	}
	if (!spawn(&a, sc, false, sv[0], sv[1], path, &b) ||
	    !spawn(&b, sc, true, sv[1], sv[0], path, &a)) {
		CHECK(false, "fork: %s", strerror(errno));
		goto reap;
	}
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}

	/* Both booted and configured, B listening: let A connect. */
	if (!wait_ready(&a, deadline) || !wait_ready(&b, deadline)) {
		/* One side gave up (its report says why) or hangs. */
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

		print_netdev_stats_of("A", &a.r.st);
		print_netdev_stats_of("B", &b.r.st);
		want_off = sc->offloads == ULK_NETDEV_OFFLOAD_NONE ? 0 :
			   sc->offloads ? sc->offloads : ULK_NETDEV_OFFLOAD_ALL;
		CHECK(a.r.st.offloads == want_off && b.r.st.offloads == want_off,
		      "drivers accepted offloads 0x%x (A 0x%x, B 0x%x)",
		      want_off, a.r.st.offloads, b.r.st.offloads);
		/* The filter cuts TSO packets into wire segments. */
		if (!sc->impair) {
			check_large("A->B, sent by A", &a.r.st.tx,
				    sc->want_large);
			check_large("A->B, received by B", &b.r.st.rx,
				    sc->want_large);
			check_large("B->A, sent by B", &b.r.st.tx,
				    sc->want_large);
			check_large("B->A, received by A", &a.r.st.rx,
				    sc->want_large);
		}
		CHECK(!a.r.st.broken && !b.r.st.broken &&
		      !a.r.st.tx.errors && !a.r.st.rx.errors &&
		      !b.r.st.tx.errors && !b.r.st.rx.errors,
		      "no device errors (A tx %llu rx %llu, B tx %llu rx %llu)",
		      a.r.st.tx.errors, a.r.st.rx.errors, b.r.st.tx.errors,
		      b.r.st.rx.errors);
		if (sc->late_add_b)
			CHECK(b.r.late_add == -EBUSY, "a device added after "
			      "boot is refused with -EBUSY (got %s: %s)",
			      errstr(b.r.late_add), b.r.late_msg);
		if (sc->impair) {
			check_impair("A", "tx", &a.r.st.tx.impair);
			check_impair("A", "rx", &a.r.st.rx.impair);
			check_impair("B", "tx", &b.r.st.tx.impair);
			check_impair("B", "rx", &b.r.st.rx.impair);
			CHECK(a.r.retrans > 0 && b.r.retrans > 0,
			      "TCP retransmitted: RetransSegs A %lld, B %lld",
			      a.r.retrans, b.r.retrans);
		}
	}
reap:
	/* Hang up: both kernels may go now. A hung side is killed. */
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
	NOTE("scenario took %.1f s", (now_ns() - (deadline -
		SCENARIO_S * NSEC_PER_SEC)) / 1e9);
	/* Sockets of a killed side stay behind. */
	for (i = 0; *path && i < 2; i++) {
		snprintf(sock, sizeof(sock), "%s.%c", path, "ab"[i]);
		unlink(sock);
	}
}

int main(void)
{
	/* PIPE_SCENARIO=n runs scenario n (from 1) only: for debugging. */
	const char *only = getenv("PIPE_SCENARIO");
	char tmpdir[] = "/tmp/ulk-pipe-XXXXXX";
	size_t i;

	test_watchdog(WATCHDOG_S);
	if (!mkdtemp(tmpdir)) {
		printf("FAIL mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (!only || (size_t)atoi(only) == i + 1)
			run_scenario(&scenarios[i], tmpdir);
	/* The named sockets unlink themselves; the directory is ours. */
	rmdir(tmpdir);
	return test_finish();
}
