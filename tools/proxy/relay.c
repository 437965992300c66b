// SPDX-License-Identifier: GPL-2.0
/*
 * ulk-proxy's TCP relay: each connection a guest makes is accepted inside
 * ulk (the transparent listener of lib/transparent.c: getsockname() is
 * where the guest was going), and the relay connects a host socket to that
 * destination (or to a --map backend) and moves the bytes both ways.
 *
 * Theory of operation
 * -------------------
 * One thread runs the relay's event loop, blocked in ulk's epoll_pwait()
 * on an epoll instance inside ulk that holds the listener, every guest
 * connection (edge-triggered) and a ulk eventfd, the "nudge". Host sockets
 * cannot be in ulk's epoll, so they sit in a host epoll (edge-triggered)
 * that a second thread, the host waiter, blocks on; it appends what it
 * gets to a queue and, if the queue was empty, writes the nudge, which
 * wakes the loop inside ulk. The loop takes the whole queue at once. So the
 * loop never blocks outside ulk, and a burst of host events costs one
 * nudge; with edge-triggered events on both sides, each event means "try
 * again", and the loop reads and writes until EAGAIN.
 *
 * A connection ("pump"): bytes read from one side wait in a 64 KiB buffer
 * until the other side takes them; a full buffer stops reading that side
 * (TCP's window then pushes back on the sender), so memory per connection
 * is bounded. End of stream on one side becomes shutdown(SHUT_WR) on the
 * other once its buffer is written (half-close both ways); a reset on one
 * side becomes a reset on the other (SO_LINGER 0 and close). The host
 * connect is non-blocking; until it completes, the guest's data waits in
 * its buffer. A connect the host refuses (or cannot route, or times out)
 * resets the guest's connection: ulk has completed the guest's handshake
 * before the relay learns of the connection (accept() returns established
 * connections only), so the guest sees its connect succeed and then
 * ECONNRESET, not ECONNREFUSED. Delaying the handshake until the host's
 * completes needs the kernel's help (a later milestone).
 *
 * UDP: every datagram from the guest arrives on the one transparent UDP
 * socket with its destination (IP_ORIGDSTADDR); a flow is the guest's
 * address and port with one destination, and has a host socket connected
 * to the destination (so only its answers come back). Answers go to the
 * guest from a transparent ulk socket bound to the destination, so the
 * guest sees them come from where it sent. A flow idle for --udp-timeout
 * is closed; --max-flows bounds them (the next is dropped and counted).
 *
 * Inward forwards (-t HOSTPORT[:GUESTPORT]): a host listener in the
 * proxy's namespace; each connection it accepts is connected from ulk to
 * the guest's address and port (non-blocking, from the gateway's address),
 * then relayed as above with the roles of the two sides' connects swapped.
 *
 * DHCP: the guest's broadcasts to port 67 are not looked up through the
 * socket-lookup program (broadcast delivery goes to the sockets bound to
 * the port), so a server socket bound to port 67 on the guest's interface
 * takes them; a renewal sent to the gateway's address arrives on the
 * transparent UDP socket and is answered the same way (dhcp.c).
 *
 * Policy: a --map entry for the destination wins; otherwise the host's
 * loopback (127.0.0.0/8, ::1), link-local (169.254.0.0/16, fe80::/10:
 * cloud metadata services), unspecified, multicast, reserved and broadcast
 * (240.0.0.0/4) addresses are denied
 * unless --allow names them, and --deny denies more. A denied destination,
 * and a connection beyond --max-conns, are reset at once and counted.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <ulk/ulk.h>
#include <ulk/abi.h>
#include <ulk/linux/eventfd.h>
#include <ulk/linux/eventpoll.h>

#include "relay.h"

#define BUF_SIZE	(64 * 1024)
#define BATCH		64
#define TAG_LISTENER	1ULL
#define TAG_NUDGE	2ULL
#define TAG_UDP		3ULL
#define TAG_DHCP	4ULL
#define TAG_RA		5ULL
#define TAG_ECHO	6ULL
#define ND_ROUTER_SOLICIT	133
#define DHCP_SERVER	67
#define DHCP_CLIENT	68

struct pipebuf {
	char *data;
	size_t head, len;	/* bytes [head, head + len) are pending */
};

enum conn_kind { CONN_TCP, CONN_UDP, CONN_LISTEN, CONN_ECHO };

/*
 * A TCP connection, or a UDP flow (the guest's address and port to one
 * destination): what a host socket belongs to.
 */
struct conn {
	int kind;
	int closed;
	long u;			/* ulk descriptor: the guest's connection; for
				 * a flow, the socket that answers as the
				 * destination (-1 until the first answer) */
	int h;			/* host descriptor */
	struct sockaddr_in6 guest, dst;	/* a flow's two ends, as ulk saw them */
	int64_t last_ms;	/* a flow's last datagram */
	struct conn *next_flow;	/* the relay's flow list */
	int connecting;		/* the host side's connect is under way */
	int u_connecting;	/* the guest side's (an inward forward) */
	int guest_port;		/* a forward listener's guest port */
	int u_eof, h_eof;	/* that side sent its FIN */
	int u_shut, h_shut;	/* we shut writing to that side down */
	struct pipebuf u2h, h2u;
	uint32_t slot;		/* in the relay's table: the host events' key */
	struct conn *next_dead;
};

