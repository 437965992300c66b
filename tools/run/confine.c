// SPDX-License-Identifier: GPL-2.0
/*
 * What ulk-run does so that a program's traffic cannot reach the host's
 * network past the preload shim, silently.
 *
 * The shim serves the socket calls a program makes through the C library.
 * Three kinds of program make them otherwise: statically linked ones (no
 * dynamic linker: the shim is never loaded), programs that issue the
 * system calls themselves (Go's runtime), and io_uring (a socket made or
 * used by the ring is the host kernel's). So:
 *
 *  - ulk-run refuses to run a statically linked program (no PT_INTERP),
 *    and says that a Go program's sockets will fail;
 *  - before executing the program it installs a seccomp filter, inherited
 *    by everything the program runs, under which socket() of the families
 *    ulk serves (AF_INET, AF_INET6, AF_PACKET, AF_NETLINK) fails with
 *    EAFNOSUPPORT and io_uring_setup() with ENOSYS (so do the x32 ABI's
 *    calls, and the i386 ABI's socketcall() and socket()). The shim never makes
 *    a host socket of those families (its own are AF_UNIX), so only calls
 *    that bypassed it meet the filter. A device backend that needs host
 *    sockets of those families (a raw socket, AF_XDP) will need the filter
 *    to tell ulk's own calls apart.
 *
 * Installing a filter needs CAP_SYS_ADMIN or the no_new_privs flag; without
 * the capability the flag is set, so programs run under ulk-run cannot gain
 * privileges by executing set-user-ID programs (which the dynamic linker
 * would run without the shim anyway).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"

#define ERRNO(e)	(SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

/**
 * ulk_run_confine() - install the filter above in this process.
 * @err: receives the reason on failure.
 * @errlen: its size.
 *
 * Return: 0, or a negative errno with @err filled.
 */
int ulk_run_confine(char *err, size_t errlen)
{
	struct sock_filter f[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
				 offsetof(struct seccomp_data, arch)),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 13),
		/* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
				 offsetof(struct seccomp_data, nr)),
		/* 3: the x32 ABI's numbers, which nothing here uses */
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 10, 0),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 9, 0),
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 1, 0),
		/* 6 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 7: socket(domain, ...): the low 32 bits of the domain */
		/* 7 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
				 offsetof(struct seccomp_data, args[0])),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 4, 0),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 3, 0),
		/* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_PACKET, 2, 0),
		/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 1, 0),
		/* 12 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 13 */ BPF_STMT(BPF_RET | BPF_K, ERRNO(EAFNOSUPPORT)),
		/* 14 */ BPF_STMT(BPF_RET | BPF_K, ERRNO(ENOSYS)),
		/* 15: the i386 ABI (int 0x80): socketcall() and socket() */
		/* 15 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
				  offsetof(struct seccomp_data, nr)),
		/* 16 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 102, 2, 0),
		/* 17 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 359, 1, 0),
		/* 18 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 19 */ BPF_STMT(BPF_RET | BPF_K, ERRNO(EAFNOSUPPORT)),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return 0;
	if (errno == EACCES && !prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) &&
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return 0;
	snprintf(err, errlen, "cannot install the filter that keeps socket calls from bypassing ulk (seccomp): %s",
		 strerror(errno));
	return -errno;
}

/* Read @len bytes at @off of @fd. Return 0 if all were there. */
static int read_at(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

/* Whether the ELF file @fd has a section named @name. */
static int has_section(int fd, const Elf64_Ehdr *eh, const char *name)
{
	Elf64_Shdr sh, strs;
	char got[32];
	size_t n = strlen(name) + 1;
	int i;

	if (eh->e_shentsize != sizeof(sh) || eh->e_shstrndx >= eh->e_shnum ||
	    n > sizeof(got) ||
	    read_at(fd, &strs, sizeof(strs), (off_t)(eh->e_shoff +
			 (Elf64_Off)eh->e_shstrndx * sizeof(sh))))
		return 0;
	for (i = 0; i < eh->e_shnum && i < 4096; i++) {
		if (read_at(fd, &sh, sizeof(sh),
			    (off_t)(eh->e_shoff + (Elf64_Off)i * sizeof(sh))) ||
		    sh.sh_name >= strs.sh_size)
			continue;
		if (!read_at(fd, got, n, (off_t)(strs.sh_offset + sh.sh_name)) &&
		    !memcmp(got, name, n))
			return 1;
	}
	return 0;
}

/**
 * ulk_run_check_binary() - what the program file @path is, for the shim.
 * @path: the program.
 *
 * Return: ULK_BINARY_DYNAMIC (the shim can serve it; also anything that is
 * not a 64-bit ELF file: scripts, whose interpreter is checked when it
 * runs), ULK_BINARY_STATIC (no dynamic linker: refuse it), ULK_BINARY_GO
 * (Go: its socket calls bypass the C library).
 */
enum ulk_binary ulk_run_check_binary(const char *path)
{
	enum ulk_binary kind = ULK_BINARY_DYNAMIC;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, i, interp = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ULK_BINARY_DYNAMIC;	/* exec will say what is wrong */
	if (read_at(fd, &eh, sizeof(eh), 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph))
		goto out;
	for (i = 0; i < eh.e_phnum && i < 1024; i++)
		if (!read_at(fd, &ph, sizeof(ph),
			     (off_t)(eh.e_phoff + (Elf64_Off)i * sizeof(ph))) &&
		    ph.p_type == PT_INTERP)
			interp = 1;
	if (!interp)
		kind = ULK_BINARY_STATIC;
	else if (has_section(fd, &eh, ".go.buildinfo") ||
		 has_section(fd, &eh, ".note.go.buildid"))
		kind = ULK_BINARY_GO;
out:
	close(fd);
	return kind;
}
