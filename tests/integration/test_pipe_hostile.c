// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile pipe peer: bogus virtio-net headers while a verified transfer
 * runs.
 *
 * Two ulk kernels in two processes, A (10.79.0.1) and B (10.79.0.2), each
 * with a pipe device (every offload on), are linked through the parent:
 * it holds the other end of both socketpairs and relays every datagram
 * between them, so it is each kernel's pipe peer. Over one TCP connection
 * B streams to A and A streams to B, both checking every byte, until the
 * parent says stop. Meanwhile the parent sends each of them, between the
 * datagrams it relays, hostile ones (HOSTILE in all): virtio-net headers
 * with every field out of range (flags with unknown bits, unknown and
 * contradictory GSO types, header lengths of 0 and 65535, GSO sizes of 0,
 * 1 and 65535, checksum starts and offsets past the end, odd and huge,
 * num_buffers of 0 and 65535), in front of random frames, of frames it
 * relayed (so the bogus header reaches the kernel's IP and TCP with a
 * real segment behind it), of truncated ones; and datagrams shorter than
 * the header, headers alone, runts, 64 KiB frames and oversized ones.
 *
 * Checks: both kernels survive (no crash, no hang, the device never
 * marked broken), the streams arrive intact both ways, the kernels log no
 * WARNING, BUG or Oops, the devices account for what they refused, and
 * each process's resident memory (VmRSS) grows by at most RSS_GROWTH_KB
 * over the flood.
 */
#include "common.h"

#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "net/netdev_helpers.h"

#define PORT		5002
#define IP_A		"10.79.0.1"
#define IP_B		"10.79.0.2"
#define SEED_AB		0x5eedabULL
#define SEED_BA		0x5eedbaULL
#define HOSTILE		100000		/* datagrams, both sides together */
#define RSS_GROWTH_KB	(16 << 10)
#define WARMUP_NS	(500 * NSEC_PER_MSEC)
#define WATCHDOG_S	150
#define IO_TIMEOUT_S	20
#define DGRAM_MAX	(70 << 10)
#define TEMPLATES	16
#define VNET_HDR	12		/* struct virtio_net_hdr_v1 */
#define RELAY_SNDBUF	(8 << 20)

struct report {
	int setup_ok;
	char msg[256];
	struct xfer sent, got;
	struct ulk_netdev_stats st;
	int log_bad;			/* WARNING/BUG/Oops lines in the log */
	char log_line[200];		/* the first of them */
	int log_read;			/* the kernel log could be read */
	char kstats[200];		/* the kernel's receive counters */
};

struct side {
	const char *name;
	pid_t pid;
	int relay;			/* the parent's end of its cable */
	int up, down;			/* child -> parent, parent -> child */
	struct report r;
	bool reported;
	long rss0, rss1;		/* kB, at the flood's start and end */
	unsigned long long hostile;	/* datagrams sent to it */
	unsigned long long relayed;	/* datagrams relayed to it */
};

/* ---- the children: a kernel each ------------------------------------------- */

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

static void set_timeouts(long fd)
{
	struct { long sec, usec; } tv = { IO_TIMEOUT_S, 0 };

	ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_RCVTIMEO_OLD, &tv,
			   sizeof(tv));
	ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_SNDTIMEO_OLD, &tv,
			   sizeof(tv));
}

struct rx_arg {
	long fd;
	uint64_t seed;
	struct xfer x;
};

static void *rx_thread(void *arg)
{
	struct rx_arg *a = arg;

	xfer_recv(&ulk_api, a->fd, a->seed, UINT64_MAX - 1, &a->x);
	return NULL;
}

/*
 * Send the stream until the parent says stop (a byte on @ctl), then shut
 * down the sending side.
 */
static void send_until_stop(long fd, uint64_t seed, int ctl, struct xfer *x)
{
	static unsigned char buf[XFER_CHUNK];
	struct stream_sum s;
	int64_t t0 = now_ns();

	sum_init(&s);
	memset(x, 0, sizeof(*x));
	x->bad_offset = -1;
	for (;;) {
		struct pollfd p = { ctl, POLLIN, 0 };
		size_t done = 0;

		if (poll(&p, 1, 0) > 0)
			break;
		stream_fill(seed, x->bytes, buf, XFER_CHUNK);
		sum_update(&s, buf, XFER_CHUNK);
		while (done < XFER_CHUNK) {
			long n = ulk_api_send(fd, buf + done,
					      XFER_CHUNK - done);

			if (n == -EINTR)
				continue;
			if (n <= 0) {
				x->err = n ? n : -EPIPE;
				goto out;
			}
			done += n;
		}
		x->bytes += XFER_CHUNK;
	}
out:
	x->sum = sum_final(&s);
	x->ns = now_ns() - t0;
	ulk_sys_shutdown(fd, ULK_SHUT_WR);
}