struct relay {
	const struct relay_config *cfg;
	struct relay_counters *cnt;
	long uep, nudge, listener;
	int hep;
	pthread_mutex_t lock;
	struct epoll_event *queue;	/* host events for the loop */
	size_t n_queue, cap_queue;
	struct conn *dead;		/* freed after the batch */
	/*
	 * Host events name a connection by slot and generation, not by
	 * address: the waiter may queue an event for a host socket just
	 * before the loop closes it, and the loop must then find the slot
	 * reused or empty, not freed memory.
	 */
	struct conn **slots;
	uint32_t *gens;
	uint32_t n_slots, *free_slots, n_free;
	long udp;			/* the transparent UDP socket, or -1 */
	long dhcp;			/* the DHCP server's socket, or -1 */
	long ra;			/* the raw ICMPv6 socket for RAs, or -1 */
	int64_t next_ra_ms;
	struct conn *flows;
	uint64_t n_flows;
};

/* --- policy ------------------------------------------------------------------ */

static int in_cidr(const struct in6_addr *a, const struct relay_cidr *c)
{
	int full = c->prefix / 8, rest = c->prefix % 8;

	if (memcmp(a, &c->addr, (size_t)full))
		return 0;
	return !rest || !((a->s6_addr[full] ^ c->addr.s6_addr[full]) &
			  (0xff << (8 - rest)));
}

/* The defaults: what a guest must not reach unless allowed. */
static int denied_by_default(const struct in6_addr *a)
{
	static const char *const closed[] = {
		"::ffff:127.0.0.0/104", "::1/128", "::ffff:169.254.0.0/112",
		"fe80::/10", "::ffff:0.0.0.0/104", "::/128",
		"::ffff:224.0.0.0/100", "::ffff:240.0.0.0/100", "ff00::/8",
	};
	struct relay_cidr c;
	size_t i;

	for (i = 0; i < sizeof(closed) / sizeof(closed[0]); i++)
		if (!relay_parse_cidr(closed[i], &c) && in_cidr(a, &c))
			return 1;
	return 0;
}

/*
 * Where a connection to @dst (as the guest saw it) goes on the host: @to.
 * Return: 0, or -1 if the policy denies it.
 */
static int destination(const struct relay_config *cfg,
		       const struct sockaddr_in6 *dst,
		       struct sockaddr_storage *to, socklen_t *len)
{
	const unsigned char *b = dst->sin6_addr.s6_addr;
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	int i;

	for (i = 0; i < cfg->n_maps; i++)
		if (!memcmp(&cfg->maps[i].from.sin6_addr, &dst->sin6_addr, 16) &&
		    cfg->maps[i].from.sin6_port == dst->sin6_port) {
			memcpy(to, &cfg->maps[i].to, cfg->maps[i].to_len);
			*len = cfg->maps[i].to_len;
			return 0;
		}
	for (i = 0; i < cfg->n_deny; i++)
		if (in_cidr(&dst->sin6_addr, &cfg->deny[i]))
			return -1;
	if (denied_by_default(&dst->sin6_addr)) {
		for (i = 0; i < cfg->n_allow; i++)
			if (in_cidr(&dst->sin6_addr, &cfg->allow[i]))
				break;
		if (i == cfg->n_allow)
			return -1;
	}
	memset(to, 0, sizeof(*to));
	if (!memcmp(b, mapped, 12)) {
		struct sockaddr_in *in = (struct sockaddr_in *)to;

		in->sin_family = AF_INET;
		in->sin_port = dst->sin6_port;
		memcpy(&in->sin_addr, b + 12, 4);
		*len = sizeof(*in);
	} else {
		memcpy(to, dst, sizeof(*dst));
		*len = sizeof(*dst);
	}
	return 0;
}

/**
 * relay_parse_cidr() - "ADDR[/PREFIX]" (IPv4 or IPv6) as a range of the
 * 128-bit space (IPv4 mapped).
 * @text: the text.
 * @out: the range.
 *
 * Return: 0, or -1 if @text is not an address with a valid prefix.
 */
int relay_parse_cidr(const char *text, struct relay_cidr *out)
{
	char host[INET6_ADDRSTRLEN + 8];
	char *slash, *end;
	long prefix = -1;
	int v4;

	snprintf(host, sizeof(host), "%s", text);
	slash = strchr(host, '/');
	if (slash) {
		*slash = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end)
			return -1;
	}
	memset(out, 0, sizeof(*out));
	v4 = inet_pton(AF_INET, host, &out->addr.s6_addr[12]) == 1;
	if (v4) {
		out->addr.s6_addr[10] = out->addr.s6_addr[11] = 0xff;
		if (prefix < 0)
			prefix = 32;
		if (prefix > 32)
			return -1;
		out->prefix = 96 + (int)prefix;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &out->addr) != 1)
		return -1;
	if (prefix < 0)
		prefix = 128;
	if (prefix > 128)
		return -1;
	out->prefix = (int)prefix;
	return 0;
}

/* "ADDR:PORT" or "[ADDR6]:PORT" as an IPv6 socket address (IPv4 mapped). */
static int parse_endpoint(const char *text, size_t n, struct sockaddr_in6 *sa)
{
	char host[INET6_ADDRSTRLEN + 4], *end;
	const char *colon;
	long port;

	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	if (n >= sizeof(host))
		return -1;
	memcpy(host, text, n);
	host[n] = 0;
	colon = strrchr(host, ':');
	if (!colon)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port <= 0 || port > 65535)
		return -1;
	sa->sin6_port = htons((unsigned short)port);
	host[colon - host] = 0;
	if (host[0] == '[') {
		size_t l = strlen(host);

		if (l < 3 || host[l - 1] != ']')
			return -1;
		host[l - 1] = 0;
		return inet_pton(AF_INET6, host + 1, &sa->sin6_addr) == 1 ? 0 : -1;
	}
	sa->sin6_addr.s6_addr[10] = sa->sin6_addr.s6_addr[11] = 0xff;
	return inet_pton(AF_INET, host, &sa->sin6_addr.s6_addr[12]) == 1 ? 0 : -1;
}

