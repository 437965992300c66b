// SPDX-License-Identifier: GPL-2.0
/*
 * The sanitizers' settings for the sanitized test tiers (`make check-asan`,
 * and the asan/ tests of `make test`), linked into every test binary of a
 * SANITIZE=1 build so that one run by hand behaves as under tests/run.sh.
 * ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS in the environment still
 * override them.
 *
 * Why each setting:
 *
 *  - handle_segv=0, handle_sigbus=0: ulk turns a fault in its user copies
 *    into -EFAULT with its own SIGSEGV/SIGBUS handler (lib/uaccess.c), and
 *    a fault anywhere else must take the program's handler or the default
 *    action, as tests/integration/test_efault checks (a child is to die of
 *    SIGSEGV). ASan's handler, installed before main, would be the one
 *    ulk's handler chains to, and would turn that death into a report and
 *    exit 1. Memory errors are caught by ASan's instrumentation, not by
 *    its SEGV handler, so nothing is lost but the report of a wild access.
 *  - allow_user_segv_handler=1: a program's own sigaction() of SIGSEGV
 *    (through ASan's interceptor) is honoured.
 *  - detect_leaks=1: host-side allocations must be freed or reachable.
 *    The kernel's memory is an mmap()ed region that holds pointers to host
 *    allocations (semaphores, mutexes, timers); hostops_posix.c registers
 *    it as a root region so that they are not reported.
 *  - detect_stack_use_after_return=1, strict_string_checks=1,
 *    check_initialization_order=1, strict_init_order=1: more checks, at a
 *    cost the tiers' run time allows.
 *  - exitcode 1 (ASan's default) is a failure for tests/run.sh, never the
 *    skip code 77.
 *
 * UBSan is built with -fno-sanitize-recover=all: the first undefined
 * behaviour ends the test with a stack trace.
 */

/* Called by the sanitizer runtimes at start-up; not declared in a header. */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__lsan_default_suppressions(void);

__attribute__((used)) const char *__asan_default_options(void)
{
	return "handle_segv=0:handle_sigbus=0:allow_user_segv_handler=1"
	       ":detect_leaks=1:detect_stack_use_after_return=1"
	       ":strict_string_checks=1:check_initialization_order=1"
	       ":strict_init_order=1:print_summary=1:color=never";
}

__attribute__((used)) const char *__ubsan_default_options(void)
{
	return "print_stacktrace=1:halt_on_error=1:color=never";
}

/*
 * Leaks known and accepted, one line each with the reason. None so far:
 * a leak report is a bug to fix, not to suppress.
 */
__attribute__((used)) const char *__lsan_default_suppressions(void)
{
	return "";
}
