// SPDX-License-Identifier: GPL-2.0
/*
 * Name resolution through ulk: getaddrinfo() for host names.
 *
 * glibc's own resolver makes its sockets with internal calls that no
 * preload can intercept, so a lookup would leave through the host's
 * network even though the program's traffic goes through ulk's. The shim
 * therefore answers getaddrinfo() itself for names that need DNS:
 *
 *  - numeric addresses, a NULL node, AI_NUMERICHOST: glibc's, which does
 *    no network I/O for them;
 *  - otherwise /etc/hosts, then DNS over UDP from a ulk socket to the name
 *    servers of --dns, or else of /etc/resolv.conf (with its search list,
 *    ndots, timeout and attempts), A and AAAA as the hints ask;
 *  - a name server on the host's loopback (a local stub such as
 *    systemd-resolved's 127.0.0.53) cannot be reached through ulk, whose
 *    loopback is its own: it is skipped, and systemd-resolved's upstream
 *    list (/run/systemd/resolve/resolv.conf) used if there is one. The
 *    process that checks the settings for ulk-run says so once, with the
 *    servers in use (always with --verbose); a lookup that no server
 *    answers says once which servers were asked and that --dns picks
 *    others;
 *  - each server gets timeout seconds per attempt for all the queries of a
 *    lookup (replies that are not ours do not extend it), and each query
 *    is answered once (a duplicated reply is not the other's answer);
 *  - each address found is turned into the result list by glibc's
 *    getaddrinfo() on the numeric form, so services, socket types and
 *    flags are glibc's, and freeaddrinfo() frees the list as usual.
 *
 * gethostbyname(), gethostbyname2() and their _r forms (sockperf's) use
 * the same lookup, one family at a time.
 *
 * Not covered: getnameinfo() of names (reverse lookups), and answers that
 * only fit over TCP (truncated replies give what they hold).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include <ulk/ulk.h>
#include <ulk/linux/poll.h>
#include <ulk/linux/time_types.h>

#include "dnsmsg.h"
#include "shim.h"

#define MAX_SEARCH	6
#define DNS_PORT	53

#define MAX_NS		3
#define SYSTEMD_RESOLV	"/run/systemd/resolve/resolv.conf"

struct resolver {
	struct sockaddr_storage ns[MAX_NS];
	int n_ns;
	char skipped[MAX_NS][INET6_ADDRSTRLEN];	/* loopback servers left out */
	int n_skipped;
	const char *source;
	char search[MAX_SEARCH][256];
	int n_search;
	int ndots;
	int timeout_s;
	int attempts;
};

/* Whether @text is an address on the host's loopback. */
static int is_loopback(const char *text)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, text, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, text, &a6) == 1 &&
	       IN6_IS_ADDR_LOOPBACK(&a6);
}

/* @host_file: from a host file, where loopback means the host's. */
static void add_server(struct resolver *r, const char *text, int host_file)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&r->ns[r->n_ns];
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&r->ns[r->n_ns];

	if (r->n_ns == MAX_NS)
		return;
	if (host_file && is_loopback(text)) {
		if (r->n_skipped < MAX_NS)
			snprintf(r->skipped[r->n_skipped++],
				 sizeof(r->skipped[0]), "%s", text);
		return;
	}
	memset(&r->ns[r->n_ns], 0, sizeof(r->ns[0]));
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(DNS_PORT);
		r->n_ns++;
	} else if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(DNS_PORT);
		r->n_ns++;
	}
}

/* The name servers of a resolv.conf(5) file other than /etc's. */
static void read_servers(struct resolver *r, const char *path)
{
	char line[512], *tok, *save;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		tok = strtok_r(line, " \t\r\n", &save);
		if (tok && !strcmp(tok, "nameserver") &&
		    (tok = strtok_r(NULL, " \t\r\n", &save)))
			add_server(r, tok, 1);
	}
	fclose(f);
}