/*
 * The kernel's view of what it received: the interface's counters from
 * /proc/net/dev and IP's from /proc/net/snmp.
 */
static void kernel_stats(struct report *r)
{
	static char buf[8192];
	unsigned long long rxb, rxp, rxe, rxd, v[20];
	char *p, *q;
	int k = 0;

	if (ulk_read_file("/proc/net/dev", buf, sizeof(buf)) > 0 &&
	    (p = strstr(buf, "eth0:")) &&
	    sscanf(p + 5, "%llu %llu %llu %llu", &rxb, &rxp, &rxe, &rxd) == 4)
		k = snprintf(r->kstats, sizeof(r->kstats), "eth0 received "
			     "%llu packets, %llu errors, %llu dropped; ", rxp,
			     rxe, rxd);
	if (ulk_read_file("/proc/net/snmp", buf, sizeof(buf)) > 0 &&
	    (p = strstr(buf, "Ip: ")) && (q = strstr(p + 1, "\nIp: ")) &&
	    sscanf(q + 5, "%llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5]) == 6)
		snprintf(r->kstats + k, sizeof(r->kstats) - k, "IP received "
			 "%llu, %llu with bad headers, %llu bad addresses",
			 v[2], v[3], v[4]);
}

/* Count WARNING/BUG/Oops lines in the kernel's log. */
static void scan_log(struct report *r)
{
	static char log[1 << 20];
	long n = ulk_sys_syslog(3 /* SYSLOG_ACTION_READ_ALL */, log,
				sizeof(log) - 1);
	char *line, *save;

	if (n < 0)
		return;
	r->log_read = 1;
	log[n] = 0;
	for (line = strtok_r(log, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strstr(line, "WARNING") && !strstr(line, "BUG") &&
		    !strstr(line, "Oops") && !strstr(line, "Call Trace"))
			continue;
		if (!r->log_bad++)
			snprintf(r->log_line, sizeof(r->log_line), "%s", line);
	}
}

static void __attribute__((noreturn))
run_side(bool is_b, int cable, int up, int down)
{
	static struct report r;
	struct rx_arg rx = { .seed = is_b ? SEED_AB : SEED_BA };
	struct ulk_sockaddr sa;
	long lfd = -1, fd = -1, ret;
	int dev, ifindex, one = 1;
	pthread_t t;
	char c;

	test_watchdog(WATCHDOG_S);
	dev = ulk_netdev_add_pipe_fd(cable, NULL);
	if (dev < 0) {
		snprintf(r.msg, sizeof(r.msg), "adding the device: %s (%s)",
			 errstr(dev), ulk_netdev_last_error());
		goto report;
	}
	ulk_boot_or_die();
	ifindex = ulk_netdev_ifindex(dev);
	ret = ifindex > 0 ? ulk_ifconfig4(ifindex, is_b ? IP_B : IP_A, 24) :
	      ifindex;
	if (ret) {
		snprintf(r.msg, sizeof(r.msg), "configuring: %s", errstr(ret));
		goto report;
	}
	if (!is_b) {
		lfd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_STREAM, 0);
		ulk_sys_setsockopt(lfd, ULK_SOL_SOCKET, ULK_SO_REUSEADDR, &one,
				   sizeof(one));
		ulk_sin(&sa, IP_A, PORT);
		ret = ulk_sys_bind(lfd, &sa, sizeof(struct ulk_sockaddr_in));
		if (!ret)
			ret = ulk_sys_listen(lfd, 4);
		if (ret) {
			snprintf(r.msg, sizeof(r.msg), "listen: %s",
				 errstr(ret));
			goto report;
		}
		write_all(up, "R", 1);
		fd = ulk_sys_accept4(lfd, NULL, NULL, 0);
	} else {
		write_all(up, "R", 1);
		if (read(down, &c, 1) != 1)	/* A listens */
			_exit(4);
		fd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_STREAM, 0);
		set_timeouts(fd);
		ulk_sin(&sa, IP_A, PORT);
		ret = ulk_sys_connect(fd, &sa, sizeof(struct ulk_sockaddr_in));
		if (ret)
			fd = ret;
	}
	if (fd < 0) {
		snprintf(r.msg, sizeof(r.msg), "%s: %s", is_b ? "connect" :
			 "accept", errstr(fd));
		goto report;
	}
	set_timeouts(fd);
	r.setup_ok = 1;
	rx.fd = fd;
	if (pthread_create(&t, NULL, rx_thread, &rx)) {
		snprintf(r.msg, sizeof(r.msg), "pthread_create failed");
		goto report;
	}
	send_until_stop(fd, is_b ? SEED_BA : SEED_AB, down, &r.sent);
	pthread_join(t, NULL);
	r.got = rx.x;
report:
	if (dev >= 0)
		ulk_netdev_stats(dev, &r.st);
	kernel_stats(&r);
	scan_log(&r);
	write_all(up, "D", 1);
	write_all(up, &r, sizeof(r));
	/* Keep the kernel up until the parent hangs up (data in flight). */
	for (;;) {
		ssize_t n = read(down, &c, 1);

		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	if (fd >= 0)
		ulk_sys_close(fd);
	if (lfd >= 0)
		ulk_sys_close(lfd);
	_exit(0);
}

/* ---- hostile datagrams --------------------------------------------------------- */

static uint64_t rng = 0x4057113ULL;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
	return rnd() % n;
}