/**
 * relay_parse_map() - "GUESTADDR:PORT=BACKEND:PORT".
 * @text: the text.
 * @out: the entry.
 *
 * Return: 0, or -1 if it is not of that form.
 */
int relay_parse_map(const char *text, struct relay_map *out)
{
	const char *eq = strchr(text, '=');
	struct sockaddr_in6 to;

	if (!eq || parse_endpoint(text, (size_t)(eq - text), &out->from) ||
	    parse_endpoint(eq + 1, strlen(eq + 1), &to))
		return -1;
	return destination(&(struct relay_config){ .n_maps = 0, .n_allow = 1,
		.allow = { { .prefix = 0 } } }, &to, &out->to, &out->to_len);
}

/* --- connections ---------------------------------------------------------------- */

static int buf_init(struct pipebuf *b)
{
	b->data = malloc(BUF_SIZE);
	b->head = b->len = 0;
	return b->data ? 0 : -1;
}

/* Reset the guest's connection (RST), ulk descriptor @u. */
static void reset_ulk(long u)
{
	struct { int on, secs; } lin = { 1, 0 };

	ulk_sys_setsockopt(u, ULK_SOL_SOCKET, ULK_SO_LINGER, (char *)&lin,
			   sizeof(lin));
	ulk_sys_close(u);
}