static void read_resolv_conf(struct resolver *r)
{
	char line[512], *tok, *save;
	int i, n;
	FILE *f;

	r->ndots = 1;
	r->timeout_s = 5;
	r->attempts = 2;
	r->source = shim_n_dns() ? "--dns" : "/etc/resolv.conf";
	for (i = 0; i < shim_n_dns(); i++)
		add_server(r, shim_dns(i), 0);
	f = fopen("/etc/resolv.conf", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		tok = strtok_r(line, " \t\r\n", &save);
		if (!tok || *tok == '#' || *tok == ';')
			continue;
		if (!strcmp(tok, "nameserver") && !shim_n_dns()) {
			tok = strtok_r(NULL, " \t\r\n", &save);
			if (tok)
				add_server(r, tok, 1);
		} else if (!strcmp(tok, "search") || !strcmp(tok, "domain")) {
			r->n_search = 0;
			while ((tok = strtok_r(NULL, " \t\r\n", &save)) &&
			       r->n_search < MAX_SEARCH)
				snprintf(r->search[r->n_search++],
					 sizeof(r->search[0]), "%s", tok);
		} else if (!strcmp(tok, "options")) {
			while ((tok = strtok_r(NULL, " \t\r\n", &save))) {
				if (sscanf(tok, "ndots:%d", &n) == 1)
					r->ndots = n;
				else if (sscanf(tok, "timeout:%d", &n) == 1 && n > 0)
					r->timeout_s = n;
				else if (sscanf(tok, "attempts:%d", &n) == 1 && n > 0)
					r->attempts = n;
			}
		}
	}
	fclose(f);
	/* A local stub only: its upstream servers, if it is systemd's. */
	if (!r->n_ns && r->n_skipped) {
		read_servers(r, SYSTEMD_RESOLV);
		if (r->n_ns)
			r->source = SYSTEMD_RESOLV;
	}
}

/* The servers of @r as text, "a, b" ("none" if none). */
static void servers_text(const struct resolver *r, char *buf, size_t size)
{
	char text[INET6_ADDRSTRLEN];
	size_t used = 0;
	int i;

	snprintf(buf, size, "none");
	for (i = 0; i < r->n_ns && used < size; i++) {
		const struct sockaddr *sa = (const void *)&r->ns[i];
		const void *a = sa->sa_family == AF_INET ?
			(const void *)&((const struct sockaddr_in *)sa)->sin_addr :
			(const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

		inet_ntop(sa->sa_family, a, text, sizeof(text));
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i ? ", " : "", text);
	}
}

/**
 * shim_dns_report() - say which name servers lookups will use, when that
 * needs saying: a loopback server was left out (always), or @verbose.
 * @verbose: --verbose was given.
 */
void shim_dns_report(int verbose)
{
	struct resolver r = { 0 };
	char list[256];

	read_resolv_conf(&r);
	servers_text(&r, list, sizeof(list));
	if (r.n_skipped && !r.n_ns)
		shim_say("ulk-run: /etc/resolv.conf's name server %s is on the host's loopback, which ulk's network cannot reach: name lookups will fail; give --dns ADDR (a server reachable through ulk)",
			 r.skipped[0]);
	else if (r.n_skipped)
		shim_say("ulk-run: /etc/resolv.conf's name server %s is on the host's loopback, which ulk's network cannot reach; lookups use %s (from %s); --dns ADDR picks others",
			 r.skipped[0], list, r.source);
	else if (verbose)
		shim_say("ulk-run: name lookups use %s (from %s)", list,
			 r.n_ns ? r.source : "nowhere: no nameserver in /etc/resolv.conf");
}

