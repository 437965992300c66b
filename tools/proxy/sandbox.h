/* SPDX-License-Identifier: GPL-2.0 */
/* ulk-proxy's sandbox (sandbox.c). */
#ifndef ULK_TOOLS_PROXY_SANDBOX_H
#define ULK_TOOLS_PROXY_SANDBOX_H

#include <stddef.h>

int proxy_sandbox(char *err, size_t errlen);

#endif /* ULK_TOOLS_PROXY_SANDBOX_H */
