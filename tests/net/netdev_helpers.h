/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the network device tests (tests/integration/test_netdev_pipe.c,
 * tests/net/test_tap.c): IPv4 configuration inside ulk with plain ioctls, a
 * reproducible byte stream to send and verify, and TCP bulk transfer loops
 * that work on ulk sockets and on host sockets alike.
 *
 * Include after "common.h".
 */
#ifndef ULK_TESTS_NETDEV_HELPERS_H
#define ULK_TESTS_NETDEV_HELPERS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ulk/netdev.h>

/* --- IPv4 configuration inside ulk, through the kernel's ioctls ------------- */

static inline void ulk_sin(struct ulk_sockaddr *sa, const char *ip,
			   unsigned short port)
{
	struct ulk_sockaddr_in *sin = (struct ulk_sockaddr_in *)sa;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = ULK_AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, ip, &sin->sin_addr);
}

/*
 * ulk_ifconfig4() - give interface @ifindex inside ulk the address @ip with
 * a /@prefix netmask and bring it up, as ifconfig(8) would.
 * Return: 0 or the negative errno of the first ioctl that failed.
 */
static inline long ulk_ifconfig4(int ifindex, const char *ip, int prefix)
{
	struct ulk_ifreq ifr;
	struct ulk_sockaddr_in *mask;
	long fd, ret;

	fd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_DGRAM | ULK_SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ulk_ifr_ifindex = ifindex;
	ret = ulk_sys_ioctl(fd, ULK_SIOCGIFNAME, (long)&ifr);
	if (ret)
		goto out;
	ulk_sin(&ifr.ulk_ifr_addr, ip, 0);
	ret = ulk_sys_ioctl(fd, ULK_SIOCSIFADDR, (long)&ifr);
	if (ret)
		goto out;
	ulk_sin(&ifr.ulk_ifr_netmask, "0.0.0.0", 0);
	mask = (struct ulk_sockaddr_in *)&ifr.ulk_ifr_netmask;
	mask->sin_addr.s_addr = htonl(prefix ? ~0U << (32 - prefix) : 0);
	ret = ulk_sys_ioctl(fd, ULK_SIOCSIFNETMASK, (long)&ifr);
	if (ret)
		goto out;
	ret = ulk_sys_ioctl(fd, ULK_SIOCGIFFLAGS, (long)&ifr);
	if (ret)
		goto out;
	ifr.ulk_ifr_flags |= ULK_IFF_UP;
	ret = ulk_sys_ioctl(fd, ULK_SIOCSIFFLAGS, (long)&ifr);
out:
	ulk_sys_close(fd);
	return ret;
}

/* --- the test stream -------------------------------------------------------- */

/*
 * Byte i of the stream with seed s is byte i % 8 of word i / 8, where word
 * w is a splitmix64 hash of (w, s): every offset differs, so a lost,
 * duplicated, reordered or corrupted piece shows up at its offset.
 */
static inline uint64_t stream_word(uint64_t w, uint64_t seed)
{
	uint64_t z = w * 0x9e3779b97f4a7c15ULL + seed;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* stream_fill() - the @len bytes of the stream at offset @off. */
static inline void stream_fill(uint64_t seed, uint64_t off, void *buf,
			       size_t len)
{
	unsigned char *p = buf;

	while (len && (off & 7)) {
		uint64_t w = stream_word(off / 8, seed);

		*p++ = w >> (8 * (off & 7));
		off++;
		len--;
	}
	for (; len >= 8; len -= 8, off += 8, p += 8) {
		uint64_t w = stream_word(off / 8, seed);

		memcpy(p, &w, 8);	/* little-endian hosts: byte k = w >> 8k */
	}
	while (len) {
		uint64_t w = stream_word(off / 8, seed);

		*p++ = w >> (8 * (off & 7));
		off++;
		len--;
	}
}

/* Streaming FNV-1a-style 64-bit checksum over bytes, 8 at a time. */
struct stream_sum {
	uint64_t h;
	uint64_t carry;
	unsigned int ncarry;
};

static inline void sum_init(struct stream_sum *s)
{
	s->h = 0xcbf29ce484222325ULL;
	s->carry = 0;
	s->ncarry = 0;
}

static inline void sum_word(struct stream_sum *s, uint64_t w)
{
	s->h = (s->h ^ w) * 0x100000001b3ULL;
	s->h ^= s->h >> 29;
}

static inline void sum_update(struct stream_sum *s, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t w;

	while (len && s->ncarry) {
		s->carry |= (uint64_t)*p++ << (8 * s->ncarry);
		len--;
		if (++s->ncarry == 8) {
			sum_word(s, s->carry);
			s->carry = 0;
			s->ncarry = 0;
		}
	}
	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&w, p, 8);
		sum_word(s, w);
	}
	while (len--) {
		s->carry |= (uint64_t)*p++ << (8 * s->ncarry);
		s->ncarry++;
	}
}

static inline uint64_t sum_final(struct stream_sum *s)
{
	if (s->ncarry)
		sum_word(s, s->carry ^ ((uint64_t)s->ncarry << 56));
	return s->h;
}

/* --- bulk transfer over any socket API -------------------------------------- */

/*
 * Socket operations for the transfer loops: ulk's (ulk_sys_*) or the host
 * kernel's, both returning a byte count or a negative errno.
 */
struct sock_api {
	const char *name;
	long (*send)(long fd, const void *buf, size_t len);
	long (*recv)(long fd, void *buf, size_t len);
};

