// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the DNS reply parser of the preload shim's resolver
 * (tools/preload/dnsmsg.c, the code resolve.c runs on every datagram its
 * socket receives).
 *
 * The input is a reply as it comes off the wire: anyone on the path can
 * send one with the right ID, so every byte is hostile (counts, label
 * lengths, compression pointers, record lengths). It is parsed twice, as
 * the resolver does for its A and AAAA queries: once into an empty list,
 * once into a list that already holds addresses. The parser must stay
 * inside the message and the list, and return what it promises.
 *
 * Then the query builder gets the input's first bytes as a name (the
 * shim builds queries from names programs pass to getaddrinfo()): the
 * query must fit its buffer and encode the name's labels.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dnsmsg.h"
#include "fuzz.h"

static void check_parse(const uint8_t *data, size_t size, int n0)
{
	struct shim_dns_addr out[SHIM_DNS_MAX_ADDRS];
	unsigned char *m;
	int n, i;

	/* An exact-size copy, so that ASan sees a read past the end. */
	m = malloc(size ? size : 1);
	fuzz_check(m);
	memcpy(m, data, size);
	memset(out, 0xa5, sizeof(out));
	for (i = 0; i < n0; i++)
		out[i].family = AF_INET;
	n = shim_dns_parse_answer(m, (int)size, out, n0);
	fuzz_check(n == -1 || n == -2 || (n >= n0 && n <= SHIM_DNS_MAX_ADDRS));
	for (i = n0; i < n; i++)
		fuzz_check(out[i].family == AF_INET ||
			   out[i].family == AF_INET6);
	free(m);
}

static void check_query(const uint8_t *data, size_t size)
{
	unsigned char q[SHIM_DNS_QUERY_MAX + 1];
	char name[400];
	size_t len = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	int qlen, p;

	memcpy(name, data, len);
	name[len] = '\0';
	q[SHIM_DNS_QUERY_MAX] = 0x5a;
	qlen = shim_dns_build_query(q, name, SHIM_DNS_T_AAAA, 0x1234);
	fuzz_check(q[SHIM_DNS_QUERY_MAX] == 0x5a);
	if (qlen < 0)
		return;
	fuzz_check(qlen >= 17 && qlen <= SHIM_DNS_QUERY_MAX);
	/* The labels must walk to the root label and then the type. */
	for (p = 12; q[p]; p += q[p] + 1)
		fuzz_check(q[p] <= 63 && p + q[p] + 1 < qlen);
	fuzz_check(p + 5 == qlen);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65535)
		return 0;	/* larger than a UDP datagram: not an input */
	check_parse(data, size, 0);
	check_parse(data, size, SHIM_DNS_MAX_ADDRS - 2);
	check_query(data, size);
	return 0;
}
