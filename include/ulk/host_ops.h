/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ulk host operations: the one header shared by both sides of the wall.
 *
 * The kernel (arch/ulk) calls the host only through this table; the host
 * library (lib/hostops_posix.c) fills it. It includes no header at all and
 * uses only base C types, so it compiles identically against the kernel's
 * headers and against libc's.
 *
 * Unless an entry says otherwise, an operation:
 *  - may be called from any host thread, with or without the CPU token;
 *  - never calls back into the kernel;
 *  - reports failure by returning NULL or a negative value, never by
 *    aborting (except panic()).
 */
#ifndef ULK_HOST_OPS_H
#define ULK_HOST_OPS_H

/* Opaque host objects. The kernel only ever holds pointers to them. */
struct ulk_sem;
struct ulk_mutex;
struct ulk_tls_key;
struct ulk_timer;

/**
 * struct ulk_jmp_buf - storage for a host setjmp() context.
 * @buf: large enough for the host's jmp_buf (checked by the host side).
 */
struct ulk_jmp_buf {
	unsigned long buf[64];
};

/**
 * struct ulk_host_ops - everything the kernel needs from the host.
 */
struct ulk_host_ops {
	/**
	 * @print: write @len bytes of console output. Never blocks for long.
	 */
	void (*print)(const char *str, int len);
	/**
	 * @panic: the kernel cannot continue. Does not return; the host
	 * prints what it can and aborts the process.
	 */
	void (*panic)(void);

	/**
	 * @sem_alloc: new counting semaphore with initial @count, or NULL.
	 * @sem_free: release it; nobody may be waiting on it.
	 * @sem_up: increment, waking one waiter. Async-signal-safe.
	 * @sem_down: wait until positive, then decrement. Blocks the calling
	 *	host thread; retries on EINTR (host signals do not interrupt it).
	 * @sem_down_intr: as @sem_down, but return -EINTR without
	 *	decrementing when a host signal handler ran on the calling
	 *	thread while it waited; 0 once decremented.
	 * @sem_trydown: decrement if positive and return 1, else return 0.
	 * @sem_down_idle: as @sem_down_intr, for a thread that has just
	 *	left the CPU to idle and waits for its task's next turn. If
	 *	@poll, the host may use the wait to poll devices' input on this
	 *	thread and run it (raising interrupts, entering the kernel as
	 *	any interrupt raiser does), so that the packet that wakes the
	 *	task needs no other thread (run-to-completion). Whatever @poll,
	 *	the host makes sure some thread waits for the devices' input
	 *	while the CPU is idle. May be NULL: @sem_down_intr.
	 */
	struct ulk_sem *(*sem_alloc)(int count);
	void (*sem_free)(struct ulk_sem *sem);
	void (*sem_up)(struct ulk_sem *sem);
	void (*sem_down)(struct ulk_sem *sem);
	int (*sem_down_intr)(struct ulk_sem *sem);
	int (*sem_trydown)(struct ulk_sem *sem);
	int (*sem_down_idle)(struct ulk_sem *sem, int poll);

	/**
	 * @mutex_alloc: new mutex (recursive if @recursive), or NULL.
	 * @mutex_free, @mutex_lock, @mutex_unlock: as for pthread mutexes;
	 * unlock must come from the locking thread.
	 */
	struct ulk_mutex *(*mutex_alloc)(int recursive);
	void (*mutex_free)(struct ulk_mutex *mutex);
	void (*mutex_lock)(struct ulk_mutex *mutex);
	void (*mutex_unlock)(struct ulk_mutex *mutex);

	/**
	 * @thread_create: start a detached host thread running @fn(@arg) on
	 *	a generous stack (at least 1 MiB). Returns 0 on success or a
	 *	negative errno.
	 * @thread_exit: end the calling host thread; does not return.
	 * @thread_self: an identifier of the calling host thread, unique
	 *	among live threads.
	 */
	int (*thread_create)(void (*fn)(void *), void *arg);
	void (*thread_exit)(void);
	unsigned long (*thread_self)(void);

	/**
	 * @tls_alloc: new thread-local key whose @destructor (may be NULL)
	 *	runs, in the exiting thread, for each thread that exits with
	 *	a non-NULL value. NULL on failure.
	 * @tls_free: release the key.
	 * @tls_set: set the calling thread's value; 0 or negative errno.
	 * @tls_get: the calling thread's value, NULL if unset. Cheap: it is
	 *	on every system call's path.
	 */
	struct ulk_tls_key *(*tls_alloc)(void (*destructor)(void *));
	void (*tls_free)(struct ulk_tls_key *key);
	int (*tls_set)(struct ulk_tls_key *key, void *data);
	void *(*tls_get)(struct ulk_tls_key *key);

	/**
	 * @mem_alloc: @size bytes, suitably aligned for any object, or NULL.
	 *	Used for the kernel's memory region and host-side objects.
	 * @mem_free: release memory from @mem_alloc.
	 */
	void *(*mem_alloc)(unsigned long size);
	void (*mem_free)(void *ptr);