static inline long ulk_api_send(long fd, const void *buf, size_t len)
{
	return ulk_sys_sendto(fd, buf, len, ULK_MSG_NOSIGNAL, NULL, 0);
}

static inline long ulk_api_recv(long fd, void *buf, size_t len)
{
	return ulk_sys_recvfrom(fd, buf, len, 0, NULL, NULL);
}

static inline long host_api_send(long fd, const void *buf, size_t len)
{
	long n = send(fd, buf, len, MSG_NOSIGNAL);

	return n < 0 ? -errno : n;
}

static inline long host_api_recv(long fd, void *buf, size_t len)
{
	long n = recv(fd, buf, len, 0);

	return n < 0 ? -errno : n;
}

static const struct sock_api ulk_api = { "ulk", ulk_api_send, ulk_api_recv };
static const struct sock_api host_api = { "host", host_api_send,
					  host_api_recv };

#define XFER_CHUNK	(256 << 10)

/**
 * struct xfer - result of one side of a transfer.
 * @bytes: bytes sent or received.
 * @sum: checksum of them (struct stream_sum).
 * @bad_offset: receive side: first offset whose byte differed from the
 *	stream, or -1.
 * @err: 0, or the negative errno that stopped the loop.
 * @ns: elapsed time.
 */
struct xfer {
	uint64_t bytes;
	uint64_t sum;
	int64_t bad_offset;
	long err;
	int64_t ns;
};

/* xfer_send() - send @total bytes of stream @seed on @fd, then shut down. */
static inline void xfer_send(const struct sock_api *api, long fd, uint64_t seed,
			     uint64_t total, struct xfer *x)
{
	static __thread unsigned char buf[XFER_CHUNK];
	struct stream_sum s;
	int64_t t0 = now_ns();

	sum_init(&s);
	memset(x, 0, sizeof(*x));
	x->bad_offset = -1;
	while (x->bytes < total) {
		size_t len = total - x->bytes < XFER_CHUNK ?
			     total - x->bytes : XFER_CHUNK;
		size_t done = 0;

		stream_fill(seed, x->bytes, buf, len);
		sum_update(&s, buf, len);
		while (done < len) {
			long n = api->send(fd, buf + done, len - done);

			if (n == -EINTR)
				continue;
			if (n <= 0) {
				x->err = n ? n : -EPIPE;
				goto out;
			}
			done += n;
		}
		x->bytes += len;
	}
out:
	x->sum = sum_final(&s);
	x->ns = now_ns() - t0;
}

/*
 * xfer_recv() - receive until end of stream (or @total + 1 bytes), checking
 * every byte against stream @seed.
 */
static inline void xfer_recv(const struct sock_api *api, long fd, uint64_t seed,
			     uint64_t total, struct xfer *x)
{
	static __thread unsigned char buf[XFER_CHUNK], want[XFER_CHUNK];
	struct stream_sum s;
	int64_t t0 = now_ns();

	sum_init(&s);
	memset(x, 0, sizeof(*x));
	x->bad_offset = -1;
	while (x->bytes <= total) {
		long n = api->recv(fd, buf, XFER_CHUNK);

		if (n == -EINTR)
			continue;
		if (n < 0) {
			x->err = n;
			break;
		}
		if (n == 0)
			break;
		sum_update(&s, buf, n);
		if (x->bad_offset < 0) {
			stream_fill(seed, x->bytes, want, n);
			if (memcmp(buf, want, n)) {
				long i = 0;

				while (buf[i] == want[i])
					i++;
				x->bad_offset = x->bytes + i;
			}
		}
		x->bytes += n;
	}
	x->sum = sum_final(&s);
	x->ns = now_ns() - t0;
}

/* MB/s of a transfer. */
static inline double xfer_rate(const struct xfer *x)
{
	return x->ns ? x->bytes / 1e6 / (x->ns / 1e9) : 0;
}

/* print_netdev_stats_of() - one informational line per direction. */
static inline void print_netdev_stats_of(const char *who,
					 const struct ulk_netdev_stats *s)
{
	const struct ulk_netdev_stats st = *s;
	const struct ulk_netdev_dir_stats *d[2] = { &st.tx, &st.rx };
	int i;

	for (i = 0; i < 2; i++)
		NOTE("%s %s: %llu pkts %llu bytes, >32K %llu [<=1518 %llu "
		     "<=4K %llu <=16K %llu <=32K %llu <=64K %llu], drop %llu "
		     "err %llu stalls %llu irqs %llu kicks %llu", who,
		     i ? "rx" : "tx", d[i]->packets, d[i]->bytes, d[i]->large,
		     d[i]->sizes[0], d[i]->sizes[1], d[i]->sizes[2],
		     d[i]->sizes[3], d[i]->sizes[4], d[i]->dropped,
		     d[i]->errors, d[i]->stalls, d[i]->interrupts,
		     d[i]->kicks);
	NOTE("%s offloads accepted 0x%x, features 0x%llx%s", who, st.offloads,
	     st.features, st.broken ? ", BROKEN" : "");
}

/* print_netdev_stats() - the counters of device @dev, as above. */
static inline void print_netdev_stats(const char *who, int dev)
{
	struct ulk_netdev_stats st;

	if (!ulk_netdev_stats(dev, &st))
		print_netdev_stats_of(who, &st);
}

#endif /* ULK_TESTS_NETDEV_HELPERS_H */
