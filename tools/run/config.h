/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ulk-run --config FILE: settings in JSON, turned into the options they
 * stand for, which ulk-run puts where --config was and then parses with
 * the rest (so they are validated exactly as command-line options are,
 * and later options add to them).
 *
 * Every key is optional; each maps to options as shown:
 *
 *   {
 *     "net": [                              one object per device, in order
 *       {
 *         "dev": "tap:tap0",                --net tap:tap0 (required)
 *         "ip": ["10.0.0.2/24"],            --ip, each (a string or an array)
 *         "ip6": "fd00::2/64",              --ip6, each (a string or an array)
 *         "mtu": 1500,                      --mtu (an integer)
 *         "mac": "02:00:00:00:00:01",       --mac
 *         "offload": "none"                 --offload (a string, or an
 *       }                                    array of names)
 *     ],
 *     "gw": "10.0.0.1",                     --gw
 *     "gw6": "fd00::1",                     --gw6
 *     "dns": ["10.0.0.1"],                  --dns (a string or an array)
 *     "sysctl": {                           --sysctl NAME=VALUE, each
 *       "net.ipv4.tcp_congestion_control": "bbr",
 *       "net.core.somaxconn": 4096          (a string or an integer)
 *     },
 *     "mem": "256M",                        --mem (a string, or bytes)
 *     "verbose": true                       --verbose if true
 *   }
 *
 * An unknown key or a value of the wrong type is an error naming the file,
 * the key ("net[0].mtu") and what was expected.
 */
#ifndef ULK_TOOLS_RUN_CONFIG_H
#define ULK_TOOLS_RUN_CONFIG_H

#include <stddef.h>

/**
 * struct ulk_run_argv - a growing list of strings, NULL-terminated.
 * @v: the strings (owned), @v[@n] is NULL once one was added.
 * @n: how many.
 * @cap: allocated slots.
 */
struct ulk_run_argv {
	char **v;
	int n;
	int cap;
};

/**
 * ulk_run_argv_add() - append a copy of @s to @a.
 * @a: the list; zero-initialized before first use.
 * @s: the string.
 *
 * Return: 0, or -ENOMEM.
 */
int ulk_run_argv_add(struct ulk_run_argv *a, const char *s);

/**
 * ulk_run_argv_free() - free every string of @a and the list itself.
 * @a: the list; left empty, ready for reuse.
 */
void ulk_run_argv_free(struct ulk_run_argv *a);

/**
 * ulk_run_config_load() - read a JSON settings file (format above) and
 * append the options it stands for to @out.
 * @path: the file.
 * @out: the list to append "--opt", "value" strings to.
 * @err: receives a one-line message, starting with @path, on failure.
 * @errlen: size of @err.
 *
 * Only the form is checked here (keys, JSON types); ulk_run_parse()
 * validates the values.
 * Return: 0; a negative errno if the file cannot be read; -EINVAL for
 * invalid JSON, an unknown key or a wrong type; -ENOMEM.
 */
int ulk_run_config_load(const char *path, struct ulk_run_argv *out,
			char *err, size_t errlen);

/**
 * ulk_run_config_parse() - the same, for settings already in memory (what
 * ulk_run_config_load() does once it has read the file; the fuzz target
 * tests/fuzz/fuzz_config.c calls it directly).
 * @buf: the JSON text, with a NUL at @buf[@len].
 * @len: its length.
 * @name: what to call it in messages (the file's path).
 * @out: the list to append "--opt", "value" strings to.
 * @err: receives a one-line message, starting with @name, on failure.
 * @errlen: size of @err.
 *
 * Return: 0; -EINVAL for invalid JSON, an unknown key or a wrong type;
 * -ENOMEM.
 */
int ulk_run_config_parse(const char *buf, size_t len, const char *name,
			 struct ulk_run_argv *out, char *err, size_t errlen);

#endif /* ULK_TOOLS_RUN_CONFIG_H */
