// SPDX-License-Identifier: GPL-2.0
/*
 * Tier-1 test of ulk-run's option parser (tools/run/options.c), no kernel:
 * good option lists land in the right fields, every kind of bad value is
 * refused with a one-line message naming the option and the value, the
 * ULK_RUN_OPTS form parses to the same settings, and the device checks see
 * what is on this machine.
 *
 * Prints a FAIL line per failed check and a RESULT line; exit 0 only if all
 * checks pass.
 */
#define _GNU_SOURCE
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <ulk/netdev.h>

#include "options.h"

#define ARGS(...)	((char *[]){ __VA_ARGS__, NULL })
#define GOOD(...)	good(__LINE__, ARGS(__VA_ARGS__))
#define BAD(want, ...)	bad(__LINE__, want, ARGS(__VA_ARGS__))
#define CHECK(ok, ...)	check(__LINE__, ok, __VA_ARGS__)

static struct ulk_run_config cfg, cfg2;
static char err[512];
static int used, checks, failures;

static __attribute__((format(printf, 3, 4)))
bool check(int line, bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok)
		return true;
	failures++;
	printf("FAIL line %d: ", line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return false;
}

static int count(char **argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

/* The list as one string, for messages. */
static const char *show(char **argv)
{
	static char buf[1024];
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; argv[i] && len < sizeof(buf) - 1; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
					i ? " " : "", argv[i]);
	return buf;
}

/* Parse @argv into cfg; a check that it succeeds. */
static bool good(int line, char **argv)
{
	int ret = ulk_run_parse(&cfg, count(argv), argv, &used, err,
				sizeof(err));

	return check(line, ret == 0, "%s: returned %d: %s", show(argv), ret, err);
}

/* A check that @argv is refused with one line containing @want. */
static void bad(int line, const char *want, char **argv)
{
	int ret = ulk_run_parse(&cfg, count(argv), argv, &used, err,
				sizeof(err));

	if (!check(line, ret == -EINVAL, "%s: returned %d, want -EINVAL",
		   show(argv), ret))
		return;
	check(line, strstr(err, want) && !strchr(err, '\n'),
	      "%s: message '%s' lacks '%s' or is not one line", show(argv),
	      err, want);
}

/* One bad value of a per-device option: "OPT VALUE" must be in the message. */
static void bad_dev_value(int line, const char *opt, const char *value)
{
	char want[256];

	snprintf(want, sizeof(want), "%s %s", opt, value);
	bad(line, want, ARGS("--net", "pipe:/tmp/p", (char *)opt, (char *)value));
}

