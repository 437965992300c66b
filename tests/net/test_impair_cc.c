// SPDX-License-Identifier: GPL-2.0
/*
 * TCP sender throughput through a bad network, ulk against the host kernel
 * with the same congestion control on both ends.
 *
 * Why: ulk's TCP is the kernel's, so as a sender under loss it should do
 * what the host kernel does; an earlier note found ulk-as-sender at
 * 47 Mbit/s against 1.5 Gbit/s the other way, partly because the host
 * used BBR and ulk CUBIC. Here both ends pin the same algorithm per socket
 * (TCP_CONGESTION, checked with getsockopt on the sender), once CUBIC and
 * once BBR, and bytes cross ulk's TAP, whose impairment filter drops,
 * duplicates, reorders and corrupts frames in both directions alike (fixed
 * seed): ulk -> host (ulk sends, its data meets the filter's tx side) and
 * host -> ulk (the host sends, its data meets the rx side). Asserted: for
 * each algorithm, the median of five ulk-as-sender runs is at least 0.8
 * of the median of five host-as-sender runs, runs interleaved (the VM's
 * two vCPUs make single runs swing), every byte verified.
 *
 * Printed per run: the sender's TCP_INFO at the end (srtt, cwnd, pacing
 * and delivery rates, retransmissions, RTOs) and this process's CPU time
 * (both stacks' work done on its threads), so that a shortfall can be
 * told apart: a TCP that retransmits or backs off more, or a path that
 * costs more per byte one way than the other. For the latter, BBR (which
 * fills whatever the path carries) also runs both ways through a second
 * TAP whose filter does nothing and a third with no filter at all; those
 * figures are printed, not asserted.
 *
 * The transfers use the loops in netdev_helpers.h, in one process that
 * moves itself into a new network namespace (gone with the process on
 * every exit path) where ulk creates its TAP; host sockets and ulk's live
 * side by side. Needs root and /dev/net/tun. For investigation:
 * IMPAIR_CC_BYTES (bytes per run), IMPAIR_CC_RATES=DROP,DUP,REORDER,CORRUPT
 * and IMPAIR_CC_OFFLOADS (ULK_NETDEV_OFFLOAD_* mask) override the set-up.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "common.h"
#include "net/netdev_helpers.h"
#include <ulk/net.h>
#include <ulk/netdev.h>
#include <ulk/linux/tcp.h>

#define PORT		7201
#define RUNS		5
#define MIN_RATIO	0.8

/*
 * The TAPs: one through the bad network; for comparison, one through the
 * filter doing nothing (a drop rate of 1e-9) and one without a filter,
 * which show what each direction's path carries with no loss at all.
 */
struct path {
	const char *tap, *host, *ulk, *cidr;
	struct ulk_netdev_impair im;
	int dev;
};

static struct path bad = {
	"ulkic0", "10.88.0.1", "10.88.0.2", "10.88.0.2/24",
	{ .drop = 0.01, .duplicate = 0.005, .reorder = 0.01, .corrupt = 0.0005,
	  .seed = 7 },
	-1,
};

static struct path clean = {
	"ulkic1", "10.89.0.1", "10.89.0.2", "10.89.0.2/24",
	{ .drop = 1e-9, .seed = 7 }, -1,
};

static struct path plain = {
	"ulkic2", "10.90.0.1", "10.90.0.2", "10.90.0.2/24", { .drop = 0 }, -1,
};

static const char *const algos[] = { "cubic", "bbr" };

static uint64_t run_bytes = 128ULL << 20;

/* One side of a connection, on either stack. */
struct end {
	bool ulk;
	const struct sock_api *api;
};

static const struct end ulk_end = { true, &ulk_api };
static const struct end host_end = { false, &host_api };

static long e_setsockopt(const struct end *e, long fd, int level, int opt,
			 const void *val, int len)
{
	if (e->ulk)
		return ulk_sys_setsockopt(fd, level, opt, (void *)val, len);
	return setsockopt(fd, level, opt, val, len) ? -errno : 0;
}

/* The congestion control @fd uses, in @buf (16 bytes). */
static long e_get_cc(const struct end *e, long fd, char *buf)
{
	socklen_t len = 16;
	int ulen = 16;

	memset(buf, 0, 16);
	if (e->ulk)
		return ulk_sys_getsockopt(fd, IPPROTO_TCP, ULK_TCP_CONGESTION,
					  buf, &ulen);
	return getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, buf, &len) ? -errno : 0;
}