static void reset_host(int h)
{
	struct linger lin = { 1, 0 };

	setsockopt(h, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
	close(h);
}

/* Give @c a slot. Return 0, or -1 if out of memory. */
static int slot_take(struct relay *r, struct conn *c)
{
	uint32_t n;

	if (!r->n_free) {
		n = r->n_slots ? 2 * r->n_slots : 64;
		struct conn **s = realloc(r->slots, n * sizeof(*s));
		uint32_t *g, *f;

		if (!s)
			return -1;
		r->slots = s;
		g = realloc(r->gens, n * sizeof(*g));
		if (!g)
			return -1;
		r->gens = g;
		f = realloc(r->free_slots, n * sizeof(*f));
		if (!f)
			return -1;
		r->free_slots = f;
		while (r->n_slots < n) {
			r->slots[r->n_slots] = NULL;
			r->gens[r->n_slots] = 0;
			r->free_slots[r->n_free++] = r->n_slots++;
		}
	}
	c->slot = r->free_slots[--r->n_free];
	r->slots[c->slot] = c;
	return 0;
}

static uint64_t slot_key(const struct relay *r, const struct conn *c)
{
	return (uint64_t)r->gens[c->slot] << 32 | c->slot;
}

static struct conn *slot_find(const struct relay *r, uint64_t key)
{
	uint32_t slot = (uint32_t)key;

	if (slot >= r->n_slots || r->gens[slot] != (uint32_t)(key >> 32))
		return NULL;
	return r->slots[slot];
}

static void conn_close(struct relay *r, struct conn *c, int reset)
{
	if (c->closed)
		return;		/* closed already in this batch */
	c->closed = 1;
	r->slots[c->slot] = NULL;
	r->gens[c->slot]++;
	r->free_slots[r->n_free++] = c->slot;
	if (c->kind == CONN_UDP) {
		struct conn **p;

		for (p = &r->flows; *p; p = &(*p)->next_flow)
			if (*p == c) {
				*p = c->next_flow;
				break;
			}
		if (c->u >= 0)
			ulk_sys_close(c->u);
		close(c->h);
		r->cnt->udp_flows_closed++;
		r->n_flows--;
		c->next_dead = r->dead;
		r->dead = c;
		return;
	}
	if (reset) {
		reset_ulk(c->u);
		if (c->h >= 0)
			reset_host(c->h);
		r->cnt->resets++;
	} else {
		ulk_sys_close(c->u);
		if (c->h >= 0)
			close(c->h);
	}
	c->u = -1;
	c->h = -1;
	r->cnt->active--;
	c->next_dead = r->dead;
	r->dead = c;
}

static int guest_connect_done(struct relay *r, struct conn *c);

/* Move bytes both ways until nothing more can move; close when done. */
static void pump(struct relay *r, struct conn *c)
{
	struct pipebuf *b;
	long n;

	if (c->closed)
		return;
	if (c->u_connecting && guest_connect_done(r, c))
		return;
	/* guest -> buffer -> host */
	b = &c->u2h;
	for (;;) {
		if (c->u_connecting)
			break;
		if (!c->u_eof && b->len < BUF_SIZE) {
			size_t tail = b->head + b->len, room;

			if (b->len == 0)
				b->head = tail = 0;
			room = tail < BUF_SIZE ? BUF_SIZE - tail : 0;
			if (!room) {	/* wrap: move what is pending down */
				memmove(b->data, b->data + b->head, b->len);
				b->head = 0;
				tail = b->len;
				room = BUF_SIZE - tail;
			}
			n = ulk_sys_read(c->u, b->data + tail, room);
			if (n > 0) {
				b->len += (size_t)n;
			} else if (n == 0) {
				c->u_eof = 1;
			} else if (n != -EAGAIN && n != -EINTR) {
				conn_close(r, c, 1);
				return;
			}
		}
		if (c->connecting || !b->len)
			break;
		n = send(c->h, b->data + b->head, b->len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(r, c, 1);
			return;
		}
		b->head += (size_t)n;
		b->len -= (size_t)n;
		r->cnt->bytes_to_host += (uint64_t)n;
		if (c->u_eof && !b->len)
			break;
	}
	if (!c->connecting && c->u_eof && !b->len && !c->h_shut) {
		shutdown(c->h, SHUT_WR);
		c->h_shut = 1;
	}
	/* host -> buffer -> guest */
	b = &c->h2u;
	for (;;) {
		if (c->connecting)
			break;
		if (!c->h_eof && b->len < BUF_SIZE) {
			size_t tail = b->head + b->len, room;

			if (b->len == 0)
				b->head = tail = 0;
			room = tail < BUF_SIZE ? BUF_SIZE - tail : 0;
			if (!room) {
				memmove(b->data, b->data + b->head, b->len);
				b->head = 0;
				tail = b->len;
				room = BUF_SIZE - tail;
			}
			n = recv(c->h, b->data + tail, room, 0);
			if (n > 0) {
				b->len += (size_t)n;
			} else if (n == 0) {
				c->h_eof = 1;
			} else if (errno != EAGAIN && errno != EINTR) {
				conn_close(r, c, 1);
				return;
			}
		}
		if (!b->len || c->u_connecting)
			break;
		n = ulk_sys_write(c->u, b->data + b->head, b->len);
		if (n < 0) {
			if (n == -EAGAIN || n == -EINTR)
				break;
			conn_close(r, c, 1);
			return;
		}
		b->head += (size_t)n;
		b->len -= (size_t)n;
		r->cnt->bytes_to_guest += (uint64_t)n;
		if (c->h_eof && !b->len)
			break;
	}
	if (c->h_eof && !b->len && !c->u_shut) {
		ulk_sys_shutdown(c->u, ULK_SHUT_WR);
		c->u_shut = 1;
	}
	if (c->u_shut && c->h_shut)
		conn_close(r, c, 0);
}

/*
 * An inward forward's connect to the guest, from ulk: done yet? Return 1
 * if it failed (the connection is closed), else 0 (u_connecting cleared
 * once connected).
 */
static int guest_connect_done(struct relay *r, struct conn *c)
{
	struct ulk_pollfd p = { .fd = (int)c->u, .events = ULK_POLLOUT };
	struct __ulk_kernel_timespec zero = { 0, 0 };
	int err = 0, len = sizeof(err);

	if (ulk_sys_ppoll(&p, 1, &zero, NULL, 0) <= 0)
		return 0;
	ulk_sys_getsockopt(c->u, ULK_SOL_SOCKET, ULK_SO_ERROR, (char *)&err, &len);
	if (err) {
		r->cnt->failed_connect++;
		conn_close(r, c, 1);
		return 1;
	}
	c->u_connecting = 0;
	r->cnt->forwarded++;
	return 0;
}

/* A host connection to a forward listener: connect to the guest from ulk. */
static void forward_one(struct relay *r, int h, int guest_port)
{
	struct sockaddr_in6 to = r->cfg->guest;
	struct ulk_epoll_event uev;
	struct epoll_event hev;
	struct conn *c = calloc(1, sizeof(*c));
	long u, err;

	u = ulk_sys_socket(ULK_AF_INET6, ULK_SOCK_STREAM | ULK_SOCK_NONBLOCK |
			   ULK_SOCK_CLOEXEC, 0);
	if (u < 0 || !c || buf_init(&c->u2h) || buf_init(&c->h2u) ||
	    slot_take(r, c)) {
		if (u >= 0)
			ulk_sys_close(u);
		if (c) {
			free(c->u2h.data);
			free(c->h2u.data);
			free(c);
		}
		reset_host(h);
		return;
	}
	c->u = u;
	c->h = h;
	c->u_connecting = 1;
	r->cnt->active++;
	to.sin6_port = htons((unsigned short)guest_port);
	err = ulk_sys_connect(u, (struct ulk_sockaddr *)&to, sizeof(to));
	if (err && err != -EINPROGRESS) {
		r->cnt->failed_connect++;
		conn_close(r, c, 1);
		return;
	}
	memset(&uev, 0, sizeof(uev));
	uev.events = ULK_EPOLLIN | ULK_EPOLLOUT | ULK_EPOLLRDHUP | ULK_EPOLLET;
	uev.data = (uintptr_t)c;
	memset(&hev, 0, sizeof(hev));
	hev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	hev.data.u64 = slot_key(r, c);
	if (ulk_sys_epoll_ctl(r->uep, ULK_EPOLL_CTL_ADD, u, &uev) ||
	    epoll_ctl(r->hep, EPOLL_CTL_ADD, h, &hev))
		conn_close(r, c, 1);
}

static void forward_accept(struct relay *r, struct conn *l)
{
	int h;

	while ((h = accept4(l->h, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		forward_one(r, h, l->guest_port);
}

/* A host listener for -t HOSTPORT:GUESTPORT. Return 0 or -errno. */
static int forward_listen(struct relay *r, const struct relay_fwd *f)
{
	struct sockaddr_in6 any = { .sin6_family = AF_INET6,
				    .sin6_port = htons((unsigned short)f->host_port) };
	struct epoll_event hev;
	struct conn *l = calloc(1, sizeof(*l));
	int h, one = 1, zero = 0;

	h = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h < 0 || !l || slot_take(r, l)) {
		if (h >= 0)
			close(h);
		free(l);
		return -ENOMEM;
	}
	setsockopt(h, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(h, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(h, (struct sockaddr *)&any, sizeof(any)) || listen(h, 128)) {
		int err = -errno;

		close(h);
		return err;
	}
	l->kind = CONN_LISTEN;
	l->h = h;
	l->u = -1;
	l->guest_port = f->guest_port;
	memset(&hev, 0, sizeof(hev));
	hev.events = EPOLLIN;
	hev.data.u64 = slot_key(r, l);
	return epoll_ctl(r->hep, EPOLL_CTL_ADD, h, &hev) ? -errno : 0;
}

/* The host connect finished (EPOLLOUT while connecting). */
static void connected(struct relay *r, struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->h, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		if (r->cfg->verbose)
			fprintf(stderr, "ulk-proxy: host connect: %s\n",
				strerror(err));
		r->cnt->failed_connect++;
		conn_close(r, c, 1);
		return;
	}
	c->connecting = 0;
	r->cnt->relayed++;
}

static void accept_one(struct relay *r, long u)
{
	struct sockaddr_in6 dst;
	struct sockaddr_storage to;
	struct ulk_epoll_event uev;
	struct epoll_event hev;
	socklen_t to_len;
	int len = sizeof(dst), h, one = 1;
	struct conn *c;

	r->cnt->accepted++;
	if (r->cfg->max_conns && r->cnt->active >= (uint64_t)r->cfg->max_conns) {
		r->cnt->refused_limit++;
		reset_ulk(u);
		return;
	}
	if (ulk_sys_getsockname(u, (struct ulk_sockaddr *)&dst, &len) ||
	    dst.sin6_family != AF_INET6 ||
	    destination(r->cfg, &dst, &to, &to_len)) {
		r->cnt->refused_policy++;
		reset_ulk(u);
		return;
	}
	h = socket(to.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c = calloc(1, sizeof(*c));
	if (h < 0 || !c || buf_init(&c->u2h) || buf_init(&c->h2u) ||
	    slot_take(r, c)) {
		if (h >= 0)
			close(h);
		if (c) {
			free(c->u2h.data);
			free(c->h2u.data);
			free(c);
		}
		reset_ulk(u);
		return;
	}
	setsockopt(h, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->u = u;
	c->h = h;
	c->connecting = 1;
	r->cnt->active++;
	if (connect(h, (struct sockaddr *)&to, to_len) && errno != EINPROGRESS) {
		r->cnt->failed_connect++;
		conn_close(r, c, 1);
		return;
	}
	memset(&uev, 0, sizeof(uev));
	uev.events = ULK_EPOLLIN | ULK_EPOLLOUT | ULK_EPOLLRDHUP | ULK_EPOLLET;
	uev.data = (uintptr_t)c;
	memset(&hev, 0, sizeof(hev));
	hev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	hev.data.u64 = slot_key(r, c);
	if (ulk_sys_epoll_ctl(r->uep, ULK_EPOLL_CTL_ADD, u, &uev) ||
	    epoll_ctl(r->hep, EPOLL_CTL_ADD, h, &hev))
		conn_close(r, c, 1);
}

static void accept_all(struct relay *r)
{
	long u;

	while ((u = ulk_sys_accept4(r->listener, NULL, NULL,
				    ULK_SOCK_NONBLOCK | ULK_SOCK_CLOEXEC)) >= 0)
		accept_one(r, u);
}

/* --- the host waiter ---------------------------------------------------------- */

static void *host_waiter(void *arg)
{
	struct relay *r = arg;
	struct epoll_event evs[BATCH];
	unsigned long long one = 1;
	int n, i, was_empty;

	for (;;) {
		n = epoll_wait(r->hep, evs, BATCH, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		pthread_mutex_lock(&r->lock);
		was_empty = !r->n_queue;
		if (r->n_queue + (size_t)n > r->cap_queue) {
			size_t cap = (r->cap_queue + (size_t)n) * 2;
			void *q = realloc(r->queue, cap * sizeof(*r->queue));

			if (q) {
				r->queue = q;
				r->cap_queue = cap;
			}
		}
		for (i = 0; i < n && r->n_queue < r->cap_queue; i++)
			r->queue[r->n_queue++] = evs[i];
		pthread_mutex_unlock(&r->lock);
		if (was_empty)
			ulk_sys_write(r->nudge, &one, sizeof(one));
	}
	return NULL;
}

/* --- the loop ------------------------------------------------------------------- */

/* --- UDP ---------------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The destination of a datagram received on the transparent socket. */
static int orig_dst(struct ulk_msghdr *m, struct sockaddr_in6 *dst)
{
	struct ulk_cmsghdr *c;

	for (c = ULK_CMSG_FIRSTHDR(m); c; ) {
		if (c->cmsg_len < sizeof(*c) ||
		    (char *)c + c->cmsg_len > (char *)m->msg_control + m->msg_controllen)
			return -1;
		if (c->cmsg_level == ULK_IPPROTO_IP &&
		    c->cmsg_type == ULK_IP_ORIGDSTADDR &&
		    c->cmsg_len >= ULK_CMSG_LEN(sizeof(struct sockaddr_in))) {
			struct sockaddr_in in;

			memcpy(&in, ULK_CMSG_DATA(c), sizeof(in));
			memset(dst, 0, sizeof(*dst));
			dst->sin6_family = AF_INET6;
			dst->sin6_port = in.sin_port;
			dst->sin6_addr.s6_addr[10] = dst->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&dst->sin6_addr.s6_addr[12], &in.sin_addr, 4);
			return 0;
		}
		if (c->cmsg_level == ULK_IPPROTO_IPV6 &&
		    c->cmsg_type == ULK_IPV6_ORIGDSTADDR &&
		    c->cmsg_len >= ULK_CMSG_LEN(sizeof(*dst))) {
			memcpy(dst, ULK_CMSG_DATA(c), sizeof(*dst));
			return 0;
		}
		c = (struct ulk_cmsghdr *)((char *)c + ULK_CMSG_ALIGN(c->cmsg_len));
		if ((char *)c + sizeof(*c) > (char *)m->msg_control + m->msg_controllen)
			break;
	}
	return -1;
}

static int same_end(const struct sockaddr_in6 *a, const struct sockaddr_in6 *b)
{
	return a->sin6_port == b->sin6_port &&
	       !memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr));
}

/* A new flow from @guest to @dst: a host socket connected to the target. */
static struct conn *flow_open(struct relay *r, const struct sockaddr_in6 *guest,
			      const struct sockaddr_in6 *dst)
{
	struct sockaddr_storage to;
	struct epoll_event hev;
	socklen_t to_len;
	struct conn *c;
	int h;

	if (destination(r->cfg, dst, &to, &to_len)) {
		r->cnt->refused_policy++;
		return NULL;
	}
	if (r->cfg->max_flows && r->n_flows >= (uint64_t)r->cfg->max_flows) {
		r->cnt->refused_limit++;
		return NULL;
	}
	h = socket(to.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c = calloc(1, sizeof(*c));
	if (h < 0 || !c || slot_take(r, c) ||
	    connect(h, (struct sockaddr *)&to, to_len)) {
		if (c && r->slots && c->slot < r->n_slots && r->slots[c->slot] == c) {
			r->slots[c->slot] = NULL;
			r->free_slots[r->n_free++] = c->slot;
		}
		if (h >= 0)
			close(h);
		free(c);
		return NULL;
	}
	c->kind = CONN_UDP;
	c->u = -1;
	c->h = h;
	c->guest = *guest;
	c->dst = *dst;
	c->next_flow = r->flows;
	r->flows = c;
	r->n_flows++;
	r->cnt->udp_flows++;
	memset(&hev, 0, sizeof(hev));
	hev.events = EPOLLIN | EPOLLET;
	hev.data.u64 = slot_key(r, c);
	if (epoll_ctl(r->hep, EPOLL_CTL_ADD, h, &hev)) {
		conn_close(r, c, 0);
		return NULL;
	}
	return c;
}

/* --- DHCP --------------------------------------------------------------------- */

/* The DHCP server's socket: port 67 on the guest's interface. */
static long dhcp_socket(const char *ifname)
{
	struct sockaddr_in any = { .sin_family = AF_INET,
				   .sin_port = htons(DHCP_SERVER) };
	int one = 1;
	long fd;

	fd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_DGRAM | ULK_SOCK_CLOEXEC |
			    ULK_SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	if (ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_REUSEADDR, (char *)&one, sizeof(one)) ||
	    ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_BROADCAST, (char *)&one, sizeof(one)) ||
	    ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_BINDTODEVICE, (char *)ifname,
			       (int)strlen(ifname) + 1) ||
	    ulk_sys_bind(fd, (struct ulk_sockaddr *)&any, sizeof(any))) {
		ulk_sys_close(fd);
		return -1;
	}
	return fd;
}

/* Answer one client message @m from @ciaddr (network order, may be 0). */
static void dhcp_serve(struct relay *r, const uint8_t *m, size_t len)
{
	uint8_t out[DHCP_MAX_ANSWER];
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(DHCP_CLIENT) };
	int broadcast;
	size_t n = dhcp_answer(m, len, r->cfg->dhcp, out, &broadcast);

	if (!n)
		return;
	if (broadcast)
		to.sin_addr.s_addr = htonl(INADDR_BROADCAST);
	else
		memcpy(&to.sin_addr, m + 12, 4);	/* ciaddr */
	if (ulk_sys_sendto(r->dhcp, out, n, 0, (struct ulk_sockaddr *)&to,
			   sizeof(to)) == (long)n)
		r->cnt->dhcp_answers++;
}

