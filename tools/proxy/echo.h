/* SPDX-License-Identifier: GPL-2.0 */
/* ulk-proxy's ICMP echo relay (echo.c). */
#ifndef ULK_TOOLS_PROXY_ECHO_H
#define ULK_TOOLS_PROXY_ECHO_H

#include <stddef.h>
#include <stdint.h>

#define ECHO_SLOTS	1024
#define ECHO_ID_BASE	0xa000
#define ECHO_MAX_DATA	1472

/* One echo request of the guest's, parsed (addresses in network order). */
struct echo_request {
	uint32_t src, dst;
	uint16_t id, seq;
	const uint8_t *data;
	size_t len;
};

/* A request waiting for its answer, by our identifier. */
struct echo_slot {
	int used;
	uint32_t guest, dst;
	uint16_t guest_id;
};

/**
 * struct echo - the relay's state.
 * @in: raw ICMP socket in ulk on the guest's interface (requests).
 * @out: raw socket in ulk writing whole IP packets (replies).
 * @host: raw ICMP socket on the host.
 */
struct echo {
	long in, out;
	int host;
	unsigned int next_id;
	struct echo_slot slots[ECHO_SLOTS];
};

int echo_parse(const uint8_t *pkt, size_t len, struct echo_request *out);
uint16_t icmp_csum(const uint8_t *p, size_t len);
int echo_init(struct echo *e, const char *ifname);
int echo_from_guest(struct echo *e, const struct echo_request *rq);
int echo_from_host(struct echo *e);

#endif /* ULK_TOOLS_PROXY_ECHO_H */