/* One of @n values, or (1 time in 4) a random 16-bit one. */
static uint16_t pick16(const uint16_t *v, size_t n)
{
	return below(4) ? v[below(n)] : (uint16_t)rnd();
}

struct templates {
	unsigned char buf[TEMPLATES][2048];
	size_t len[TEMPLATES];
	unsigned int n, next;
};

/*
 * A hostile datagram into @d (at least DGRAM_MAX bytes); its length.
 * @t holds frames recently relayed towards the same side.
 */
static size_t hostile(unsigned char *d, const struct templates *t)
{
	static const uint16_t flags[] = { 0xff, 0xfe, 0x80, 0x01, 0x02, 0x03,
					  0x04, 0x05, 0x07 };
	static const uint16_t gso[] = { 0x01, 0x03, 0x04, 0x05, 0x80, 0x81,
					0x83, 0x84, 0x85, 0x02, 0x06, 0x7f,
					0xff };
	static const uint16_t sizes[] = { 0, 1, 2, 7, 8, 0x7fff, 0x8000,
					  0xfffe, 0xffff };
	static const uint16_t offs[] = { 0, 1, 3, 6, 10, 16, 0x7fff, 0xfff0,
					 0xfffe, 0xffff };
	size_t len, hdr = VNET_HDR;
	unsigned int kind = below(16);
	uint16_t v;

	switch (kind) {
	case 0:		/* shorter than the header, or empty */
		len = below(hdr);
		for (size_t i = 0; i < len; i++)
			d[i] = rnd();
		return len;
	case 1:		/* the header alone, or a runt after it */
		len = hdr + below(14);
		break;
	case 2:		/* a 64 KiB frame, or a larger one than allowed */
		len = below(2) ? 65565 - below(64) : 65566 + below(4000);
		break;
	case 3: case 4: case 5: case 6: case 7: case 8:
		/* a relayed frame, whole or cut, behind the bogus header */
		if (t->n) {
			unsigned int k = below(t->n);

			len = t->len[k];
			memcpy(d, t->buf[k], len);
			if (below(4) == 0 && len > hdr + 14)
				len = hdr + 14 + below(len - hdr - 14);
			break;
		}
		/* fall through */
	default:	/* random frame */
		len = hdr + 14 + below(1514 - 14 + 1);
		break;
	}
	if (kind < 3 || kind > 8 || !t->n) {
		for (size_t i = hdr; i < len; i++)
			d[i] = rnd();
		if (below(2) && len >= hdr + 14) {
			/* Ethernet to anyone, IPv4 or IPv6 */
			memset(d + hdr, 0xff, 6);
			d[hdr + 12] = below(2) ? 0x08 : 0x86;
			d[hdr + 13] = d[hdr + 12] == 0x08 ? 0x00 : 0xdd;
			if (len >= hdr + 34)
				d[hdr + 14] = d[hdr + 12] == 0x08 ? 0x45 : 0x60;
		}
	}
	/* struct virtio_net_hdr_v1, little endian */
	d[0] = pick16(flags, sizeof(flags) / 2);
	/* A third with a GSO type the device takes, to reach the driver. */
	d[1] = below(3) ? pick16(gso, sizeof(gso) / 2) :
	       (uint8_t[]){ 0x00, 0x01, 0x04, 0x81, 0x84 }[below(5)];
	v = below(3) ? pick16(offs, sizeof(offs) / 2) : len + below(3) - 1;
	memcpy(d + 2, &v, 2);				/* hdr_len */
	v = pick16(sizes, sizeof(sizes) / 2);
	memcpy(d + 4, &v, 2);				/* gso_size */
	v = below(3) ? pick16(offs, sizeof(offs) / 2) : len - below(4);
	memcpy(d + 6, &v, 2);				/* csum_start */
	v = pick16(offs, sizeof(offs) / 2);
	memcpy(d + 8, &v, 2);				/* csum_offset */
	v = below(2) ? 0 : below(2) ? 0xffff : (uint16_t)rnd();
	memcpy(d + 10, &v, 2);				/* num_buffers */
	return len;
}

