// SPDX-License-Identifier: GPL-2.0
/*
 * The devices' input as an idle thread polls it (run-to-completion): the
 * host operations' sem_down_idle (hostops_posix.c) calls these when a
 * thread that just left the kernel's CPU to idle waits for its task's next
 * turn. Each device that can take input lends its descriptor
 * (ulk_vmmio_ops.idle_claim) for the length of the wait; see the theory of
 * operation in lib/virtio/net.c. One thread at a time (hostops_posix.c
 * guarantees it), so the claimed devices live in a static list.
 */
#include <poll.h>
#include <stdbool.h>

#include "hostops_posix.h"
#include "virtio/mmio.h"

static struct ulk_vmmio_dev *claimed[ULK_VMMIO_MAX_DEVS];
static int nr_claimed;

static int idle_claim(struct pollfd *fds, int max)
{
	int slot, fd;

	nr_claimed = 0;
	for (slot = 0; slot < ULK_VMMIO_MAX_DEVS && nr_claimed < max; slot++) {
		struct ulk_vmmio_dev *dev = ulk_vmmio_dev_at(slot);

		if (!dev || !dev->ops->idle_claim)
			continue;
		fd = dev->ops->idle_claim(dev);
		if (fd < 0)
			continue;
		fds[nr_claimed] = (struct pollfd){ .fd = fd, .events = POLLIN };
		claimed[nr_claimed++] = dev;
	}
	return nr_claimed;
}

static bool idle_run(int i)
{
	return claimed[i]->ops->idle_run(claimed[i]);
}

static void idle_release(void)
{
	while (nr_claimed > 0) {
		struct ulk_vmmio_dev *dev = claimed[--nr_claimed];

		dev->ops->idle_release(dev);
	}
}

/**
 * ulk_vmmio_idle_poller - every registered device's input, for
 * ulk_hostops_set_idle_poller().
 */
const struct ulk_idle_poller ulk_vmmio_idle_poller = {
	.claim = idle_claim,
	.run = idle_run,
	.release = idle_release,
};
