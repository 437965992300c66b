// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: ulk-run's option parser (tools/run/options.c), shared by
 * ulk-run (its command line) and the preload shim (the ULK_RUN_OPTS
 * variable it finds in the program's environment, which the program or
 * its parent may have set to anything).
 *
 * The first input byte picks the form, the rest is the text:
 *  - even: an argument vector, the strings separated by NUL bytes, given
 *    to ulk_run_parse() as ulk-run's main() does, and each string to
 *    ulk_run_option_takes_value() as ulk-run's --config expansion does;
 *  - odd: the ULK_RUN_OPTS value (NUL-terminated at the first NUL), given
 *    to ulk_run_parse_env() as the shim does.
 * Checked: the count of strings consumed stays within the vector, a
 * failure says why, a success stays within every table's bounds and every
 * stored string is terminated; and the options a command line gave, sent
 * on as ULK_RUN_OPTS (joined with its separator, as ulk-run sends them),
 * give the shim the very same settings.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "options.h"

#define MAX_ARGS	256

static void check_cfg(const struct ulk_run_config *cfg)
{
	int i, k;

	fuzz_check(cfg->n_devs >= 0 && cfg->n_devs <= ULK_RUN_MAX_DEVS);
	fuzz_check(cfg->n_sysctls >= 0 &&
		   cfg->n_sysctls <= ULK_RUN_MAX_SYSCTLS);
	fuzz_check(cfg->n_dns >= 0 && cfg->n_dns <= ULK_RUN_MAX_DNS);
	for (i = 0; i < cfg->n_devs; i++) {
		const struct ulk_run_dev *d = &cfg->devs[i];

		fuzz_check(memchr(d->name, '\0', sizeof(d->name)) &&
			   d->name[0]);
		fuzz_check(d->n_ip >= 0 && d->n_ip <= ULK_RUN_MAX_ADDRS);
		fuzz_check(d->n_ip6 >= 0 && d->n_ip6 <= ULK_RUN_MAX_ADDRS);
		fuzz_check(!d->mtu || (d->mtu >= 68 && d->mtu <= 65535));
		for (k = 0; k < d->n_ip; k++)
			fuzz_check(memchr(d->ip[k], '\0', sizeof(d->ip[k])));
		for (k = 0; k < d->n_ip6; k++)
			fuzz_check(memchr(d->ip6[k], '\0', sizeof(d->ip6[k])));
	}
	for (i = 0; i < cfg->n_sysctls; i++) {
		fuzz_check(memchr(cfg->sysctls[i].name, '\0',
				  sizeof(cfg->sysctls[i].name)));
		fuzz_check(memchr(cfg->sysctls[i].value, '\0',
				  sizeof(cfg->sysctls[i].value)));
	}
	fuzz_check(!cfg->mem || (cfg->mem >= (16UL << 20) &&
				 cfg->mem <= (64UL << 30)));
	fuzz_check(memchr(cfg->pin, '\0', sizeof(cfg->pin)));
	fuzz_check(memchr(cfg->config, '\0', sizeof(cfg->config)));
	fuzz_check(memchr(cfg->preloads, '\0', sizeof(cfg->preloads)));
}

/* The shim, given @argv[0..@n) as ULK_RUN_OPTS, must see @cfg. */
static void check_travel(char **argv, int n, const struct ulk_run_config *cfg)
{
	static struct ulk_run_config got;
	size_t len = 1;
	char err[512], *env, *p;
	int i;

	/* "--" ends the list, or is a value: ulk-run sends neither form. */
	for (i = 0; i < n; i++) {
		if (!strcmp(argv[i], "--"))
			return;
		len += strlen(argv[i]) + 1;
	}
	env = malloc(len);
	fuzz_check(env);
	for (p = env, i = 0; i < n; i++) {
		if (i)
			*p++ = ULK_RUN_OPTS_SEP;
		p = stpcpy(p, argv[i]);
	}
	*p = '\0';
	fuzz_check(ulk_run_parse_env(&got, env, err, sizeof(err)) == 0);
	fuzz_check(!memcmp(&got, cfg, sizeof(got)));
	free(env);
}

static void run_argv(char *text, size_t len)
{
	static struct ulk_run_config cfg;
	char *argv[MAX_ARGS + 1], err[512];
	int argc = 0, used = -1, ret, i;
	size_t pos = 0;

	/* text[len] is a NUL: every string ends. */
	while (pos < len && argc < MAX_ARGS) {
		argv[argc++] = text + pos;
		pos += strlen(text + pos) + 1;
	}
	argv[argc] = NULL;
	for (i = 0; i < argc; i++) {
		ret = ulk_run_option_takes_value(argv[i]);
		fuzz_check(ret == 0 || ret == 1 || ret == -ENOENT);
	}
	err[0] = '\0';
	ret = ulk_run_parse(&cfg, argc, argv, &used, err, sizeof(err));
	fuzz_check(used >= 0 && used <= argc);
	if (ret) {
		fuzz_check(ret == -EINVAL && err[0]);
		fuzz_check(memchr(err, '\0', sizeof(err)));
	} else {
		check_cfg(&cfg);
		check_travel(argv, used, &cfg);
	}
}

static void run_env(const char *text)
{
	static struct ulk_run_config cfg;
	char err[512];
	int ret;

	err[0] = '\0';
	ret = ulk_run_parse_env(&cfg, text, err, sizeof(err));
	if (ret)
		fuzz_check((ret == -EINVAL && err[0]) || ret == -ENOMEM);
	else
		check_cfg(&cfg);
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
	char *text;

	if (!size || size > 65536)
		return 0;
	text = malloc(size);
	fuzz_check(text);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] & 1)
		run_env(text);
	else
		run_argv(text, size - 1);
	free(text);
	return 0;
}
