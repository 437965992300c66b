/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DNS messages of the shim's resolver (resolve.c): the query it sends and
 * the parse of the reply that comes back. The reply is input from outside
 * the process (a name server, or anyone who can put a datagram on the
 * path), so these are plain functions of bytes, without I/O, and the fuzz
 * target tests/fuzz/fuzz_dns.c runs exactly this code.
 */
#ifndef ULK_TOOLS_PRELOAD_DNSMSG_H
#define ULK_TOOLS_PRELOAD_DNSMSG_H

/* Most addresses one lookup returns. */
#define SHIM_DNS_MAX_ADDRS	16
/* Query types. */
#define SHIM_DNS_T_A		1
#define SHIM_DNS_T_AAAA		28
/* A buffer this large holds any query shim_dns_build_query() makes. */
#define SHIM_DNS_QUERY_MAX	320

/**
 * struct shim_dns_addr - one address of an answer.
 * @family: AF_INET or AF_INET6.
 * @bytes: the address, 4 or 16 bytes in network order.
 */
struct shim_dns_addr {
	int family;
	unsigned char bytes[16];
};

/**
 * shim_dns_build_query() - a recursive query for one name and type.
 * @q: receives the message; SHIM_DNS_QUERY_MAX bytes.
 * @name: dotted name, without or with a final dot.
 * @type: SHIM_DNS_T_A or SHIM_DNS_T_AAAA.
 * @id: the query's ID.
 *
 * Return: the message's length, or -1 if @name has an empty label, a label
 * longer than 63 bytes, or is too long for the message.
 */
int shim_dns_build_query(unsigned char *q, const char *name, int type,
			 unsigned short id);

/**
 * shim_dns_parse_answer() - the A and AAAA records of a reply.
 * @m: the reply as received.
 * @len: its length.
 * @out: address list, SHIM_DNS_MAX_ADDRS entries; records are added after
 *	the first @n.
 * @n: how many @out already holds (0..SHIM_DNS_MAX_ADDRS).
 *
 * Names are skipped, not followed, so compression pointers cannot loop;
 * records that run past the end of the message end the parse.
 * Return: the new number of addresses in @out (>= @n), -1 for "no such
 * name" (NXDOMAIN), -2 for a server failure or a message that is not a
 * reply.
 */
int shim_dns_parse_answer(const unsigned char *m, int len,
			  struct shim_dns_addr *out, int n);

#endif /* ULK_TOOLS_PRELOAD_DNSMSG_H */