static void test_full_list(void)
{
	const struct ulk_run_dev *d0 = &cfg.devs[0], *d1 = &cfg.devs[1];
	static const unsigned char mac[6] = { 0x02, 0, 0, 0, 0xab, 0x01 };

	if (!GOOD("--net", "tap:tap0", "--ip", "10.0.0.2/24",
		  "--ip=10.0.1.2/24", "--ip6", "fd00::2/64", "--mtu", "9000",
		  "--mac", "02:00:00:00:AB:01", "--offload", "none",
		  "--net=pipe:/tmp/p:b", "--ip", "10.1.0.2/16", "--mtu=1400",
		  "--offload", "tx-csum,rx-mrg", "--gw", "10.0.0.1",
		  "--gw6=fd00::1", "--sysctl", "net.ipv4.tcp_ecn=1",
		  "--sysctl=net.core.x=a=b", "--mem", "256M", "--verbose",
		  "--config", "x.json", "--preload", "a.so",
		  "--preload=/b/c.so", "--", "prog", "--ip"))
		return;
	CHECK(used == 34, "used %d, want 34 (up to and with \"--\")", used);
	CHECK(cfg.n_devs == 2, "n_devs %d", cfg.n_devs);
	CHECK(d0->kind == ULK_RUN_DEV_TAP && !strcmp(d0->name, "tap0"),
	      "dev 0: kind %d name %s", d0->kind, d0->name);
	CHECK(d0->n_ip == 2 && !strcmp(d0->ip[0], "10.0.0.2/24") &&
	      !strcmp(d0->ip[1], "10.0.1.2/24"), "dev 0: ip %d %s %s",
	      d0->n_ip, d0->ip[0], d0->ip[1]);
	CHECK(d0->n_ip6 == 1 && !strcmp(d0->ip6[0], "fd00::2/64"),
	      "dev 0: ip6 %d %s", d0->n_ip6, d0->ip6[0]);
	CHECK(d0->mtu == 9000, "dev 0: mtu %u", d0->mtu);
	CHECK(d0->has_mac && !memcmp(d0->mac, mac, 6), "dev 0: mac");
	CHECK(d0->offloads == ULK_NETDEV_OFFLOAD_NONE, "dev 0: offloads %#x",
	      d0->offloads);
	CHECK(d1->kind == ULK_RUN_DEV_PIPE && !strcmp(d1->name, "/tmp/p") &&
	      d1->pipe_role == ULK_NETDEV_PIPE_B, "dev 1: kind %d name %s role %d",
	      d1->kind, d1->name, d1->pipe_role);
	CHECK(d1->n_ip == 1 && !strcmp(d1->ip[0], "10.1.0.2/16") &&
	      d1->n_ip6 == 0, "dev 1: ip %d %s, ip6 %d", d1->n_ip, d1->ip[0],
	      d1->n_ip6);
	CHECK(d1->mtu == 1400 && !d1->has_mac, "dev 1: mtu %u has_mac %d",
	      d1->mtu, d1->has_mac);
	CHECK(d1->offloads == (ULK_NETDEV_OFFLOAD_TX_CSUM |
			       ULK_NETDEV_OFFLOAD_RX_MRG),
	      "dev 1: offloads %#x", d1->offloads);
	CHECK(!strcmp(cfg.gw, "10.0.0.1") && !strcmp(cfg.gw6, "fd00::1"),
	      "gw %s gw6 %s", cfg.gw, cfg.gw6);
	CHECK(cfg.n_sysctls == 2 &&
	      !strcmp(cfg.sysctls[0].name, "net.ipv4.tcp_ecn") &&
	      !strcmp(cfg.sysctls[0].value, "1") &&
	      !strcmp(cfg.sysctls[1].name, "net.core.x") &&
	      !strcmp(cfg.sysctls[1].value, "a=b"), "sysctls %d: %s=%s %s=%s",
	      cfg.n_sysctls, cfg.sysctls[0].name, cfg.sysctls[0].value,
	      cfg.sysctls[1].name, cfg.sysctls[1].value);
	CHECK(cfg.mem == 256UL << 20, "mem %lu", cfg.mem);
	CHECK(cfg.verbose && !cfg.help, "verbose %d help %d", cfg.verbose,
	      cfg.help);
	CHECK(!strcmp(cfg.config, "x.json"), "config %s", cfg.config);
	CHECK(!strcmp(cfg.preloads, "a.so:/b/c.so"), "preloads %s",
	      cfg.preloads);
}

/* ULK_RUN_MAX_DEVS devices parse, one more does not. */
static void test_max_devs(void)
{
	static char nets[ULK_RUN_MAX_DEVS + 1][32];
	char *argv[ULK_RUN_MAX_DEVS + 2];
	int i;

	for (i = 0; i <= ULK_RUN_MAX_DEVS; i++) {
		snprintf(nets[i], sizeof(nets[i]), "--net=tap:t%d", i);
		argv[i] = nets[i];
	}
	argv[ULK_RUN_MAX_DEVS] = NULL;
	if (good(__LINE__, argv))
		CHECK(cfg.n_devs == ULK_RUN_MAX_DEVS, "%d devices", cfg.n_devs);
	argv[ULK_RUN_MAX_DEVS] = nets[ULK_RUN_MAX_DEVS];
	argv[ULK_RUN_MAX_DEVS + 1] = NULL;
	bad(__LINE__, "--net tap:t16: too many devices (at most 16)", argv);
}