/* Broadcast client messages, on the server's own socket. */
static void dhcp_from_guest(struct relay *r)
{
	uint8_t m[1500];
	long n;

	while ((n = ulk_sys_recvfrom(r->dhcp, m, sizeof(m), ULK_MSG_DONTWAIT,
				     NULL, NULL)) >= 0)
		dhcp_serve(r, m, (size_t)n);
}

/* Whether @dst is the DHCP server at the gateway (a client renewing). */
static int is_dhcp_server(const struct relay *r, const struct sockaddr_in6 *dst)
{
	const unsigned char *b = dst->sin6_addr.s6_addr;

	return r->cfg->dhcp && r->dhcp >= 0 &&
	       dst->sin6_port == htons(DHCP_SERVER) && b[10] == 0xff &&
	       b[11] == 0xff && !memcmp(b + 12, &r->cfg->dhcp->server, 4);
}

/* --- router advertisements ----------------------------------------------------- */

/* A raw ICMPv6 socket on the guest's interface, in the all-routers group. */
static long ra_socket(const struct relay_config *cfg)
{
	struct ulk_ipv6_mreq mr;
	int hops = 255, idx = cfg->ifindex;
	long fd;

	fd = ulk_sys_socket(ULK_AF_INET6, ULK_SOCK_RAW | ULK_SOCK_NONBLOCK |
			    ULK_SOCK_CLOEXEC, ULK_IPPROTO_ICMPV6);
	if (fd < 0)
		return fd;
	memset(&mr, 0, sizeof(mr));
	inet_pton(AF_INET6, "ff02::2", &mr.ipv6mr_multiaddr);
	mr.ipv6mr_ifindex = idx;
	if (ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_BINDTODEVICE,
			       (char *)cfg->ifname, (int)strlen(cfg->ifname) + 1) ||
	    ulk_sys_setsockopt(fd, ULK_IPPROTO_IPV6, ULK_IPV6_MULTICAST_HOPS,
			       (char *)&hops, sizeof(hops)) ||
	    ulk_sys_setsockopt(fd, ULK_IPPROTO_IPV6, ULK_IPV6_MULTICAST_IF,
			       (char *)&idx, sizeof(idx)) ||
	    ulk_sys_setsockopt(fd, ULK_IPPROTO_IPV6, ULK_IPV6_ADD_MEMBERSHIP,
			       (char *)&mr, sizeof(mr))) {
		ulk_sys_close(fd);
		return -1;
	}
	return fd;
}

