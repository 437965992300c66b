/* SPDX-License-Identifier: GPL-2.0 */
/* ulk-proxy's relay: guest connections in ulk, host sockets out (relay.c). */
#ifndef ULK_TOOLS_PROXY_RELAY_H
#define ULK_TOOLS_PROXY_RELAY_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dhcp.h"
#include "echo.h"
#include "ra.h"

#define RELAY_MAX_RULES	32

/* An address range: family, bytes (IPv4 as mapped IPv6), prefix length. */
struct relay_cidr {
	struct in6_addr addr;
	int prefix;		/* of the 128 bits */
};

/* --map GUESTADDR:PORT=BACKEND:PORT */
struct relay_map {
	struct sockaddr_in6 from;	/* guest side, IPv4 mapped */
	struct sockaddr_storage to;	/* host side */
	socklen_t to_len;
};

/* -t HOSTPORT[:GUESTPORT] */
struct relay_fwd {
	int host_port;
	int guest_port;
};

/**
 * struct relay_config - what the relay does.
 * @max_conns: connections at once; the next is reset and counted.
 * @max_flows: UDP flows at once; the next flow's datagrams are dropped.
 * @udp_timeout_ms: a UDP flow idle this long is closed.
 * @maps: service map entries, tried before the destination policy.
 * @allow: destinations allowed although the default denies them.
 * @deny: destinations denied although the default allows them.
 * @dhcp: the guest's lease, if the relay serves DHCP, else NULL.
 * @ifname: ulk's name of the guest's interface (where DHCP is served).
 * @fwds: inward port forwards: host listeners whose connections are made
 *	to the guest's address (@guest) from ulk.
 * @guest: the guest's address, IPv4 mapped (for @fwds).
 * @ra: the router advertisements to send on the guest's link, or NULL.
 * @ifindex: ulk's index of the guest's interface (for @ra).
 * @echo: the ICMP echo relay (echo_init() done), or NULL.
 * @ready: called once everything is set up, before the first event (the
 *	sandbox); a non-zero return ends relay_run() with -EPERM.
 */
struct relay_config {
	int max_conns;
	int max_flows;
	int udp_timeout_ms;
	struct relay_map maps[RELAY_MAX_RULES];
	int n_maps;
	struct relay_cidr allow[RELAY_MAX_RULES];
	int n_allow;
	struct relay_cidr deny[RELAY_MAX_RULES];
	int n_deny;
	int verbose;
	const struct dhcp_lease *dhcp;
	const char *ifname;
	struct relay_fwd fwds[RELAY_MAX_RULES];
	int n_fwds;
	struct sockaddr_in6 guest;
	int (*ready)(void);
	const struct ra_config *ra;
	int ifindex;
	struct echo *echo;
};

/**
 * struct relay_counters - what the relay did, for the exit report.
 */
struct relay_counters {
	uint64_t accepted;
	uint64_t relayed;	/* host connection established */
	uint64_t refused_limit;
	uint64_t refused_policy;
	uint64_t failed_connect;
	uint64_t resets;
	uint64_t bytes_to_host;
	uint64_t bytes_to_guest;
	uint64_t udp_flows;
	uint64_t udp_flows_closed;
	uint64_t dhcp_answers;
	uint64_t forwarded;
	uint64_t router_adverts;
	uint64_t echo_requests;
	uint64_t echo_replies;
	uint64_t active;
};

int relay_run(const struct relay_config *cfg, int listener, int udp,
	      struct relay_counters *cnt, volatile int *stop);

int relay_parse_cidr(const char *text, struct relay_cidr *out);
int relay_parse_map(const char *text, struct relay_map *out);

#endif /* ULK_TOOLS_PROXY_RELAY_H */
