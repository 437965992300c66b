// SPDX-License-Identifier: GPL-2.0
/*
 * Packet capture inside ulk: what tcpdump does on Linux, made with ulk's
 * system calls. A raw AF_PACKET socket of ulk's kernel, bound to one
 * interface or to all, sees every frame ulk's devices receive and send,
 * with its Ethernet header; an attached classic BPF filter (compiled by
 * libpcap in ulkctl) drops what is not wanted inside the kernel, before
 * any copy; each frame's kernel timestamp (SO_TIMESTAMPNS) goes with it.
 * Frames are written as they come, one write per frame, in the pcap
 * format with nanosecond timestamps, which tcpdump, tshark and Wireshark
 * read, from a file or a pipe.
 *
 * The loop's calls are ordinary ulk calls: in an instance they are made
 * in its own kernel (--pcap), in a process attached to one (ulkctl
 * capture) they travel over its control socket. The loop ends at the
 * count, when @stop is set (an interrupted wait returns EINTR and the
 * flag is looked at), when ulk halts, or when the output fails.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <ulk/ulk.h>

#include "capture.h"
#include "hostfd.h"

#define PCAP_MAGIC_NS	0xa1b23c4d	/* pcap with nanosecond timestamps */

struct pcap_file_hdr {
	uint32_t magic;
	uint16_t major;
	uint16_t minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};

struct pcap_rec_hdr {
	uint32_t sec;
	uint32_t nsec;
	uint32_t caplen;
	uint32_t len;
};

static int write_all(int fd, const struct iovec *iov, int n)
{
	struct iovec v[2];
	int i;

	for (i = 0; i < n; i++)
		v[i] = iov[i];
	while (n) {
		long k = ulk_host_writev(fd, v, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -(k < 0 ? errno : EIO);
		while (n && (size_t)k >= v[0].iov_len) {
			k -= v[0].iov_len;
			v[0] = v[1];
			n--;
		}
		if (n) {
			v[0].iov_base = (char *)v[0].iov_base + k;
			v[0].iov_len -= k;
		}
	}
	return 0;
}

/**
 * ulk_capture_header() - write a pcap stream's header.
 * @fd: the stream.
 * @snaplen: the capture's snapshot length (0: ULK_CAPTURE_SNAPLEN).
 *
 * Return: 0, or a negative errno.
 */
int ulk_capture_header(int fd, unsigned int snaplen)
{
	struct pcap_file_hdr h = {
		.magic = PCAP_MAGIC_NS, .major = 2, .minor = 4,
		.snaplen = snaplen ? snaplen : ULK_CAPTURE_SNAPLEN,
		.linktype = ULK_CAPTURE_LINKTYPE,
	};
	struct iovec iov = { &h, sizeof(h) };

	return write_all(fd, &iov, 1);
}

static long open_socket(const struct ulk_capture *c)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = c->ifindex,
	};
	int one = 1;
	long fd, err;

	fd = ulk_sys_socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		return fd;
	/* The filter before the bind: nothing unfiltered is queued. */
	err = c->filter ? ulk_sys_setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER,
					     (void *)c->filter,
					     sizeof(*c->filter)) : 0;
	if (!err)
		err = ulk_sys_setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS,
					 (void *)&one, sizeof(one));
	if (!err)
		err = ulk_sys_bind(fd, (void *)&sll, sizeof(sll));
	if (err) {
		ulk_sys_close(fd);
		return err;
	}
	return fd;
}

/* The frame's kernel timestamp, or now if there is none. */
static struct timespec stamp(struct msghdr *msg)
{
	struct cmsghdr *cm;
	struct timespec ts;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SO_TIMESTAMPNS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(ts))) {
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			return ts;
		}
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

/**
 * ulk_capture_run() - capture until done (see struct ulk_capture).
 * @c: what and where; @c->packets counts what was written.
 *
 * Return: the packets written, or a negative errno if the capture could
 * not start (no AF_PACKET in the kernel, no such interface, a filter the
 * kernel refuses) or the output failed.
 */
long ulk_capture_run(struct ulk_capture *c)
{
	unsigned int snap = c->snaplen ? c->snaplen : ULK_CAPTURE_SNAPLEN;
	size_t room = snap < 65536 + 64 ? 65536 + 64 : snap;
	unsigned char *buf = malloc(room);
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(struct timespec)) + 64];
	} ctl;
	long fd, n;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	fd = open_socket(c);
	if (fd < 0) {
		free(buf);
		return fd;
	}
	c->packets = 0;
	while (!c->count || c->packets < c->count) {
		struct iovec iov = { buf, room };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctl.b,
				      .msg_controllen = sizeof(ctl.b) };
		struct pcap_rec_hdr rh;
		struct timespec ts;
		struct iovec out[2];

		if (c->stop && *c->stop)
			break;
		n = ulk_sys_recvmsg(fd, (void *)&msg, MSG_TRUNC);
		if (n == -EINTR || n == -EAGAIN)
			continue;
		if (n < 0)
			break;		/* halted, or gone: the end */
		ts = stamp(&msg);
		rh.sec = (uint32_t)ts.tv_sec;
		rh.nsec = (uint32_t)ts.tv_nsec;
		rh.len = (uint32_t)n;
		rh.caplen = (uint32_t)((size_t)n < room ? (size_t)n : room);
		if (rh.caplen > snap)
			rh.caplen = snap;
		out[0] = (struct iovec){ &rh, sizeof(rh) };
		out[1] = (struct iovec){ buf, rh.caplen };
		err = write_all(c->out_fd, out, 2);
		if (err)
			break;
		c->packets++;
	}
	ulk_sys_close(fd);
	free(buf);
	return err ? err : c->packets;
}

static void *capture_thread(void *arg)
{
	struct ulk_capture *c = arg;

	ulk_capture_run(c);
	syscall(SYS_close, c->out_fd);
	free(c);
	return NULL;
}

/**
 * ulk_capture_start_file() - capture every frame of every interface of
 * this process's ulk into a pcap file, from now until ulk halts (on a
 * thread of its own).
 * @path: the file; created (mode 0600) or truncated.
 *
 * Return: 0, or a negative errno (the file could not be written, or the
 * capture could not start).
 */
int ulk_capture_start_file(const char *path)
{
	struct ulk_capture *c = calloc(1, sizeof(*c));
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t t;
	long fd;
	int err;

	if (!c)
		return -ENOMEM;
	fd = syscall(SYS_openat, AT_FDCWD, path,
		     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		free(c);
		return err;
	}
	c->out_fd = ulk_hostfd_move_high((int)fd);
	err = ulk_capture_header(c->out_fd, 0);
	/* Open the socket now: a failure is the caller's to report. */
	if (!err) {
		long s = open_socket(c);

		if (s < 0)
			err = (int)s;
		else
			ulk_sys_close(s);
	}
	if (err) {
		syscall(SYS_close, c->out_fd);
		free(c);
		return err;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 1UL << 20);
	err = -pthread_create(&t, &attr, capture_thread, c);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		syscall(SYS_close, c->out_fd);
		free(c);
	}
	return err;
}