/* ---- the parent: relay, flood, checks ------------------------------------------ */

static long vm_rss_kb(pid_t pid)
{
	char path[64], line[128];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static bool spawn(struct side *s, bool is_b, int cable, int close_too,
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
		close(close_too);
		/* Only the parent may hold the other side's pipes. */
		if (other->pid > 0) {
			close(other->up);
			close(other->down);
		}
		run_side(is_b, cable, up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);
	close(cable);
	s->up = up[0];
	s->down = down[1];
	return true;
}

/* Read a message byte, and the report after a 'D'; false at end of file. */
static bool child_message(struct side *s, char *c)
{
	size_t got = 0;

	if (read(s->up, c, 1) != 1)
		return false;
	if (*c != 'D')
		return true;
	while (got < sizeof(s->r)) {
		ssize_t n = read(s->up, (char *)&s->r + got,
				 sizeof(s->r) - got);

		if (n <= 0)
			return false;
		got += n;
	}
	s->reported = true;
	return true;
}

/*
 * Relay what is waiting on @from to @to's cable (and keep some frames as
 * templates); Return: datagrams relayed.
 */
static unsigned int relay(struct side *from, struct side *to,
			  struct templates *t)
{
	static unsigned char buf[DGRAM_MAX];
	unsigned int n = 0;

	while (n < 64) {
		ssize_t len = recv(from->relay, buf, sizeof(buf), MSG_DONTWAIT);
		struct pollfd p = { to->relay, POLLOUT, 0 };

		if (len < 0)
			break;
		while (send(to->relay, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			if (errno != EAGAIN || poll(&p, 1, 1000) <= 0)
				goto out;
		}
		n++;
		to->relayed++;
		if (len <= (ssize_t)sizeof(t->buf[0]) && len > 40 &&
		    !below(8)) {
			memcpy(t->buf[t->next], buf, len);
			t->len[t->next] = len;
			t->next = (t->next + 1) % TEMPLATES;
			if (t->n < TEMPLATES)
				t->n++;
		}
	}
out:
	return n;
}

/* Up to @burst hostile datagrams to @s, without blocking. */
static void flood(struct side *s, const struct templates *t, int burst)
{
	static unsigned char d[DGRAM_MAX];

	while (burst--) {
		size_t len = hostile(d, t);

		if (send(s->relay, d, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			if (errno == EMSGSIZE)
				continue;	/* larger than AF_UNIX takes */
			break;
		}
		s->hostile++;
	}
}

static void check_side(struct side *s, const struct side *peer)
{
	const struct report *r = &s->r;
	const struct ulk_netdev_dir_stats *rx = &r->st.rx;

	CHECK(r->got.err == 0 && r->got.bad_offset < 0 &&
	      r->got.sum == peer->r.sent.sum &&
	      r->got.bytes == peer->r.sent.bytes && r->got.bytes > 0,
	      "%s received %llu of %llu bytes from %s, every byte as sent "
	      "(first difference at %lld, receive error %s, checksum %016llx, "
	      "sender's %016llx)", s->name,
	      (unsigned long long)r->got.bytes,
	      (unsigned long long)peer->r.sent.bytes, peer->name,
	      (long long)r->got.bad_offset, errstr(r->got.err),
	      (unsigned long long)r->got.sum,
	      (unsigned long long)peer->r.sent.sum);
	CHECK(!r->st.broken, "%s's device is not marked broken", s->name);
	NOTE("%s: %llu hostile datagrams and %llu relayed ones sent to it; "
	     "its device received %llu packets, dropped %llu, refused %llu "
	     "as malformed", s->name, s->hostile, s->relayed, rx->packets,
	     rx->dropped, rx->errors);
	NOTE("%s's kernel: %s", s->name, r->kstats);
	CHECK(r->log_read, "%s's kernel log could be read", s->name);
	CHECK(r->log_bad == 0, "%s's kernel logged no WARNING, BUG or Oops "
	      "(%d such lines%s%s)", s->name, r->log_bad,
	      r->log_bad ? ", first: " : "", r->log_line);
	CHECK(s->rss0 > 0 && s->rss1 > 0 &&
	      s->rss1 - s->rss0 <= RSS_GROWTH_KB,
	      "%s's resident memory stayed bounded: VmRSS %ld kB before the "
	      "flood, %ld kB after (at most +%d kB)", s->name, s->rss0,
	      s->rss1, RSS_GROWTH_KB);
}

int main(void)
{
	struct side a = { .name = "A", .pid = -1 }, b = { .name = "B", .pid = -1 };
	static struct templates to_a, to_b;
	int ca[2], cb[2], status, i;
	int64_t t0, flood_start = 0, flood_ns = 0;
	bool go = false, stopped = false;
	char c;

	test_watchdog(WATCHDOG_S);
	signal(SIGPIPE, SIG_IGN);
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, ca) ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, cb)) {
		CHECK(false, "socketpair: %s", strerror(errno));
		return test_finish();
	}
	a.relay = ca[1];
	b.relay = cb[1];
	/* Room for several 64 KiB frames in flight each way (ulk's own
	 * ends raise theirs likewise). */
	for (i = 0; i < 2; i++) {
		int sz = RELAY_SNDBUF, fd = i ? cb[1] : ca[1];

		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	if (!spawn(&a, false, ca[0], cb[1], &b) ||
	    !spawn(&b, true, cb[0], ca[1], &a)) {
		CHECK(false, "fork: %s", strerror(errno));
		return test_finish();
	}
	t0 = now_ns();
	/* Relay, and once the transfer runs, flood; until both reported. */
	while (!a.reported || !b.reported) {
		struct pollfd p[4] = {
			{ a.relay, POLLIN, 0 }, { b.relay, POLLIN, 0 },
			{ a.up, POLLIN, 0 }, { b.up, POLLIN, 0 },
		};
		bool flooding = flood_start && !stopped;

		if (poll(p, 4, flooding ? 0 : 100) < 0 && errno != EINTR)
			break;
		if (p[2].revents) {
			if (!child_message(&a, &c))
				break;
			if (c == 'R' && !go) {
				go = true;
				write_all(b.down, "G", 1);
			}
		}
		if (p[3].revents && !child_message(&b, &c))
			break;
		relay(&a, &b, &to_b);
		relay(&b, &a, &to_a);
		if (!flood_start && b.relayed + a.relayed > 200 &&
		    now_ns() - t0 > WARMUP_NS) {
			flood_start = now_ns();
			a.rss0 = vm_rss_kb(a.pid);
			b.rss0 = vm_rss_kb(b.pid);
		}
		if (flooding) {
			flood(&a, &to_a, 8);
			flood(&b, &to_b, 8);
			if (a.hostile + b.hostile >= HOSTILE) {
				stopped = true;
				flood_ns = now_ns() - flood_start;
				write_all(a.down, "S", 1);
				write_all(b.down, "S", 1);
			}
		}
	}
	a.rss1 = vm_rss_kb(a.pid);
	b.rss1 = vm_rss_kb(b.pid);
	if (CHECK(a.reported && b.reported && a.r.setup_ok && b.r.setup_ok,
		  "both kernels booted, connected and reported (A: %s, B: %s)",
		  a.reported ? *a.r.msg ? a.r.msg : "ok" : "no report",
		  b.reported ? *b.r.msg ? b.r.msg : "ok" : "no report")) {
		CHECK(a.hostile + b.hostile >= HOSTILE,
		      "%llu hostile datagrams sent during the transfer, in "
		      "%.1f s", a.hostile + b.hostile, flood_ns / 1e9);
		check_side(&a, &b);
		check_side(&b, &a);
	}
	for (i = 0; i < 2; i++) {
		struct side *s = i ? &b : &a;

		close(s->down);
		close(s->relay);
		if (!s->reported)
			kill(s->pid, SIGKILL);
		if (waitpid(s->pid, &status, 0) == s->pid)
			CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
			      "%s survived and exited cleanly (status 0x%x)",
			      s->name, status);
	}
	return test_finish();
}
