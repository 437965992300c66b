// SPDX-License-Identifier: GPL-2.0
/*
 * ulk-run's option parser, shared by ulk-run and the preload shim (see
 * options.h for the options and how they travel).
 *
 * One table (options[]) lists every option with its handler. The parser
 * splits "--opt=value" or takes the next string as the value, rejects an
 * empty value or one with a control character (it could not travel in
 * ULK_RUN_OPTS, whose separator is one), finds the device a per-device
 * option applies to, and calls the handler, which validates the value and
 * stores it. Checks that need the whole list (a gateway reachable through
 * some --ip address) run at the end.
 *
 * Everything here is plain libc and nothing prints: the shim links this
 * file too and calls it inside the program, before ulk exists. Errors go
 * back as one line in @err.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ulk/netdev.h>

#include "cpulist.h"
#include "ctl/ctl.h"
#include "hostfd.h"
#include "options.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define IFNAME_MAX	15	/* IFNAMSIZ - 1 */
#define SUN_PATH_SIZE	108	/* sizeof(((struct sockaddr_un *)0)->sun_path) */
#define MEM_MIN		(16ULL << 20)
#define MEM_MAX		(64ULL << 30)
#define IFF_TAP_FLAG	0x0002	/* IFF_TAP of <linux/if_tun.h> */

struct parser {
	struct ulk_run_config *cfg;
	char *err;
	size_t errlen;
	const char *opt;	/* option being parsed, "--ip" */
	int at;			/* its index in argv */
	int gw_at;		/* index of --gw, for *used on error */
	int gw6_at;		/* index of --gw6 */
};

/* Write a message to @p's error buffer; Return: -EINVAL. */
static __attribute__((format(printf, 2, 3)))
int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Copy @s to @dst of @size bytes; Return: false if it does not fit. */
static bool copy(char *dst, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size)
		return false;
	memcpy(dst, s, n + 1);
	return true;
}

/* Parse decimal digits only (no sign, no spaces) up to @max. */
static bool parse_uint(const char *s, unsigned long long max,
		       unsigned long long *out)
{
	unsigned long long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		if (v > (max - (unsigned long long)(*s - '0')) / 10)
			return false;
		v = v * 10 + (unsigned long long)(*s - '0');
	}
	*out = v;
	return true;
}

/*
 * Parse "ADDR/PREFIX" of family @af into @addr (4 or 16 bytes) and @plen.
 * Return: true if valid.
 */
static bool parse_cidr(int af, const char *s, unsigned char *addr, int *plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned long long n;
	char *slash;

	if (!copy(buf, sizeof(buf), s))
		return false;
	slash = strchr(buf, '/');
	if (!slash)
		return false;
	*slash = '\0';
	/* As strict as the library's parser: at most 3 digits. */
	if (strlen(slash + 1) > 3 ||
	    !parse_uint(slash + 1, af == AF_INET ? 32 : 128, &n))
		return false;
	*plen = (int)n;
	return inet_pton(af, buf, addr) == 1;
}

/* Whether @a and @b agree on their first @plen bits. */
static bool same_prefix(const unsigned char *a, const unsigned char *b,
			int plen)
{
	int full = plen / 8, rest = plen % 8;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));

	if (memcmp(a, b, full))
		return false;
	return !rest || !((a[full] ^ b[full]) & mask);
}

static struct ulk_run_dev *cur_dev(struct parser *p)
{
	return &p->cfg->devs[p->cfg->n_devs - 1];
}

/* A device's name as written after --net, for messages. */
static void dev_desc(const struct ulk_run_dev *d, char *buf, size_t size)
{
	if (d->kind == ULK_RUN_DEV_TAP)
		snprintf(buf, size, "tap:%s", d->name);
	else if (d->kind == ULK_RUN_DEV_STREAM)
		snprintf(buf, size, "stream%s:%s", d->stream_listen ?
			 "-listen" : "", d->name);
	else
		snprintf(buf, size, "pipe:%s%s", d->name, d->pipe_role ? ":b" : "");
}

