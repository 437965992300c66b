/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ulk-run's settings: one model, one parser, shared by the ulk-run command
 * (which validates them before the program starts) and by the preload shim
 * (which applies them when it boots ulk inside the program).
 *
 * The settings travel from ulk-run to the shim in the environment variable
 * ULK_RUN_OPTS as the canonical option list (the command line's options,
 * with a --config file's settings expanded in place), each option and its
 * value separated by ULK_RUN_OPTS_SEP. Both ends parse that list with
 * ulk_run_parse(), so there is exactly one grammar.
 *
 * Options (per-device ones apply to the latest --net):
 *   --net tap:IFNAME | pipe:PATH[:a|:b] | stream:PATH | stream-listen:PATH
 *                                            a device (repeatable)
 *   --ip ADDR/PREFIX, --ip6 ADDR/PREFIX      addresses of the device
 *   --mtu N, --mac XX:XX:XX:XX:XX:XX          of the device
 *   --offload LIST|none|all                  comma list of offload names
 *   --gw ADDR, --gw6 ADDR                    default routes
 *   --dns ADDR                               name server reached through
 *                                            ulk (repeatable, at most 3)
 *   --sysctl NAME=VALUE                      repeatable
 *   --mem SIZE                               kernel memory, K/M/G suffix
 *   --pin CPULIST                            CPUs for ulk's own threads
 *   --name NAME                              the instance's name (ulkctl)
 *   --ctl PATH|none                          its control socket
 *   --pcap FILE                              capture every frame from boot
 *   --verbose                                kernel log and shim notes
 *   --config FILE                            ulk-run only: JSON settings
 *   --preload LIB.so                         ulk-run only: extra preload
 *   --help                                   ulk-run only
 */
#ifndef ULK_TOOLS_RUN_OPTIONS_H
#define ULK_TOOLS_RUN_OPTIONS_H

#include <stddef.h>

#define ULK_RUN_MAX_DEVS	16
#define ULK_RUN_MAX_ADDRS	8
#define ULK_RUN_MAX_SYSCTLS	64
#define ULK_RUN_MAX_DNS		3
#define ULK_RUN_OPTS_ENV	"ULK_RUN_OPTS"
#define ULK_RUN_PID_ENV		"ULK_RUN_PID"	/* see tools/preload/boot.c */
#define ULK_RUN_MAIN_ENV	"ULK_RUN_MAIN"	/* see tools/preload/boot.c */
#define ULK_RUN_OPTS_SEP	'\x1f'
/* A control socket to attach to instead of booting (ulkctl NAME -- CMD). */
#define ULK_ATTACH_ENV		"ULK_ATTACH"

enum ulk_run_dev_kind {
	ULK_RUN_DEV_TAP,
	ULK_RUN_DEV_PIPE,
	ULK_RUN_DEV_STREAM,
	ULK_RUN_DEV_KIND_COUNT
};

/**
 * struct ulk_run_dev - one --net device and its settings.
 * @kind: TAP, pipe or stream.
 * @name: TAP interface name, the pipe's path prefix, or the stream's
 *	socket path.
 * @pipe_role: pipe only: 0 for end "a" (the default), 1 for end "b"
 *	(ULK_NETDEV_PIPE_A/B).
 * @stream_listen: stream only: 1 to listen on @name (stream-listen:),
 *	0 to connect to it (stream:).
 * @ip: IPv4 addresses as given ("ADDR/PREFIX"), validated.
 * @n_ip: how many in @ip.
 * @ip6: IPv6 addresses as given, validated.
 * @n_ip6: how many in @ip6.
 * @mtu: 0 for the default, else 68..65535.
 * @mac: the Ethernet address when @has_mac.
 * @has_mac: whether --mac was given.
 * @offloads: ULK_NETDEV_OFFLOAD_* bits (ULK_NETDEV_OFFLOAD_NONE for
 *	"none"), or 0 for the default (all).
 */
struct ulk_run_dev {
	enum ulk_run_dev_kind kind;
	char name[108];
	int pipe_role;
	int stream_listen;
	char ip[ULK_RUN_MAX_ADDRS][64];
	int n_ip;
	char ip6[ULK_RUN_MAX_ADDRS][64];
	int n_ip6;
	unsigned int mtu;
	unsigned char mac[6];
	int has_mac;
	unsigned int offloads;
};

/**
 * struct ulk_run_sysctl - one --sysctl setting.
 * @name: dotted name, e.g. "net.ipv4.tcp_congestion_control".
 * @value: the value to write.
 */
struct ulk_run_sysctl {
	char name[128];
	char value[128];
};

/**
 * struct ulk_run_config - everything ulk-run and the shim are told.
 * @devs: devices in --net order.
 * @n_devs: how many.
 * @gw: IPv4 default gateway, "" for none.
 * @gw6: IPv6 default gateway, "" for none.
 * @dns: name servers (IPv4 or IPv6 addresses) for the shim's resolver;
 *	none means those of /etc/resolv.conf.
 * @n_dns: how many.
 * @sysctls: sysctls in the order given.
 * @n_sysctls: how many.
 * @mem: kernel memory in bytes, 0 for the default.
 * @pin: --pin CPU list for ulk's own threads, "" for none.
 * @name: --name, "" for the default (program name and pid).
 * @ctl: --ctl: "" for the default place, "none", or a socket path.
 * @pcap: --pcap FILE (absolute, made so by ulk-run), "" for none.
 * @verbose: --verbose given.
 * @help: --help given (ulk-run prints usage and exits 0).
 * @config: --config FILE path, "" if none (ulk-run expands it).
 * @preloads: --preload libraries, ':'-separated, "" if none.
 */
struct ulk_run_config {
	struct ulk_run_dev devs[ULK_RUN_MAX_DEVS];
	int n_devs;
	char gw[64];
	char gw6[64];
	char dns[ULK_RUN_MAX_DNS][64];
	int n_dns;
	struct ulk_run_sysctl sysctls[ULK_RUN_MAX_SYSCTLS];
	int n_sysctls;
	unsigned long mem;
	char pin[256];
	char name[64];
	char ctl[108];
	char pcap[4096];
	int verbose;
	int help;
	char config[4096];
	char preloads[4096];
};

/**
 * ulk_run_parse() - parse options into @cfg, validating every value.
 * @cfg: filled in; zeroed first.
 * @argc: number of strings in @argv.
 * @argv: the options (no program name); parsing stops after "--" or at the
 *	first string that is not an option.
 * @used: set to the number of strings consumed, "--" included; on
 *	failure, to the index of the option that failed.
 * @err: receives a one-line message naming the bad option on failure.
 * @errlen: size of @err.
 *
 * Syntax only, plus what can be checked without the machine (address
 * forms, ranges, names); see ulk_run_check_devices() for the rest.
 * Return: 0, or -EINVAL with @err set.
 */
int ulk_run_parse(struct ulk_run_config *cfg, int argc, char **argv,
		  int *used, char *err, size_t errlen);

/**
 * ulk_run_parse_env() - parse the ULK_RUN_OPTS list (see top of file).
 * @cfg: filled in.
 * @opts: the variable's value (may be "" for no options).
 * @err: as for ulk_run_parse().
 * @errlen: size of @err.
 *
 * Return: 0, or -EINVAL with @err set; -ENOMEM.
 */
int ulk_run_parse_env(struct ulk_run_config *cfg, const char *opts,
		      char *err, size_t errlen);

/**
 * ulk_run_option_takes_value() - how an option string is consumed, for
 * walking an option list without parsing it (ulk-run expands --config in
 * place before it parses the whole list).
 * @arg: an option as written: "--ip", "--ip=10.0.0.2/24", "--verbose".
 *
 * Return: 1 if @arg is a known option whose value is the next string; 0 if
 * it is a flag or carries its value after '='; -ENOENT if it is unknown.
 */
int ulk_run_option_takes_value(const char *arg);

/**
 * ulk_run_check_devices() - check that each device can be reached on this
 * machine: a TAP interface exists and is a TAP; a pipe path's directory
 * exists and is writable; a stream socket to connect to exists and is a
 * socket we may write to (nothing connects to it: its listener would take
 * the check for its one peer); a stream socket to listen on has a
 * writable directory and no file other than a socket in its place.
 * @cfg: parsed settings.
 * @err: receives a message naming the device and what is wrong.
 * @errlen: size of @err.
 *
 * Return: 0, or a negative errno with @err set.
 */
int ulk_run_check_devices(const struct ulk_run_config *cfg, char *err,
			  size_t errlen);

#endif /* ULK_TOOLS_RUN_OPTIONS_H */
