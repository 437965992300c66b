// SPDX-License-Identifier: GPL-2.0
/*
 * ulk-proxy: terminate an untrusted guest's TCP inside ulk and relay it
 * over host sockets, so that the guest's packets are parsed by ulk's
 * kernel, never by the host's.
 *
 *	ulk-proxy [OPTIONS]
 *
 * This first milestone serves a guest that is a network namespace: the
 * guest's link is a TAP inside the namespace (--netns), whose fd ulk-proxy
 * opens there and keeps, while its own host sockets stay in the namespace
 * it was started in. ulk's side of the link has the gateway addresses
 * (--ip, --ip6); ulk_transparent_start() (lib/transparent.c) makes ulk take
 * every TCP connection the guest makes, whatever its destination, and the
 * relay (relay.c) connects to that destination from the host, or to the
 * backend of a --map entry, under the destination policy. The guest's own
 * side is configured by whoever made the namespace (DHCP and router
 * advertisements come later).
 *
 * Exit status: 0 after SIGINT or SIGTERM, 2 for bad options or a set-up
 * that fails (said on stderr). At exit the counters are printed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ulk/ulk.h>
#include <ulk/abi.h>
#include <ulk/net.h>
#include <ulk/netdev.h>
#include <ulk/linux/if_addr.h>

#include "capture.h"
#include "relay.h"
#include "sandbox.h"

#define EXIT_USAGE	2
#define TABLE		100

static const char usage_text[] =
"usage: ulk-proxy --netns PATH|PID [--tap NAME] [OPTIONS]\n"
"\n"
"Give a guest (a network namespace) a link whose far end is ulk, the Linux\n"
"kernel's TCP/IP stack inside this process; every TCP connection the guest\n"
"makes is terminated in ulk and relayed over this process's host sockets.\n"
"\n"
"Guest link:\n"
"  --netns PATH|PID          the guest's network namespace (a path such as\n"
"                            /run/netns/NAME, or a process's PID)\n"
"  --tap NAME                the TAP interface in it (default ulk0): an\n"
"                            existing one (ip tuntap add NAME mode tap), or\n"
"                            made here; brought up here\n"
"  --ip ADDR/PREFIX          ulk's (the gateway's) IPv4 address on the link\n"
"                            (default 10.0.2.2/24)\n"
"  --ip6 ADDR/PREFIX         its IPv6 address (default none)\n"
"  --mtu N                   MTU of the link (default 65520)\n"
"  --guest-ip ADDR           the IPv4 address DHCP gives the guest (default\n"
"                            the 15th of --ip's subnet, as slirp's)\n"
"  --no-dhcp                 no DHCP server, and no router advertisements\n"
"                            (with --ip6 they give the guest its IPv6 by\n"
"                            SLAAC, ulk as router, the gateway as DNS)\n"
"\n"
"Relay:\n"
"  -t, --tcp-ports HPORT[:GPORT]  a host listener on HPORT (all addresses of\n"
"                            this namespace) whose connections reach the\n"
"                            guest's GPORT (default HPORT) through ulk\n"
"                            (repeatable)\n"
"  --map GADDR:PORT=HADDR:PORT  connections to GADDR:PORT go to HADDR:PORT\n"
"                            (repeatable; IPv6 as [ADDR]:PORT)\n"
"  --allow CIDR              destinations allowed although denied by default\n"
"                            (the host's loopback, link-local, multicast)\n"
"  --deny CIDR               destinations denied (repeatable)\n"
"  --dns ADDR                the name server the guest's DNS queries to the\n"
"                            gateway address (port 53, UDP and TCP) are\n"
"                            forwarded to (default: resolv.conf's first)\n"
"  --no-dns                  no DNS forwarding\n"
"  --max-conns N             connections at once (default 4096); the next\n"
"                            is reset and counted\n"
"  --max-flows N             UDP flows at once (default 4096); the next\n"
"                            flow's datagrams are dropped and counted\n"
"  --udp-timeout SECONDS     a UDP flow idle this long ends (default 60)\n"
"  --mem SIZE                ulk's kernel memory (default 256M)\n"
"  --sysctl NAME=VALUE       a sysctl of ulk's kernel (repeatable)\n"
"  --no-sandbox              keep running with our privileges (see below)\n"
"  --name NAME               the instance's name for ulkctl (default\n"
"                            ulk-proxy-PID)\n"
"  --ctl PATH|none           its control socket (default NAME.sock in\n"
"                            $XDG_RUNTIME_DIR/ulk, /run/ulk for root)\n"
"  --pcap FILE               capture every frame from boot into FILE\n"
"                            (pcap; the file is opened before the sandbox)\n"
"  --verbose                 kernel log and relay notes on stderr\n"
"  --help                    this text\n"
"\n"
"Once set up, ulk-proxy drops every privilege (as root it becomes nobody),\n"
"sets no_new_privs and refuses, by seccomp, what a relay never does\n"
"(executing programs, ptrace, mounts and namespaces, modules, bpf...).\n";

static volatile int stop;

/* relay_config.ready: the set-up is done, enter the sandbox. */
static int enter_sandbox(void)
{
	char err[256];

	if (proxy_sandbox(err, sizeof(err))) {
		fprintf(stderr, "ulk-proxy: cannot enter the sandbox: %s (--no-sandbox runs without)\n",
			err);
		return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
	va_list ap;

	fputs("ulk-proxy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

/* Open the guest's namespace: a path, or a PID's. */
static int open_netns(const char *spec)
{
	char path[64], *end;
	long pid = strtol(spec, &end, 10);
	int fd;

	if (*spec && !*end && pid > 0) {
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		spec = path;
	}
	fd = open(spec, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("--netns %s: %s", spec, strerror(errno));
	return fd;
}

/* Add the TAP from inside the guest's namespace, then come back. */
static int add_guest_tap(int netns, const char *tap, int mtu)
{
	struct ulk_netdev_opts opts = { .mtu = mtu };
	int self, dev, err;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		die("/proc/self/ns/net: %s", strerror(errno));
	if (setns(netns, CLONE_NEWNET))
		die("--netns: cannot enter the namespace: %s", strerror(errno));
	dev = ulk_netdev_add_tap(tap, &opts);
	err = errno;
	if (setns(self, CLONE_NEWNET))
		die("cannot return to our own namespace: %s", strerror(errno));
	close(self);
	if (dev < 0)
		die("--tap %s: %s", tap, *ulk_netdev_last_error() ?
		    ulk_netdev_last_error() : strerror(err));
	return dev;
}

static void add_address(int idx, const char *cidr, int family)
{
	unsigned char a[16];
	char host[64], *slash;
	int err = -EINVAL;

	snprintf(host, sizeof(host), "%s", cidr);
	slash = strchr(host, '/');
	if (slash) {
		*slash = 0;
		if (inet_pton(family, host, a) == 1)
			err = ulk_if_add_addr_flags(idx, family == AF_INET ?
						    ULK_AF_INET : ULK_AF_INET6,
						    a, atoi(slash + 1),
						    ULK_IFA_F_NODAD);
	}
	if (err)
		die("--ip%s %s: %s", family == AF_INET6 ? "6" : "", cidr,
		    ulk_strerror(err));
}

/* The guest's lease: --guest-ip, or the 15th address of --ip's subnet. */
static void make_lease(struct dhcp_lease *l, const char *gw_cidr,
		       const char *guest, int mtu)
{
	char gw[64], *slash;
	int prefix;
	uint32_t g, mask;

	snprintf(gw, sizeof(gw), "%s", gw_cidr);
	slash = strchr(gw, '/');
	prefix = slash ? atoi(slash + 1) : 24;
	if (slash)
		*slash = 0;
	if (inet_pton(AF_INET, gw, &l->server) != 1 || prefix < 8 || prefix > 30)
		die("--ip %s: DHCP needs an IPv4 subnet of /8 to /30 (or --no-dhcp)", gw_cidr);
	mask = htonl(~0U << (32 - prefix));
	if (guest) {
		if (inet_pton(AF_INET, guest, &l->guest) != 1)
			die("--guest-ip %s: not an IPv4 address", guest);
	} else {
		g = (ntohl(l->server) & ntohl(mask)) + 15;
		if (g == ntohl(l->server))
			g++;
		l->guest = htonl(g);
	}
	if ((l->guest & mask) != (l->server & mask) || l->guest == l->server)
		die("--guest-ip: not another address of --ip's subnet (%s)", gw_cidr);
	l->mask = mask;
	l->router = l->dns = l->server;
	l->lease_s = 3600;
	l->mtu = (uint16_t)mtu;
}

/* The first name server of /etc/resolv.conf, in @buf; NULL if none. */
static const char *resolv_conf_server(char *buf, size_t len)
{
	char line[256], *tok, *save;
	FILE *f = fopen("/etc/resolv.conf", "re");
	const char *found = NULL;

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		tok = strtok_r(line, " \t\r\n", &save);
		if (tok && !strcmp(tok, "nameserver") &&
		    (tok = strtok_r(NULL, " \t\r\n", &save))) {
			snprintf(buf, len, "%s", tok);
			found = buf;
		}
	}
	fclose(f);
	return found;
}

/*
 * The guest's DNS: queries to the gateway address @gw_cidr (ulk's own, on
 * the link), port 53, go to @server (or resolv.conf's), as a --map entry:
 * explicit, so the host's loopback stub (127.0.0.53) is reachable too.
 */
static void add_dns_forward(struct relay_config *cfg, const char *gw_cidr,
			    const char *server)
{
	char gw[64], ns[64], map[160];
	unsigned char tmp[16];

	snprintf(gw, sizeof(gw), "%s", gw_cidr);
	gw[strcspn(gw, "/")] = 0;
	if (!server && !(server = resolv_conf_server(ns, sizeof(ns)))) {
		fprintf(stderr, "ulk-proxy: no name server in /etc/resolv.conf: the guest's DNS is not forwarded (give --dns ADDR)\n");
		return;
	}
	snprintf(map, sizeof(map), "%s%s%s:53=%s%s%s:53",
		 strchr(gw, ':') ? "[" : "", gw, strchr(gw, ':') ? "]" : "",
		 strchr(server, ':') ? "[" : "", server, strchr(server, ':') ? "]" : "");
	if (inet_pton(AF_INET, server, tmp) != 1 &&
	    inet_pton(AF_INET6, server, tmp) != 1)
		die("--dns %s: not an address", server);
	if (cfg->n_maps == RELAY_MAX_RULES ||
	    relay_parse_map(map, &cfg->maps[cfg->n_maps++]))
		die("cannot forward DNS (%s)", map);
}

int main(int argc, char **argv)
{
	enum { O_NETNS = 256, O_TAP, O_IP, O_IP6, O_MTU, O_MAP, O_ALLOW,
	       O_DENY, O_MAXC, O_MAXF, O_UDPT, O_MEM, O_SYSCTL, O_VERBOSE,
	       O_HELP, O_DNS, O_NODNS, O_GUEST, O_NODHCP, O_NOSANDBOX,
	       O_NAME, O_CTL, O_PCAP, O_TCP = 't' };
	static const struct option longs[] = {
		{ "netns", required_argument, NULL, O_NETNS },
		{ "tap", required_argument, NULL, O_TAP },
		{ "ip", required_argument, NULL, O_IP },
		{ "ip6", required_argument, NULL, O_IP6 },
		{ "mtu", required_argument, NULL, O_MTU },
		{ "map", required_argument, NULL, O_MAP },
		{ "allow", required_argument, NULL, O_ALLOW },
		{ "deny", required_argument, NULL, O_DENY },
		{ "max-conns", required_argument, NULL, O_MAXC },
		{ "max-flows", required_argument, NULL, O_MAXF },
		{ "dns", required_argument, NULL, O_DNS },
		{ "no-dns", no_argument, NULL, O_NODNS },
		{ "guest-ip", required_argument, NULL, O_GUEST },
		{ "tcp-ports", required_argument, NULL, O_TCP },
		{ "no-dhcp", no_argument, NULL, O_NODHCP },
		{ "no-sandbox", no_argument, NULL, O_NOSANDBOX },
		{ "udp-timeout", required_argument, NULL, O_UDPT },
		{ "mem", required_argument, NULL, O_MEM },
		{ "sysctl", required_argument, NULL, O_SYSCTL },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "name", required_argument, NULL, O_NAME },
		{ "ctl", required_argument, NULL, O_CTL },
		{ "pcap", required_argument, NULL, O_PCAP },
		{ "help", no_argument, NULL, O_HELP },
		{ 0 }
	};
	static struct relay_config cfg = { .max_conns = 4096, .max_flows = 4096,
					   .udp_timeout_ms = 60000,
					   .ready = enter_sandbox };
	static struct relay_counters cnt;
	const char *netns = NULL, *tap = "ulk0", *ip = "10.0.2.2/24", *ip6 = NULL;
	const char *sysctls[32], *dns = NULL, *guest_ip = NULL, *pcap = NULL;
	int no_dns = 0, no_dhcp = 0;
	static struct dhcp_lease lease;
	char ifname[32];
	struct ulk_start_opts so = { 0 };
	struct ulk_transparent t;
	struct sigaction sa;
	int opt, mtu = 65520, n_sysctl = 0, ns, dev, idx, err, i;
	char *end;

	while ((opt = getopt_long(argc, argv, "t:", longs, NULL)) != -1) {
		switch (opt) {
		case O_NETNS: netns = optarg; break;
		case O_TAP: tap = optarg; break;
		case O_IP: ip = optarg; break;
		case O_IP6: ip6 = optarg; break;
		case O_MTU:
			mtu = (int)strtol(optarg, &end, 10);
			if (*end || mtu < 68 || mtu > 65535)
				die("--mtu %s: not 68..65535", optarg);
			break;
		case O_MAP:
			if (cfg.n_maps == RELAY_MAX_RULES ||
			    relay_parse_map(optarg, &cfg.maps[cfg.n_maps++]))
				die("--map %s: not GUESTADDR:PORT=HOSTADDR:PORT (or too many)", optarg);
			break;
		case O_ALLOW:
			if (cfg.n_allow == RELAY_MAX_RULES ||
			    relay_parse_cidr(optarg, &cfg.allow[cfg.n_allow++]))
				die("--allow %s: not ADDR[/PREFIX]", optarg);
			break;
		case O_DENY:
			if (cfg.n_deny == RELAY_MAX_RULES ||
			    relay_parse_cidr(optarg, &cfg.deny[cfg.n_deny++]))
				die("--deny %s: not ADDR[/PREFIX]", optarg);
			break;
		case O_MAXC:
			cfg.max_conns = (int)strtol(optarg, &end, 10);
			if (*end || cfg.max_conns <= 0)
				die("--max-conns %s: not a positive number", optarg);
			break;
		case O_MAXF:
			cfg.max_flows = (int)strtol(optarg, &end, 10);
			if (*end || cfg.max_flows <= 0)
				die("--max-flows %s: not a positive number", optarg);
			break;
		case O_UDPT: {
			long v = strtol(optarg, &end, 10);

			if (*end || v <= 0 || v > 86400)
				die("--udp-timeout %s: not 1..86400 seconds", optarg);
			cfg.udp_timeout_ms = (int)v * 1000;
			break;
		}
		case O_MEM: {
			unsigned long long v = strtoull(optarg, &end, 10);

			v <<= *end == 'G' ? 30 : *end == 'M' ? 20 : *end == 'K' ? 10 : 0;
			if (end == optarg || (*end && end[1]) || v < (16ULL << 20))
				die("--mem %s: a size of at least 16M", optarg);
			so.mem_size = v;
			break;
		}
		case O_SYSCTL:
			if (n_sysctl == 32 || !strchr(optarg, '='))
				die("--sysctl %s: not NAME=VALUE", optarg);
			sysctls[n_sysctl++] = optarg;
			break;
		case O_DNS: dns = optarg; break;
		case O_NODNS: no_dns = 1; break;
		case O_GUEST: guest_ip = optarg; break;
		case O_NODHCP: no_dhcp = 1; break;
		case O_NOSANDBOX: cfg.ready = NULL; break;
		case O_TCP: {
			struct relay_fwd *f = &cfg.fwds[cfg.n_fwds];
			long hp = strtol(optarg, &end, 10), gp = hp;

			if (*end == ':')
				gp = strtol(end + 1, &end, 10);
			if (*end || hp <= 0 || hp > 65535 || gp <= 0 || gp > 65535 ||
			    cfg.n_fwds == RELAY_MAX_RULES)
				die("-t %s: not HOSTPORT[:GUESTPORT] (or too many)", optarg);
			f->host_port = (int)hp;
			f->guest_port = (int)gp;
			cfg.n_fwds++;
			break;
		}
		case O_VERBOSE: cfg.verbose = 1; so.verbose = 1; break;
		case O_NAME: so.name = optarg; break;
		case O_CTL: so.ctl = optarg; break;
		case O_PCAP: pcap = optarg; break;
		case O_HELP: fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc)
		die("'%s' is not an option (see --help)", argv[optind]);
	if (!netns)
		die("--netns PATH|PID is required (see --help)");
	if (!no_dns) {
		add_dns_forward(&cfg, ip, dns);
		if (ip6)
			add_dns_forward(&cfg, ip6, dns);
	}

	ns = open_netns(netns);
	dev = add_guest_tap(ns, tap, mtu);
	close(ns);
	err = ulk_start(&so);
	if (err == -EADDRINUSE)
		die("--name %s: a running instance already has it (ulkctl list)",
		    so.name ? so.name : so.ctl ? so.ctl : "(default)");
	if (err == -EINVAL && so.name)
		die("--name %s: 1 to 63 letters, digits, '.', '_' or '-'", so.name);
	if (err)
		die("cannot boot ulk: %s", ulk_strerror(err));
	/* Before the link is up: the guest's first frames are in it. */
	if (pcap && (err = ulk_capture_start_file(pcap)))
		die("--pcap %s: %s", pcap, ulk_strerror(err));
	idx = ulk_netdev_ifindex(dev);
	if (idx < 0 || ulk_if_set_up(1, 1) || ulk_if_set_up(idx, 1))
		die("the kernel did not take the device");
	add_address(idx, ip, AF_INET);
	if (ip6)
		add_address(idx, ip6, AF_INET6);
	for (i = 0; i < n_sysctl; i++) {
		char name[128], *eq = strchr(sysctls[i], '=');

		snprintf(name, sizeof(name), "%.*s", (int)(eq - sysctls[i]), sysctls[i]);
		err = ulk_sysctl_set(name, eq + 1);
		if (err)
			die("--sysctl %s: %s", sysctls[i], ulk_strerror(err));
	}
	/*
	 * Every destination is local for the guest's packets, so ulk's kernel
	 * would answer the guest's pings to any address, reachable or not:
	 * it must not (until echo is relayed through host ping sockets).
	 */
	if (ulk_sysctl_set("net.ipv4.icmp_echo_ignore_all", "1") ||
	    ulk_sysctl_set("net.ipv6.icmp.echo_ignore_all", "1"))
		die("cannot stop ulk answering pings for every address");
	err = ulk_transparent_start(idx, TABLE, &t);
	if (err)
		die("cannot terminate the guest's traffic transparently: %s%s%s",
		    ulk_strerror(err), *ulk_transparent_errmsg() ? "\n" : "",
		    ulk_transparent_errmsg());

	if (!no_dhcp || cfg.n_fwds) {
		make_lease(&lease, ip, guest_ip, mtu);
		cfg.guest.sin6_family = AF_INET6;
		cfg.guest.sin6_addr.s6_addr[10] = cfg.guest.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&cfg.guest.sin6_addr.s6_addr[12], &lease.guest, 4);
	}
	if (!no_dhcp) {
		if (ulk_if_name(idx, ifname, sizeof(ifname)))
			die("cannot name ulk's interface");
		cfg.dhcp = &lease;
		cfg.ifname = ifname;
	}
	if (ip6 && !no_dhcp) {
		static struct ra_config ra;
		char host[64], *slash;
		int plen, k;

		snprintf(host, sizeof(host), "%s", ip6);
		slash = strchr(host, '/');
		plen = slash ? atoi(slash + 1) : 64;
		if (slash)
			*slash = 0;
		if (inet_pton(AF_INET6, host, ra.dns) != 1 || plen < 1 || plen > 128)
			die("--ip6 %s: not ADDR/PREFIX", ip6);
		memcpy(ra.prefix, ra.dns, 16);
		for (k = plen; k < 128; k++)
			ra.prefix[k / 8] &= (unsigned char)~(0x80 >> (k % 8));
		ra.prefix_len = plen;
		ra.mtu = (uint32_t)mtu;
		if (ulk_if_get_mac(idx, ra.mac))
			die("cannot read ulk's link-layer address");
		cfg.ra = &ra;
		cfg.ifindex = idx;
	}
	/* Before the sandbox: the host's raw ICMP socket needs CAP_NET_RAW. */
	{
		static struct echo echo;
		char name[32];

		if (ulk_if_name(idx, name, sizeof(name)) || echo_init(&echo, name))
			fprintf(stderr, "ulk-proxy: no ICMP echo relay (a raw ICMP socket on the host needs CAP_NET_RAW): the guest's pings go unanswered\n");
		else
			cfg.echo = &echo;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	ulk_sigaction(SIGINT, &sa, NULL);
	ulk_sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "ulk-proxy: serving the guest in %s on %s (%s%s%s)\n",
		netns, tap, ip, ip6 ? ", " : "", ip6 ? ip6 : "");
	err = relay_run(&cfg, t.tcp, t.udp, &cnt, &stop);
	fprintf(stderr, "ulk-proxy: accepted %llu relayed %llu forwarded %llu router-adverts %llu echo-requests %llu echo-replies %llu refused-limit %llu refused-policy %llu failed-connect %llu resets %llu udp-flows %llu udp-flows-ended %llu dhcp-answers %llu bytes-to-host %llu bytes-to-guest %llu\n",
		(unsigned long long)cnt.accepted, (unsigned long long)cnt.relayed,
		(unsigned long long)cnt.forwarded,
		(unsigned long long)cnt.router_adverts,
		(unsigned long long)cnt.echo_requests,
		(unsigned long long)cnt.echo_replies,
		(unsigned long long)cnt.refused_limit,
		(unsigned long long)cnt.refused_policy,
		(unsigned long long)cnt.failed_connect,
		(unsigned long long)cnt.resets,
		(unsigned long long)cnt.udp_flows,
		(unsigned long long)cnt.udp_flows_closed,
		(unsigned long long)cnt.dhcp_answers,
		(unsigned long long)cnt.bytes_to_host,
		(unsigned long long)cnt.bytes_to_guest);
	ulk_halt();
	return err ? EXIT_USAGE : 0;
}
