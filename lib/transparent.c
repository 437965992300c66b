// SPDX-License-Identifier: GPL-2.0
/*
 * Transparent termination: ulk's kernel takes every TCP connection and
 * every UDP datagram that arrives on one interface, whatever its
 * destination address and port, on one TCP listener and one UDP socket
 * (ulk_transparent_start() of <ulk/net.h>). This is how ulk-proxy
 * terminates a guest's traffic: the guest reaches any address and port,
 * and the proxy learns where each connection was going.
 *
 * Theory of operation
 * -------------------
 * The kernel's own means do it, configured through its own interfaces:
 *
 *  - Routing. A packet is delivered to a local socket only if its route
 *    says "local". A rule "packets that came in on the interface look up
 *    table T" (RTM_NEWRULE, iif) and a table T holding "local 0.0.0.0/0
 *    dev lo" and "local ::/0 dev lo" make every destination local for
 *    those packets only; replies, and everything else, route by the main
 *    table as before.
 *  - Sockets. The kernel then looks up a socket for the destination. A
 *    socket-lookup BPF program (BPF_PROG_TYPE_SK_LOOKUP) attached to ulk's
 *    network namespace runs before that lookup and, for packets from the
 *    interface, assigns the one TCP listener (TCP) or the one UDP socket
 *    (UDP) from a two-entry SOCKMAP, whatever the port: no listener per
 *    port. Any other packet takes the normal lookup.
 *  - Answering as the destination. The two sockets are IPv6 with
 *    IPV6_V6ONLY off (IPv4 arrives as mapped addresses) and carry
 *    IP_TRANSPARENT and IPV6_TRANSPARENT, which let an accepted connection
 *    send from the address the peer asked for, an address the output
 *    routes do not call local. getsockname() of an accepted connection is
 *    the destination the peer connected to; each UDP datagram carries its
 *    destination in an IP_ORIGDSTADDR or IPV6_ORIGDSTADDR control message
 *    (asked for here), and a reply is sent from a transparent socket bound
 *    to that address.
 *
 * The program (ten lines of BPF assembly, below) is built here and checked
 * by the kernel's verifier; its log is kept for the error message.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <ulk/ulk.h>
#include <ulk/abi.h>
#include <ulk/net.h>
#include <ulk/linux/bpf.h>
#include <ulk/linux/fib_rules.h>
#include <ulk/linux/fcntl.h>
#include <ulk/linux/in.h>
#include <ulk/linux/in6.h>

#include "netlink.h"

#define LO_IFINDEX	1
#define RULE_PRIORITY	100
#define LISTEN_BACKLOG	4096
#define KEY_TCP		0
#define KEY_UDP		1

static char verifier_log[4096];

/* --- routing -------------------------------------------------------------- */

/* "ip [-6] rule add iif IFNAME lookup TABLE pref RULE_PRIORITY" */
static int add_rule(int family, const char *ifname, unsigned int table)
{
	struct ulk_fib_rule_hdr frh = {
		.family = (unsigned char)family,
		.action = ULK_FR_ACT_TO_TBL,
		.table = table < 256 ? (unsigned char)table : 0,
	};
	struct nlreq req;

	ulk_nlreq_init(&req, ULK_RTM_NEWRULE,
		       ULK_NLM_F_CREATE | ULK_NLM_F_EXCL | ULK_NLM_F_ACK,
		       &frh, sizeof(frh));
	ulk_nlreq_put(&req, ULK_FRA_IIFNAME, ifname, strlen(ifname) + 1);
	ulk_nlreq_put_u32(&req, ULK_FRA_TABLE, table);
	ulk_nlreq_put_u32(&req, ULK_FRA_PRIORITY, RULE_PRIORITY);
	return ulk_nlreq_ack(&req);
}