static void ra_send(struct relay *r)
{
	struct sockaddr_in6 all = { .sin6_family = AF_INET6 };
	unsigned char m[RA_MAX];
	size_t n = ra_build(m, r->cfg->ra);

	inet_pton(AF_INET6, "ff02::1", &all.sin6_addr);
	all.sin6_scope_id = (uint32_t)r->cfg->ifindex;
	if (ulk_sys_sendto(r->ra, m, n, 0, (struct ulk_sockaddr *)&all,
			   sizeof(all)) == (long)n)
		r->cnt->router_adverts++;
	r->next_ra_ms = now_ms() + RA_INTERVAL_S * 1000;
}

/* ICMPv6 from the guest: a router solicitation gets an advertisement. */
static void ra_from_guest(struct relay *r)
{
	unsigned char m[1500];
	long n;
	int solicited = 0;

	while ((n = ulk_sys_recvfrom(r->ra, m, sizeof(m), ULK_MSG_DONTWAIT,
				     NULL, NULL)) > 0)
		solicited |= m[0] == ND_ROUTER_SOLICIT;
	if (solicited)
		ra_send(r);
}

/* --- ICMP echo ------------------------------------------------------------------ */

static void echo_requests(struct relay *r)
{
	struct echo *e = r->cfg->echo;
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6 };
	struct sockaddr_storage to;
	struct echo_request rq;
	socklen_t to_len;
	uint8_t m[1600];
	long n;

	while ((n = ulk_sys_recvfrom(e->in, m, sizeof(m), ULK_MSG_DONTWAIT,
				     NULL, NULL)) > 0) {
		if (echo_parse(m, (size_t)n, &rq))
			continue;
		dst.sin6_addr.s6_addr[10] = dst.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&dst.sin6_addr.s6_addr[12], &rq.dst, 4);
		if (destination(r->cfg, &dst, &to, &to_len)) {
			r->cnt->refused_policy++;
			continue;
		}
		r->cnt->echo_requests += (uint64_t)echo_from_guest(e, &rq);
	}
}