	/**
	 * @time_ns: the host's monotonic clock in nanoseconds.
	 * @realtime_ns: the host's wall clock, nanoseconds since the epoch.
	 */
	unsigned long long (*time_ns)(void);
	unsigned long long (*realtime_ns)(void);

	/**
	 * @timer_alloc: a one-shot timer that calls @fn(@arg) on a host
	 *	thread of its own when it fires. NULL on failure.
	 * @timer_set: (re)arm to fire once at monotonic time @when_ns
	 *	(absolute, as from @time_ns); 0 or negative errno.
	 * @timer_cancel: disarm; a callback already running may finish.
	 * @timer_free: disarm and release; waits for a running callback.
	 */
	struct ulk_timer *(*timer_alloc)(void (*fn)(void *), void *arg);
	int (*timer_set)(struct ulk_timer *timer, unsigned long long when_ns);
	void (*timer_cancel)(struct ulk_timer *timer);
	void (*timer_free)(struct ulk_timer *timer);

	/**
	 * @jmp_buf_set: save the calling context in @jb, then call @fn(@arg).
	 *	Returns when @fn returns or when @jmp_buf_longjmp(@jb) is
	 *	called from inside @fn on the same host thread.
	 * @jmp_buf_longjmp: resume the matching @jmp_buf_set; no return.
	 */
	void (*jmp_buf_set)(struct ulk_jmp_buf *jb, void (*fn)(void *),
			    void *arg);
	void (*jmp_buf_longjmp)(struct ulk_jmp_buf *jb);

	/**
	 * @copy_user: copy @n bytes from @src to @dst, either of which may
	 *	be a bad address a program passed; a fault ends the copy
	 *	instead of the process. Returns the bytes not copied (0: all).
	 * @clear_user: zero @n bytes at @dst, same rules.
	 */
	unsigned long (*copy_user)(void *dst, const void *src,
				   unsigned long n);
	unsigned long (*clear_user)(void *dst, unsigned long n);

	/**
	 * @iomem_read: read @size bytes (1, 2, 4 or 8) of device registers at
	 *	@addr, an address inside the I/O window given to ulk_arch_boot().
	 *	Called by the token holder; must not block. NULL if there are no
	 *	devices.
	 * @iomem_write: write @val there, same rules.
	 */
	unsigned long long (*iomem_read)(unsigned long addr, int size);
	void (*iomem_write)(unsigned long addr, int size,
			    unsigned long long val);
};

/*
 * Entry points into the kernel, defined in arch/ulk and called by the host
 * library. ulk_syscall() and ulk_trigger_irq() are public (include/ulk/ulk.h);
 * these are the private ones.
 */

/**
 * ulk_arch_boot() - boot the kernel on a host thread of its own.
 * @ops: host operations; must stay valid until the process exits.
 * @mem: memory region for the kernel's page allocator, page aligned.
 * @mem_size: size of @mem in bytes.
 * @cmdline: kernel command line.
 * @iomem: start of the device register window (addresses reserved by the
 *	host that the kernel never dereferences), or 0 with no devices.
 * @iomem_size: its size in bytes.
 *
 * Returns once init has run every initcall and system calls may be made,
 * 0 on success or a negative errno (-EALREADY if already booted once).
 */
int ulk_arch_boot(const struct ulk_host_ops *ops, void *mem,
		  unsigned long mem_size, const char *cmdline,
		  unsigned long iomem, unsigned long iomem_size);

/**
 * ulk_arch_syscall() - the kernel's system call entry (wrapped by the
 * public ulk_syscall(), lib/signals.c).
 * @nr: system call number from the generic table.
 * @args: six arguments, or NULL.
 *
 * Return: as ulk_syscall(), except that a call interrupted by a host
 * signal returns the kernel's restart code as it is (-512 -ERESTARTSYS:
 * restart if the handler has SA_RESTART; -513 -ERESTARTNOINTR: always
 * restart; -514 -ERESTARTNOHAND and -516 -ERESTART_RESTARTBLOCK: restart
 * only if no handler ran), for the caller to turn into a restart or
 * -EINTR.
 */
long ulk_arch_syscall(long nr, const long *args);

/**
 * ulk_arch_interrupt() - interrupt another host thread's ulk call as a
 * host signal handler running on that thread would.
 * @host_id: the thread, as the host's thread_self operation names it.
 *
 * Return: 0, -EBUSY if too many requests are outstanding (try again),
 * -ESHUTDOWN after halt.
 */
int ulk_arch_interrupt(unsigned long host_id);

/**
 * ulk_arch_halt() - power the kernel off. Calls in progress on other
 * threads are interrupted and return -ESHUTDOWN (the halt waits up to 2 s
 * for them to leave); later system calls return -ESHUTDOWN.
 * Return: 0, or a negative errno if it was not running.
 */
int ulk_arch_halt(void);

#endif /* ULK_HOST_OPS_H */
