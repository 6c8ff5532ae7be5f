/* SPDX-License-Identifier: MIT */
/* Minimal assertions for the unit tests: exit 0 pass, 1 fail, 77 skip. */
#ifndef ZCCP_TEST_CHECK_H
#define ZCCP_TEST_CHECK_H

#include <stdio.h>

static int check_failures;

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",       \
				__FILE__, __LINE__, #cond);                \
			check_failures++;                                  \
		}                                                          \
	} while (0)

#define CHECK_EXIT()                                                       \
	do {                                                               \
		if (check_failures)                                        \
			fprintf(stderr, "%d check(s) failed\n",            \
				check_failures);                           \
		return check_failures ? 1 : 0;                             \
	} while (0)

#endif
