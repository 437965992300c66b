// SPDX-License-Identifier: GPL-2.0
/*
 * memcpy, memmove and memset for the kernel inside a host process.
 *
 * Sizes under 32 bytes (headers, addresses, small structs: most calls)
 * are done with a few possibly overlapping word loads and stores, all
 * loads first, so the same code serves memmove. Larger blocks (payload:
 * copy_{to,from}_user, skb data, the virtio rings) go to the host CPU's
 * string instructions on x86-64, where fast-string microcode (ERMS, FSRM)
 * moves whole cache lines; elsewhere to a word loop the compiler can
 * vectorise. A backward memmove of a large overlapping block is rare (it
 * is not on any packet path) and uses the word loop from the end.
 */
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/export.h>
#include <linux/string.h>

struct una64 { u64 v; } __packed;
struct una32 { u32 v; } __packed;
struct una16 { u16 v; } __packed;

#define LD(bits, p)	(((const struct una##bits *)(p))->v)
#define ST(bits, p, x)	(((struct una##bits *)(p))->v = (x))

#define SMALL		32

/* Copy @n < SMALL bytes; every load happens before any store. */
static __always_inline void copy_small(u8 *d, const u8 *s, size_t n)
{
	if (n >= 16) {
		u64 a = LD(64, s), b = LD(64, s + 8);
		u64 c = LD(64, s + n - 16), e = LD(64, s + n - 8);

		ST(64, d, a);
		ST(64, d + 8, b);
		ST(64, d + n - 16, c);
		ST(64, d + n - 8, e);
	} else if (n >= 8) {
		u64 a = LD(64, s), b = LD(64, s + n - 8);

		ST(64, d, a);
		ST(64, d + n - 8, b);
	} else if (n >= 4) {
		u32 a = LD(32, s), b = LD(32, s + n - 4);

		ST(32, d, a);
		ST(32, d + n - 4, b);
	} else if (n >= 2) {
		u16 a = LD(16, s), b = LD(16, s + n - 2);

		ST(16, d, a);
		ST(16, d + n - 2, b);
	} else if (n) {
		*d = *s;
	}
}

#ifdef __x86_64__
static __always_inline void copy_forward(u8 *d, const u8 *s, size_t n)
{
	asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

static __always_inline void fill(u8 *d, u8 c, size_t n)
{
	asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
}
#else
static __always_inline void copy_forward(u8 *d, const u8 *s, size_t n)
{
	for (; n >= 8; n -= 8, d += 8, s += 8)
		ST(64, d, LD(64, s));
	copy_small(d, s, n);
}

static __always_inline void fill(u8 *d, u8 c, size_t n)
{
	u64 w = 0x0101010101010101ULL * c;

	for (; n >= 8; n -= 8, d += 8)
		ST(64, d, w);
	for (; n; n--)
		*d++ = c;
}
#endif

/* Copy @n bytes from the end down: @d overlaps @s from above. */
static void copy_backward(u8 *d, const u8 *s, size_t n)
{
	for (; n >= 8; n -= 8)
		ST(64, d + n - 8, LD(64, s + n - 8));
	copy_small(d, s, n);
}

/**
 * memcpy() - copy @n bytes from @src to @dest; the areas must not overlap.
 * @dest: destination.
 * @src: source.
 * @n: bytes.
 * Return: @dest.
 */
void *memcpy(void *dest, const void *src, size_t n)
{
	if (n < SMALL)
		copy_small(dest, src, n);
	else
		copy_forward(dest, src, n);
	return dest;
}
EXPORT_SYMBOL(memcpy);

/**
 * memmove() - copy @n bytes from @src to @dest; the areas may overlap.
 * @dest: destination.
 * @src: source.
 * @n: bytes.
 * Return: @dest.
 */
void *memmove(void *dest, const void *src, size_t n)
{
	if (n < SMALL)
		copy_small(dest, src, n);
	else if ((uintptr_t)dest - (uintptr_t)src >= n)
		copy_forward(dest, src, n);	/* no overlap, or @dest below */
	else
		copy_backward(dest, src, n);
	return dest;
}
EXPORT_SYMBOL(memmove);

/**
 * memset() - fill @n bytes at @s with the byte @c.
 * @s: the area.
 * @c: the value (converted to unsigned char).
 * @n: bytes.
 * Return: @s.
 */
void *memset(void *s, int c, size_t n)
{
	u8 *d = s;

	if (n < SMALL) {
		u64 w = 0x0101010101010101ULL * (u8)c;

		if (n >= 16) {
			ST(64, d, w);
			ST(64, d + 8, w);
			ST(64, d + n - 16, w);
			ST(64, d + n - 8, w);
		} else if (n >= 8) {
			ST(64, d, w);
			ST(64, d + n - 8, w);
		} else if (n >= 4) {
			ST(32, d, (u32)w);
			ST(32, d + n - 4, (u32)w);
		} else {
			for (; n; n--)
				*d++ = (u8)c;
		}
		return s;
	}
	fill(d, (u8)c, n);
	return s;
}
EXPORT_SYMBOL(memset);