static void test_good_forms(void)
{
	char name[128];

	if (GOOD("x"))
		CHECK(used == 0 && cfg.n_devs == 0, "a program first: used %d",
		      used);
	if (GOOD("--verbose", "prog", "--net", "tap:x"))
		CHECK(used == 1 && cfg.n_devs == 0 && cfg.verbose,
		      "stop at the program: used %d n_devs %d", used, cfg.n_devs);
	if (GOOD("--help", "-"))
		CHECK(cfg.help && used == 1, "--help: help %d used %d",
		      cfg.help, used);
	if (GOOD("--net", "pipe:rel"))
		CHECK(cfg.devs[0].pipe_role == ULK_NETDEV_PIPE_A &&
		      !strcmp(cfg.devs[0].name, "rel"), "pipe default role a");
	if (GOOD("--net", "pipe:/tmp/q:a"))
		CHECK(cfg.devs[0].pipe_role == ULK_NETDEV_PIPE_A &&
		      !strcmp(cfg.devs[0].name, "/tmp/q"), "pipe :a stripped");
	if (GOOD("--net", "stream:/tmp/s.sock"))
		CHECK(cfg.devs[0].kind == ULK_RUN_DEV_STREAM &&
		      !cfg.devs[0].stream_listen &&
		      !strcmp(cfg.devs[0].name, "/tmp/s.sock"),
		      "stream: connects: kind %d listen %d name %s",
		      cfg.devs[0].kind, cfg.devs[0].stream_listen,
		      cfg.devs[0].name);
	if (GOOD("--net", "stream-listen:rel:with:colons", "--mtu", "65520",
		 "--ip", "10.2.0.1/24"))
		CHECK(cfg.devs[0].kind == ULK_RUN_DEV_STREAM &&
		      cfg.devs[0].stream_listen &&
		      !strcmp(cfg.devs[0].name, "rel:with:colons") &&
		      cfg.devs[0].mtu == 65520 && cfg.devs[0].n_ip == 1,
		      "stream-listen: listens, path taken whole, per-device "
		      "options apply: listen %d name %s mtu %u",
		      cfg.devs[0].stream_listen, cfg.devs[0].name,
		      cfg.devs[0].mtu);
	if (GOOD("--net", "stream:/tmp/s1", "--net", "stream-listen:/tmp/s2",
		 "--net", "pipe:/tmp/s1"))
		CHECK(cfg.n_devs == 3, "two streams and a pipe: %d devices",
		      cfg.n_devs);
	/* 107 bytes of path and the NUL fill sun_path exactly. */
	snprintf(name, sizeof(name), "stream:/%0106d", 0);
	GOOD("--net", name);
	if (GOOD("--net", "tap:abcdefghijklmno"))
		CHECK(!strcmp(cfg.devs[0].name, "abcdefghijklmno"),
		      "15-character TAP name");
	/* 105 bytes of path + ".a" + NUL fill sun_path exactly. */
	snprintf(name, sizeof(name), "pipe:/%0104d", 0);
	GOOD("--net", name);
	if (GOOD("--net", "tap:t", "--offload", "all"))
		CHECK(cfg.devs[0].offloads == ULK_NETDEV_OFFLOAD_ALL, "all");
	if (GOOD("--net", "tap:t", "--offload",
		 "tx-csum,rx-csum,tx-tso4,tx-tso6,tx-ecn,rx-tso4,rx-tso6,rx-ecn,rx-mrg"))
		CHECK(cfg.devs[0].offloads == ULK_NETDEV_OFFLOAD_ALL,
		      "every name: %#x", cfg.devs[0].offloads);
	if (GOOD("--net", "tap:t", "--mtu", "68", "--net", "tap:u", "--mtu",
		 "65535"))
		CHECK(cfg.devs[0].mtu == 68 && cfg.devs[1].mtu == 65535,
		      "MTU bounds");
	if (GOOD("--net", "tap:t", "--ip", "0.0.0.0/0", "--ip",
		 "10.0.0.1/32", "--ip6", "::/0", "--ip6", "fe80::1/128"))
		CHECK(cfg.devs[0].n_ip == 2 && cfg.devs[0].n_ip6 == 2,
		      "prefix bounds");
	if (GOOD("--mem", "16M"))
		CHECK(cfg.mem == 16UL << 20, "mem 16M: %lu", cfg.mem);
	if (GOOD("--mem", "64G"))
		CHECK(cfg.mem == 64UL << 30, "mem 64G: %lu", cfg.mem);
	if (GOOD("--mem", "1g"))
		CHECK(cfg.mem == 1UL << 30, "mem 1g: %lu", cfg.mem);
	if (GOOD("--mem", "131072k"))
		CHECK(cfg.mem == 128UL << 20, "mem 131072k: %lu", cfg.mem);
	if (GOOD("--mem", "268435456"))
		CHECK(cfg.mem == 256UL << 20, "mem in bytes: %lu", cfg.mem);
	if (GOOD("--pin", "0"))
		CHECK(!strcmp(cfg.pin, "0"), "pin 0: %s", cfg.pin);
	if (GOOD("--pin", "0-1,0"))
		CHECK(!strcmp(cfg.pin, "0-1,0"), "pin list: %s", cfg.pin);
	/* A link-local IPv6 gateway needs a device, not an address. */
	GOOD("--net", "tap:t", "--gw6", "fe80::1");
	GOOD("--gw", "192.168.1.1", "--net", "tap:t", "--ip", "192.168.1.7/24");
	GOOD("--net", "tap:t", "--ip6", "fd00:1::2/48", "--gw6", "fd00:1:0:5::1");
	GOOD("--sysctl", "net.ipv4.tcp_rmem=4096 131072 6291456");
	test_max_devs();
}

