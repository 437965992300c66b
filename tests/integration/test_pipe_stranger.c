// SPDX-License-Identifier: GPL-2.0
/*
 * A named pipe endpoint takes frames only from its peer (lib/net/pipe.c).
 *
 * ulk's device is role A of a named pipe (it binds PATH.a; its peer is
 * PATH.b, not there yet). A stranger, an AF_UNIX datagram socket bound
 * somewhere else, sends it 50 well-formed frames (without blocking: those
 * the socket's queue cannot take are not counted): none reaches the
 * device (its receive counter stays still). Then a socket bound at PATH.b,
 * the peer's place, sends the same frames: all it sent arrive.
 */
#include "common.h"

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <ulk/net.h>
#include <ulk/netdev.h>

#define FRAMES	50

/* A virtio-net header (12 bytes, no offloads) and a broadcast ARP frame. */
static size_t make_frame(unsigned char *buf)
{
	static const unsigned char eth_arp[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,	/* to: broadcast */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x09,	/* from */
		0x08, 0x06,				/* ARP */
		0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x09, 10, 99, 0, 9,
		0, 0, 0, 0, 0, 0, 10, 99, 0, 1,
	};

	memset(buf, 0, 12);
	memcpy(buf + 12, eth_arp, sizeof(eth_arp));
	memset(buf + 12 + sizeof(eth_arp), 0, 18);	/* pad to 60 */
	return 12 + 60;
}

static int bound_socket(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	return fd;
}

static unsigned long long rx_packets(int dev)
{
	struct ulk_netdev_stats st;

	if (ulk_netdev_stats(dev, &st))
		return ~0ULL;
	return st.rx.packets;
}

/* Send the frames from @fd to the device's path. Return: how many went. */
static int send_frames(int fd, const char *to)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	unsigned char buf[128];
	size_t len = make_frame(buf);
	int i, sent = 0;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", to);
	for (i = 0; i < FRAMES; i++)
		if (sendto(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&a,
			   sizeof(a)) == (ssize_t)len)
			sent++;
		else
			sleep_ns(5 * NSEC_PER_MSEC);	/* let ulk read */
	return sent;
}

int main(void)
{
	char dir[] = "/tmp/ulk-stranger-XXXXXX", base[128], self[160],
	     peer[160], other[160];
	unsigned long long before, after;
	int dev, stranger, impostor, sent;

	test_watchdog(60);
	if (!mkdtemp(dir))
		return 1;
	snprintf(base, sizeof(base), "%s/link", dir);
	snprintf(self, sizeof(self), "%s.a", base);
	snprintf(peer, sizeof(peer), "%s.b", base);
	snprintf(other, sizeof(other), "%s/stranger", dir);
	dev = ulk_netdev_add_pipe_path(base, ULK_NETDEV_PIPE_A, NULL);
	if (!CHECK(dev >= 0, "a named pipe device, role A (%s)",
		   dev < 0 ? ulk_netdev_last_error() : "ok"))
		return test_finish();
	ulk_boot_or_die();
	/* Up, so that the driver posts receive buffers and ulk reads. */
	ulk_if_set_up(ulk_netdev_ifindex(dev), 1);
	sleep_ns(100 * NSEC_PER_MSEC);

	stranger = bound_socket(other);
	before = rx_packets(dev);
	sent = send_frames(stranger, self);
	sleep_ns(300 * NSEC_PER_MSEC);
	after = rx_packets(dev);
	CHECK(sent >= FRAMES * 4 / 5 && after == before,
	      "%d frames from a stranger: %llu received", sent,
	      after - before);

	impostor = bound_socket(peer);
	before = rx_packets(dev);
	sent = send_frames(impostor, self);
	sleep_ns(300 * NSEC_PER_MSEC);
	after = rx_packets(dev);
	CHECK(sent >= FRAMES * 4 / 5 && after - before == (unsigned)sent,
	      "%d frames from the peer's path: %llu received", sent,
	      after - before);

	close(stranger);
	close(impostor);
	unlink(other);
	unlink(peer);
	unlink(self);
	rmdir(dir);
	return test_finish();
}
