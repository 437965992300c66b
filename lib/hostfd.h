/* SPDX-License-Identifier: GPL-2.0 */
/* ulk's own host descriptors stay out of the program's way (hostfd.c). */
#ifndef ULK_HOSTFD_H
#define ULK_HOSTFD_H

/* The highest number ulk places a descriptor of its own at, plus one. */
#define ULK_HOSTFD_MAX	(1 << 20)

int ulk_hostfd_move_high(int fd);
int ulk_hostfd_dup_high(int fd);
void ulk_hostfd_limit_lock(void);
void ulk_hostfd_limit_unlock(void);

/*
 * ulk's own waits on its own descriptors, as direct system calls. Inside
 * a program run by ulk-run, libulk shares a library with the preload
 * shim, whose wrappers of these calls would otherwise get them: they serve
 * the program's descriptors and refuse ulk's internal ones (epoll_ctl() on
 * them is EBADF by design), and calling them from a thread inside the
 * kernel could even re-enter ulk.
 */
struct epoll_event;
struct pollfd;
struct iovec;
struct msghdr;

int ulk_host_open(const char *path, int flags);
int ulk_host_epoll_create(void);
int ulk_host_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int ulk_host_epoll_wait(int epfd, struct epoll_event *evs, int max, int ms);
int ulk_host_poll(struct pollfd *fds, unsigned long nfds, int ms);
long ulk_host_read(int fd, void *buf, unsigned long len);
long ulk_host_write(int fd, const void *buf, unsigned long len);
long ulk_host_readv(int fd, const struct iovec *iov, int iovcnt);
long ulk_host_writev(int fd, const struct iovec *iov, int iovcnt);
long ulk_host_sendmsg(int fd, const struct msghdr *msg, int flags);
long ulk_host_recvmsg(int fd, struct msghdr *msg, int flags);
int ulk_host_shutdown(int fd, int how);

#endif /* ULK_HOSTFD_H */
