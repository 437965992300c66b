/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The preload shim's internals: the descriptor table (fdtable.c), the boot
 * and exit of the program's ulk (boot.c), and the wrappers (generated from
 * calls.list, and fdcalls.c), which all follow one pattern:
 *
 *	switch (shim_get(fd, &ref)) {
 *	case 0:  return next(...);     not a ulk socket: libc's call
 *	case -1: return -1;            a ulk socket we cannot serve (errno set)
 *	}
 *	return shim_finish(&ref, ulk_syscall(...));
 */
#ifndef ULK_TOOLS_PRELOAD_SHIM_H
#define ULK_TOOLS_PRELOAD_SHIM_H

struct shim_slot;

/**
 * struct shim_ref - a held reference to the ulk socket (or the epoll set)
 * behind a descriptor.
 * @slot: the socket's slot; the reference keeps it (and @ufd) alive.
 * @ufd: ulk's descriptor for the socket (for a set, its ulk instance).
 * @fd: the program's descriptor it was looked up by.
 * @priv: for a set, epoll.c's record of it; else NULL.
 */
struct shim_ref {
	struct shim_slot *slot;
	int ufd;
	int fd;
	void *priv;
};

/*
 * The epoll_data of a set's mirror in its host epoll (shim_epoll_mirror()):
 * the slot's address, which no datum of the program's can equal.
 */
static inline unsigned long long shim_mirror_data(const struct shim_ref *ref)
{
	return (unsigned long long)(unsigned long)ref->slot;
}

int shim_get(int fd, struct shim_ref *ref);
int shim_is_ulk(int fd);
long shim_finish(struct shim_ref *ref, long ret);
void shim_put(struct shim_ref *ref);
short shim_revents(struct shim_ref *ref, short events);
void *shim_next(const char *name);

/* The next definition of @name (libc's), looked up once per call site. */
#define NEXT(name, type) \
	({ static __typeof__(type) next_; \
	   if (!next_) \
		next_ = shim_next(name); \
	   next_; })

int shim_fd_install(int ufd, int cloexec);
int shim_fd_close(int fd);
int shim_fd_dup(int oldfd, int newfd, int minfd, int cloexec);
int shim_fd_get_cloexec(int fd);
int shim_fd_set_cloexec(int fd, int cloexec);
int shim_fd_is_internal(int fd);
void shim_fd_mark_internal(int fd);
int shim_fd_watch(int fd, int edge);
int shim_close_range(unsigned int first, unsigned int last, int flags);
int shim_get_epoll(int fd, struct shim_ref *ref);
int shim_fd_install_epoll(int fd, int ufd, void *priv,
			  void (*release)(void *priv));
int shim_epoll_mirror(struct shim_ref *ref, int epfd);
int shim_fdtable_ready(void);
void shim_close_all(void);
int shim_fdtable_init(void);
void shim_fdtable_fork_prepare(void);
void shim_fdtable_fork_parent(void);
void shim_fdtable_fork_child(void);

int shim_n_dns(void);
void shim_dns_report(int verbose);
const char *shim_dns(int i);
int shim_unavailable(void);
void shim_boot_on_epoll(void);
long shim_errno(long ret);
void shim_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct timespec;
void shim_deadline(struct timespec *deadline, const struct timespec *tmo);
int shim_time_left(const struct timespec *deadline, struct timespec *left);

/* Set in a child after fork(): the parent's ulk is not ours to use. */
extern int shim_forked;
extern int shim_verbose;

#endif /* ULK_TOOLS_PRELOAD_SHIM_H */