/* The kernel's full TCP_INFO, the same layout on either stack. */
static void e_tcp_info(const struct end *e, long fd, struct ulk_tcp_info *ti)
{
	socklen_t len = sizeof(*ti);
	int ulen = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	if (e->ulk)
		ulk_sys_getsockopt(fd, IPPROTO_TCP, ULK_TCP_INFO, ti, &ulen);
	else
		getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len);
}

static long e_set_cc(const struct end *e, long fd, const char *cc)
{
	return e_setsockopt(e, fd, IPPROTO_TCP, TCP_CONGESTION, cc, strlen(cc));
}

static long e_socket(const struct end *e)
{
	long fd;

	if (e->ulk)
		return ulk_sys_socket(ULK_AF_INET, ULK_SOCK_STREAM, 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	return fd < 0 ? -errno : fd;
}

static void e_close(const struct end *e, long fd)
{
	if (e->ulk)
		ulk_sys_close(fd);
	else
		close(fd);
}

static long e_listen(const struct end *e, const char *ip)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	long fd = e_socket(e), r;
	int one = 1;

	if (fd < 0)
		return fd;
	inet_pton(AF_INET, ip, &a.sin_addr);
	e_setsockopt(e, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (e->ulk) {
		r = ulk_sys_bind(fd, (struct ulk_sockaddr *)&a, sizeof(a));
		if (!r)
			r = ulk_sys_listen(fd, 4);
	} else {
		r = bind(fd, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
		if (!r)
			r = listen(fd, 4) ? -errno : 0;
	}
	if (r) {
		e_close(e, fd);
		return r;
	}
	return fd;
}

static long e_accept(const struct end *e, long lfd)
{
	long fd;

	if (e->ulk)
		return ulk_sys_accept4(lfd, NULL, NULL, 0);
	fd = accept(lfd, NULL, NULL);
	return fd < 0 ? -errno : fd;
}

static long e_connect(const struct end *e, long fd, const char *ip)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };

	inet_pton(AF_INET, ip, &a.sin_addr);
	if (e->ulk)
		return ulk_sys_connect(fd, (struct ulk_sockaddr *)&a, sizeof(a));
	return connect(fd, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
}

static void e_shut_wr(const struct end *e, long fd)
{
	if (e->ulk)
		ulk_sys_shutdown(fd, SHUT_WR);
	else
		shutdown(fd, SHUT_WR);
}

/* --- one transfer ------------------------------------------------------------ */

struct receiver {
	const struct end *e;
	long lfd;
	const char *cc;
	struct xfer x;
	int64_t done;	/* host time the end of the stream arrived */
	long err;
};

static void *receive(void *arg)
{
	struct receiver *r = arg;
	long fd = e_accept(r->e, r->lfd);

	if (fd < 0) {
		r->err = fd;
		return NULL;
	}
	e_set_cc(r->e, fd, r->cc);
	xfer_recv(r->e->api, fd, 1, run_bytes, &r->x);
	r->done = now_ns();
	e_close(r->e, fd);
	return NULL;
}

/*
 * run_bytes from @tx to @rx through @pa's TAP, with @cc on both ends.
 * Return: Mbit/s from the sender's first byte to the receiver's end of
 * stream, or a negative errno (reason printed).
 */
static double transfer(const struct path *pa, const struct end *tx,
		       const struct end *rx, const char *cc, struct ulk_tcp_info *ti)
{
	const char *dst = rx->ulk ? pa->ulk : pa->host;
	struct receiver r = { .e = rx, .cc = cc };
	struct xfer x;
	char used[16];
	pthread_t t;
	int64_t t0;
	long fd, e;

	r.lfd = e_listen(rx, dst);
	if (r.lfd < 0) {
		printf("FAIL listen on %s: %s\n", dst, errstr(r.lfd));
		return r.lfd;
	}
	pthread_create(&t, NULL, receive, &r);
	fd = e_socket(tx);
	e = fd < 0 ? fd : e_set_cc(tx, fd, cc);
	if (!e)
		e = e_connect(tx, fd, dst);
	if (!e)
		e = e_get_cc(tx, fd, used);
	if (!e && strcmp(used, cc)) {
		printf("FAIL the sender uses %s, not %s\n", used, cc);
		e = -EPROTO;
	}
	if (e) {
		printf("FAIL sender set-up (%s): %s\n", cc, errstr(e));
		if (fd >= 0)
			e_close(tx, fd);
		/* Unblock the receiver's accept with a connection of our own. */
		fd = e_socket(tx);
		e_connect(tx, fd, dst);
		e_close(tx, fd);
		pthread_join(t, NULL);
		e_close(rx, r.lfd);
		return -EPROTO;
	}
	t0 = now_ns();
	xfer_send(tx->api, fd, 1, run_bytes, &x);
	e_tcp_info(tx, fd, ti);
	e_shut_wr(tx, fd);
	pthread_join(t, NULL);
	e_close(tx, fd);
	e_close(rx, r.lfd);
	if (x.err || r.err || r.x.err || r.x.bytes != run_bytes || r.x.bad_offset >= 0 ||
	    r.x.sum != x.sum) {
		printf("FAIL transfer %s: sent %llu (%s), received %llu (%s), "
		       "first bad byte %lld\n", cc, (unsigned long long)x.bytes,
		       errstr(x.err), (unsigned long long)r.x.bytes,
		       errstr(r.err ? r.err : r.x.err), (long long)r.x.bad_offset);
		return -EIO;
	}
	return run_bytes * 8.0 / ((r.done - t0) / 1e3);
}

/* CPU time this process has used, both stacks and every thread, in ns. */
static int64_t cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * NSEC_PER_SEC +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of the RUNS values at @v. */
static double median_runs(const double *v)
{
	double s[RUNS];

	memcpy(s, v, sizeof(s));
	qsort(s, RUNS, sizeof(s[0]), cmp_double);
	return s[RUNS / 2];
}

/* Add the TAP of @pa (before boot). */
static bool path_add(struct path *pa, unsigned int offloads)
{
	struct ulk_netdev_opts opts = { .offloads = offloads, .tx = pa->im,
					.rx = pa->im };

	pa->dev = ulk_netdev_add_tap(pa->tap, &opts);
	return CHECK(pa->dev >= 0, "ulk creates TAP %s (%s)", pa->tap,
		     pa->dev < 0 ? ulk_netdev_last_error() : "ok");
}

/* Give both ends of @pa their addresses (after boot). */
static bool path_up(const struct path *pa)
{
	char cmd[256];
	int ifindex = ulk_netdev_ifindex(pa->dev);

	snprintf(cmd, sizeof(cmd), "ip addr add %s/24 dev %s && ip link set %s up",
		 pa->host, pa->tap, pa->tap);
	return CHECK(!system(cmd) && ulk_if_set_up(ifindex, 1) == 0 &&
		     ulk_if_add_addr_str(ifindex, pa->cidr) == 0,
		     "%s: host %s, ulk %s, up", pa->tap, pa->host, pa->ulk);
}

/* One run: Mbit/s, with the sender's TCP_INFO and this process's CPU printed. */
static double run_once(const struct path *pa, const char *label, const char *cc,
		       bool ulk_sends, double *srtt, double *cpu_per_gbit)
{
	int64_t c0 = cpu_ns(), w0 = now_ns();
	struct ulk_tcp_info ti;
	double m = transfer(pa, ulk_sends ? &ulk_end : &host_end,
			    ulk_sends ? &host_end : &ulk_end, cc, &ti);
	double cpus = (double)(cpu_ns() - c0) / (now_ns() - w0);

	if (m <= 0)
		return m;
	*srtt = ti.tcpi_rtt;
	*cpu_per_gbit = cpus / (m / 1e3);
	NOTE("%s, %s, %s: %.0f Mbit/s (this process: %.2f CPUs); sender: srtt %u us, "
	     "min_rtt %u, cwnd %u, pacing %.0f Mbit/s, delivery %.0f, retrans %u segs "
	     "(%.2f%% of bytes), RTOs %u, reord_seen %u, dsack %u", label, cc,
	     ulk_sends ? "ulk -> host" : "host -> ulk", m, cpus, ti.tcpi_rtt,
	     ti.tcpi_min_rtt, ti.tcpi_snd_cwnd, ti.tcpi_pacing_rate * 8 / 1e6,
	     ti.tcpi_delivery_rate * 8 / 1e6, ti.tcpi_total_retrans,
	     100.0 * ti.tcpi_bytes_retrans / (ti.tcpi_bytes_sent + 1),
	     ti.tcpi_total_rto, ti.tcpi_reord_seen, ti.tcpi_dsack_dups);
	return m;
}

int main(void)
{
	double mbps[2][2][RUNS];	/* algorithm, ulk sends?, run */
	double srtt[2][2][RUNS], cpg[2][2][RUNS], x;
	const char *b = getenv("IMPAIR_CC_BYTES");
	unsigned int offloads = 0;
	struct ulk_netdev_stats st;
	bool ok = true;

	if (geteuid() != 0)
		test_skip("needs root (network namespace and TAP)");
	if (access("/dev/net/tun", F_OK))
		test_skip("no /dev/net/tun");
	if (b && atoll(b) > 0)
		run_bytes = atoll(b);
	b = getenv("IMPAIR_CC_RATES");
	if (b && sscanf(b, "%lf,%lf,%lf,%lf", &bad.im.drop, &bad.im.duplicate,
			&bad.im.reorder, &bad.im.corrupt) != 4) {
		printf("FAIL IMPAIR_CC_RATES=%s: want DROP,DUP,REORDER,CORRUPT\n", b);
		return 1;
	}
	if (getenv("IMPAIR_CC_OFFLOADS"))
		offloads = strtoul(getenv("IMPAIR_CC_OFFLOADS"), NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (unshare(CLONE_NEWNET)) {
		printf("FAIL unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 1;
	}
	test_watchdog(150);
	if (!path_add(&bad, offloads) || !path_add(&clean, offloads) ||
	    !path_add(&plain, offloads))
		return test_finish();
	ulk_boot_or_die();
	if (system("ip link set lo up") || !path_up(&bad) || !path_up(&clean) ||
	    !path_up(&plain))
		return test_finish();
	NOTE("%s, each direction: drop %.3f, duplicate %.3f, reorder %.3f, corrupt %.4f; "
	     "%llu MiB per run", bad.tap, bad.im.drop, bad.im.duplicate, bad.im.reorder,
	     bad.im.corrupt, (unsigned long long)(run_bytes >> 20));

	for (int run = 0; run < RUNS && ok; run++) {
		for (int a = 0; a < 2 && ok; a++) {
			for (int u = 1; u >= 0 && ok; u--) {
				char label[16];

				snprintf(label, sizeof(label), "run %d", run + 1);
				x = run_once(&bad, label, algos[a], u, &srtt[a][u][run],
					     &cpg[a][u][run]);
				ok = x > 0;
				mbps[a][u][run] = x;
			}
		}
	}
	if (!CHECK(ok, "every run completed with every byte verified"))
		return test_finish();
	for (int a = 0; a < 2; a++) {
		double us = median_runs(mbps[a][1]), hs = median_runs(mbps[a][0]);

		CHECK(us >= MIN_RATIO * hs,
		      "%s on both ends: ulk as sender %.0f Mbit/s, host as sender "
		      "%.0f Mbit/s (medians of %d): ratio %.2f (at least %.1f); "
		      "sender's srtt %.0f us vs %.0f us, this process's CPU per "
		      "Gbit/s %.2f vs %.2f", algos[a], us, hs, RUNS, us / hs,
		      MIN_RATIO, median_runs(srtt[a][1]), median_runs(srtt[a][0]),
		      median_runs(cpg[a][1]), median_runs(cpg[a][0]));
	}
	/* What the paths themselves carry each way, BBR filling them. */
	for (int k = 0; k < 2; k++) {
		const struct path *pa = k ? &clean : &plain;
		const char *label = k ? "no impairment, filter on" : "no filter";
		double v[2][RUNS], s, c;

		for (int run = 0; run < RUNS; run++)
			for (int u = 1; u >= 0; u--)
				v[u][run] = run_once(pa, label, "bbr", u, &s, &c);
		NOTE("%s: ulk -> host %.0f Mbit/s, host -> ulk %.0f (medians of %d, "
		     "ratio %.2f)", label, median_runs(v[1]), median_runs(v[0]), RUNS,
		     median_runs(v[1]) / median_runs(v[0]));
	}
	if (!ulk_netdev_stats(bad.dev, &st)) {
		CHECK(st.tx.impair.dropped && st.rx.impair.dropped,
		      "the filter was at work: tx dropped %llu duplicated %llu "
		      "reordered %llu corrupted %llu; rx dropped %llu duplicated "
		      "%llu reordered %llu corrupted %llu",
		      st.tx.impair.dropped, st.tx.impair.duplicated,
		      st.tx.impair.reordered, st.tx.impair.corrupted,
		      st.rx.impair.dropped, st.rx.impair.duplicated,
		      st.rx.impair.reordered, st.rx.impair.corrupted);
		print_netdev_stats("ulk", bad.dev);
	}
	ulk_halt();
	return test_finish();
}
