// SPDX-License-Identifier: GPL-2.0
/*
 * ulk-proxy's sandbox, entered once the set-up is done (the guest's TAP
 * open, ulk booted, the forward listeners bound): what the guest might
 * make of a bug in ulk's kernel or in the relay is then a process with no
 * privileges that can only do what a relay does.
 *
 *  - every privilege goes: started as root, the process becomes nobody
 *    (65534, no supplementary groups) through glibc's process-wide
 *    set*id calls, which every thread follows (ulk's own included), and so
 *    loses every capability in every thread; the bounding set is emptied
 *    first (while CAP_SETPCAP is still there);
 *  - no_new_privs: nothing executed could gain any back;
 *  - a seccomp filter refuses (EPERM) what a relay never needs: executing
 *    programs, debugging or reading other processes, namespaces and
 *    mounts, modules and kexec, the host's BPF and perf, keyrings,
 *    handles, reboot and swap. The relay's own calls (sockets, epoll,
 *    futexes, threads for ulk's kernel) are untouched.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

#define NOBODY	65534

static const int refused[] = {
	__NR_execve, __NR_execveat, __NR_ptrace, __NR_process_vm_readv,
	__NR_process_vm_writev, __NR_mount, __NR_umount2, __NR_pivot_root,
	__NR_chroot, __NR_setns, __NR_unshare, __NR_init_module,
	__NR_finit_module, __NR_delete_module, __NR_kexec_load,
	__NR_kexec_file_load, __NR_bpf, __NR_perf_event_open, __NR_keyctl,
	__NR_add_key, __NR_request_key, __NR_open_by_handle_at,
	__NR_name_to_handle_at, __NR_reboot, __NR_swapon, __NR_swapoff,
	__NR_userfaultfd, __NR_fsopen, __NR_fsmount, __NR_move_mount,
	__NR_open_tree, __NR_iopl, __NR_ioperm,
};

#define N_REFUSED	(sizeof(refused) / sizeof(refused[0]))

/**
 * proxy_sandbox() - enter the sandbox above.
 * @err: receives what failed.
 * @errlen: its size.
 *
 * Return: 0, or -1 with @err filled.
 */
int proxy_sandbox(char *err, size_t errlen)
{
	struct sock_filter f[4 + 2 * N_REFUSED + 2];
	struct sock_fprog prog = { .filter = f };
	unsigned int i, n = 0;
	int cap;

	/* The bounding set first: dropping it needs CAP_SETPCAP. */
	for (cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno == EINVAL)
			break;
	if (geteuid() == 0 &&
	    (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	     setresuid(NOBODY, NOBODY, NOBODY))) {
		snprintf(err, errlen, "becoming nobody: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					      AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					      SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (i = 0; i < N_REFUSED; i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      (unsigned int)refused[i], 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						      SECCOMP_RET_ERRNO | EPERM);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)n;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_TSYNC, &prog)) {
		snprintf(err, errlen, "seccomp: %s", strerror(errno));
		return -1;
	}
	return 0;
}