/* ---- handlers: validate @v for option p->opt and store it ---------------- */

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

static int set_net(struct parser *p, const char *v)
{
	struct ulk_run_config *cfg = p->cfg;
	struct ulk_run_dev *d;
	const char *s;
	size_t n;
	int i;

	if (cfg->n_devs >= ULK_RUN_MAX_DEVS)
		return fail(p, "--net %s: too many devices (at most %d)", v,
			    ULK_RUN_MAX_DEVS);
	d = &cfg->devs[cfg->n_devs];
	memset(d, 0, sizeof(*d));
	if (!strncmp(v, "tap:", 4)) {
		if (!valid_ifname(v + 4))
			return fail(p, "--net %s: bad interface name (1 to %d characters, no '/', ':' or spaces)",
				    v, IFNAME_MAX);
		d->kind = ULK_RUN_DEV_TAP;
		strcpy(d->name, v + 4);
	} else if (!strncmp(v, "pipe:", 5)) {
		d->kind = ULK_RUN_DEV_PIPE;
		n = strlen(v + 5);
		if (n >= 2 && v[5 + n - 2] == ':' &&
		    (v[5 + n - 1] == 'a' || v[5 + n - 1] == 'b')) {
			d->pipe_role = v[5 + n - 1] == 'b' ?
				       ULK_NETDEV_PIPE_B : ULK_NETDEV_PIPE_A;
			n -= 2;
		}
		if (n == 0)
			return fail(p, "--net %s: empty pipe path", v);
		/* The sockets are PATH.a and PATH.b, NUL included. */
		if (n + 3 > SUN_PATH_SIZE)
			return fail(p, "--net %s: pipe path too long (at most %d bytes)",
				    v, SUN_PATH_SIZE - 3);
		memcpy(d->name, v + 5, n);
		d->name[n] = '\0';
	} else if (!strncmp(v, "stream:", 7) || !strncmp(v, "stream-listen:", 14)) {
		d->kind = ULK_RUN_DEV_STREAM;
		d->stream_listen = v[6] == '-';
		s = strchr(v, ':') + 1;
		n = strlen(s);
		if (n == 0)
			return fail(p, "--net %s: empty stream socket path", v);
		if (n + 1 > SUN_PATH_SIZE)
			return fail(p, "--net %s: stream socket path too long (at most %d bytes)",
				    v, SUN_PATH_SIZE - 1);
		memcpy(d->name, s, n + 1);
	} else {
		return fail(p, "--net %s: expected tap:IFNAME, pipe:PATH[:a|:b], stream:PATH or stream-listen:PATH", v);
	}
	for (i = 0; i < cfg->n_devs; i++) {
		/* Either end of one stream socket: a listener waits forever. */
		if (cfg->devs[i].kind == d->kind &&
		    !strcmp(cfg->devs[i].name, d->name) &&
		    (d->kind == ULK_RUN_DEV_STREAM ||
		     cfg->devs[i].pipe_role == d->pipe_role))
			return fail(p, "--net %s: device given twice", v);
	}
	cfg->n_devs++;
	return 0;
}

static int add_addr(struct parser *p, const char *v, int af)
{
	struct ulk_run_dev *d = cur_dev(p);
	char (*list)[64] = af == AF_INET ? d->ip : d->ip6;
	int *n = af == AF_INET ? &d->n_ip : &d->n_ip6;
	unsigned char addr[16];
	int plen;

	if (!parse_cidr(af, v, addr, &plen))
		return fail(p, "%s %s: not an %s address/prefix", p->opt, v,
			    af == AF_INET ? "IPv4" : "IPv6");
	if (*n >= ULK_RUN_MAX_ADDRS)
		return fail(p, "%s %s: too many addresses on one device (at most %d)",
			    p->opt, v, ULK_RUN_MAX_ADDRS);
	copy(list[(*n)++], sizeof(list[0]), v);	/* fits: parse_cidr() */
	return 0;
}

