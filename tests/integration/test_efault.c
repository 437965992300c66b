// SPDX-License-Identifier: GPL-2.0
/*
 * Bad user pointers cost an EFAULT, not the process (lib/uaccess.c):
 *
 *  - write(), sendto(), recvfrom(), read() with NULL or with a buffer in an
 *    inaccessible page return -EFAULT; a pipe write whose buffer turns bad
 *    half-way returns what the host kernel returns for it;
 *  - setsockopt() with a bad value, getsockopt() with a bad length,
 *    uname() and clock_gettime() with bad results: -EFAULT;
 *  - the fault handler stays out of the program's way: a fault in the
 *    program's own code reaches the SIGSEGV handler it installed (through
 *    ulk_sigaction(), as the preload shim installs every handler), and,
 *    with no handler, a fault kills the process with SIGSEGV as it would
 *    without ulk (a child run of this program).
 */
#include "common.h"

#include <setjmp.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ulk/net.h>

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t program_faults;

static void on_segv(int sig)
{
	(void)sig;
	program_faults++;
	siglongjmp(fault_jmp, 1);
}

/*
 * A fault in the program's own code: a read of a page it may not touch.
 * (Not of NULL: that is undefined behaviour, which a UBSan build stops
 * before the processor faults.)
 */
static void program_fault(void)
{
	volatile int *page = mmap(NULL, 4096, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		abort();
	(void)*page;
}

static long udp_socket(void)
{
	struct ulk_sockaddr_in a = {
		.sin_family = ULK_AF_INET,
		.sin_port = __builtin_bswap16(7401),
		.sin_addr = { __builtin_bswap32(0x7f000001) },
	};
	long fd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_DGRAM, 0);

	if (fd >= 0 && ulk_sys_bind(fd, (void *)&a, sizeof(a)) < 0)
		return -1;
	return fd;
}

/* What the host kernel's pipe write returns for the same buffer. */
static long host_pipe_write(const void *buf, size_t len)
{
	int p[2];
	long r;

	if (pipe(p))
		return -errno;
	r = write(p[1], buf, len);
	if (r < 0)
		r = -errno;
	close(p[0]);
	close(p[1]);
	return r;
}

static void check_copies(char *bad)
{
	struct ulk_sockaddr_in a = {
		.sin_family = ULK_AF_INET,
		.sin_port = __builtin_bswap16(7401),
		.sin_addr = { __builtin_bswap32(0x7f000001) },
	};
	long fd = udp_socket(), r, host;
	int pipefd[2];
	char *page;

	if (!CHECK(fd >= 0 && !ulk_sys_connect(fd, (void *)&a, sizeof(a)),
		   "a UDP socket on loopback, connected to itself"))
		return;
	r = ulk_sys_write(fd, NULL, 1000);
	CHECK(r == -EFAULT, "write(socket, NULL, 1000): %s", errstr(r));
	r = ulk_sys_sendto(fd, NULL, 1, 0, (void *)&a, sizeof(a));
	CHECK(r == -EFAULT, "sendto(NULL, 1): %s", errstr(r));
	r = ulk_sys_sendto(fd, bad, 100, 0, (void *)&a, sizeof(a));
	CHECK(r == -EFAULT, "sendto from an inaccessible page: %s", errstr(r));
	r = ulk_sys_sendto(fd, "datagram", 8, 0, (void *)bad, sizeof(a));
	CHECK(r == -EFAULT, "sendto to a bad address: %s", errstr(r));
	r = ulk_sys_sendto(fd, "datagram", 8, 0, (void *)&a, sizeof(a));
	CHECK(r == 8, "a good sendto after them: %s", errstr(r));
	r = ulk_sys_recvfrom(fd, NULL, 8, ULK_MSG_DONTWAIT, NULL, NULL);
	CHECK(r == -EFAULT, "recvfrom into NULL: %s", errstr(r));
	r = ulk_sys_sendto(fd, "datagram", 8, 0, (void *)&a, sizeof(a));
	r = ulk_sys_recvfrom(fd, bad, 8, ULK_MSG_DONTWAIT, NULL, NULL);
	CHECK(r == -EFAULT, "recvfrom into an inaccessible page: %s",
	      errstr(r));

	r = ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_RCVBUF, bad, 4);
	CHECK(r == -EFAULT, "setsockopt with a bad value: %s", errstr(r));
	r = ulk_sys_getsockopt(fd, ULK_SOL_SOCKET, ULK_SO_RCVBUF, bad,
			       (void *)bad);
	CHECK(r == -EFAULT, "getsockopt with a bad length: %s", errstr(r));
	r = ulk_sys_uname((void *)bad);
	CHECK(r == -EFAULT, "uname into a bad buffer: %s", errstr(r));
	r = ulk_sys_clock_gettime(0, (void *)bad);
	CHECK(r == -EFAULT, "clock_gettime into a bad buffer: %s", errstr(r));
	ulk_sys_close(fd);

	/* A buffer that turns bad half-way: the first page is good. */
	page = bad - 4096;
	memset(page, 'p', 4096);
	r = ulk_sys_pipe2(pipefd, 0);
	if (!CHECK(r == 0, "a pipe (%s)", errstr(r)))
		return;
	r = ulk_sys_write(pipefd[1], page + 2048, 4096);
	host = host_pipe_write(page + 2048, 4096);
	CHECK(r == host, "pipe write of 4096 bytes whose last 2048 are bad: "
	      "%s, as the host kernel (%s)", errstr(r), errstr(host));
	ulk_sys_write(pipefd[1], "ten bytes.", 10);
	r = ulk_sys_read(pipefd[0], bad, 100);
	CHECK(r == -EFAULT, "pipe read into a bad page: %s", errstr(r));
	ulk_sys_close(pipefd[0]);
	ulk_sys_close(pipefd[1]);
}

static void check_program_faults(void)
{
	struct sigaction sa = { .sa_handler = on_segv };
	int p[2];
	long r;

	sigemptyset(&sa.sa_mask);
	ulk_sigaction(SIGSEGV, &sa, NULL);
	if (sigsetjmp(fault_jmp, 1) == 0)
		program_fault();
	CHECK(program_faults == 1,
	      "a fault in the program's code reaches its own SIGSEGV handler");
	r = ulk_sys_pipe2(p, 0);
	if (r == 0)
		r = ulk_sys_write(p[1], NULL, 10);
	CHECK(r == -EFAULT, "...and ulk's copies still fault safely: %s",
	      errstr(r));
}

int main(int argc, char **argv)
{
	pid_t pid;
	char *two;
	int status = 0;

	if (argc > 1 && !strcmp(argv[1], "fault")) {
		ulk_boot_or_die();
		program_fault();
		return 0;
	}
	test_watchdog(60);
	ulk_boot_or_die();
	ulk_if_set_up(ulk_if_index("lo"), 1);
	/* Two pages, the second inaccessible. */
	two = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!CHECK(two != MAP_FAILED && !mprotect(two + 4096, 4096, PROT_NONE),
		   "a page followed by an inaccessible one"))
		return test_finish();
	check_copies(two + 4096);
	check_program_faults();

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl(argv[0], argv[0], "fault", (char *)NULL);
		_exit(3);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	      "with no handler, a fault kills the process with SIGSEGV "
	      "(status 0x%x)", status);
	return test_finish();
}
