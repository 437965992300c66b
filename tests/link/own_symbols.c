// SPDX-License-Identifier: GPL-2.0
/*
 * A program that defines its own memcpy, printk and socket, as an
 * application may, and uses ulk. The kernel inside libulk defines all three;
 * they must stay inside it: this program must link (no duplicate symbols
 * with libulk.a), its memcpy must serve the whole program (libc and libulk's
 * host side included) and still work, and the kernel must never call this
 * program's printk or socket.
 *
 * Built and run by tests/link/test_symbols.sh against libulk.a, libulk.so,
 * with -static and with -pie. Argument: a name for the variant.
 */
#include <stdio.h>
#include <string.h>

#include <ulk/ulk.h>
#include <ulk/linux/utsname.h>

static unsigned long memcpy_calls;
static int printk_calls, socket_calls;
static int failures;

/*
 * A plain byte loop. The volatile accesses keep the compiler from turning
 * the loop back into a call to memcpy (which would be this function).
 */
void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	volatile unsigned char *d = dst;
	const volatile unsigned char *s = src;

	__atomic_add_fetch(&memcpy_calls, 1, __ATOMIC_RELAXED);
	while (n--)
		*d++ = *s++;
	return dst;
}

/* Same name as the kernel's, different meaning: counts its calls. */
int printk(const char *fmt, ...);
int printk(const char *fmt, ...)
{
	(void)fmt;
	printk_calls++;
	return 0;
}

/*
 * libc's prototype (a header may have declared it), but not libc's
 * function: the kernel's sys_socket must not end up here either.
 */
int socket(int domain, int type, int protocol);
int socket(int domain, int type, int protocol)
{
	(void)domain;
	(void)type;
	(void)protocol;
	socket_calls++;
	return -1;
}

static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "PASS" : "FAIL", what);
	if (!ok)
		failures++;
}

int main(int argc, char **argv)
{
	void *(*volatile copy)(void *restrict, const void *restrict, size_t) =
		memcpy;
	const char *variant = argc > 1 ? argv[1] : "?";
	struct ulk_new_utsname uts;
	char a[64] = "copied by the program's own memcpy", b[64];
	unsigned long before;
	long ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("variant: %s\n", variant);
	before = memcpy_calls;
	copy(b, a, sizeof(a));
	check(memcpy_calls > before && strcmp(a, b) == 0,
	      "the program's memcpy is the one called, and copies");

	ret = ulk_start(NULL);
	check(ret == 0, "ulk_start() boots");
	if (ret != 0) {
		printf("     ulk_start: %ld (%s)\n", ret, ulk_strerror((int)ret));
		return 1;
	}
	memset(&uts, 0, sizeof(uts));
	ret = ulk_sys_uname(&uts);
	printf("     uname: %ld %.65s %.65s %.65s\n", ret, uts.sysname,
	       uts.release, uts.machine);
	check(ret == 0 && strcmp(uts.sysname, "Linux") == 0 &&
	      strcmp(uts.machine, "ulk") == 0, "uname inside ulk: Linux, ulk");
	check(ulk_sys_getpid() > 0, "getpid inside ulk");
	check(printk_calls == 0,
	      "the kernel never called the program's printk");
	check(socket_calls == 0,
	      "nothing called the program's socket");
	check(printk("x") == 0 && printk_calls == 1 && socket(1, 2, 3) == -1 &&
	      socket_calls == 1, "the program's printk and socket are its own");
	check(ulk_halt() == 0, "ulk_halt()");
	printf("RESULT: %s: %s (program memcpy called %lu times)\n", variant,
	       failures ? "FAIL" : "pass", memcpy_calls);
	return failures ? 1 : 0;
}