/* Once per process: no server answered a lookup. */
static void say_unanswered(const struct resolver *r)
{
	static int said;
	char list[256];

	if (__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
		return;
	if (!r->n_ns) {
		shim_say("ulk-run: no name server to ask (%s): give --dns ADDR, a server reachable through ulk",
			 r->n_skipped ? "/etc/resolv.conf's are on the host's loopback, which ulk's network cannot reach" :
			 "none in /etc/resolv.conf");
		return;
	}
	servers_text(r, list, sizeof(list));
	shim_say("ulk-run: no answer from name server %s (from %s) through ulk; if it cannot be reached from ulk's network, give --dns ADDR",
		 list, r->source);
}

/* /etc/hosts: the addresses of @name of the wanted family. */
static int hosts_lookup(const char *name, int family,
			struct shim_dns_addr *out)
{
	char line[1024], *tok, *save, *addr;
	struct shim_dns_addr a;
	int n = 0;
	FILE *f = fopen("/etc/hosts", "re");

	if (!f)
		return 0;
	while (n < SHIM_DNS_MAX_ADDRS && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "#")] = 0;
		addr = strtok_r(line, " \t\r\n", &save);
		if (!addr)
			continue;
		if (inet_pton(AF_INET, addr, a.bytes) == 1)
			a.family = AF_INET;
		else if (inet_pton(AF_INET6, addr, a.bytes) == 1)
			a.family = AF_INET6;
		else
			continue;
		if (family != AF_UNSPEC && family != a.family)
			continue;
		while ((tok = strtok_r(NULL, " \t\r\n", &save)))
			if (!strcasecmp(tok, name)) {
				out[n++] = a;
				break;
			}
	}
	fclose(f);
	return n;
}

/*
 * Ask the name servers about @name (A and/or AAAA), from a ulk socket.
 * Return: addresses found (>= 0), or an EAI_* error.
 */
static int dns_lookup(const struct resolver *r, const char *name, int family,
		      struct shim_dns_addr *out)
{
	int types[2], n_types = 0, s, attempt, t, n = 0, got;
	unsigned char q[2][SHIM_DNS_QUERY_MAX], m[1500];
	unsigned short id[2];
	int qlen[2], nxdomain = 0, answered, failed, all;
	struct timespec deadline, left;
	long fd, len;

	if (family != AF_INET6)
		types[n_types++] = SHIM_DNS_T_A;
	if (family != AF_INET)
		types[n_types++] = SHIM_DNS_T_AAAA;
	for (t = 0; t < n_types; t++) {
		if (getrandom(&id[t], sizeof(id[t]), 0) != sizeof(id[t]))
			id[t] = (unsigned short)(0x5a00 + t);
		qlen[t] = shim_dns_build_query(q[t], name, types[t], id[t]);
		if (qlen[t] < 0)
			return EAI_NONAME;
	}
	for (attempt = 0; attempt < r->attempts; attempt++) {
		for (s = 0; s < r->n_ns; s++) {
			const struct sockaddr *sa = (const void *)&r->ns[s];

			fd = ulk_sys_socket(sa->sa_family, SOCK_DGRAM |
					    SOCK_CLOEXEC, 0);
			if (fd < 0)
				continue;
			if (ulk_sys_connect(fd, (void *)sa, sizeof(r->ns[s]))) {
				ulk_sys_close(fd);
				continue;
			}
			for (t = 0; t < n_types; t++)
				ulk_sys_sendto(fd, q[t], qlen[t], 0, NULL, 0);
			/* Bit t: query t was answered (or failed). */
			answered = failed = 0;
			all = (1 << n_types) - 1;
			shim_deadline(&deadline, &(struct timespec){
				r->timeout_s, 0 });
			while ((answered | failed) != all &&
			       shim_time_left(&deadline, &left)) {
				struct ulk_pollfd p = { .fd = (int)fd,
							.events = ULK_POLLIN };
				struct __ulk_kernel_timespec ts = {
					left.tv_sec, left.tv_nsec };

				if (ulk_sys_ppoll(&p, 1, &ts, NULL, 0) <= 0)
					break;
				len = ulk_sys_recvfrom(fd, m, sizeof(m), 0,
						       NULL, NULL);
				if (len < 12)
					continue;
				for (t = 0; t < n_types; t++)
					if ((m[0] << 8 | m[1]) == id[t])
						break;
				if (t == n_types || ((answered | failed) &
						     (1 << t)))
					continue;	/* not ours, or again */
				got = shim_dns_parse_answer(m, (int)len, out,
							    n);
				if (got == -2) {
					failed |= 1 << t;
					continue;
				}
				answered |= 1 << t;
				if (got == -1)
					nxdomain = 1;
				else
					n = got;
			}
			ulk_sys_close(fd);
			if (answered == all)
				return n ? n : nxdomain ? EAI_NONAME : EAI_NODATA;
			/* A server that failed a query: ask the next. */
		}
	}
	say_unanswered(r);
	return r->n_ns ? EAI_AGAIN : EAI_FAIL;
}

