/* SPDX-License-Identifier: GPL-2.0 */
/* Keeping a program's sockets from bypassing ulk (confine.c). */
#ifndef ULK_TOOLS_RUN_CONFINE_H
#define ULK_TOOLS_RUN_CONFINE_H

#include <stddef.h>

enum ulk_binary {
	ULK_BINARY_DYNAMIC,
	ULK_BINARY_STATIC,
	ULK_BINARY_GO,
};

int ulk_run_confine(char *err, size_t errlen);
enum ulk_binary ulk_run_check_binary(const char *path);

#endif /* ULK_TOOLS_RUN_CONFINE_H */