static int set_ip(struct parser *p, const char *v)
{
	return add_addr(p, v, AF_INET);
}

static int set_ip6(struct parser *p, const char *v)
{
	return add_addr(p, v, AF_INET6);
}

static int set_mtu(struct parser *p, const char *v)
{
	struct ulk_run_dev *d = cur_dev(p);
	unsigned long long n;

	if (d->mtu)
		return fail(p, "--mtu %s: the device already has --mtu %u", v,
			    d->mtu);
	if (!parse_uint(v, ULLONG_MAX, &n) || n < 68 || n > 65535)
		return fail(p, "--mtu %s: not an MTU (68..65535)", v);
	d->mtu = (unsigned int)n;
	return 0;
}

static int set_mac(struct parser *p, const char *v)
{
	struct ulk_run_dev *d = cur_dev(p);
	unsigned char mac[6];
	char hex[3] = "";
	int i;

	if (d->has_mac)
		return fail(p, "--mac %s: the device already has a --mac", v);
	if (strlen(v) != 17)
		goto bad;
	for (i = 0; i < 6; i++) {
		const char *s = v + i * 3;

		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]) ||
		    (i < 5 && s[2] != ':'))
			goto bad;
		memcpy(hex, s, 2);
		mac[i] = (unsigned char)strtoul(hex, NULL, 16);
	}
	if (mac[0] & 1)
		return fail(p, "--mac %s: a multicast address (the first byte must be even)", v);
	if (!memcmp(mac, "\0\0\0\0\0\0", 6))
		return fail(p, "--mac %s: the all-zero address", v);
	for (i = 0; i < p->cfg->n_devs - 1; i++) {
		if (p->cfg->devs[i].has_mac &&
		    !memcmp(p->cfg->devs[i].mac, mac, 6))
			return fail(p, "--mac %s: another device has it", v);
	}
	memcpy(d->mac, mac, 6);
	d->has_mac = 1;
	return 0;
bad:
	return fail(p, "--mac %s: not an Ethernet address (XX:XX:XX:XX:XX:XX)", v);
}

static const struct {
	const char *name;
	unsigned int bit;
} offload_names[] = {
	{ "tx-csum", ULK_NETDEV_OFFLOAD_TX_CSUM },
	{ "rx-csum", ULK_NETDEV_OFFLOAD_RX_CSUM },
	{ "tx-tso4", ULK_NETDEV_OFFLOAD_TX_TSO4 },
	{ "tx-tso6", ULK_NETDEV_OFFLOAD_TX_TSO6 },
	{ "tx-ecn", ULK_NETDEV_OFFLOAD_TX_ECN },
	{ "rx-tso4", ULK_NETDEV_OFFLOAD_RX_TSO4 },
	{ "rx-tso6", ULK_NETDEV_OFFLOAD_RX_TSO6 },
	{ "rx-ecn", ULK_NETDEV_OFFLOAD_RX_ECN },
	{ "rx-mrg", ULK_NETDEV_OFFLOAD_RX_MRG },
};

static int set_offload(struct parser *p, const char *v)
{
	struct ulk_run_dev *d = cur_dev(p);
	unsigned int bits = 0;
	const char *s = v;
	size_t len, i;

	if (d->offloads)
		return fail(p, "--offload %s: the device already has an --offload", v);
	if (!strcmp(v, "none")) {
		d->offloads = ULK_NETDEV_OFFLOAD_NONE;
		return 0;
	}
	if (!strcmp(v, "all")) {
		d->offloads = ULK_NETDEV_OFFLOAD_ALL;
		return 0;
	}
	for (;;) {
		len = strcspn(s, ",");
		for (i = 0; i < ARRAY_SIZE(offload_names); i++) {
			if (strlen(offload_names[i].name) == len &&
			    !strncmp(offload_names[i].name, s, len))
				break;
		}
		if (i == ARRAY_SIZE(offload_names))
			return fail(p, "--offload %s: unknown offload '%.*s' (none, all, or a comma list of tx-csum, rx-csum, tx-tso4, tx-tso6, tx-ecn, rx-tso4, rx-tso6, rx-ecn, rx-mrg)",
				    v, (int)len, s);
		bits |= offload_names[i].bit;
		if (!s[len])
			break;
		s += len + 1;
	}
	d->offloads = bits;
	return 0;
}