/* Try the search list the way resolv.conf(5) says. */
static int lookup(const char *node, int family, struct shim_dns_addr *out)
{
	struct resolver r = { 0 };
	char name[512];
	int dots = 0, i, n, err = EAI_NONAME;
	const char *c;

	n = hosts_lookup(node, family, out);
	if (n)
		return n;
	read_resolv_conf(&r);
	for (c = node; *c; c++)
		dots += *c == '.';
	if (c > node && c[-1] == '.')
		return dns_lookup(&r, node, family, out);
	if (dots >= r.ndots) {
		n = dns_lookup(&r, node, family, out);
		if (n > 0 || n == EAI_AGAIN || n == EAI_FAIL)
			return n;
		err = n;
	}
	for (i = 0; i < r.n_search; i++) {
		snprintf(name, sizeof(name), "%s.%s", node, r.search[i]);
		n = dns_lookup(&r, name, family, out);
		if (n > 0)
			return n;
	}
	if (dots < r.ndots)
		return dns_lookup(&r, node, family, out);
	return err;
}

static int is_numeric(const char *node)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, node, buf) == 1 ||
	       inet_pton(AF_INET6, node, buf) == 1 || strchr(node, '%');
}

int getaddrinfo(const char *node, const char *service,
		const struct addrinfo *hints, struct addrinfo **res)
{
	static int (*next)(const char *, const char *,
			   const struct addrinfo *, struct addrinfo **);
	struct addrinfo h = { 0 }, *head = NULL, **tail = &head, *one;
	struct shim_dns_addr addrs[SHIM_DNS_MAX_ADDRS];
	char text[INET6_ADDRSTRLEN];
	int n, i, err = 0;

	if (!next)
		next = shim_next("getaddrinfo");
	if (!node || (hints && (hints->ai_flags & AI_NUMERICHOST)) ||
	    is_numeric(node))
		return next(node, service, hints, res);
	if (shim_unavailable())
		return EAI_SYSTEM;
	if (hints)
		h = *hints;
	n = lookup(node, h.ai_family, addrs);
	if (n < 0 || n == 0)
		return n ? n : EAI_NONAME;
	/* IPv4 first: a ulk with only IPv4 configured connects at once. */
	for (i = 0; i < 2 * n; i++) {
		const struct shim_dns_addr *a = &addrs[i % n];
		struct addrinfo nh = h;

		if ((a->family == AF_INET) != (i < n))
			continue;
		inet_ntop(a->family, a->bytes, text, sizeof(text));
		nh.ai_family = a->family;
		nh.ai_flags = (h.ai_flags | AI_NUMERICHOST) &
			      ~(AI_CANONNAME | AI_ADDRCONFIG);
		err = next(text, service, &nh, &one);
		if (err)
			continue;
		*tail = one;
		while (*tail)
			tail = &(*tail)->ai_next;
	}
	if (!head)
		return err ? err : EAI_NONAME;
	if (h.ai_flags & AI_CANONNAME)
		head->ai_canonname = strdup(node);
	*res = head;
	return 0;
}

