/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket's wire format: what a client (ulkctl, a program run
 * by `ulkctl NAME -- CMD`, anything that called ulk_attach()) and an
 * instance's control server (server.c) exchange over a unix stream socket.
 *
 * Every message is a header followed by @len bytes of body. All integers
 * are in the host's byte order: both ends run on the same machine (the
 * socket is a unix socket), and the system call structures inside bodies
 * are the host's ABI anyway.
 *
 *   client                                 server
 *   HELLO {version, session}         ->
 *                                    <-    WELCOME {version, session, pid,
 *                                                   started, name, program}
 *   CALL {nr, args[6], items...}     ->
 *   INTR (optional, any time)        ->
 *                                    <-    RESULT {ret, items...}
 *
 * A connection serves one client thread: its calls are made one at a time,
 * in order, by one server thread, which may block in ulk as the client's
 * own call would. Every connection of one client process belongs to one
 * session (the first HELLO gets a new session number, the others name it),
 * and the ulk descriptors a session creates are its own: a call on any
 * other descriptor fails with EBADF, and they are closed when the
 * session's last connection goes. INTR interrupts the connection's call in
 * progress as a signal would (or the next one, if it comes first); it is
 * what a signal handler running on the client thread sends.
 *
 * How a call's pointer arguments travel (items) is marshal.c's business;
 * both ends share its tables.
 */
#ifndef ULK_LIB_CTL_PROTO_H
#define ULK_LIB_CTL_PROTO_H

#include <stdint.h>

#define ULK_CTL_VERSION		1

/* The largest body either side sends or accepts. */
#define ULK_CTL_MAX_BODY	(4U << 20)
/* The most one buffer of one call carries; longer I/O is cut to it. */
#define ULK_CTL_MAX_BUF		(1U << 20)
/* Longest name of an instance (the socket's file name, ".sock" aside). */
#define ULK_CTL_NAME_MAX	64

enum ulk_ctl_type {
	ULK_CTL_HELLO = 1,
	ULK_CTL_WELCOME,
	ULK_CTL_CALL,
	ULK_CTL_INTR,
	ULK_CTL_RESULT,
	ULK_CTL_TYPE_COUNT
};

/**
 * struct ulk_ctl_hdr - the start of every message.
 * @len: bytes of body that follow (at most ULK_CTL_MAX_BODY).
 * @type: an enum ulk_ctl_type.
 * @pad: zero.
 */
struct ulk_ctl_hdr {
	uint32_t len;
	uint16_t type;
	uint16_t pad;
};

/**
 * struct ulk_ctl_hello - HELLO's body.
 * @version: ULK_CTL_VERSION.
 * @pad: zero.
 * @session: 0 for a new session, else the one WELCOME gave another
 *	connection of the same process.
 */
struct ulk_ctl_hello {
	uint32_t version;
	uint32_t pad;
	uint64_t session;
};

/**
 * struct ulk_ctl_welcome - WELCOME's body: who the instance is.
 * @version: the server's ULK_CTL_VERSION.
 * @pid: the instance's process.
 * @session: the session this connection belongs to.
 * @started_ns: CLOCK_REALTIME of the instance's boot, in nanoseconds.
 * @name: the instance's name, NUL-terminated.
 * @program: the instance's program (its argv[0] base name), NUL-terminated.
 */
struct ulk_ctl_welcome {
	uint32_t version;
	int32_t pid;
	uint64_t session;
	int64_t started_ns;
	char name[ULK_CTL_NAME_MAX];
	char program[64];
};

/**
 * struct ulk_ctl_call - the fixed start of CALL's body; items follow.
 * @nr: the system call (__ULK_NR_*).
 * @args: its arguments as the client made them; pointers are only
 *	significant as NULL or not, the items carry what they point to.
 */
struct ulk_ctl_call {
	int64_t nr;
	int64_t args[6];
};

/**
 * struct ulk_ctl_result - the fixed start of RESULT's body; items follow.
 * @ret: the call's return, as ulk's kernel gave it (restart codes
 *	included: the client decides on restarts, knowing its handlers).
 */
struct ulk_ctl_result {
	int64_t ret;
};

#endif /* ULK_LIB_CTL_PROTO_H */
