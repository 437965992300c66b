/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel code runs on one virtual CPU, but virtqueues are shared with host
 * threads running concurrently on real CPUs: mb() and friends must be real
 * fences, not compiler barriers.
 */
#ifndef _ASM_ULK_BARRIER_H
#define _ASM_ULK_BARRIER_H

#define mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

#include <asm-generic/barrier.h>

#endif