/* "ip [-6] route add local DEFAULT dev lo table TABLE" */
static int add_local_default(int family, unsigned int table)
{
	struct ulk_rtmsg rtm = {
		.rtm_family = (unsigned char)family,
		.rtm_table = table < 256 ? (unsigned char)table : ULK_RT_TABLE_UNSPEC,
		.rtm_protocol = ULK_RTPROT_STATIC,
		.rtm_scope = ULK_RT_SCOPE_HOST,
		.rtm_type = ULK_RTN_LOCAL,
	};
	struct nlreq req;

	ulk_nlreq_init(&req, ULK_RTM_NEWROUTE,
		       ULK_NLM_F_CREATE | ULK_NLM_F_EXCL | ULK_NLM_F_ACK,
		       &rtm, sizeof(rtm));
	ulk_nlreq_put_u32(&req, ULK_RTA_OIF, LO_IFINDEX);
	ulk_nlreq_put_u32(&req, ULK_RTA_TABLE, table);
	return ulk_nlreq_ack(&req);
}

/* --- sockets ---------------------------------------------------------------- */

static long setopt(long fd, int level, int name, int value)
{
	return ulk_sys_setsockopt(fd, level, name, (char *)&value,
				  sizeof(value));
}

/* A dual-stack transparent socket of @type, bound to [::]:0. */
static long transparent_socket(int type)
{
	struct ulk_sockaddr_in6 any = { .sin6_family = ULK_AF_INET6 };
	long fd, err;

	fd = ulk_sys_socket(ULK_AF_INET6, type | ULK_SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	err = setopt(fd, ULK_IPPROTO_IPV6, ULK_IPV6_V6ONLY, 0);
	if (!err)
		err = setopt(fd, ULK_IPPROTO_IP, ULK_IP_TRANSPARENT, 1);
	if (!err)
		err = setopt(fd, ULK_IPPROTO_IPV6, ULK_IPV6_TRANSPARENT, 1);
	if (!err && type == ULK_SOCK_DGRAM)
		err = setopt(fd, ULK_IPPROTO_IP, ULK_IP_RECVORIGDSTADDR, 1);
	if (!err && type == ULK_SOCK_DGRAM)
		err = setopt(fd, ULK_IPPROTO_IPV6, ULK_IPV6_RECVORIGDSTADDR, 1);
	if (!err)
		err = ulk_sys_bind(fd, (struct ulk_sockaddr *)&any, sizeof(any));
	if (!err && type == ULK_SOCK_STREAM)
		err = ulk_sys_listen(fd, LISTEN_BACKLOG);
	if (err) {
		ulk_sys_close(fd);
		return err;
	}
	return fd;
}

/* --- the socket-lookup program --------------------------------------------- */

#define INSN(c, d, s, o, i) \
	((struct ulk_bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
				.off = (o), .imm = (i) })
#define MOV_REG(d, s)	INSN(ULK_BPF_ALU64 | ULK_BPF_MOV | ULK_BPF_X, d, s, 0, 0)
#define MOV_IMM(d, i)	INSN(ULK_BPF_ALU64 | ULK_BPF_MOV | ULK_BPF_K, d, 0, 0, i)
#define ADD_IMM(d, i)	INSN(ULK_BPF_ALU64 | ULK_BPF_ADD | ULK_BPF_K, d, 0, 0, i)
#define LDX_W(d, s, o)	INSN(ULK_BPF_LDX | ULK_BPF_MEM | ULK_BPF_W, d, s, o, 0)
#define STX_W(d, s, o)	INSN(ULK_BPF_STX | ULK_BPF_MEM | ULK_BPF_W, d, s, o, 0)
#define JEQ_IMM(d, i, o) INSN(ULK_BPF_JMP | ULK_BPF_JEQ | ULK_BPF_K, d, 0, o, i)
#define JNE_IMM(d, i, o) INSN(ULK_BPF_JMP | ULK_BPF_JNE | ULK_BPF_K, d, 0, o, i)
#define CALL(f)		INSN(ULK_BPF_JMP | ULK_BPF_CALL, 0, 0, 0, f)
#define EXIT()		INSN(ULK_BPF_JMP | ULK_BPF_EXIT, 0, 0, 0, 0)
#define CTX(field)	((short)offsetof(struct ulk_bpf_sk_lookup, field))

/*
 * For a lookup from @ifindex: the SOCKMAP's TCP or UDP entry, by the
 * packet's protocol, becomes the socket; SK_PASS either way.
 */
static long load_program(int ifindex, long map)
{
	struct ulk_bpf_insn prog[] = {
		/* 0 */ MOV_REG(6, 1),				/* r6 = ctx */
		/* 1 */ LDX_W(2, 6, CTX(ingress_ifindex)),
		/* 2 */ JNE_IMM(2, ifindex, 18),		/* -> 21 */
		/* 3 */ LDX_W(2, 6, CTX(protocol)),
		/* 4 */ MOV_IMM(3, KEY_TCP),
		/* 5 */ JEQ_IMM(2, ULK_IPPROTO_TCP, 1),
		/* 6 */ MOV_IMM(3, KEY_UDP),
		/* 7 */ STX_W(10, 3, -4),			/* key on the stack */
		/* 8 */ INSN(ULK_BPF_LD | ULK_BPF_DW | ULK_BPF_IMM, 1,
			     ULK_BPF_PSEUDO_MAP_FD, 0, (int)map),
		/* 9 */ INSN(0, 0, 0, 0, 0),
		/* 10 */ MOV_REG(2, 10),
		/* 11 */ ADD_IMM(2, -4),
		/* 12 */ CALL(ULK_BPF_FUNC_map_lookup_elem),	/* r0 = socket */
		/* 13 */ JEQ_IMM(0, 0, 7),			/* -> 21 */
		/* 14 */ MOV_REG(7, 0),
		/* 15 */ MOV_REG(1, 6),
		/* 16 */ MOV_REG(2, 7),
		/* 17 */ MOV_IMM(3, 0),
		/* 18 */ CALL(ULK_BPF_FUNC_sk_assign),
		/* 19 */ MOV_REG(1, 7),
		/* 20 */ CALL(ULK_BPF_FUNC_sk_release),
		/* 21 */ MOV_IMM(0, ULK_SK_PASS),
		/* 22 */ EXIT(),
	};
	union ulk_bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = ULK_BPF_PROG_TYPE_SK_LOOKUP;
	attr.expected_attach_type = ULK_BPF_SK_LOOKUP;
	attr.insns = (uintptr_t)prog;
	attr.insn_cnt = sizeof(prog) / sizeof(prog[0]);
	attr.license = (uintptr_t)"GPL";
	attr.log_buf = (uintptr_t)verifier_log;
	attr.log_size = sizeof(verifier_log);
	attr.log_level = 1;
	verifier_log[0] = '\0';
	return ulk_sys_bpf(ULK_BPF_PROG_LOAD, &attr, sizeof(attr));
}

static long sockmap_create(long tcp, long udp)
{
	union ulk_bpf_attr attr;
	uint32_t key;
	uint64_t value;
	long map, err;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = ULK_BPF_MAP_TYPE_SOCKMAP;
	attr.key_size = sizeof(key);
	attr.value_size = sizeof(value);
	attr.max_entries = 2;
	map = ulk_sys_bpf(ULK_BPF_MAP_CREATE, &attr, sizeof(attr));
	if (map < 0)
		return map;
	for (key = KEY_TCP; key <= KEY_UDP; key++) {
		value = (uint64_t)(key == KEY_TCP ? tcp : udp);
		memset(&attr, 0, sizeof(attr));
		attr.map_fd = (uint32_t)map;
		attr.key = (uintptr_t)&key;
		attr.value = (uintptr_t)&value;
		attr.flags = ULK_BPF_ANY;
		err = ulk_sys_bpf(ULK_BPF_MAP_UPDATE_ELEM, &attr, sizeof(attr));
		if (err) {
			ulk_sys_close(map);
			return err;
		}
	}
	return map;
}

static long attach(long prog)
{
	union ulk_bpf_attr attr;
	long netns, link;

	netns = ulk_sys_openat(ULK_AT_FDCWD, "/proc/self/ns/net",
			       ULK_O_RDONLY | ULK_O_CLOEXEC, 0);
	if (netns < 0)
		return netns;
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = (uint32_t)prog;
	attr.link_create.target_fd = (uint32_t)netns;
	attr.link_create.attach_type = ULK_BPF_SK_LOOKUP;
	link = ulk_sys_bpf(ULK_BPF_LINK_CREATE, &attr, sizeof(attr));
	ulk_sys_close(netns);
	return link;
}

/* --- the API ------------------------------------------------------------------ */

/**
 * ulk_transparent_errmsg() - what the kernel's BPF verifier said about the
 * last program ulk_transparent_start() loaded ("" if nothing).
 *
 * Return: the verifier's log.
 */
const char *ulk_transparent_errmsg(void)
{
	return verifier_log;
}

/**
 * ulk_transparent_start() - terminate every TCP connection and UDP datagram
 * that arrives on an interface, whatever its destination (see the top of
 * lib/transparent.c).
 * @ifindex: the interface (inside ulk), up and addressed.
 * @table: the routing table to use for it (1..252, not the main one).
 * @out: receives the sockets.
 *
 * Accept @out->tcp's connections: getsockname() of each is the address and
 * port the peer connected to. Receive @out->udp's datagrams with recvmsg():
 * each carries its destination in an IP_ORIGDSTADDR or IPV6_ORIGDSTADDR
 * control message (both sockets are IPv6: IPv4 addresses come mapped).
 * Keep @out->link open: closing it ends the steering.
 * Return: 0, or a negative errno (-EINVAL for a bad table or interface,
 * what the kernel refused otherwise; ulk_transparent_errmsg() has the
 * verifier's reasons when loading the program failed).
 */
int ulk_transparent_start(int ifindex, int table, struct ulk_transparent *out)
{
	struct ulk_ifreq ifr;
	long tcp = -1, udp = -1, map = -1, prog = -1, link = -1, fd;
	int err;

	if (!out || ifindex <= LO_IFINDEX || table <= 0 || table > 252)
		return -EINVAL;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ulk_ifr_ifindex = ifindex;
	fd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_DGRAM | ULK_SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (int)fd;
	err = (int)ulk_sys_ioctl(fd, ULK_SIOCGIFNAME, (long)&ifr);
	ulk_sys_close(fd);
	if (err)
		return err == -ENODEV ? -EINVAL : err;

	err = add_rule(ULK_AF_INET, ifr.ulk_ifr_name, (unsigned int)table);
	if (!err)
		err = add_rule(ULK_AF_INET6, ifr.ulk_ifr_name,
			       (unsigned int)table);
	if (!err)
		err = add_local_default(ULK_AF_INET, (unsigned int)table);
	if (!err)
		err = add_local_default(ULK_AF_INET6, (unsigned int)table);
	if (err)
		return err;

	tcp = transparent_socket(ULK_SOCK_STREAM);
	udp = tcp < 0 ? tcp : transparent_socket(ULK_SOCK_DGRAM);
	map = udp < 0 ? udp : sockmap_create(tcp, udp);
	prog = map < 0 ? map : load_program(ifindex, map);
	link = prog < 0 ? prog : attach(prog);
	if (link < 0) {
		err = (int)link;
		goto fail;
	}
	/* The link holds the program, the program the map. */
	ulk_sys_close(prog);
	ulk_sys_close(map);
	out->tcp = (int)tcp;
	out->udp = (int)udp;
	out->link = (int)link;
	return 0;
fail:
	if (prog >= 0)
		ulk_sys_close(prog);
	if (map >= 0)
		ulk_sys_close(map);
	if (udp >= 0)
		ulk_sys_close(udp);
	if (tcp >= 0)
		ulk_sys_close(tcp);
	return err;
}