/* MAX_ADDRS addresses and MAX_SYSCTLS sysctls parse, one more does not. */
static void test_limits(void)
{
	static char *argv[2 * ULK_RUN_MAX_SYSCTLS + 6];
	static char vals[ULK_RUN_MAX_SYSCTLS + 1][32];
	const int na = 2 + 2 * ULK_RUN_MAX_ADDRS;
	const int ns = 2 * ULK_RUN_MAX_SYSCTLS;
	int i;

	argv[0] = "--net";
	argv[1] = "tap:t";
	for (i = 0; i <= ULK_RUN_MAX_ADDRS; i++) {
		snprintf(vals[i], sizeof(vals[i]), "10.0.%d.1/24", i);
		argv[2 + 2 * i] = "--ip";
		argv[3 + 2 * i] = vals[i];
	}
	argv[na] = NULL;
	if (good(__LINE__, argv))
		CHECK(cfg.devs[0].n_ip == ULK_RUN_MAX_ADDRS, "%d addresses",
		      cfg.devs[0].n_ip);
	argv[na] = "--ip";
	argv[na + 2] = NULL;
	bad(__LINE__, "too many addresses on one device (at most 8)", argv);

	for (i = 0; i <= ULK_RUN_MAX_SYSCTLS; i++) {
		snprintf(vals[i], sizeof(vals[i]), "net.x.s%d=%d", i, i);
		argv[2 * i] = "--sysctl";
		argv[2 * i + 1] = vals[i];
	}
	argv[ns] = NULL;
	if (good(__LINE__, argv))
		CHECK(cfg.n_sysctls == ULK_RUN_MAX_SYSCTLS &&
		      !strcmp(cfg.sysctls[63].name, "net.x.s63"), "%d sysctls",
		      cfg.n_sysctls);
	argv[ns] = "--sysctl";
	argv[ns + 2] = NULL;
	bad(__LINE__, "too many sysctls (at most 64)", argv);
}

static void test_bad_syntax(void)
{
	static const char *const per_dev[] = {
		"--ip", "--ip6", "--mtu", "--mac", "--offload"
	};
	char want[64];
	size_t i;

	BAD("unknown option --bogus", "--bogus");
	BAD("unknown option --bogus", "--bogus=1");
	BAD("unknown option -x", "-x", "prog");
	BAD("unknown option --ipv6", "--net", "tap:t", "--ipv6", "fd00::1/64");
	for (i = 0; i < sizeof(per_dev) / sizeof(per_dev[0]); i++) {
		snprintf(want, sizeof(want), "%s needs a --net before it",
			 per_dev[i]);
		bad(__LINE__, want, ARGS((char *)per_dev[i], "1"));
	}
	BAD("--mtu needs a value", "--net", "tap:t", "--mtu");
	BAD("--ip needs a non-empty value", "--net", "tap:t", "--ip=");
	BAD("--net needs a non-empty value", "--net", "");
	BAD("--verbose takes no value", "--verbose=yes");
	BAD("--help takes no value", "--help=1");
	BAD("--sysctl: the value contains a control character", "--sysctl",
	    "net.x.y=a\x1f" "b");
	BAD("control character", "--net", "pipe:/tmp/a\nb");
	BAD("only one --config", "--config", "a.json", "--config=b.json");
	BAD("--preload a:b.so: a path with ':' or spaces", "--preload", "a:b.so");
	BAD("--preload a b.so", "--preload", "a b.so");
}

