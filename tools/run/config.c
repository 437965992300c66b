// SPDX-License-Identifier: GPL-2.0
/*
 * ulk-run --config FILE: JSON settings to options (format in config.h).
 *
 * The file is read whole and parsed with json-c; the settings are then
 * walked in a fixed order (devices, gateways, sysctls, memory, pin, verbose)
 * whatever the order of the keys, so a file always expands the same way.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"

#define CONFIG_MAX_SIZE	(1 << 20)

struct loader {
	const char *path;
	struct ulk_run_argv *out;
	char *err;
	size_t errlen;
};

/**
 * ulk_run_argv_add() - append a copy of @s to @a.
 * @a: the list; zero-initialized before first use.
 * @s: the string.
 *
 * Return: 0, or -ENOMEM.
 */
int ulk_run_argv_add(struct ulk_run_argv *a, const char *s)
{
	char **v;
	int cap;

	if (a->n + 2 > a->cap) {
		cap = a->cap ? a->cap * 2 : 16;
		v = realloc(a->v, (size_t)cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n] = strdup(s);
	if (!a->v[a->n])
		return -ENOMEM;
	a->v[++a->n] = NULL;
	return 0;
}

/**
 * ulk_run_argv_free() - free every string of @a and the list itself.
 * @a: the list; left empty, ready for reuse.
 */
void ulk_run_argv_free(struct ulk_run_argv *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

static __attribute__((format(printf, 2, 3)))
int fail(struct loader *l, const char *fmt, ...)
{
	int n = snprintf(l->err, l->errlen, "%s: ", l->path);
	va_list ap;

	if (n >= 0 && (size_t)n < l->errlen) {
		va_start(ap, fmt);
		vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int wrong_type(struct loader *l, const char *key, const char *want,
		      struct json_object *o)
{
	return fail(l, "\"%s\": expected %s, got %s", key, want,
		    json_type_to_name(json_object_get_type(o)));
}

static int add_opt(struct loader *l, const char *opt, const char *value)
{
	if (ulk_run_argv_add(l->out, opt) || ulk_run_argv_add(l->out, value)) {
		snprintf(l->err, l->errlen, "%s: out of memory", l->path);
		return -ENOMEM;
	}
	return 0;
}

static int add_string(struct loader *l, const char *key, const char *opt,
		      struct json_object *o)
{
	if (!json_object_is_type(o, json_type_string))
		return wrong_type(l, key, "a string", o);
	return add_opt(l, opt, json_object_get_string(o));
}

/* A string or an integer, as text. */
static int add_scalar(struct loader *l, const char *key, const char *opt,
		      const char *prefix, struct json_object *o)
{
	char buf[512];

	if (json_object_is_type(o, json_type_int))
		snprintf(buf, sizeof(buf), "%s%lld", prefix,
			 (long long)json_object_get_int64(o));
	else if (json_object_is_type(o, json_type_string))
		snprintf(buf, sizeof(buf), "%s%s", prefix,
			 json_object_get_string(o));
	else
		return wrong_type(l, key, "a string or an integer", o);
	return add_opt(l, opt, buf);
}

/* A string, or an array of strings: one option each. */
static int add_strings(struct loader *l, const char *key, const char *opt,
		       struct json_object *o)
{
	char elem[96];
	size_t i;
	int ret;

	if (!json_object_is_type(o, json_type_array))
		return json_object_is_type(o, json_type_string) ?
		       add_opt(l, opt, json_object_get_string(o)) :
		       wrong_type(l, key, "a string or an array of strings", o);
	for (i = 0; i < json_object_array_length(o); i++) {
		snprintf(elem, sizeof(elem), "%s[%zu]", key, i);
		ret = add_string(l, elem, opt, json_object_array_get_idx(o, i));
		if (ret)
			return ret;
	}
	return 0;
}

/* "offload": a string, or an array of names joined with ','. */
static int add_offload(struct loader *l, const char *key,
		       struct json_object *o)
{
	char list[256] = "", elem[96];
	struct json_object *e;
	size_t i;

	if (!json_object_is_type(o, json_type_array))
		return add_string(l, key, "--offload", o);
	for (i = 0; i < json_object_array_length(o); i++) {
		e = json_object_array_get_idx(o, i);
		snprintf(elem, sizeof(elem), "%s[%zu]", key, i);
		if (!json_object_is_type(e, json_type_string))
			return wrong_type(l, elem, "a string", e);
		if (strlen(list) + strlen(json_object_get_string(e)) + 2 >
		    sizeof(list))
			return fail(l, "\"%s\": too long", key);
		if (i)
			strcat(list, ",");
		strcat(list, json_object_get_string(e));
	}
	if (!*list)
		return fail(l, "\"%s\": empty list (use \"none\" for no offloads)",
			    key);
	return add_opt(l, "--offload", list);
}

static int add_dev(struct loader *l, size_t idx, struct json_object *dev)
{
	static const char *const keys[] = {
		"dev", "ip", "ip6", "mtu", "mac", "offload", NULL
	};
	char key[64], base[32];
	struct json_object *v;
	int i, ret = 0;

	snprintf(base, sizeof(base), "net[%zu]", idx);
	if (!json_object_is_type(dev, json_type_object))
		return wrong_type(l, base, "an object", dev);
	json_object_object_foreach(dev, name, val) {
		(void)val;
		for (i = 0; keys[i] && strcmp(keys[i], name); i++)
			;
		if (!keys[i])
			return fail(l, "\"%s\": unknown key \"%s\" (known: dev, ip, ip6, mtu, mac, offload)",
				    base, name);
	}
	if (!json_object_object_get_ex(dev, "dev", &v))
		return fail(l, "\"%s\": no \"dev\" (tap:IFNAME, pipe:PATH, stream:PATH or stream-listen:PATH)", base);
	for (i = 0; keys[i] && !ret; i++) {
		if (!json_object_object_get_ex(dev, keys[i], &v))
			continue;
		snprintf(key, sizeof(key), "%s.%s", base, keys[i]);
		if (!strcmp(keys[i], "dev"))
			ret = add_string(l, key, "--net", v);
		else if (!strcmp(keys[i], "ip"))
			ret = add_strings(l, key, "--ip", v);
		else if (!strcmp(keys[i], "ip6"))
			ret = add_strings(l, key, "--ip6", v);
		else if (!strcmp(keys[i], "mtu"))
			ret = json_object_is_type(v, json_type_int) ?
			      add_scalar(l, key, "--mtu", "", v) :
			      wrong_type(l, key, "an integer", v);
		else if (!strcmp(keys[i], "mac"))
			ret = add_string(l, key, "--mac", v);
		else
			ret = add_offload(l, key, v);
	}
	return ret;
}

static int add_settings(struct loader *l, struct json_object *top)
{
	static const char *const keys[] = {
		"net", "gw", "gw6", "dns", "sysctl", "mem", "pin", "name", "ctl",
		"pcap", "verbose", NULL
	};
	struct json_object *v;
	char key[160];
	size_t i;
	int k, ret;

	if (!json_object_is_type(top, json_type_object))
		return fail(l, "expected a JSON object at the top, got %s",
			    json_type_to_name(json_object_get_type(top)));
	json_object_object_foreach(top, name, val) {
		(void)val;
		for (k = 0; keys[k] && strcmp(keys[k], name); k++)
			;
		if (!keys[k])
			return fail(l, "unknown key \"%s\" (known: net, gw, gw6, dns, sysctl, mem, pin, name, ctl, pcap, verbose)",
				    name);
	}
	if (json_object_object_get_ex(top, "net", &v)) {
		if (!json_object_is_type(v, json_type_array))
			return wrong_type(l, "net", "an array of objects", v);
		for (i = 0; i < json_object_array_length(v); i++) {
			ret = add_dev(l, i, json_object_array_get_idx(v, i));
			if (ret)
				return ret;
		}
	}
	if (json_object_object_get_ex(top, "gw", &v) &&
	    (ret = add_string(l, "gw", "--gw", v)))
		return ret;
	if (json_object_object_get_ex(top, "gw6", &v) &&
	    (ret = add_string(l, "gw6", "--gw6", v)))
		return ret;
	if (json_object_object_get_ex(top, "dns", &v) &&
	    (ret = add_strings(l, "dns", "--dns", v)))
		return ret;
	if (json_object_object_get_ex(top, "sysctl", &v)) {
		if (!json_object_is_type(v, json_type_object))
			return wrong_type(l, "sysctl", "an object of NAME: VALUE", v);
		json_object_object_foreach(v, name, val) {
			char prefix[140];

			snprintf(key, sizeof(key), "sysctl.%s", name);
			/* NAME=VALUE is split at the first '=': keep it ours. */
			if (strchr(name, '='))
				return fail(l, "\"%s\": '=' in a sysctl name", key);
			snprintf(prefix, sizeof(prefix), "%s=", name);
			ret = add_scalar(l, key, "--sysctl", prefix, val);
			if (ret)
				return ret;
		}
	}
	if (json_object_object_get_ex(top, "mem", &v) &&
	    (ret = add_scalar(l, "mem", "--mem", "", v)))
		return ret;
	if (json_object_object_get_ex(top, "pin", &v) &&
	    (ret = add_scalar(l, "pin", "--pin", "", v)))
		return ret;
	if (json_object_object_get_ex(top, "name", &v) &&
	    (ret = add_string(l, "name", "--name", v)))
		return ret;
	if (json_object_object_get_ex(top, "ctl", &v) &&
	    (ret = add_string(l, "ctl", "--ctl", v)))
		return ret;
	if (json_object_object_get_ex(top, "pcap", &v) &&
	    (ret = add_string(l, "pcap", "--pcap", v)))
		return ret;
	if (json_object_object_get_ex(top, "verbose", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return wrong_type(l, "verbose", "true or false", v);
		if (json_object_get_boolean(v) &&
		    ulk_run_argv_add(l->out, "--verbose")) {
			snprintf(l->err, l->errlen, "%s: out of memory", l->path);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Read @path whole into a NUL-terminated buffer; Return: 0 or -errno. */
static int read_file(struct loader *l, char **buf, size_t *len)
{
	FILE *f = fopen(l->path, "r");
	size_t n;
	int err;

	if (!f) {
		err = errno;
		snprintf(l->err, l->errlen, "%s: %s", l->path, strerror(err));
		return -err;
	}
	*buf = malloc(CONFIG_MAX_SIZE + 1);
	if (!*buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(*buf, 1, CONFIG_MAX_SIZE + 1, f);
	err = ferror(f) ? errno : 0;
	fclose(f);
	if (err || n > CONFIG_MAX_SIZE) {
		free(*buf);
		if (!err)
			return fail(l, "larger than %d bytes", CONFIG_MAX_SIZE);
		snprintf(l->err, l->errlen, "%s: %s", l->path, strerror(err));
		return -err;
	}
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}

/* Line number of byte @off of @buf, from 1. */
static int line_of(const char *buf, size_t off)
{
	int line = 1;
	size_t i;

	for (i = 0; i < off && buf[i]; i++)
		line += buf[i] == '\n';
	return line;
}

/**
 * ulk_run_config_parse() - turn JSON settings held in memory into options.
 * @buf: the text, with a NUL at @buf[@len] (it may hold others before).
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
			 struct ulk_run_argv *out, char *err, size_t errlen)
{
	struct loader l = { name, out, err, errlen };
	struct json_tokener *tok;
	struct json_object *top;
	enum json_tokener_error jerr;
	size_t end;
	int ret;

	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	/* The NUL included, so that a value at the very end is complete. */
	top = json_tokener_parse_ex(tok, buf, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/*
	 * A value ended by the end of the text ("0//", a comment running to
	 * the end) has consumed the NUL too: what follows it is not ours.
	 */
	if (end > len)
		end = len;
	if (jerr == json_tokener_continue)
		ret = fail(&l, "invalid JSON: unexpected end of file");
	else if (jerr != json_tokener_success)
		ret = fail(&l, "invalid JSON at line %d: %s", line_of(buf, end),
			   json_tokener_error_desc(jerr));
	else if (buf[end + strspn(buf + end, " \t\r\n")])
		ret = fail(&l, "invalid JSON at line %d: text after the end of the object",
			   line_of(buf, end));
	else
		ret = add_settings(&l, top);
	json_object_put(top);
	json_tokener_free(tok);
	return ret;
}

/**
 * ulk_run_config_load() - read a JSON settings file and append the options
 * it stands for to @out.
 * @path: the file.
 * @out: the list to append "--opt", "value" strings to.
 * @err: receives a one-line message, starting with @path, on failure.
 * @errlen: size of @err.
 *
 * Return: 0; a negative errno if the file cannot be read; -EINVAL for
 * invalid JSON, an unknown key or a wrong type; -ENOMEM.
 */
int ulk_run_config_load(const char *path, struct ulk_run_argv *out,
			char *err, size_t errlen)
{
	struct loader l = { path, out, err, errlen };
	size_t len = 0;
	char *buf = NULL;
	int ret;

	ret = read_file(&l, &buf, &len);
	if (ret)
		return ret;
	ret = ulk_run_config_parse(buf, len, path, out, err, errlen);
	free(buf);
	return ret;
}
