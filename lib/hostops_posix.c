// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX host operations: what the kernel (arch/ulk) calls for threads,
 * synchronisation, memory, time, timers, console output and panic. The
 * contract of each operation is in include/ulk/host_ops.h.
 *
 * Theory of operation, for the parts that are not a thin wrapper:
 *
 * Threads. Every thread made here (kernel threads and timer threads) runs
 * kernel code, softirqs included, so it gets a 2 MiB stack. It starts with
 * asynchronous signals blocked: a process-directed signal must land on an
 * application thread, whose handler may then call into ulk under the
 * documented rules, never on a thread that is in the middle of kernel code
 * on the kernel's behalf.
 *
 * Memory. The kernel's memory region must be page aligned and is large and
 * mostly untouched, so big blocks come from mmap (MAP_NORESERVE: address
 * space, not memory, until touched). Small ones come from malloc. Every
 * block carries a header just below the returned pointer saying which path
 * made it, so mem_free needs no lookup. Under AddressSanitizer the mapped
 * blocks are registered with LeakSanitizer as root regions: the kernel's
 * memory holds the only pointers to some host allocations (the semaphores,
 * mutexes and timers of its tasks), which are not leaks.
 *
 * Timers. One host thread per timer, blocked in read() on a timerfd on
 * CLOCK_MONOTONIC (the clock time_ns reads and deadlines are given in).
 * Arming, re-arming and cancelling are one timerfd_settime() by the caller
 * and never wake the thread: it wakes only when a deadline passes. (The
 * kernel re-programs its clock event device at every idle entry and exit;
 * a condition-variable timer woke its thread each time, across vCPUs.)
 * The callback runs on the timer's thread with no lock held, so it may
 * re-arm the timer (the kernel's clock event handler does that from the
 * timer interrupt) or free it.
 *
 * Console. Quiet by default: output goes to a 64 KiB ring that only a panic
 * dumps, so a healthy process prints nothing from the kernel. The ring has
 * its own plain mutex, never held while calling anything else, so printing
 * is safe whatever other locks the caller holds.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <linux/futex.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "hostfd.h"
#include "hostops_posix.h"
#include "uaccess.h"

#define THREAD_STACK_SIZE	(2UL << 20)
#define BIG_ALLOC_MIN		(1UL << 20)
#define RING_SIZE		(64U << 10)
#define NSEC_PER_SEC		1000000000ULL

/* ---- console output ---------------------------------------------------- */

static cpu_set_t thread_cpus;
static bool thread_cpus_set;

static void (*print_cb)(const char *str, int len, void *arg);
static void *print_arg;
static int print_verbose;

static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static char ring[RING_SIZE];
/* Bytes ever written; the newest byte is at (ring_total - 1) % RING_SIZE. */
static unsigned long long ring_total;

