// SPDX-License-Identifier: GPL-2.0
/*
 * DNS messages of the shim's resolver: building queries, parsing replies
 * (see dnsmsg.h). Moved out of resolve.c unchanged, so that the parser the
 * shim runs is the one the fuzzer tests.
 */
#include <string.h>
#include <sys/socket.h>

#include "dnsmsg.h"

/**
 * shim_dns_build_query() - a recursive query for one name and type.
 * @q: receives the message; SHIM_DNS_QUERY_MAX bytes.
 * @name: dotted name.
 * @type: SHIM_DNS_T_A or SHIM_DNS_T_AAAA.
 * @id: the query's ID.
 *
 * Return: the message's length, or -1 for a name that cannot be asked.
 */
int shim_dns_build_query(unsigned char *q, const char *name, int type,
			 unsigned short id)
{
	const char *label = name;
	int len = 12;

	memset(q, 0, 12);
	q[0] = id >> 8;
	q[1] = id & 0xff;
	q[2] = 0x01;		/* recursion desired */
	q[5] = 1;		/* one question */
	while (*label) {
		size_t l = strcspn(label, ".");

		/* 300 keeps the whole message inside SHIM_DNS_QUERY_MAX. */
		if (l == 0 || l > 63 || len + (int)l + 6 > 300)
			return -1;
		q[len++] = (unsigned char)l;
		memcpy(q + len, label, l);
		len += (int)l;
		label += l;
		if (*label == '.')
			label++;
	}
	q[len++] = 0;
	q[len++] = 0;
	q[len++] = (unsigned char)type;
	q[len++] = 0;
	q[len++] = 1;		/* class IN */
	return len;
}

/* Past a (possibly compressed) name at @p; -1 if it runs off the end. */
static int skip_name(const unsigned char *m, int len, int p)
{
	while (p < len) {
		if (!m[p])
			return p + 1;
		if ((m[p] & 0xc0) == 0xc0)
			return p + 2 <= len ? p + 2 : -1;
		p += m[p] + 1;
	}
	return -1;
}

/**
 * shim_dns_parse_answer() - the A and AAAA records of a reply.
 * @m: the reply.
 * @len: its length.
 * @out: address list of SHIM_DNS_MAX_ADDRS entries.
 * @n: entries already in @out.
 *
 * Return: the new number of entries, -1 for NXDOMAIN, -2 for a failure.
 */
int shim_dns_parse_answer(const unsigned char *m, int len,
			  struct shim_dns_addr *out, int n)
{
	int qd, an, p = 12, type, rdlen;

	if (len < 12 || !(m[2] & 0x80))
		return -2;
	if ((m[3] & 0x0f) == 3)
		return -1;
	if (m[3] & 0x0f)
		return -2;
	qd = m[4] << 8 | m[5];
	an = m[6] << 8 | m[7];
	while (qd-- > 0 && p >= 0) {
		p = skip_name(m, len, p);
		p = p < 0 ? -1 : p + 4;
	}
	while (an-- > 0 && p >= 0 && n < SHIM_DNS_MAX_ADDRS) {
		p = skip_name(m, len, p);
		if (p < 0 || p + 10 > len)
			break;
		type = m[p] << 8 | m[p + 1];
		rdlen = m[p + 8] << 8 | m[p + 9];
		p += 10;
		if (p + rdlen > len)
			break;
		if ((type == SHIM_DNS_T_A && rdlen == 4) ||
		    (type == SHIM_DNS_T_AAAA && rdlen == 16)) {
			out[n].family = type == SHIM_DNS_T_A ? AF_INET :
								 AF_INET6;
			memcpy(out[n].bytes, m + p, rdlen);
			n++;
		}
		p += rdlen;
	}
	return n;
}
