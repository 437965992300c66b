/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Atomics on the compiler's builtins. Kernel code runs on one CPU at a
 * time, but host threads touch a few shared words (interrupt lines,
 * virtqueue indices) concurrently, and the builtins cost nothing more
 * than the irq-flag dance of the uniprocessor generic version.
 */
#ifndef _ASM_ULK_ATOMIC_H
#define _ASM_ULK_ATOMIC_H

#include <linux/types.h>
#include <asm/cmpxchg.h>
#include <asm/barrier.h>

#define ATOMIC64_INIT(i)	{ (i) }

#define ULK_ATOMIC_OP(pfx, type, op)					\
static __always_inline void arch_##pfx##_##op(type i, pfx##_t *v)	\
{									\
	__atomic_fetch_##op(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static __always_inline type arch_##pfx##_fetch_##op(type i, pfx##_t *v) \
{									\
	return __atomic_fetch_##op(&v->counter, i, __ATOMIC_SEQ_CST);	\
}

#define ULK_ATOMIC_RETURN(pfx, type, op)				\
static __always_inline type arch_##pfx##_##op##_return(type i, pfx##_t *v) \
{									\
	return __atomic_##op##_fetch(&v->counter, i, __ATOMIC_SEQ_CST);	\
}

#define ULK_ATOMIC_ALL(pfx, type)					\
static __always_inline type arch_##pfx##_read(const pfx##_t *v)	\
{									\
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);		\
}									\
static __always_inline void arch_##pfx##_set(pfx##_t *v, type i)	\
{									\
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
ULK_ATOMIC_OP(pfx, type, add)						\
ULK_ATOMIC_OP(pfx, type, sub)						\
ULK_ATOMIC_OP(pfx, type, and)						\
ULK_ATOMIC_OP(pfx, type, or)						\
ULK_ATOMIC_OP(pfx, type, xor)						\
ULK_ATOMIC_RETURN(pfx, type, add)					\
ULK_ATOMIC_RETURN(pfx, type, sub)					\
static __always_inline type arch_##pfx##_xchg(pfx##_t *v, type i)	\
{									\
	return __atomic_exchange_n(&v->counter, i, __ATOMIC_SEQ_CST);	\
}									\
static __always_inline type arch_##pfx##_cmpxchg(pfx##_t *v, type old,	\
						 type new)		\
{									\
	__atomic_compare_exchange_n(&v->counter, &old, new, false,	\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	return old;							\
}									\
static __always_inline bool arch_##pfx##_try_cmpxchg(pfx##_t *v,	\
						     type *old, type new) \
{									\
	return __atomic_compare_exchange_n(&v->counter, old, new, false, \
					   __ATOMIC_SEQ_CST,		\
					   __ATOMIC_SEQ_CST);		\
}

ULK_ATOMIC_ALL(atomic, int)
ULK_ATOMIC_ALL(atomic64, s64)

#define arch_atomic_read		arch_atomic_read
#define arch_atomic_set			arch_atomic_set
#define arch_atomic_add			arch_atomic_add
#define arch_atomic_sub			arch_atomic_sub
#define arch_atomic_and			arch_atomic_and
#define arch_atomic_or			arch_atomic_or
#define arch_atomic_xor			arch_atomic_xor
#define arch_atomic_fetch_add		arch_atomic_fetch_add
#define arch_atomic_fetch_sub		arch_atomic_fetch_sub
#define arch_atomic_fetch_and		arch_atomic_fetch_and
#define arch_atomic_fetch_or		arch_atomic_fetch_or
#define arch_atomic_fetch_xor		arch_atomic_fetch_xor
#define arch_atomic_add_return		arch_atomic_add_return
#define arch_atomic_sub_return		arch_atomic_sub_return
#define arch_atomic_xchg		arch_atomic_xchg
#define arch_atomic_cmpxchg		arch_atomic_cmpxchg
#define arch_atomic_try_cmpxchg		arch_atomic_try_cmpxchg

#define arch_atomic64_read		arch_atomic64_read
#define arch_atomic64_set		arch_atomic64_set
#define arch_atomic64_add		arch_atomic64_add
#define arch_atomic64_sub		arch_atomic64_sub
#define arch_atomic64_and		arch_atomic64_and
#define arch_atomic64_or		arch_atomic64_or
#define arch_atomic64_xor		arch_atomic64_xor
#define arch_atomic64_fetch_add		arch_atomic64_fetch_add
#define arch_atomic64_fetch_sub		arch_atomic64_fetch_sub
#define arch_atomic64_fetch_and		arch_atomic64_fetch_and
#define arch_atomic64_fetch_or		arch_atomic64_fetch_or
#define arch_atomic64_fetch_xor		arch_atomic64_fetch_xor
#define arch_atomic64_add_return	arch_atomic64_add_return
#define arch_atomic64_sub_return	arch_atomic64_sub_return
#define arch_atomic64_xchg		arch_atomic64_xchg
#define arch_atomic64_cmpxchg		arch_atomic64_cmpxchg
#define arch_atomic64_try_cmpxchg	arch_atomic64_try_cmpxchg

#undef ULK_ATOMIC_ALL
#undef ULK_ATOMIC_RETURN
#undef ULK_ATOMIC_OP

#endif /* _ASM_ULK_ATOMIC_H */
