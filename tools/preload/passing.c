// SPDX-License-Identifier: GPL-2.0
/*
 * What cannot leave a process, refused clearly.
 *
 *  - A ulk socket passed to another process with SCM_RIGHTS: the receiver
 *    would get the socket's host shadow (fdtable.c), a unix socket that
 *    carries nothing of the connection, and no error anywhere. sendmsg()
 *    and sendmmsg() on a host socket whose SCM_RIGHTS names a ulk socket
 *    fail with EOPNOTSUPP, said once on stderr.
 *  - splice() and tee() with a ulk socket at either end: the host would
 *    splice the shadow's bytes. They fail with EINVAL (what Linux says for
 *    descriptors it cannot splice, so programs that try splice() first
 *    fall back to read and write), said once on stderr.
 *
 * On a ulk socket, sendmsg() and sendmmsg() are ulk's, as every other call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <ulk/ulk.h>

#include "shim.h"

/* Whether @msg's control data passes a ulk socket. */
static int passes_ulk(const struct msghdr *msg)
{
	const struct cmsghdr *c;
	size_t i, n;

	if (!msg || !msg->msg_control || msg->msg_controllen < sizeof(*c))
		return 0;
	for (c = CMSG_FIRSTHDR((struct msghdr *)msg); c;
	     c = CMSG_NXTHDR((struct msghdr *)msg, (struct cmsghdr *)c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++)
			if (shim_is_ulk(((const int *)CMSG_DATA(c))[i]))
				return 1;
	}
	return 0;
}

static int refuse_passing(void)
{
	static int said;

	if (!__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
		shim_say("ulk-run: a ulk socket cannot be passed to another process (SCM_RIGHTS): its sockets live in this process's ulk; refused (EOPNOTSUPP)");
	errno = EOPNOTSUPP;
	return -1;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct shim_ref ref;
	long args[6];

	switch (shim_get(fd, &ref)) {
	case 0:
		if (passes_ulk(msg))
			return refuse_passing();
		return NEXT("sendmsg", ssize_t (*)(int, const struct msghdr *,
						   int))(fd, msg, flags);
	case -1:
		return -1;
	}
	args[0] = ref.ufd;
	args[1] = (long)msg;
	args[2] = flags;
	args[3] = args[4] = args[5] = 0;
	return shim_finish(&ref, ulk_syscall(__ULK_NR_sendmsg, args));
}

int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	struct shim_ref ref;
	unsigned int i;
	long args[6];

	switch (shim_get(fd, &ref)) {
	case 0:
		for (i = 0; vec && i < vlen; i++)
			if (passes_ulk(&vec[i].msg_hdr))
				return refuse_passing();
		return NEXT("sendmmsg", int (*)(int, struct mmsghdr *,
						unsigned int, int))(fd, vec,
								    vlen, flags);
	case -1:
		return -1;
	}
	args[0] = ref.ufd;
	args[1] = (long)vec;
	args[2] = vlen;
	args[3] = flags;
	args[4] = args[5] = 0;
	return (int)shim_finish(&ref, ulk_syscall(__ULK_NR_sendmmsg, args));
}

static int refuse_splice(const char *call)
{
	static int said;

	if (!__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
		shim_say("ulk-run: %s() cannot move data of a ulk socket (the host kernel does not have it); refused (EINVAL): read and write instead",
			 call);
	errno = EINVAL;
	return -1;
}

ssize_t splice(int in, loff_t *off_in, int out, loff_t *off_out, size_t len,
	       unsigned int flags)
{
	if (shim_is_ulk(in) || shim_is_ulk(out))
		return refuse_splice("splice");
	return NEXT("splice", ssize_t (*)(int, loff_t *, int, loff_t *, size_t,
					  unsigned int))(in, off_in, out,
							 off_out, len, flags);
}

ssize_t tee(int in, int out, size_t len, unsigned int flags)
{
	if (shim_is_ulk(in) || shim_is_ulk(out))
		return refuse_splice("tee");
	return NEXT("tee", ssize_t (*)(int, int, size_t, unsigned int))(
		in, out, len, flags);
}
