// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: ulk-proxy's parse of the guest's ICMP echo requests
 * (tools/proxy/icmp.c, echo_parse()) fed any packet a raw ICMP socket in
 * ulk could hand it. It must never read past the packet, and what it
 * returns must lie inside it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "echo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct echo_request rq;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (!echo_parse(copy, size, &rq) &&
	    (rq.data < copy || rq.data + rq.len > copy + size))
		abort();
	free(copy);
	return 0;
}
