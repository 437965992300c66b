/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fuzz targets (tests/fuzz/fuzz_*.c) share: the entry points
 * libFuzzer calls, a check that stays on whatever NDEBUG says, and a way
 * to keep the code under test quiet.
 */
#ifndef ULK_TESTS_FUZZ_H
#define ULK_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * fuzz_check() - an invariant of the code under test: a violation is a
 * finding, so it aborts (libFuzzer saves the input) with the reason.
 */
#define fuzz_check(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(fuzz_stderr ? fuzz_stderr : stderr,	\
				"%s:%d: fuzz_check(%s) failed\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

/* The real standard error, for findings (see fuzz_quiet()). */
static FILE *fuzz_stderr;

/*
 * fuzz_quiet() - the code under test reports bad input on stderr, once
 * per device or per call: millions of lines in a fuzzing run, most of its
 * time. Unless FUZZ_VERBOSE is set, point libc's stderr at /dev/null; the
 * sanitizers and libFuzzer write to descriptor 2 (or kept their own
 * stream before this runs), so findings still show.
 */
static inline void fuzz_quiet(void)
{
	FILE *null;

	fuzz_stderr = stderr;
	if (getenv("FUZZ_VERBOSE"))
		return;
	null = fopen("/dev/null", "w");
	if (null)
		stderr = null;
}

#endif /* ULK_TESTS_FUZZ_H */