/* write() all of @buf to stderr, giving up quietly if stderr is broken. */
static void write_stderr(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void ring_append(const char *str, size_t len)
{
	size_t pos;

	/* Only the tail fits; skip what would be overwritten anyway. */
	if (len > RING_SIZE) {
		ring_total += len - RING_SIZE;
		str += len - RING_SIZE;
		len = RING_SIZE;
	}
	pos = ring_total % RING_SIZE;
	if (pos + len <= RING_SIZE) {
		memcpy(ring + pos, str, len);
	} else {
		size_t first = RING_SIZE - pos;

		memcpy(ring + pos, str, first);
		memcpy(ring, str + first, len - first);
	}
	ring_total += len;
}

/*
 * Dump the ring to stderr. Called on the way to abort(), possibly by a
 * thread that was interrupted while holding ring_lock, so a lock we cannot
 * get does not stop the dump: a torn line beats no log at all.
 */
static void ring_dump(void)
{
	bool locked = pthread_mutex_trylock(&ring_lock) == 0;
	size_t start, len;

	if (ring_total <= RING_SIZE) {
		start = 0;
		len = (size_t)ring_total;
	} else {
		start = ring_total % RING_SIZE;
		len = RING_SIZE;
		/* The oldest line was cut by the wrap: start at the next one. */
		while (len > 0 && ring[start] != '\n') {
			start = (start + 1) % RING_SIZE;
			len--;
		}
		if (len > 0) {
			start = (start + 1) % RING_SIZE;
			len--;
		}
	}
	if (start + len <= RING_SIZE) {
		write_stderr(ring + start, len);
	} else {
		write_stderr(ring + start, RING_SIZE - start);
		write_stderr(ring, len - (RING_SIZE - start));
	}
	if (locked)
		pthread_mutex_unlock(&ring_lock);
}

static void host_print(const char *str, int len)
{
	if (len <= 0)
		return;
	if (print_verbose) {
		if (print_cb)
			print_cb(str, len, print_arg);
		else
			write_stderr(str, (size_t)len);
		return;
	}
	pthread_mutex_lock(&ring_lock);
	ring_append(str, (size_t)len);
	pthread_mutex_unlock(&ring_lock);
}

static void host_panic(void)
{
	static const char msg[] = "ulk: kernel panic, aborting\n";

	if (!print_verbose) {
		static const char hdr[] = "ulk: kernel log follows\n";

		write_stderr(hdr, sizeof(hdr) - 1);
		ring_dump();
	}
	write_stderr(msg, sizeof(msg) - 1);
	abort();
}

/**
 * ulk_hostops_set_print() - choose where kernel console output goes.
 * @print: callback for console output when @verbose is set, or NULL for
 *	stderr.
 * @arg: passed to @print.
 * @verbose: 0 keeps output in the in-memory ring (dumped on panic only),
 *	1 writes it out as it comes.
 *
 * Must be called before the kernel boots.
 */
void ulk_hostops_set_print(void (*print)(const char *str, int len, void *arg),
			   void *arg, int verbose)
{
	print_cb = print;
	print_arg = arg;
	print_verbose = verbose != 0;
}

/* ---- semaphores and mutexes -------------------------------------------- */

/*
 * Semaphores are a futex word of our own rather than sem_t, for two
 * properties of the wait that the kernel's correctness rests on:
 *
 *  - It is not a cancellation point. An application thread waits here
 *    with kernel frames (a wait-queue entry, a socket lock) on its stack;
 *    pthread_cancel() acting inside would unwind through them and leave
 *    the kernel pointing at a dead stack. sem_wait() is a cancellation
 *    point; a futex system call made with syscall() is not. A cancel is
 *    honoured when the ulk call returns (lib/signals.c).
 *  - A handler installed through ulk_sigaction() always ends an
 *    interruptible wait (sem_down_intr, sem_down_idle), SA_RESTART or not.
 *    With SA_RESTART the host kernel restarts an untimed futex wait after
 *    the handler (sem_wait()'s too, and ulk never heard of the signal), so
 *    the handler, through ulk_hostops_interrupt_wait(), sets SEM_INTR in
 *    the word the thread waits on: the restarted wait finds the word
 *    changed and returns at once, and the waiter, seeing the bit, returns
 *    -EINTR. A flag of the thread's (wait_intr) covers a handler that ran
 *    just before the wait began. A handler installed otherwise ends the
 *    wait only without SA_RESTART. (A timed wait, which the host never
 *    restarts, did the same without the bit, but arming its timer cost
 *    0.6 us per blocking wait: 1.3 us per one-vCPU eventfd round trip.)
 *
 * The low bits of @word are the value; @waiters counts threads inside a
 * wait. The post adds to @word, then reads @waiters; the waiter adds to
 * @waiters, then reads @word; both sequentially consistent (Dekker):
 * either the waiter sees the post or the poster sees the waiter and wakes
 * it, and the futex wait itself returns at once if @word changed under it.
 */
struct ulk_sem {
	unsigned int word;
	unsigned int waiters;
};

#define SEM_INTR	0x80000000u
#define SEM_COUNT	(~SEM_INTR)

/* The thread's interruptible wait in progress, if any. */
static __thread struct ulk_sem *waiting_on
	__attribute__((tls_model("initial-exec")));
/* The semaphore ulk_hostops_interrupt_wait() set SEM_INTR on. */
static __thread struct ulk_sem *intr_sem
	__attribute__((tls_model("initial-exec")));
/* A handler asked for the thread's next (or current) wait to end. */
static __thread int wait_intr __attribute__((tls_model("initial-exec")));

static long futex(unsigned int *word, int op, unsigned int val)
{
	return syscall(SYS_futex, word, op | FUTEX_PRIVATE_FLAG, val, NULL,
		       NULL, 0);
}

/* Take one if there is one. Return: true if taken. */
static bool sem_take(struct ulk_sem *s)
{
	unsigned int w = __atomic_load_n(&s->word, __ATOMIC_RELAXED);

	while (w & SEM_COUNT)
		if (__atomic_compare_exchange_n(&s->word, &w, w - 1, true,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
	return false;
}

/* An interruption asked for: consume it. Return: whether there was one. */
static bool take_intr(struct ulk_sem *s)
{
	if (!wait_intr &&
	    !(__atomic_load_n(&s->word, __ATOMIC_RELAXED) & SEM_INTR))
		return false;
	wait_intr = 0;
	__atomic_fetch_and(&s->word, SEM_COUNT, __ATOMIC_RELAXED);
	intr_sem = NULL;
	return true;
}

/**
 * ulk_hostops_interrupt_wait() - end the calling thread's interruptible
 * semaphore wait, or its next one: called from a signal handler that ran
 * on the thread while it is inside ulk (async-signal-safe).
 */
void ulk_hostops_interrupt_wait(void)
{
	struct ulk_sem *s = waiting_on;

	wait_intr = 1;
	if (s) {
		intr_sem = s;
		__atomic_fetch_or(&s->word, SEM_INTR, __ATOMIC_SEQ_CST);
	}
}

/**
 * ulk_hostops_interrupt_done() - forget an interruption the calling
 * thread's ulk call did not need (it ended without waiting again).
 */
void ulk_hostops_interrupt_done(void)
{
	wait_intr = 0;
	if (intr_sem) {
		__atomic_fetch_and(&intr_sem->word, SEM_COUNT,
				   __ATOMIC_RELAXED);
		intr_sem = NULL;
	}
}

/*
 * Wait until one is taken (0), or, if @intr, until a handler interrupts
 * the wait (-EINTR; see above).
 */
static int sem_wait_futex(struct ulk_sem *s, bool intr)
{
	unsigned int w;
	int ret = 0;

	if (sem_take(s))
		return 0;
	if (intr) {
		if (take_intr(s))
			return -EINTR;
		waiting_on = s;
	}
	__atomic_add_fetch(&s->waiters, 1, __ATOMIC_SEQ_CST);
	while (!sem_take(s)) {
		if (intr && take_intr(s)) {
			ret = -EINTR;
			break;
		}
		w = __atomic_load_n(&s->word, __ATOMIC_SEQ_CST);
		if (w & SEM_COUNT)
			continue;
		if (futex(&s->word, FUTEX_WAIT, w) < 0 && errno == EINTR &&
		    intr) {
			ret = -EINTR;
			break;
		}
	}
	__atomic_sub_fetch(&s->waiters, 1, __ATOMIC_RELAXED);
	waiting_on = NULL;
	return ret;
}

/*
 * Run-to-completion (sem_down_idle). A thread that leaves the CPU to idle
 * and must wait for its task's next turn may instead poll the devices'
 * input, with one eventfd standing in for its semaphore: whoever posts
 * that semaphore also writes the eventfd. The handshake is Dekker's: the
 * waiter publishes polling_sem, then tries the semaphore, then polls; a
 * poster posts, then reads polling_sem. With a full barrier on both sides
 * (a fence after the waiter's store; host_sem_up()'s add on the poster's)
 * either the waiter's try sees the post or the poster sees polling_sem
 * and writes the eventfd, which ends the poll: no lost wake-up. One thread
 * polls at a time (idle_busy); the others wait on their semaphores.
 *
 * The claim lasts as long as the poll: the devices go back to their I/O
 * threads when the thread stops polling (two epoll_ctl() per wait). Keeping
 * them claimed for the next blocking thread was measured too (make bench,
 * tests/net/test_impair_cc): it saved the I/O thread's wake-up for a packet
 * arriving in between (request/response on one vCPU p50 1.19x -> 1.01x the
 * host's; bulk receive 0.6 -> 0.15 host context switches per 64 KiB), but
 * it takes away the one parallelism a single-threaded program has: input
 * is received while the program computes. Senders' ACKs waited (BBR under
 * loss 0.9-1.3x -> 0.65-0.8x the host's), 100 streams into one event loop
 * fell to 0.4-0.5x, and even handing the claim back after 50 us without a
 * poll left a receiver that verifies its data at half the rate.
 */
static const struct ulk_idle_poller *idle_poller;
static int idle_busy;
static int idle_efd = -1;
static struct ulk_sem *polling_sem;
static pthread_t polling_thread;

#define IDLE_POLL_MAX	64

static struct ulk_sem *host_sem_alloc(int count)
{
	struct ulk_sem *s;

	if (count < 0)
		return NULL;
	s = malloc(sizeof(*s));
	if (!s)
		return NULL;
	s->word = (unsigned int)count & SEM_COUNT;
	s->waiters = 0;
	return s;
}

static void host_sem_free(struct ulk_sem *s)
{
	free(s);
}

static void host_sem_up(struct ulk_sem *s)
{
	__atomic_add_fetch(&s->word, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&s->waiters, __ATOMIC_SEQ_CST))
		futex(&s->word, FUTEX_WAKE, 1);
	/*
	 * No further fence for the idle poller's handshake: the add above
	 * is sequentially consistent (a locked RMW on x86), and this is the
	 * hot path of every system call's exit (the CPU token is a ulk_sem).
	 */
	if (__atomic_load_n(&polling_sem, __ATOMIC_SEQ_CST) == s &&
	    !pthread_equal(polling_thread, pthread_self())) {
		uint64_t one = 1;

		/* Only fails when the counter is saturated: awake anyway. */
		(void)ulk_host_write(idle_efd, &one, sizeof(one));
	}
}

static void host_sem_down(struct ulk_sem *s)
{
	(void)sem_wait_futex(s, false);
}

static int host_sem_down_intr(struct ulk_sem *s)
{
	return sem_wait_futex(s, true);
}

/*
 * Wait for @s, the CPU now idle; if @poll_devices, while polling devices'
 * input (see "Run-to-completion" above). 0 once decremented, -EINTR if a
 * host signal handler ran.
 */
static int host_sem_down_idle(struct ulk_sem *s, int poll_devices)
{
	const struct ulk_idle_poller *p = idle_poller;
	struct pollfd fds[1 + IDLE_POLL_MAX];
	uint64_t val;
	int n, i, ret = 0;

	if (sem_take(s))
		return 0;
	if (!p || !poll_devices ||
	    __atomic_exchange_n(&idle_busy, 1, __ATOMIC_ACQUIRE))
		return host_sem_down_intr(s);
	n = p->claim(fds + 1, IDLE_POLL_MAX);
	if (n <= 0) {
		p->release();
		__atomic_store_n(&idle_busy, 0, __ATOMIC_RELEASE);
		return host_sem_down_intr(s);
	}
	polling_thread = pthread_self();
	__atomic_store_n(&polling_sem, s, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	fds[0] = (struct pollfd){ .fd = idle_efd, .events = POLLIN };
	while (!sem_take(s)) {
		if (take_intr(s)) {
			ret = -EINTR;
			break;
		}
		/* A handler always ends a poll with EINTR, SA_RESTART or not. */
		if (ulk_host_poll(fds, (unsigned long)n + 1, -1) < 0) {
			if (errno == EINTR) {
				ret = -EINTR;
				break;
			}
			continue;
		}
		if (fds[0].revents)
			(void)ulk_host_read(idle_efd, &val, sizeof(val));
		/* A device that cannot take input now is polled no more. */
		for (i = 1; i <= n; i++)
			if (fds[i].fd >= 0 && fds[i].revents &&
			    !p->run(i - 1))
				fds[i].fd = -1;
	}
	__atomic_store_n(&polling_sem, NULL, __ATOMIC_SEQ_CST);
	p->release();
	__atomic_store_n(&idle_busy, 0, __ATOMIC_RELEASE);
	return ret;
}

/**
 * ulk_hostops_set_idle_poller() - let threads that go idle poll devices.
 * @poller: the devices' input, or NULL for none.
 *
 * Call it before the kernel boots. Without it (or if its eventfd cannot be
 * made) sem_down_idle is a plain sem_down_intr.
 * Return: 0 or a negative errno.
 */
int ulk_hostops_set_idle_poller(const struct ulk_idle_poller *poller)
{
	if (poller && idle_efd < 0) {
		idle_efd = ulk_hostfd_move_high(eventfd(0, EFD_CLOEXEC |
							  EFD_NONBLOCK));
		if (idle_efd < 0)
			return -errno;
	}
	idle_poller = poller;
	return 0;
}

static int host_sem_trydown(struct ulk_sem *s)
{
	return sem_take(s);
}

struct ulk_mutex {
	pthread_mutex_t mutex;
};

static struct ulk_mutex *host_mutex_alloc(int recursive)
{
	struct ulk_mutex *m = malloc(sizeof(*m));
	pthread_mutexattr_t attr;
	int err;

	if (!m)
		return NULL;
	if (pthread_mutexattr_init(&attr))
		goto fail;
	err = pthread_mutexattr_settype(&attr, recursive ?
					PTHREAD_MUTEX_RECURSIVE :
					PTHREAD_MUTEX_DEFAULT);
	if (!err)
		err = pthread_mutex_init(&m->mutex, &attr);
	pthread_mutexattr_destroy(&attr);
	if (!err)
		return m;
fail:
	free(m);
	return NULL;
}

static void host_mutex_free(struct ulk_mutex *m)
{
	pthread_mutex_destroy(&m->mutex);
	free(m);
}

static void host_mutex_lock(struct ulk_mutex *m)
{
	pthread_mutex_lock(&m->mutex);
}

static void host_mutex_unlock(struct ulk_mutex *m)
{
	pthread_mutex_unlock(&m->mutex);
}

/* ---- threads and thread-local storage ---------------------------------- */

/**
 * ulk_hostops_set_cpus() - confine the threads ulk creates from now on.
 * @cpus: the CPUs, or NULL for no constraint.
 *
 * Call it before the kernel boots; applies to kernel threads, timer
 * threads and device I/O threads (ulk_host_thread_start()).
 */
void ulk_hostops_set_cpus(const cpu_set_t *cpus)
{
	thread_cpus_set = cpus != NULL;
	if (cpus)
		thread_cpus = *cpus;
}

/**
 * ulk_host_thread_start() - start a host thread that will run kernel code.
 * @tid: receives the thread.
 * @detached: start it detached, else the caller joins it.
 * @start: its function.
 * @arg: passed to @start.
 *
 * Big stack (kernel code, softirqs included, runs on it), asynchronous
 * signals blocked (it inherits the mask in force at pthread_create), and
 * the CPUs of ulk_hostops_set_cpus().
 * Return: 0 or a positive errno, like pthread_create().
 */
int ulk_host_thread_start(pthread_t *tid, bool detached,
			  void *(*start)(void *), void *arg)
{
	static const int synchronous[] = {
		SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS,
	};
	sigset_t block, old;
	pthread_attr_t attr;
	size_t i;
	int err;

	err = pthread_attr_init(&attr);
	if (err)
		return err;
	err = pthread_attr_setstacksize(&attr, THREAD_STACK_SIZE);
	if (!err && thread_cpus_set)
		err = pthread_attr_setaffinity_np(&attr, sizeof(thread_cpus),
						  &thread_cpus);
	if (!err && detached)
		err = pthread_attr_setdetachstate(&attr,
						  PTHREAD_CREATE_DETACHED);
	if (err)
		goto out;

	/* Faults must still reach debuggers and sanitizers' handlers. */
	sigfillset(&block);
	for (i = 0; i < sizeof(synchronous) / sizeof(synchronous[0]); i++)
		sigdelset(&block, synchronous[i]);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	err = pthread_create(tid, &attr, start, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
out:
	pthread_attr_destroy(&attr);
	return err;
}

struct thread_start {
	void (*fn)(void *);
	void *arg;
};

static void *thread_trampoline(void *p)
{
	struct thread_start ts = *(struct thread_start *)p;

	free(p);
	ts.fn(ts.arg);
	return NULL;
}

static int host_thread_create(void (*fn)(void *), void *arg)
{
	struct thread_start *ts = malloc(sizeof(*ts));
	pthread_t tid;
	int err;

	if (!ts)
		return -ENOMEM;
	ts->fn = fn;
	ts->arg = arg;
	err = ulk_host_thread_start(&tid, true, thread_trampoline, ts);
	if (err) {
		free(ts);
		return -err;
	}
	return 0;
}

static void host_thread_exit(void)
{
	pthread_exit(NULL);
}

static unsigned long host_thread_self(void)
{
	return (unsigned long)pthread_self();
}

/*
 * A key handle is the pthread key plus one, not a pointer to memory: no
 * allocation, and tls_get (on every system call) saves a dependent load.
 * The offset keeps key 0 from looking like a NULL (failed) handle.
 */
static_assert(sizeof(pthread_key_t) <= sizeof(uintptr_t),
	      "pthread_key_t must fit in a pointer");

static pthread_key_t key_of(struct ulk_tls_key *handle)
{
	return (pthread_key_t)((uintptr_t)handle - 1);
}

/*
 * The first key made (ulk's per-thread record, read on every system call)
 * is also mirrored in a thread-local variable of the initial-exec model:
 * one load instead of pthread_getspecific(). The pthread key stays for its
 * destructor, which runs through fast_gone() so that the mirror is
 * cleared first, as pthread clears the key's own value.
 */
static pthread_key_t fast_key;
static bool fast_key_used;
static void (*fast_destructor)(void *);
static __thread void *fast_value __attribute__((tls_model("initial-exec")));

static void fast_gone(void *data)
{
	fast_value = NULL;
	if (fast_destructor)
		fast_destructor(data);
}

static struct ulk_tls_key *host_tls_alloc(void (*destructor)(void *))
{
	bool fast = !fast_key_used;
	pthread_key_t key;

	if (pthread_key_create(&key, fast ? fast_gone : destructor))
		return NULL;
	if (fast) {
		fast_destructor = destructor;
		fast_key = key;
		fast_key_used = true;
	}
	return (struct ulk_tls_key *)((uintptr_t)key + 1);
}

static void host_tls_free(struct ulk_tls_key *handle)
{
	if (fast_key_used && key_of(handle) == fast_key)
		fast_key_used = false;
	pthread_key_delete(key_of(handle));
}

static int host_tls_set(struct ulk_tls_key *handle, void *data)
{
	int err = pthread_setspecific(key_of(handle), data);

	if (!err && fast_key_used && key_of(handle) == fast_key)
		fast_value = data;
	return -err;
}

static void *host_tls_get(struct ulk_tls_key *handle)
{
	if (fast_key_used && key_of(handle) == fast_key)
		return fast_value;
	return pthread_getspecific(key_of(handle));
}

/* ---- memory ------------------------------------------------------------ */

/*
 * Header just below every block. Its size keeps malloc's alignment
 * (max_align_t) for small blocks; big blocks put it at the end of a
 * leading page so the block itself starts on a page boundary.
 */
struct mem_header {
	alignas(max_align_t) size_t map_len;	/* 0: from malloc */
	size_t offset;				/* block - mapping start */
};

/* Let LeakSanitizer look for pointers in a mapped block (see the top). */
static void leak_scan_register(void *map, size_t len)
{
#if defined(__SANITIZE_ADDRESS__)
	__lsan_register_root_region(map, len);
#else
	(void)map;
	(void)len;
#endif
}

static void leak_scan_unregister(void *map, size_t len)
{
#if defined(__SANITIZE_ADDRESS__)
	__lsan_unregister_root_region(map, len);
#else
	(void)map;
	(void)len;
#endif
}

static size_t big_block_offset(void)
{
	long page = sysconf(_SC_PAGESIZE);

	/* The kernel's pages are 4 KiB; the host's may be larger. */
	return page > 4096 ? (size_t)page : 4096;
}

static void *host_mem_alloc(unsigned long size)
{
	struct mem_header *h;

	if (size >= BIG_ALLOC_MIN) {
		size_t off = big_block_offset();
		size_t len = off + size;
		char *map;

		if (len < size)
			return NULL;
		map = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (map == MAP_FAILED)
			return NULL;
		leak_scan_register(map, len);
		h = (struct mem_header *)(map + off) - 1;
		h->map_len = len;
		h->offset = off;
		return h + 1;
	}
	h = malloc(sizeof(*h) + size);
	if (!h)
		return NULL;
	h->map_len = 0;
	h->offset = sizeof(*h);
	return h + 1;
}

static void host_mem_free(void *ptr)
{
	struct mem_header *h;

	if (!ptr)
		return;
	h = (struct mem_header *)ptr - 1;
	if (h->map_len) {
		leak_scan_unregister((char *)ptr - h->offset, h->map_len);
		munmap((char *)ptr - h->offset, h->map_len);
	} else
		free(h);
}

/* ---- time and timers --------------------------------------------------- */

static unsigned long long clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (unsigned long long)ts.tv_sec * NSEC_PER_SEC +
	       (unsigned long long)ts.tv_nsec;
}

static unsigned long long host_time_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static unsigned long long host_realtime_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

struct ulk_timer {
	int tfd;			/* timerfd on CLOCK_MONOTONIC */
	pthread_t thread;
	void (*fn)(void *);
	void *arg;
	int stop;			/* timer_free was called */
	int self_free;			/* ... from the callback: thread frees */
};

/* The timer whose callback this thread runs, so timer_free knows itself. */
static __thread struct ulk_timer *current_timer;

static void timer_destroy(struct ulk_timer *t)
{
	close(t->tfd);
	free(t);
}

static void *timer_thread(void *p)
{
	struct ulk_timer *t = p;
	uint64_t expirations;

	current_timer = t;
	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		ssize_t n = read(t->tfd, &expirations, sizeof(expirations));

		if (__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE))
			break;
		/* EINTR, or re-armed between expiry and read (ECANCELED). */
		if (n != (ssize_t)sizeof(expirations))
			continue;
		t->fn(t->arg);
	}
	if (__atomic_load_n(&t->self_free, __ATOMIC_ACQUIRE))
		timer_destroy(t);
	return NULL;
}

static struct ulk_timer *host_timer_alloc(void (*fn)(void *), void *arg)
{
	struct ulk_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->fn = fn;
	t->arg = arg;
	t->tfd = ulk_hostfd_move_high(timerfd_create(CLOCK_MONOTONIC,
						    TFD_CLOEXEC));
	if (t->tfd < 0)
		goto fail_free;
	if (ulk_host_thread_start(&t->thread, false, timer_thread, t))
		goto fail_fd;
	return t;

fail_fd:
	close(t->tfd);
fail_free:
	free(t);
	return NULL;
}

static int arm(struct ulk_timer *t, unsigned long long when_ns)
{
	struct itimerspec its = {
		.it_value.tv_sec = (time_t)(when_ns / NSEC_PER_SEC),
		.it_value.tv_nsec = (long)(when_ns % NSEC_PER_SEC),
	};

	return timerfd_settime(t->tfd, TFD_TIMER_ABSTIME, &its, NULL) ? -errno : 0;
}

static int host_timer_set(struct ulk_timer *t, unsigned long long when_ns)
{
	/* 0 would disarm; a deadline of 0 is long past: fire now. */
	return arm(t, when_ns ? when_ns : 1);
}

static void host_timer_cancel(struct ulk_timer *t)
{
	arm(t, 0);
}

static void host_timer_free(struct ulk_timer *t)
{
	bool own = current_timer == t;

	__atomic_store_n(&t->self_free, own, __ATOMIC_RELEASE);
	__atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
	if (own) {
		/* The thread frees the timer once the callback returns. */
		pthread_detach(pthread_self());
		return;
	}
	/* Wake the thread out of its read; it sees @stop and ends. */
	arm(t, 1);
	/* Waits for a callback in progress, as the contract promises. */
	pthread_join(t->thread, NULL);
	timer_destroy(t);
}

/* ---- non-local jumps --------------------------------------------------- */

static_assert(sizeof(jmp_buf) <= sizeof(struct ulk_jmp_buf),
	      "struct ulk_jmp_buf is too small for this host's jmp_buf");
static_assert(alignof(jmp_buf) <= alignof(struct ulk_jmp_buf),
	      "struct ulk_jmp_buf is under-aligned for this host's jmp_buf");

static void host_jmp_buf_set(struct ulk_jmp_buf *jb, void (*fn)(void *),
			     void *arg)
{
	/* setjmp returns twice; nothing read after it is modified before. */
	if (setjmp(*(jmp_buf *)jb->buf) == 0)
		fn(arg);
}

static void host_jmp_buf_longjmp(struct ulk_jmp_buf *jb)
{
	longjmp(*(jmp_buf *)jb->buf, 1);
}

/* ---- the table --------------------------------------------------------- */

static const struct ulk_host_ops posix_ops = {
	.copy_user = ulk_uaccess_copy,
	.clear_user = ulk_uaccess_clear,
	.print = host_print,
	.panic = host_panic,

	.sem_alloc = host_sem_alloc,
	.sem_free = host_sem_free,
	.sem_up = host_sem_up,
	.sem_down = host_sem_down,
	.sem_down_intr = host_sem_down_intr,
	.sem_trydown = host_sem_trydown,
	.sem_down_idle = host_sem_down_idle,

	.mutex_alloc = host_mutex_alloc,
	.mutex_free = host_mutex_free,
	.mutex_lock = host_mutex_lock,
	.mutex_unlock = host_mutex_unlock,

	.thread_create = host_thread_create,
	.thread_exit = host_thread_exit,
	.thread_self = host_thread_self,

	.tls_alloc = host_tls_alloc,
	.tls_free = host_tls_free,
	.tls_set = host_tls_set,
	.tls_get = host_tls_get,

	.mem_alloc = host_mem_alloc,
	.mem_free = host_mem_free,

	.time_ns = host_time_ns,
	.realtime_ns = host_realtime_ns,

	.timer_alloc = host_timer_alloc,
	.timer_set = host_timer_set,
	.timer_cancel = host_timer_cancel,
	.timer_free = host_timer_free,

	.jmp_buf_set = host_jmp_buf_set,
	.jmp_buf_longjmp = host_jmp_buf_longjmp,
};

/**
 * ulk_hostops_posix() - the POSIX host operations table.
 *
 * Return: a pointer to a static table, valid for the life of the process.
 */
const struct ulk_host_ops *ulk_hostops_posix(void)
{
	return &posix_ops;
}
