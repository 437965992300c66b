/* SPDX-License-Identifier: GPL-2.0 */
/* ulk-proxy's DHCPv4 server for its guest (dhcp.c). */
#ifndef ULK_TOOLS_PROXY_DHCP_H
#define ULK_TOOLS_PROXY_DHCP_H

#include <stddef.h>
#include <stdint.h>

#define DHCP_MAX_ANSWER	576

/**
 * struct dhcp_lease - what the guest is given; addresses in network order.
 * @guest: its address.
 * @mask: the netmask.
 * @router: the default gateway (ulk's address).
 * @dns: the name server (ulk's address: forwarded, see --dns).
 * @server: the server identifier (ulk's address).
 * @lease_s: lease time in seconds.
 * @mtu: the link's MTU (0: not said).
 */
struct dhcp_lease {
	uint32_t guest, mask, router, dns, server;
	uint32_t lease_s;
	uint16_t mtu;
};

size_t dhcp_answer(const uint8_t *req, size_t len,
		   const struct dhcp_lease *lease, uint8_t *out, int *broadcast);

#endif /* ULK_TOOLS_PROXY_DHCP_H */
