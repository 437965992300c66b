// SPDX-License-Identifier: GPL-2.0
/*
 * The pure part of ulk-proxy's ICMP echo relay (echo.c): the parse of the
 * guest's echo requests and the Internet checksum, functions of bytes
 * with no I/O, so that the fuzz target tests/fuzz/fuzz_echo.c runs exactly
 * this code.
 */
#include <netinet/in.h>
#include <string.h>

#include "echo.h"

#define ICMP_ECHO	8

/**
 * icmp_csum() - the Internet checksum (RFC 1071) of @len bytes at @p.
 * @p: the bytes.
 * @len: how many.
 *
 * Return: the checksum, to store big-endian.
 */
uint16_t icmp_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	while (len > 1) {
		sum += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * echo_parse() - an echo request from the guest, as a raw ICMP socket in
 * ulk gives it (the IP header first).
 * @pkt: the packet.
 * @len: its length.
 * @out: receives the request.
 *
 * Return: 0, or -1 if it is not a well-formed IPv4 echo request.
 */
int echo_parse(const uint8_t *pkt, size_t len, struct echo_request *out)
{
	size_t ihl, total;

	if (len < 20 || (pkt[0] >> 4) != 4)
		return -1;
	ihl = (size_t)(pkt[0] & 0xf) * 4;
	total = (size_t)(pkt[2] << 8 | pkt[3]);
	if (ihl < 20 || total > len || total < ihl + 8 || pkt[9] != IPPROTO_ICMP)
		return -1;
	if (pkt[ihl] != ICMP_ECHO || pkt[ihl + 1] != 0)
		return -1;
	memcpy(&out->src, pkt + 12, 4);
	memcpy(&out->dst, pkt + 16, 4);
	out->id = (uint16_t)(pkt[ihl + 4] << 8 | pkt[ihl + 5]);
	out->seq = (uint16_t)(pkt[ihl + 6] << 8 | pkt[ihl + 7]);
	out->data = pkt + ihl + 8;
	out->len = total - ihl - 8;
	return 0;
}

