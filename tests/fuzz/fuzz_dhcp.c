// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: ulk-proxy's DHCP server (tools/proxy/dhcp.c) fed any
 * client message a guest could send. dhcp_answer() must never read past
 * the message nor write past DHCP_MAX_ANSWER, and an answer must be a
 * BOOTREPLY with the request's transaction ID.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dhcp_lease lease = {
		.guest = 0x0f02000a, .mask = 0x00ffffff, .router = 0x0202000a,
		.dns = 0x0202000a, .server = 0x0202000a, .lease_s = 3600,
		.mtu = 1500,
	};
	uint8_t *copy = malloc(size ? size : 1), out[DHCP_MAX_ANSWER];
	int broadcast;
	size_t n;

	if (!copy)
		return 0;
	memcpy(copy, data, size);	/* exactly @size bytes: ASan sees overreads */
	n = dhcp_answer(copy, size, &lease, out, &broadcast);
	if (n && (n > DHCP_MAX_ANSWER || out[0] != 2 || memcmp(out + 4, copy + 4, 4)))
		abort();
	free(copy);
	return 0;
}
