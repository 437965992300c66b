/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#ifndef _UAPI_ASM_ULK_SIGCONTEXT_H
#define _UAPI_ASM_ULK_SIGCONTEXT_H

/* ulk never delivers signals to a user context; this is a placeholder. */
struct sigcontext {
	unsigned long sc_unused;
};

#endif