static int set_gw_family(struct parser *p, const char *v, int af, char *dst,
			 size_t size)
{
	unsigned char addr[16];

	if (*dst)
		return fail(p, "%s %s: a gateway is already set (%s)", p->opt, v,
			    dst);
	if (inet_pton(af, v, addr) != 1 || !copy(dst, size, v))
		return fail(p, "%s %s: not an %s address", p->opt, v,
			    af == AF_INET ? "IPv4" : "IPv6");
	return 0;
}

static int set_gw(struct parser *p, const char *v)
{
	p->gw_at = p->at;
	return set_gw_family(p, v, AF_INET, p->cfg->gw, sizeof(p->cfg->gw));
}

static int set_gw6(struct parser *p, const char *v)
{
	p->gw6_at = p->at;
	return set_gw_family(p, v, AF_INET6, p->cfg->gw6, sizeof(p->cfg->gw6));
}

static int set_dns(struct parser *p, const char *v)
{
	struct ulk_run_config *cfg = p->cfg;
	unsigned char addr[16];

	if (cfg->n_dns == ULK_RUN_MAX_DNS)
		return fail(p, "--dns %s: at most %d name servers", v,
			    ULK_RUN_MAX_DNS);
	if ((inet_pton(AF_INET, v, addr) != 1 &&
	     inet_pton(AF_INET6, v, addr) != 1) ||
	    !copy(cfg->dns[cfg->n_dns], sizeof(cfg->dns[0]), v))
		return fail(p, "--dns %s: not an IPv4 or IPv6 address", v);
	cfg->n_dns++;
	return 0;
}

static int set_sysctl(struct parser *p, const char *v)
{
	struct ulk_run_config *cfg = p->cfg;
	struct ulk_run_sysctl *sc;
	const char *eq = strchr(v, '='), *s, *dots;
	size_t len;

	if (!eq)
		return fail(p, "--sysctl %s: expected NAME=VALUE", v);
	len = (size_t)(eq - v);
	for (s = v; s < eq; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    !strchr("_.-", *s))
			break;
	dots = strstr(v, "..");
	if (s < eq || !len || !memchr(v, '.', len) || v[0] == '.' ||
	    eq[-1] == '.' || (dots && dots < eq))
		return fail(p, "--sysctl %s: bad name (dotted, of a-z 0-9 _ . -, like net.ipv4.tcp_ecn)", v);
	if (len >= sizeof(sc->name))
		return fail(p, "--sysctl %s: name too long (at most %zu bytes)", v,
			    sizeof(sc->name) - 1);
	if (!eq[1])
		return fail(p, "--sysctl %s: empty value", v);
	if (strlen(eq + 1) >= sizeof(sc->value))
		return fail(p, "--sysctl %s: value too long (at most %zu bytes)", v,
			    sizeof(sc->value) - 1);
	if (cfg->n_sysctls >= ULK_RUN_MAX_SYSCTLS)
		return fail(p, "--sysctl %s: too many sysctls (at most %d)", v,
			    ULK_RUN_MAX_SYSCTLS);
	sc = &cfg->sysctls[cfg->n_sysctls++];
	memcpy(sc->name, v, len);
	sc->name[len] = '\0';
	strcpy(sc->value, eq + 1);
	return 0;
}

