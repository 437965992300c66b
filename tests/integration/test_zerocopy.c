// SPDX-License-Identifier: GPL-2.0
/*
 * MSG_ZEROCOPY works as on Linux, where the kernel copies (ulk's host tasks
 * have no user memory to pin: kernel/patches/0001): the sends succeed, the
 * data arrives intact, and the completions come on the error queue with
 * SO_EE_CODE_ZEROCOPY_COPIED, covering every send. It used to crash the
 * process in get_user_pages_fast(). Also sendmsg() with an empty iovec,
 * with and without MSG_ZEROCOPY, on TCP and UDP: what Linux returns (0).
 *
 * TCP over loopback: 16 sends of 64 KiB; UDP: 16 datagrams of 1000 bytes.
 */
#include "common.h"

#include <ulk/net.h>
#include <ulk/linux/errqueue.h>

#define SENDS		16
#define TCP_CHUNK	(64 << 10)
#define UDP_CHUNK	1000
#define PORT		7501

static struct ulk_sockaddr_in lo_addr(int port)
{
	struct ulk_sockaddr_in a = {
		.sin_family = ULK_AF_INET,
		.sin_port = __builtin_bswap16(port),
		.sin_addr = { __builtin_bswap32(0x7f000001) },
	};

	return a;
}

/*
 * Read completions off @fd's error queue until they cover sends 0..n-1.
 * Return: true if they did, all with code @copied (1) seen.
 */
static bool completions(long fd, unsigned int n, int *copied)
{
	unsigned int next = 0;
	int64_t deadline = now_ns() + 2 * NSEC_PER_SEC;

	*copied = 1;
	while (next < n && now_ns() < deadline) {
		char ctrl[256];
		struct ulk_msghdr msg = {
			.msg_control = ctrl,
			.msg_controllen = sizeof(ctrl),
		};
		struct ulk_cmsghdr *cm;
		long r = ulk_sys_recvmsg(fd, &msg, ULK_MSG_ERRQUEUE);

		if (r == -EAGAIN) {
			sleep_ns(10 * NSEC_PER_MSEC);
			continue;
		}
		if (r < 0)
			return false;
		/* One notification, one control message. */
		cm = ULK_CMSG_FIRSTHDR(&msg);
		if (cm) {
			struct ulk_sock_extended_err *ee = ULK_CMSG_DATA(cm);

			if (ee->ee_origin != ULK_SO_EE_ORIGIN_ZEROCOPY)
				return false;
			if (ee->ee_info != next)
				return false;
			if (!(ee->ee_code & ULK_SO_EE_CODE_ZEROCOPY_COPIED))
				*copied = 0;
			next = ee->ee_data + 1;
		}
	}
	return next == n;
}