static void test_bad_values(void)
{
	static const char *const ip4[] = {
		"10.0.0.300/24", "10.0.0.2", "10.0.0.2/33", "10.0.0.2/",
		"10.0.0.2/-1", "10.0.0/24", "fd00::1/64", "10.0.0.2/24/1",
		"10.0.0.2/0024", " 10.0.0.2/24", "10.0.0.2/2x", "/24",
	};
	static const char *const ip6[] = {
		"fd00::2/129", "fd00::2", "10.0.0.2/24", "fd00:::2/64",
		"fd00::2/", "fe80::1%eth0/64", "fd00::g/64",
	};
	static const char *const macs[] = {
		"02:00:00:00:00", "02:00:00:00:00:0g", "02-00-00-00-00-01",
		"02:00:00:00:00:001", "2:0:0:0:0:1", "02:00:00:00:00:01:",
		"0200.0000.0001",
	};
	static const char *const mtus[] = {
		"67", "65536", "0", "abc", "-1", "1500x", "+1500", " 1500",
		"99999999999999999999999",
	};
	static const char *const offloads[] = {
		"tx-foo", "tx-csum,", ",tx-csum", "none,tx-csum", "TX-CSUM",
		"tx-csum,,rx-csum", "all,none",
	};
	size_t i;

	for (i = 0; i < sizeof(ip4) / sizeof(ip4[0]); i++)
		bad_dev_value(__LINE__, "--ip", ip4[i]);
	BAD("--ip 10.0.0.300/24: not an IPv4 address/prefix", "--net",
	    "tap:t", "--ip", "10.0.0.300/24");
	for (i = 0; i < sizeof(ip6) / sizeof(ip6[0]); i++)
		bad_dev_value(__LINE__, "--ip6", ip6[i]);
	BAD("not an IPv6 address/prefix", "--net", "tap:t", "--ip6", "fd00::2");
	for (i = 0; i < sizeof(macs) / sizeof(macs[0]); i++)
		bad_dev_value(__LINE__, "--mac", macs[i]);
	BAD("multicast", "--net", "tap:t", "--mac", "01:00:00:00:00:01");
	BAD("multicast", "--net", "tap:t", "--mac", "ff:ff:ff:ff:ff:ff");
	BAD("all-zero", "--net", "tap:t", "--mac", "00:00:00:00:00:00");
	BAD("--mac 02:00:00:00:00:02: the device already has a --mac", "--net",
	    "tap:t", "--mac", "02:00:00:00:00:01", "--mac", "02:00:00:00:00:02");
	BAD("--mac 02:00:00:00:00:01: another device has it", "--net", "tap:t",
	    "--mac", "02:00:00:00:00:01", "--net", "tap:u", "--mac",
	    "02:00:00:00:00:01");
	for (i = 0; i < sizeof(mtus) / sizeof(mtus[0]); i++)
		bad_dev_value(__LINE__, "--mtu", mtus[i]);
	BAD("--mtu 1400: the device already has --mtu 1500", "--net", "tap:t",
	    "--mtu", "1500", "--mtu", "1400");
	for (i = 0; i < sizeof(offloads) / sizeof(offloads[0]); i++)
		bad_dev_value(__LINE__, "--offload", offloads[i]);
	BAD("unknown offload 'tx-foo'", "--net", "tap:t", "--offload", "tx-foo");
	BAD("--offload all: the device already has an --offload", "--net",
	    "tap:t", "--offload", "none", "--offload", "all");

	BAD("--gw 10.0.0.256: not an IPv4 address", "--gw", "10.0.0.256");
	BAD("--gw 10.0.0.1/24: not an IPv4 address", "--gw", "10.0.0.1/24");
	BAD("--gw fd00::1: not an IPv4 address", "--gw", "fd00::1");
	BAD("--gw6 10.0.0.1: not an IPv6 address", "--gw6", "10.0.0.1");
	BAD("--gw 10.0.0.2: a gateway is already set (10.0.0.1)", "--gw",
	    "10.0.0.1", "--gw", "10.0.0.2");
	BAD("--gw 10.0.0.1: no --net device to reach it", "--gw", "10.0.0.1");
	BAD("--gw 10.0.0.1: not inside the subnet", "--net", "tap:t", "--gw",
	    "10.0.0.1");
	BAD("--gw 10.0.1.1: not inside the subnet", "--net", "tap:t", "--ip",
	    "10.0.0.2/24", "--gw", "10.0.1.1");
	BAD("--gw6 fd00:2::1: not link-local, nor inside", "--net", "tap:t",
	    "--ip6", "fd00:1::2/64", "--gw6", "fd00:2::1");
	BAD("--gw6 fe80::1: no --net device to reach it", "--gw6", "fe80::1");
	/* The index of the failed option, also for a check made at the end. */
	BAD("--gw 10.0.0.1", "--verbose", "--gw", "10.0.0.1", "--verbose");
	CHECK(used == 1, "used %d, want 1 (the --gw)", used);
	BAD("--mtu 67", "--net", "tap:t", "--mtu", "67");
	CHECK(used == 2, "used %d, want 2 (the --mtu)", used);
}