static int set_mem(struct parser *p, const char *v)
{
	char digits[24];
	size_t len = strlen(v);
	unsigned long long n;
	int shift = 0;

	if (p->cfg->mem)
		return fail(p, "--mem %s: given twice", v);
	switch (len ? toupper((unsigned char)v[len - 1]) : 0) {
	case 'K': shift = 10; len--; break;
	case 'M': shift = 20; len--; break;
	case 'G': shift = 30; len--; break;
	}
	if (!len || strspn(v, "0123456789") < len)
		return fail(p, "--mem %s: not a size (a number, with an optional K, M or G suffix)", v);
	if (len >= sizeof(digits))
		goto range;
	memcpy(digits, v, len);
	digits[len] = '\0';
	if (!parse_uint(digits, MEM_MAX >> shift, &n) || n << shift < MEM_MIN)
		goto range;
	p->cfg->mem = (unsigned long)(n << shift);
	return 0;
range:
	return fail(p, "--mem %s: out of range (16M..64G)", v);
}

static int set_pin(struct parser *p, const char *v)
{
	cpu_set_t cpus;
	int err;

	if (*p->cfg->pin)
		return fail(p, "--pin %s: given twice", v);
	err = ulk_cpulist_parse(v, &cpus);
	if (err == -ERANGE)
		return fail(p, "--pin %s: CPU number too large", v);
	if (err)
		return fail(p, "--pin %s: not a CPU list (like 0, 1-3 or 0,2)", v);
	if (ulk_cpulist_usable(&cpus))
		return fail(p, "--pin %s: none of these CPUs is available to this process", v);
	if (!copy(p->cfg->pin, sizeof(p->cfg->pin), v))
		return fail(p, "--pin %s: list too long", v);
	return 0;
}

static int set_name(struct parser *p, const char *v)
{
	if (*p->cfg->name)
		return fail(p, "--name %s: given twice", v);
	if (!ulk_ctl_name_ok(v))
		return fail(p, "--name %s: 1 to 63 letters, digits, '.', '_' or '-', not starting with '.'", v);
	strcpy(p->cfg->name, v);
	return 0;
}

static int set_ctl(struct parser *p, const char *v)
{
	if (*p->cfg->ctl)
		return fail(p, "--ctl %s: given twice", v);
	if (strcmp(v, "none") && !strchr(v, '/'))
		return fail(p, "--ctl %s: a socket path (with a '/') or none", v);
	if (!copy(p->cfg->ctl, sizeof(p->cfg->ctl), v))
		return fail(p, "--ctl %s: path too long for a unix socket", v);
	return 0;
}

static int set_pcap(struct parser *p, const char *v)
{
	if (*p->cfg->pcap)
		return fail(p, "--pcap %s: given twice", v);
	if (!*v)
		return fail(p, "--pcap: an empty path");
	if (!copy(p->cfg->pcap, sizeof(p->cfg->pcap), v))
		return fail(p, "--pcap: path too long");
	return 0;
}

static int set_verbose(struct parser *p, const char *v)
{
	(void)v;
	p->cfg->verbose = 1;
	return 0;
}

static int set_help(struct parser *p, const char *v)
{
	(void)v;
	p->cfg->help = 1;
	return 0;
}

static int set_config(struct parser *p, const char *v)
{
	if (*p->cfg->config)
		return fail(p, "--config %s: only one --config is allowed (%s given before)",
			    v, p->cfg->config);
	if (!copy(p->cfg->config, sizeof(p->cfg->config), v))
		return fail(p, "--config: path too long");
	return 0;
}

static int set_preload(struct parser *p, const char *v)
{
	char *dst = p->cfg->preloads;
	size_t used = strlen(dst);

	/* ld.so splits LD_PRELOAD at ':' and spaces. */
	if (strpbrk(v, ": \t"))
		return fail(p, "--preload %s: a path with ':' or spaces cannot go in LD_PRELOAD", v);
	if (used + !!used + strlen(v) >= sizeof(p->cfg->preloads))
		return fail(p, "--preload %s: too many libraries", v);
	if (used)
		dst[used++] = ':';
	strcpy(dst + used, v);
	return 0;
}