static void check_tcp(void)
{
	static unsigned char out[TCP_CHUNK], in[SENDS * TCP_CHUNK];
	struct ulk_sockaddr_in a = lo_addr(PORT);
	struct ulk_iovec none = { 0 };
	struct ulk_msghdr empty = { .msg_iov = &none, .msg_iovlen = 0 };
	long l, c, s, r, got = 0;
	int one = 1, copied, i, bad = 0;

	l = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_STREAM, 0);
	ulk_sys_bind(l, (void *)&a, sizeof(a));
	ulk_sys_listen(l, 1);
	c = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_STREAM, 0);
	r = ulk_sys_setsockopt(c, ULK_SOL_SOCKET, ULK_SO_ZEROCOPY, &one,
			       sizeof(one));
	CHECK(r == 0, "TCP: SO_ZEROCOPY (%s)", errstr(r));
	ulk_sys_connect(c, (void *)&a, sizeof(a));
	s = ulk_sys_accept4(l, NULL, NULL, 0);
	if (!CHECK(s >= 0, "TCP: a connection over loopback"))
		return;

	for (i = 0; i < SENDS; i++) {
		memset(out, 'a' + i, sizeof(out));
		r = ulk_sys_sendto(c, out, sizeof(out), ULK_MSG_ZEROCOPY, NULL,
				   0);
		if (r != (long)sizeof(out))
			break;
		/* Reused at once: a copy must already have been taken. */
	}
	CHECK(i == SENDS, "TCP: %d sends of 64 KiB with MSG_ZEROCOPY (last: %s)",
	      i, errstr(r));
	while (got < (long)sizeof(in)) {
		r = ulk_sys_recvfrom(s, in + got, sizeof(in) - got, 0, NULL,
				     NULL);
		if (r <= 0)
			break;
		got += r;
	}
	for (i = 0; i < SENDS * TCP_CHUNK && got == (long)sizeof(in); i++)
		if (in[i] != 'a' + i / TCP_CHUNK)
			bad++;
	CHECK(got == (long)sizeof(in) && !bad,
	      "TCP: all %ld bytes arrived, each as sent", got);
	CHECK(completions(c, SENDS, &copied) && copied,
	      "TCP: completions for sends 0..%d on the error queue, marked "
	      "SO_EE_CODE_ZEROCOPY_COPIED", SENDS - 1);

	r = ulk_sys_sendmsg(c, &empty, 0);
	CHECK(r == 0, "TCP: sendmsg with an empty iovec: %s", errstr(r));
	r = ulk_sys_sendmsg(c, &empty, ULK_MSG_ZEROCOPY);
	CHECK(r == 0, "TCP: sendmsg with an empty iovec and MSG_ZEROCOPY: %s",
	      errstr(r));
	ulk_sys_close(c);
	ulk_sys_close(s);
	ulk_sys_close(l);
}

static void check_udp(void)
{
	struct ulk_sockaddr_in a = lo_addr(PORT + 1);
	struct ulk_iovec none = { 0 };
	struct ulk_msghdr empty = {
		.msg_name = &a, .msg_namelen = sizeof(a),
		.msg_iov = &none, .msg_iovlen = 0,
	};
	char out[UDP_CHUNK], in[UDP_CHUNK];
	long u, r;
	int one = 1, copied, i, ok = 0;

	u = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_DGRAM, 0);
	ulk_sys_bind(u, (void *)&a, sizeof(a));
	r = ulk_sys_setsockopt(u, ULK_SOL_SOCKET, ULK_SO_ZEROCOPY, &one,
			       sizeof(one));
	CHECK(r == 0, "UDP: SO_ZEROCOPY (%s)", errstr(r));
	for (i = 0; i < SENDS; i++) {
		memset(out, 'A' + i, sizeof(out));
		r = ulk_sys_sendto(u, out, sizeof(out), ULK_MSG_ZEROCOPY,
				   (void *)&a, sizeof(a));
		if (r != (long)sizeof(out))
			break;
		r = ulk_sys_recvfrom(u, in, sizeof(in), 0, NULL, NULL);
		if (r == (long)sizeof(in) && in[0] == 'A' + i &&
		    in[UDP_CHUNK - 1] == 'A' + i)
			ok++;
	}
	CHECK(i == SENDS && ok == SENDS,
	      "UDP: %d datagrams sent with MSG_ZEROCOPY, %d received intact",
	      i, ok);
	CHECK(completions(u, SENDS, &copied) && copied,
	      "UDP: completions for sends 0..%d, marked "
	      "SO_EE_CODE_ZEROCOPY_COPIED", SENDS - 1);
	r = ulk_sys_sendmsg(u, &empty, 0);
	CHECK(r == 0, "UDP: sendmsg with an empty iovec: %s", errstr(r));
	r = ulk_sys_sendmsg(u, &empty, ULK_MSG_ZEROCOPY);
	CHECK(r == 0, "UDP: sendmsg with an empty iovec and MSG_ZEROCOPY: %s",
	      errstr(r));
	ulk_sys_close(u);
}

int main(void)
{
	test_watchdog(60);
	ulk_boot_or_die();
	ulk_if_set_up(ulk_if_index("lo"), 1);
	check_tcp();
	check_udp();
	return test_finish();
}