static void test_bad_more(void)
{
	static const char *const sysctls[] = {
		"foo=1", "net.ipv4.x", "=1", "Net.ipv4.x=1", ".net.x=1",
		"net.x.=1", "net..x=1", "net/ipv4/x=1", "net.ipv4.x y=1",
	};
	static const char *const mems[] = {
		"8M", "15M", "65G", "64G1", "1T", "abc", "M", "-1G", "16MB",
		"16 M", "99999999999999999999999999G", "0",
	};
	static const char *const nets[] = {
		"foo:bar", "tap:", "tap:a/b", "tap:a b", "tap:a:b",
		"tap:abcdefghijklmnop", "tap:.", "pipe:", "pipe::b", "tap0",
		"stream:", "stream-listen:", "stream", "streams:/x",
		"stream-connect:/x", "Stream:/x",
	};
	char name[160], want[200];
	size_t i;

	for (i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) {
		snprintf(want, sizeof(want), "--sysctl %s:", sysctls[i]);
		bad(__LINE__, want, ARGS("--sysctl", (char *)sysctls[i]));
	}
	BAD("--sysctl net.ipv4.x=: empty value", "--sysctl", "net.ipv4.x=");
	BAD("expected NAME=VALUE", "--sysctl", "net.ipv4.x");
	snprintf(name, sizeof(name), "net.%0124d=1", 0);
	BAD("name too long", "--sysctl", name);
	snprintf(name, sizeof(name), "net.x=%0128d", 0);
	BAD("value too long", "--sysctl", name);

	for (i = 0; i < sizeof(mems) / sizeof(mems[0]); i++) {
		snprintf(want, sizeof(want), "--mem %s:", mems[i]);
		bad(__LINE__, want, ARGS("--mem", (char *)mems[i]));
	}
	BAD("--mem 8M: out of range (16M..64G)", "--mem", "8M");
	BAD("--mem 1T: not a size", "--mem", "1T");
	BAD("--mem 32M: given twice", "--mem", "16M", "--mem", "32M");
	BAD("--pin x: not a CPU list", "--pin", "x");
	BAD("--pin 1-: not a CPU list", "--pin", "1-");
	BAD("--pin 3-1: not a CPU list", "--pin", "3-1");
	BAD("--pin 0,,1: not a CPU list", "--pin", "0,,1");
	BAD("--pin 99999: CPU number too large", "--pin", "99999");
	BAD("--pin 1000: none of these CPUs is available", "--pin", "1000");
	BAD("--pin 0: given twice", "--pin", "0", "--pin", "0");

	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		snprintf(want, sizeof(want), "--net %s:", nets[i]);
		bad(__LINE__, want, ARGS("--net", (char *)nets[i]));
	}
	snprintf(name, sizeof(name), "pipe:/%0105d", 0);
	BAD("pipe path too long", "--net", name);
	BAD("--net tap:t: device given twice", "--net", "tap:t", "--net",
	    "tap:t");
	BAD("--net pipe:/tmp/p:a: device given twice", "--net", "pipe:/tmp/p",
	    "--net", "pipe:/tmp/p:a");
	GOOD("--net", "pipe:/tmp/p", "--net", "pipe:/tmp/p:b");
	snprintf(name, sizeof(name), "stream:/%0107d", 0);
	BAD("stream socket path too long (at most 107 bytes)", "--net", name);
	BAD("--net stream:/tmp/s: device given twice", "--net", "stream:/tmp/s",
	    "--net", "stream:/tmp/s");
	/* Both ends in one process: the listener would wait forever. */
	BAD("--net stream-listen:/tmp/s: device given twice", "--net",
	    "stream:/tmp/s", "--net", "stream-listen:/tmp/s");
	BAD("empty stream socket path", "--net", "stream-listen:");
}