static const struct option_def {
	const char *name;
	bool value;		/* takes a value */
	bool per_dev;		/* applies to the latest --net */
	int (*set)(struct parser *p, const char *v);
} options[] = {
	{ "--net", true, false, set_net },
	{ "--ip", true, true, set_ip },
	{ "--ip6", true, true, set_ip6 },
	{ "--mtu", true, true, set_mtu },
	{ "--mac", true, true, set_mac },
	{ "--offload", true, true, set_offload },
	{ "--gw", true, false, set_gw },
	{ "--gw6", true, false, set_gw6 },
	{ "--dns", true, false, set_dns },
	{ "--sysctl", true, false, set_sysctl },
	{ "--mem", true, false, set_mem },
	{ "--pin", true, false, set_pin },
	{ "--name", true, false, set_name },
	{ "--ctl", true, false, set_ctl },
	{ "--pcap", true, false, set_pcap },
	{ "--verbose", false, false, set_verbose },
	{ "--help", false, false, set_help },
	{ "--config", true, false, set_config },
	{ "--preload", true, false, set_preload },
};

/* The option @arg names ("--ip" or "--ip=..."), or NULL. */
static const struct option_def *find_option(const char *arg)
{
	size_t len = strcspn(arg, "=");
	size_t i;

	for (i = 0; i < ARRAY_SIZE(options); i++)
		if (strlen(options[i].name) == len &&
		    !strncmp(options[i].name, arg, len))
			return &options[i];
	return NULL;
}

/**
 * ulk_run_option_takes_value() - how an option string is consumed.
 * @arg: an option as written: "--ip", "--ip=10.0.0.2/24", "--verbose".
 *
 * Return: 1 if @arg is a known option whose value is the next string; 0 if
 * it is a flag or carries its value after '='; -ENOENT if it is unknown.
 */
int ulk_run_option_takes_value(const char *arg)
{
	const struct option_def *o = find_option(arg);

	if (!o)
		return -ENOENT;
	return o->value && !strchr(arg, '=');
}

/* Whether gateway @gw (family @af) is inside the subnet of an address. */
static bool gw_reachable(const struct ulk_run_config *cfg, int af,
			 const char *gw)
{
	unsigned char g[16], a[16];
	int d, i, plen;

	inet_pton(af, gw, g);
	/* An IPv6 link-local gateway is reachable through any device. */
	if (af == AF_INET6 && g[0] == 0xfe && (g[1] & 0xc0) == 0x80)
		return true;
	for (d = 0; d < cfg->n_devs; d++) {
		const struct ulk_run_dev *dev = &cfg->devs[d];
		int n = af == AF_INET ? dev->n_ip : dev->n_ip6;

		for (i = 0; i < n; i++) {
			parse_cidr(af, af == AF_INET ? dev->ip[i] : dev->ip6[i],
				   a, &plen);
			if (same_prefix(a, g, plen))
				return true;
		}
	}
	return false;
}

/* Check a gateway (of family @af, "" for none) once every option is in. */
static int check_gw(struct parser *p, int af, const char *gw, int at,
		    int *used)
{
	if (!*gw)
		return 0;
	*used = at;
	if (!p->cfg->n_devs)
		return fail(p, "%s %s: no --net device to reach it", p->opt, gw);
	if (!gw_reachable(p->cfg, af, gw))
		return fail(p, af == AF_INET ?
			    "%s %s: not inside the subnet of any --ip address" :
			    "%s %s: not link-local, nor inside the subnet of any --ip6 address",
			    p->opt, gw);
	return 0;
}

/* Checks that need every option: the gateways' reachability. */
static int check_whole(struct parser *p, int *used)
{
	int ret;

	p->opt = "--gw";
	ret = check_gw(p, AF_INET, p->cfg->gw, p->gw_at, used);
	if (ret)
		return ret;
	p->opt = "--gw6";
	return check_gw(p, AF_INET6, p->cfg->gw6, p->gw6_at, used);
}

