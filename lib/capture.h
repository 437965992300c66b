/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet capture inside ulk (capture.c): an AF_PACKET socket of ulk's
 * kernel, read in a loop and written out in the pcap format. Used by
 * `ulkctl NAME capture` (whose ulk calls are made in the instance it is
 * attached to) and by --pcap of ulk-run and ulk-proxy (a thread of the
 * instance, from boot).
 */
#ifndef ULK_LIB_CAPTURE_H
#define ULK_LIB_CAPTURE_H

#include <signal.h>

struct sock_fprog;

/* pcap's link type of every capture: all of ulk's devices frame Ethernet. */
#define ULK_CAPTURE_LINKTYPE	1	/* DLT_EN10MB */
#define ULK_CAPTURE_SNAPLEN	262144

/**
 * struct ulk_capture - what to capture, and where to.
 * @out_fd: the pcap stream (its header already written:
 *	ulk_capture_header()).
 * @ifindex: ulk's interface, or 0 for all of them.
 * @filter: a classic BPF program (pcap_compile()'s) run by ulk's kernel on
 *	each packet, or NULL for every packet.
 * @snaplen: most bytes kept of each packet (0: ULK_CAPTURE_SNAPLEN).
 * @count: stop after this many packets (0: no limit).
 * @stop: stop once this is set (a signal handler's flag), or NULL.
 * @packets: packets written so far (read it when the run ends).
 */
struct ulk_capture {
	int out_fd;
	int ifindex;
	const struct sock_fprog *filter;
	unsigned int snaplen;
	long count;
	volatile sig_atomic_t *stop;
	long packets;
};

int ulk_capture_header(int fd, unsigned int snaplen);
long ulk_capture_run(struct ulk_capture *c);
int ulk_capture_start_file(const char *path);

#endif /* ULK_LIB_CAPTURE_H */