/* The ULK_RUN_OPTS form of @argv, joined with ULK_RUN_OPTS_SEP. */
static void join(char *buf, size_t size, char **argv)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; argv[i]; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i ? "\x1f" : "", argv[i]);
}

static void test_env(void)
{
	char **argv = ARGS("--net", "tap:tap0", "--ip", "10.0.0.2/24",
			   "--ip6", "fd00::2/64", "--mtu", "9000", "--mac",
			   "02:00:00:00:00:01", "--offload", "tx-csum,rx-csum",
			   "--net", "pipe:/tmp/p:b", "--ip=10.1.0.2/16",
			   "--gw", "10.0.0.1", "--gw6", "fd00::1", "--sysctl",
			   "net.ipv4.tcp_rmem=4096 131072 6291456", "--mem",
			   "1G", "--verbose");
	char env[1024];
	int ret;

	if (!good(__LINE__, argv))
		return;
	cfg2 = cfg;
	join(env, sizeof(env), argv);
	ret = ulk_run_parse_env(&cfg, env, err, sizeof(err));
	if (CHECK(ret == 0, "parse_env: returned %d: %s", ret, err))
		CHECK(!memcmp(&cfg, &cfg2, sizeof(cfg)),
		      "parse_env gives other settings than parse");

	ret = ulk_run_parse_env(&cfg, "", err, sizeof(err));
	CHECK(ret == 0 && cfg.n_devs == 0 && !cfg.verbose && !cfg.mem,
	      "parse_env(\"\"): returned %d", ret);
	ret = ulk_run_parse_env(&cfg, "--verbose", err, sizeof(err));
	CHECK(ret == 0 && cfg.verbose, "parse_env(--verbose): returned %d", ret);
	ret = ulk_run_parse_env(&cfg, "--net\x1ftap:t\x1f--mtu\x1f" "1",
				err, sizeof(err));
	CHECK(ret == -EINVAL && strstr(err, "--mtu 1: not an MTU"),
	      "parse_env bad MTU: returned %d: %s", ret, err);
	ret = ulk_run_parse_env(&cfg, "--verbose\x1fprog", err, sizeof(err));
	CHECK(ret == -EINVAL && strstr(err, "'prog' is not an option"),
	      "parse_env stray string: returned %d: %s", ret, err);
	ret = ulk_run_parse_env(&cfg, "--verbose\x1f", err, sizeof(err));
	CHECK(ret == -EINVAL, "parse_env trailing separator: returned %d", ret);
}

static void test_takes_value(void)
{
	CHECK(ulk_run_option_takes_value("--ip") == 1, "--ip takes a value");
	CHECK(ulk_run_option_takes_value("--config") == 1, "--config");
	CHECK(ulk_run_option_takes_value("--ip=1") == 0, "--ip=1");
	CHECK(ulk_run_option_takes_value("--verbose") == 0, "--verbose");
	CHECK(ulk_run_option_takes_value("--bogus") == -ENOENT, "--bogus");
	CHECK(ulk_run_option_takes_value("--i") == -ENOENT, "--i (a prefix)");
}

