// SPDX-License-Identifier: GPL-2.0
/* ulk_strerror(): Linux errno values, including kernel-internal ones. */
#define _GNU_SOURCE
#include <string.h>

#include <ulk/ulk.h>

/* Codes the kernel uses internally (include/linux/errno.h), 512 and up. */
static const char *const internal[] = {
	[512 - 512] = "Restart system call (ERESTARTSYS)",
	[513 - 512] = "Restart system call (ERESTARTNOINTR)",
	[514 - 512] = "Restart if no handler (ERESTARTNOHAND)",
	[515 - 512] = "No ioctl command (ENOIOCTLCMD)",
	[516 - 512] = "Restart by calling restart_syscall (ERESTART_RESTARTBLOCK)",
	[517 - 512] = "Driver requests probe retry (EPROBE_DEFER)",
	[518 - 512] = "Open found a stale dentry (EOPENSTALE)",
	[519 - 512] = "Parameter not supported (ENOPARAM)",
	[521 - 512] = "Illegal NFS file handle (EBADHANDLE)",
	[522 - 512] = "Update synchronization mismatch (ENOTSYNC)",
	[523 - 512] = "Cookie is stale (EBADCOOKIE)",
	[524 - 512] = "Operation is not supported (ENOTSUPP)",
	[525 - 512] = "Buffer or request is too small (ETOOSMALL)",
	[526 - 512] = "An untranslatable error occurred (ESERVERFAULT)",
	[527 - 512] = "Type not supported by server (EBADTYPE)",
	[528 - 512] = "Request initiated, but will not complete (EJUKEBOX)",
	[529 - 512] = "iocb queued, will get completion event (EIOCBQUEUED)",
	[530 - 512] = "Conflict with recalled state (ERECALLCONFLICT)",
	[531 - 512] = "No grace period (ENOGRACE)",
};

const char *ulk_strerror(int err)
{
	const char *s;

	if (err < 0)
		err = -err;
	if (err == 0)
		return "Success";
	if (err >= 512 && err < 512 + (int)(sizeof(internal) / sizeof(*internal)) &&
	    internal[err - 512])
		return internal[err - 512];
	/* Linux's user-visible errno numbers are glibc's on Linux. */
	s = strerrordesc_np(err);
	return s ? s : "Unknown error";
}