/**
 * ulk_run_parse() - parse options into @cfg, validating every value.
 * @cfg: filled in; zeroed first.
 * @argc: number of strings in @argv.
 * @argv: the options (no program name).
 * @used: the number of strings consumed; on failure, the index of the
 *	option that failed.
 * @err: receives the message on failure.
 * @errlen: size of @err.
 *
 * See options.h. Any string starting with '-' (other than "-" and "--")
 * is taken for an option, so a mistyped one is reported, not run.
 * Return: 0, or -EINVAL with @err set.
 */
int ulk_run_parse(struct ulk_run_config *cfg, int argc, char **argv,
		  int *used, char *err, size_t errlen)
{
	struct parser p = { .cfg = cfg, .err = err, .errlen = errlen };
	const struct option_def *o;
	const char *arg, *v, *s;
	int i, ret;

	memset(cfg, 0, sizeof(*cfg));
	if (errlen)
		err[0] = '\0';
	for (i = 0; i < argc; i++) {
		arg = argv[i];
		if (!strcmp(arg, "--")) {
			i++;
			break;
		}
		if (arg[0] != '-' || !arg[1])
			break;
		p.at = i;
		*used = i;
		o = find_option(arg);
		if (!o)
			return fail(&p, "unknown option %.*s", (int)strcspn(arg, "="),
				    arg);
		p.opt = o->name;
		v = strchr(arg, '=');
		if (!o->value) {
			if (v)
				return fail(&p, "%s takes no value", o->name);
		} else if (v) {
			v++;
		} else if (i + 1 < argc) {
			v = argv[++i];
		} else {
			return fail(&p, "%s needs a value", o->name);
		}
		if (v && !*v)
			return fail(&p, "%s needs a non-empty value", o->name);
		for (s = v; s && *s; s++)
			if (iscntrl((unsigned char)*s))
				return fail(&p, "%s: the value contains a control character",
					    o->name);
		if (o->per_dev && !cfg->n_devs)
			return fail(&p, "%s needs a --net before it", o->name);
		ret = o->set(&p, v);
		if (ret)
			return ret;
	}
	ret = check_whole(&p, used);
	if (ret)
		return ret;
	*used = i;
	return 0;
}

/**
 * ulk_run_parse_env() - parse the ULK_RUN_OPTS list (see options.h).
 * @cfg: filled in.
 * @opts: the variable's value, "" for no options.
 * @err: receives the message on failure.
 * @errlen: size of @err.
 *
 * Every string in the list must be consumed as an option: a stray one is
 * an error, not the start of a program.
 * Return: 0, or -EINVAL with @err set; -ENOMEM.
 */
int ulk_run_parse_env(struct ulk_run_config *cfg, const char *opts,
		      char *err, size_t errlen)
{
	char *copy_of = strdup(opts), *s, **argv;
	int argc = 0, used = 0, ret;

	if (!copy_of)
		return -ENOMEM;
	if (*opts)
		for (argc = 1, s = copy_of; *s; s++)
			argc += *s == ULK_RUN_OPTS_SEP;
	argv = calloc((size_t)argc + 1, sizeof(*argv));
	if (!argv) {
		free(copy_of);
		return -ENOMEM;
	}
	for (argc = 0, s = *opts ? copy_of : NULL; s; argc++) {
		argv[argc] = s;
		s = strchr(s, ULK_RUN_OPTS_SEP);
		if (s)
			*s++ = '\0';
	}
	ret = ulk_run_parse(cfg, argc, argv, &used, err, errlen);
	if (!ret && used < argc) {
		snprintf(err, errlen, "%s: '%s' is not an option",
			 ULK_RUN_OPTS_ENV, argv[used]);
		ret = -EINVAL;
	}
	free(argv);
	free(copy_of);
	return ret;
}

/* The directory a socket path @name is in, into @dir. */
static void dir_of(const char *name, char *dir, size_t size)
{
	char *slash;

	snprintf(dir, size, "%s", name);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, size, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
}