/* The host's ICMP socket in the host epoll, as a slot like the others. */
static int echo_watch(struct relay *r)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct epoll_event hev;

	if (!c || slot_take(r, c)) {
		free(c);
		return -ENOMEM;
	}
	c->kind = CONN_ECHO;
	c->u = -1;
	c->h = r->cfg->echo->host;
	memset(&hev, 0, sizeof(hev));
	hev.events = EPOLLIN;
	hev.data.u64 = slot_key(r, c);
	return epoll_ctl(r->hep, EPOLL_CTL_ADD, c->h, &hev) ? -errno : 0;
}

/* Datagrams from guests: to their flows' host sockets. */
static void udp_from_guest(struct relay *r)
{
	struct sockaddr_in6 guest, dst;
	char data[65536], ctl[256];
	struct ulk_iovec iov = { data, sizeof(data) };
	struct ulk_msghdr m;
	struct conn *c;
	long n;

	for (;;) {
		memset(&m, 0, sizeof(m));
		m.msg_name = &guest;
		m.msg_namelen = sizeof(guest);
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = ctl;
		m.msg_controllen = sizeof(ctl);
		n = ulk_sys_recvmsg(r->udp, &m, ULK_MSG_DONTWAIT);
		if (n < 0)
			return;
		if (orig_dst(&m, &dst))
			continue;
		if (is_dhcp_server(r, &dst)) {
			dhcp_serve(r, (const uint8_t *)data, (size_t)n);
			continue;
		}
		for (c = r->flows; c; c = c->next_flow)
			if (same_end(&c->guest, &guest) && same_end(&c->dst, &dst))
				break;
		if (!c && !(c = flow_open(r, &guest, &dst)))
			continue;
		c->last_ms = now_ms();
		if (send(c->h, data, (size_t)n, 0) == n)
			r->cnt->bytes_to_host += (uint64_t)n;
	}
}

/* The socket that answers the guest as the destination of flow @c. */
static long flow_reply_socket(struct conn *c)
{
	long fd;
	int one = 1;

	if (c->u >= 0)
		return c->u;
	fd = ulk_sys_socket(ULK_AF_INET6, ULK_SOCK_DGRAM | ULK_SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	ulk_sys_setsockopt(fd, ULK_IPPROTO_IP, ULK_IP_TRANSPARENT, (char *)&one,
			   sizeof(one));
	ulk_sys_setsockopt(fd, ULK_IPPROTO_IPV6, ULK_IPV6_TRANSPARENT,
			   (char *)&one, sizeof(one));
	ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_REUSEADDR, (char *)&one,
			   sizeof(one));
	if (ulk_sys_bind(fd, (struct ulk_sockaddr *)&c->dst, sizeof(c->dst))) {
		ulk_sys_close(fd);
		return -1;
	}
	c->u = fd;
	return fd;
}

/* Datagrams from a flow's host socket: to its guest, from its destination. */
static void udp_from_host(struct relay *r, struct conn *c)
{
	char data[65536];
	long n, fd;

	while ((n = recv(c->h, data, sizeof(data), 0)) >= 0) {
		fd = flow_reply_socket(c);
		if (fd < 0)
			continue;
		c->last_ms = now_ms();
		if (ulk_sys_sendto(fd, data, (size_t)n, 0,
				   (struct ulk_sockaddr *)&c->guest,
				   sizeof(c->guest)) == n)
			r->cnt->bytes_to_guest += (uint64_t)n;
	}
}

/* Close the flows idle for longer than the timeout. */
static void udp_expire(struct relay *r)
{
	int64_t now = now_ms(), limit = (int64_t)r->cfg->udp_timeout_ms;
	struct conn *c, *next;

	for (c = r->flows; c; c = next) {
		next = c->next_flow;
		if (now - c->last_ms > limit)
			conn_close(r, c, 0);
	}
}

