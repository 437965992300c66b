// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: ulk-run's --config file (tools/run/config.c, json-c) and
 * what ulk-run does with its result, ulk_run_parse() (tools/run/options.c).
 *
 * The input is the file's content, any bytes (NULs included: a file may
 * hold them). ulk_run_config_parse() is what ulk_run_config_load() runs
 * once it has read the file; the options it produces are then parsed as
 * ulk-run parses them, after a "--config FILE" pair, so both the JSON walk
 * (keys, types, nesting, long names and values) and the validation of the
 * values it hands on are driven. Checked: a failure leaves a message
 * naming the file; a success gives a NULL-terminated list and, once
 * parsed, sysctls of exactly the names the file gives; nothing leaks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "fuzz.h"
#include "options.h"

#define NAME	"fuzz.json"

/* The file's "sysctl" names, in order, are those ulk-run will set. */
static void check_sysctls(const char *buf, size_t size,
			  const struct ulk_run_config *cfg)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *top, *sc;
	int i = 0;

	fuzz_check(tok);
	top = json_tokener_parse_ex(tok, buf, (int)size + 1);
	fuzz_check(top);
	if (json_object_object_get_ex(top, "sysctl", &sc)) {
		json_object_object_foreach(sc, name, val) {
			(void)val;
			fuzz_check(i < cfg->n_sysctls);
			fuzz_check(!strcmp(cfg->sysctls[i].name, name));
			i++;
		}
	}
	fuzz_check(i == cfg->n_sysctls);
	json_object_put(top);
	json_tokener_free(tok);
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
	static struct ulk_run_config cfg;
	struct ulk_run_argv opts = { 0 };
	char err[512], *buf;
	int ret, used, i;

	if (size > (1 << 20))
		return 0;	/* ulk_run_config_load() refuses larger files */
	buf = malloc(size + 1);
	fuzz_check(buf);
	memcpy(buf, data, size);
	buf[size] = '\0';
	fuzz_check(!ulk_run_argv_add(&opts, "--config"));
	fuzz_check(!ulk_run_argv_add(&opts, NAME));
	err[0] = '\0';
	ret = ulk_run_config_parse(buf, size, NAME, &opts, err, sizeof(err));
	if (ret) {
		free(buf);
		fuzz_check(ret == -EINVAL || ret == -ENOMEM);
		fuzz_check(!strncmp(err, NAME ": ", strlen(NAME) + 2));
		fuzz_check(memchr(err, '\0', sizeof(err)));
		ulk_run_argv_free(&opts);
		return 0;
	}
	fuzz_check(opts.n >= 2 && opts.v[opts.n] == NULL);
	for (i = 0; i < opts.n; i++)
		fuzz_check(opts.v[i] != NULL);
	used = -1;
	ret = ulk_run_parse(&cfg, opts.n, opts.v, &used, err, sizeof(err));
	fuzz_check(used >= 0 && used <= opts.n);
	if (!ret) {
		fuzz_check(!strcmp(cfg.config, NAME));
		fuzz_check(cfg.n_devs <= ULK_RUN_MAX_DEVS);
		fuzz_check(cfg.n_sysctls <= ULK_RUN_MAX_SYSCTLS);
		fuzz_check(cfg.n_dns <= ULK_RUN_MAX_DNS);
		check_sysctls(buf, size, &cfg);
	} else {
		fuzz_check(ret == -EINVAL && err[0]);
	}
	free(buf);
	ulk_run_argv_free(&opts);
	return 0;
}