/* Check a TAP: it exists and is a TAP (not a TUN, not another kind). */
static int check_tap(const char *name, char *err, size_t errlen)
{
	char path[64], buf[32];
	unsigned long flags;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	if (access(path, F_OK)) {
		snprintf(err, errlen, "tap:%s: no such interface (create it with: ip tuntap add %s mode tap)",
			 name, name);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
	/* The host's file, also when the preload shim parses the options. */
	fd = ulk_host_open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "tap:%s: not a TAP interface", name);
		return -EINVAL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		flags = strtoul(buf, NULL, 16);
		if (!(flags & IFF_TAP_FLAG)) {
			snprintf(err, errlen, "tap:%s: a TUN interface, not a TAP (create one with: ip tuntap add NAME mode tap)",
				 name);
			return -EINVAL;
		}
	}
	return 0;
}

/* Check a pipe: the directory its sockets go in exists and is writable. */
static int check_pipe(const struct ulk_run_dev *d, char *err, size_t errlen)
{
	char dir[sizeof(d->name)], desc[sizeof(d->name) + 16];
	struct stat st;

	dir_of(d->name, dir, sizeof(dir));
	dev_desc(d, desc, sizeof(desc));
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: directory %s does not exist", desc, dir);
		return -ENOENT;
	}
	if (access(dir, W_OK | X_OK)) {
		snprintf(err, errlen, "%s: directory %s is not writable", desc, dir);
		return -EACCES;
	}
	return 0;
}

/*
 * Check a stream: a socket to connect to is there and writable (connect()
 * needs write permission on it); a path to listen on has a writable
 * directory and no other kind of file in the way. Nothing is connected to
 * or bound: a listening peer would take the check for its one peer.
 */
static int check_stream(const struct ulk_run_dev *d, char *err, size_t errlen)
{
	char dir[sizeof(d->name)], desc[sizeof(d->name) + 16];
	struct stat st;

	dev_desc(d, desc, sizeof(desc));
	if (!d->stream_listen) {
		if (stat(d->name, &st)) {
			snprintf(err, errlen, "%s: no socket at %s (start the listening end first: QEMU with server=on, or ulk-run --net stream-listen:%s)",
				 desc, d->name, d->name);
			return -ENOENT;
		}
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s: %s is not a socket", desc, d->name);
			return -ENOTSOCK;
		}
		if (access(d->name, W_OK)) {
			snprintf(err, errlen, "%s: no permission to connect to %s", desc, d->name);
			return -EACCES;
		}
		return 0;
	}
	dir_of(d->name, dir, sizeof(dir));
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: directory %s does not exist", desc, dir);
		return -ENOENT;
	}
	if (access(dir, W_OK | X_OK)) {
		snprintf(err, errlen, "%s: directory %s is not writable", desc, dir);
		return -EACCES;
	}
	if (!lstat(d->name, &st) && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s: %s exists and is not a socket", desc, d->name);
		return -EEXIST;
	}
	return 0;
}

/**
 * ulk_run_check_devices() - check that each device can be reached here.
 * @cfg: parsed settings.
 * @err: receives a message naming the device and what is wrong.
 * @errlen: size of @err.
 *
 * Return: 0; -ENODEV for a missing TAP; -EINVAL for an interface that is
 * not a TAP; -ENOENT or -EACCES for a pipe directory that is missing or
 * not writable; for a stream, -ENOENT (no socket to connect to, or no
 * directory to listen in), -ENOTSOCK (not a socket), -EACCES, -EEXIST (a
 * file other than a socket where the listening socket goes).
 */
int ulk_run_check_devices(const struct ulk_run_config *cfg, char *err,
			  size_t errlen)
{
	int i, ret;

	for (i = 0; i < cfg->n_devs; i++) {
		const struct ulk_run_dev *d = &cfg->devs[i];

		if (d->kind == ULK_RUN_DEV_TAP)
			ret = check_tap(d->name, err, errlen);
		else if (d->kind == ULK_RUN_DEV_STREAM)
			ret = check_stream(d, err, errlen);
		else
			ret = check_pipe(d, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}