static void host_events(struct relay *r)
{
	struct epoll_event *q;
	unsigned long long v;
	size_t n, i;

	ulk_sys_read(r->nudge, &v, sizeof(v));
	pthread_mutex_lock(&r->lock);
	q = r->queue;
	n = r->n_queue;
	r->queue = NULL;
	r->n_queue = r->cap_queue = 0;
	pthread_mutex_unlock(&r->lock);
	for (i = 0; i < n; i++) {
		struct conn *c = slot_find(r, q[i].data.u64);

		if (!c || c->closed)
			continue;
		if (c->kind == CONN_UDP) {
			udp_from_host(r, c);
			continue;
		}
		if (c->kind == CONN_LISTEN) {
			forward_accept(r, c);
			continue;
		}
		if (c->kind == CONN_ECHO) {
			r->cnt->echo_replies += (uint64_t)echo_from_host(r->cfg->echo);
			continue;
		}
		if (c->connecting && (q[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			connected(r, c);
		pump(r, c);
	}
	free(q);
}

/**
 * relay_run() - relay the guest connections of @listener until *@stop.
 * @cfg: the policy and limits.
 * @listener: ulk descriptor of the transparent listener.
 * @udp: ulk descriptor of the transparent UDP socket, or -1.
 * @cnt: counters, updated as it goes.
 * @stop: set (by a signal handler) to end the loop.
 *
 * Return: 0, or a negative errno if the loop could not be set up.
 */
int relay_run(const struct relay_config *cfg, int listener, int udp,
	      struct relay_counters *cnt, volatile int *stop)
{
	struct ulk_epoll_event ev, evs[BATCH];
	struct relay r = { .cfg = cfg, .cnt = cnt, .listener = listener,
			   .udp = udp, .dhcp = -1, .ra = -1 };
	int64_t wait_ms;
	pthread_t waiter;
	long n, i;

	pthread_mutex_init(&r.lock, NULL);
	r.uep = ulk_sys_epoll_create1(ULK_EPOLL_CLOEXEC);
	r.nudge = ulk_sys_eventfd2(0, ULK_EFD_NONBLOCK | ULK_EFD_CLOEXEC);
	r.hep = epoll_create1(EPOLL_CLOEXEC);
	if (r.uep < 0 || r.nudge < 0 || r.hep < 0)
		return r.uep < 0 ? (int)r.uep : r.nudge < 0 ? (int)r.nudge : -errno;
	ulk_sys_fcntl(listener, ULK_F_SETFL, ULK_O_NONBLOCK);
	memset(&ev, 0, sizeof(ev));
	ev.events = ULK_EPOLLIN;
	ev.data = TAG_LISTENER;
	ulk_sys_epoll_ctl(r.uep, ULK_EPOLL_CTL_ADD, listener, &ev);
	ev.data = TAG_NUDGE;
	ulk_sys_epoll_ctl(r.uep, ULK_EPOLL_CTL_ADD, r.nudge, &ev);
	if (udp >= 0) {
		ev.data = TAG_UDP;
		ulk_sys_epoll_ctl(r.uep, ULK_EPOLL_CTL_ADD, udp, &ev);
	}
	if (cfg->dhcp) {
		r.dhcp = dhcp_socket(cfg->ifname);
		if (r.dhcp < 0)
			return r.dhcp == -1 ? -EADDRINUSE : (int)r.dhcp;
		ev.data = TAG_DHCP;
		ulk_sys_epoll_ctl(r.uep, ULK_EPOLL_CTL_ADD, r.dhcp, &ev);
	}
	if (cfg->ra) {
		r.ra = ra_socket(cfg);
		if (r.ra < 0)
			return r.ra == -1 ? -EINVAL : (int)r.ra;
		ev.data = TAG_RA;
		ulk_sys_epoll_ctl(r.uep, ULK_EPOLL_CTL_ADD, r.ra, &ev);
		ra_send(&r);
	}
	if (cfg->echo) {
		int err = echo_watch(&r);

		if (err)
			return err;
		ev.data = TAG_ECHO;
		ulk_sys_epoll_ctl(r.uep, ULK_EPOLL_CTL_ADD, cfg->echo->in, &ev);
	}
	for (i = 0; i < cfg->n_fwds; i++) {
		int err = forward_listen(&r, &cfg->fwds[i]);

		if (err)
			return err;
	}
	if (pthread_create(&waiter, NULL, host_waiter, &r))
		return -EAGAIN;
	if (cfg->ready && cfg->ready())
		return -EPERM;
	pthread_detach(waiter);
	while (!*stop) {
		/* Flows expire: wake at least once a second while there are. */
		wait_ms = r.flows ? 1000 : -1;
		if (r.ra >= 0) {
			int64_t due = r.next_ra_ms - now_ms();

			if (due <= 0) {
				ra_send(&r);
				due = RA_INTERVAL_S * 1000;
			}
			if (wait_ms < 0 || due < wait_ms)
				wait_ms = due;
		}
		n = ulk_sys_epoll_pwait(r.uep, evs, BATCH, (long)wait_ms, NULL, 0);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return (int)n;
		for (i = 0; i < n; i++) {
			if (evs[i].data == TAG_LISTENER)
				accept_all(&r);
			else if (evs[i].data == TAG_NUDGE)
				host_events(&r);
			else if (evs[i].data == TAG_UDP)
				udp_from_guest(&r);
			else if (evs[i].data == TAG_DHCP)
				dhcp_from_guest(&r);
			else if (evs[i].data == TAG_RA)
				ra_from_guest(&r);
			else if (evs[i].data == TAG_ECHO)
				echo_requests(&r);
			else
				pump(&r, (struct conn *)(uintptr_t)evs[i].data);
		}
		if (r.flows)
			udp_expire(&r);
		while (r.dead) {
			struct conn *c = r.dead;

			r.dead = c->next_dead;
			free(c->u2h.data);
			free(c->h2u.data);
			free(c);
		}
	}
	return 0;
}