/* --- gethostbyname() and friends ----------------------------------------- */

/*
 * Fill @h from the addresses of @af among @addrs, with @buf holding the
 * name, the address bytes and the pointer arrays. Return: 0 or ERANGE.
 */
static int fill_hostent(struct hostent *h, const char *name, int af,
			const struct shim_dns_addr *addrs, int n, char *buf,
			size_t len)
{
	size_t alen = af == AF_INET ? 4 : 16, need, nlen = strlen(name) + 1;
	char **list, *p;
	int i, k = 0;

	for (i = 0; i < n; i++)
		k += addrs[i].family == af;
	need = (size_t)(k + 2) * sizeof(char *) + (size_t)k * alen + nlen +
	       sizeof(char *);
	if (need > len)
		return ERANGE;
	list = (char **)buf;
	p = buf + (size_t)(k + 2) * sizeof(char *);
	h->h_aliases = list + k + 1;
	h->h_aliases[0] = NULL;
	h->h_addr_list = list;
	for (i = 0, k = 0; i < n; i++) {
		if (addrs[i].family != af)
			continue;
		memcpy(p, addrs[i].bytes, alen);
		list[k++] = p;
		p += alen;
	}
	list[k] = NULL;
	memcpy(p, name, nlen);
	h->h_name = p;
	h->h_addrtype = af;
	h->h_length = (int)alen;
	return 0;
}

/* The common part of the four; 0, or an errno with *herr set. */
static int hostent_lookup(const char *name, int af, struct hostent *h,
			  char *buf, size_t len, int *herr)
{
	struct shim_dns_addr addrs[SHIM_DNS_MAX_ADDRS];
	int n;

	if (af != AF_INET && af != AF_INET6) {
		*herr = NO_RECOVERY;
		return EAFNOSUPPORT;
	}
	if (shim_unavailable()) {
		*herr = NO_RECOVERY;
		return errno;
	}
	n = lookup(name, af, addrs);
	if (n <= 0) {
		*herr = n == EAI_AGAIN ? TRY_AGAIN : n == EAI_FAIL ?
			NO_RECOVERY : n == EAI_NODATA ? NO_DATA : HOST_NOT_FOUND;
		return ENOENT;
	}
	if (fill_hostent(h, name, af, addrs, n, buf, len)) {
		*herr = NETDB_INTERNAL;
		return ERANGE;
	}
	return 0;
}

int gethostbyname2_r(const char *name, int af, struct hostent *h, char *buf,
		     size_t len, struct hostent **res, int *herr)
{
	static int (*next)(const char *, int, struct hostent *, char *,
			   size_t, struct hostent **, int *);
	int err;

	if (!next)
		next = shim_next("gethostbyname2_r");
	if (!name || is_numeric(name))
		return next(name, af, h, buf, len, res, herr);
	err = hostent_lookup(name, af, h, buf, len, herr);
	*res = err ? NULL : h;
	return err == ENOENT ? 0 : err;
}

int gethostbyname_r(const char *name, struct hostent *h, char *buf,
		    size_t len, struct hostent **res, int *herr)
{
	return gethostbyname2_r(name, AF_INET, h, buf, len, res, herr);
}

struct hostent *gethostbyname2(const char *name, int af)
{
	static __thread struct hostent h;
	static __thread char buf[1024];
	static struct hostent *(*next)(const char *, int);
	struct hostent *res;
	int herr;

	if (!next)
		next = shim_next("gethostbyname2");
	if (!name || is_numeric(name))
		return next(name, af);
	gethostbyname2_r(name, af, &h, buf, sizeof(buf), &res, &herr);
	if (!res)
		h_errno = herr;
	return res;
}

struct hostent *gethostbyname(const char *name)
{
	return gethostbyname2(name, AF_INET);
}