static void test_devices(void)
{
	char dir[] = "/tmp/ulk-run-test.XXXXXX", pipe[200];
	int ret;

	if (!GOOD("--net", "tap:ulknosuch0"))
		return;
	ret = ulk_run_check_devices(&cfg, err, sizeof(err));
	CHECK(ret < 0 && strstr(err, "tap:ulknosuch0: no such interface (create it with: ip tuntap add ulknosuch0 mode tap)"),
	      "missing TAP: returned %d: %s", ret, err);
	if (access("/sys/class/net/lo", F_OK) == 0 && GOOD("--net", "tap:lo")) {
		ret = ulk_run_check_devices(&cfg, err, sizeof(err));
		CHECK(ret < 0 && strstr(err, "tap:lo: not a TAP interface"),
		      "lo as a TAP: returned %d: %s", ret, err);
	}
	if (!CHECK(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno)))
		return;
	snprintf(pipe, sizeof(pipe), "pipe:%s/p", dir);
	if (GOOD("--net", pipe)) {
		ret = ulk_run_check_devices(&cfg, err, sizeof(err));
		CHECK(ret == 0, "pipe in %s: returned %d: %s", dir, ret, err);
	}
	if (GOOD("--net", "pipe:relative")) {
		ret = ulk_run_check_devices(&cfg, err, sizeof(err));
		CHECK(ret == 0 || access(".", W_OK),
		      "pipe in the current directory: returned %d: %s", ret, err);
	}
	snprintf(pipe, sizeof(pipe), "pipe:%s/none/p", dir);
	if (GOOD("--net", pipe)) {
		ret = ulk_run_check_devices(&cfg, err, sizeof(err));
		CHECK(ret < 0 && strstr(err, "/none does not exist"),
		      "pipe in a missing directory: returned %d: %s", ret, err);
	}
	/* Streams: nothing is connected to or bound, only looked at. */
	snprintf(pipe, sizeof(pipe), "stream:%s/s", dir);
	if (GOOD("--net", pipe)) {
		ret = ulk_run_check_devices(&cfg, err, sizeof(err));
		CHECK(ret == -ENOENT && strstr(err, "no socket at") &&
		      strstr(err, "stream-listen:"),
		      "stream to a missing socket: returned %d: %s", ret, err);
	}
	snprintf(pipe, sizeof(pipe), "stream-listen:%s/s", dir);
	if (GOOD("--net", pipe)) {
		ret = ulk_run_check_devices(&cfg, err, sizeof(err));
		CHECK(ret == 0, "stream-listen in %s: returned %d: %s", dir,
		      ret, err);
	}
	snprintf(pipe, sizeof(pipe), "stream-listen:%s/none/s", dir);
	if (GOOD("--net", pipe)) {
		ret = ulk_run_check_devices(&cfg, err, sizeof(err));
		CHECK(ret == -ENOENT && strstr(err, "/none does not exist"),
		      "stream-listen in a missing directory: returned %d: %s",
		      ret, err);
	}
	{
		char file[64], sock[64];
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd;

		snprintf(file, sizeof(file), "%s/f", dir);
		fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		snprintf(pipe, sizeof(pipe), "stream:%s", file);
		if (GOOD("--net", pipe)) {
			ret = ulk_run_check_devices(&cfg, err, sizeof(err));
			CHECK(ret == -ENOTSOCK && strstr(err, "is not a socket"),
			      "stream to a plain file: returned %d: %s", ret,
			      err);
		}
		snprintf(pipe, sizeof(pipe), "stream-listen:%s", file);
		if (GOOD("--net", pipe)) {
			ret = ulk_run_check_devices(&cfg, err, sizeof(err));
			CHECK(ret == -EEXIST && strstr(err, "exists and is not a socket"),
			      "stream-listen over a plain file: returned %d: %s",
			      ret, err);
		}
		unlink(file);
		/* A bound socket passes, and nobody connected to it. */
		snprintf(sock, sizeof(sock), "%s/l", dir);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    0);
		if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
		    !listen(fd, 1)) {
			snprintf(pipe, sizeof(pipe), "stream:%s", sock);
			if (GOOD("--net", pipe)) {
				int c;

				ret = ulk_run_check_devices(&cfg, err,
							    sizeof(err));
				c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
				CHECK(ret == 0 && c < 0,
				      "stream to a listening socket: returned "
				      "%d (%s), connected: %s", ret, err,
				      c >= 0 ? "yes" : "no");
				if (c >= 0)
					close(c);
			}
			snprintf(pipe, sizeof(pipe), "stream-listen:%s", sock);
			if (GOOD("--net", pipe)) {
				ret = ulk_run_check_devices(&cfg, err,
							    sizeof(err));
				CHECK(ret == 0, "stream-listen over a socket "
				      "file (stale or not): returned %d: %s",
				      ret, err);
			}
		}
		if (fd >= 0)
			close(fd);
		unlink(sock);
	}
	rmdir(dir);
	if (GOOD("--verbose")) {
		ret = ulk_run_check_devices(&cfg, err, sizeof(err));
		CHECK(ret == 0, "no devices: returned %d", ret);
	}
}

int main(void)
{
	test_full_list();
	test_good_forms();
	test_limits();
	test_bad_syntax();
	test_bad_values();
	test_bad_more();
	test_env();
	test_takes_value();
	test_devices();
	if (failures)
		printf("RESULT: %d of %d checks failed\n", failures, checks);
	else
		printf("RESULT: all %d checks passed\n", checks);
	return failures ? 1 : 0;
}
