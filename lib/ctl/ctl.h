/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket inside libulk: where instances' sockets live
 * (path.c), the server an instance runs (server.c) and the client half
 * that makes this process's ulk calls in another instance (client.c).
 */
#ifndef ULK_LIB_CTL_CTL_H
#define ULK_LIB_CTL_CTL_H

#include <stdbool.h>
#include <stddef.h>

/* path.c */
bool ulk_ctl_name_ok(const char *name);
int ulk_ctl_dir(char *buf, size_t n, bool create);
int ulk_ctl_path(const char *name, char *buf, size_t n, bool create);
int ulk_ctl_live(const char *path);

/* server.c */
int ulk_ctl_server_prepare(const char *name, const char *where);
int ulk_ctl_server_start(void);
void ulk_ctl_server_stop(void);
const char *ulk_ctl_server_path(void);

/* client.c: set while this process's ulk calls go to another instance. */
extern int ulk_remote_attached;
long ulk_remote_syscall(long nr, const long *args);
void ulk_remote_interrupt_self(void);
int ulk_remote_interrupt(unsigned long thread);
struct ulk_ctl_welcome;
int ulk_attach_info(struct ulk_ctl_welcome *w);

#endif /* ULK_LIB_CTL_CTL_H */
