/* SPDX-License-Identifier: GPL-2.0 */
/* ulk-proxy's router advertisements (ra.c). */
#ifndef ULK_TOOLS_PROXY_RA_H
#define ULK_TOOLS_PROXY_RA_H

#include <stddef.h>
#include <stdint.h>

#define RA_MAX		128
#define RA_INTERVAL_S	600

/**
 * struct ra_config - what the advertisement says.
 * @mac: ulk's link-layer address on the link.
 * @mtu: the link's MTU (0: not said).
 * @prefix: the on-link, autonomous prefix (its host bits zero).
 * @prefix_len: its length (64 for SLAAC).
 * @dns: the name server to advertise (RDNSS).
 */
struct ra_config {
	unsigned char mac[6];
	uint32_t mtu;
	unsigned char prefix[16];
	int prefix_len;
	unsigned char dns[16];
};

size_t ra_build(unsigned char *out, const struct ra_config *cfg);

#endif /* ULK_TOOLS_PROXY_RA_H */
