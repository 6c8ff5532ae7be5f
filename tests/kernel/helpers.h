/* SPDX-License-Identifier: MIT */
/*
 * Shared setup and checks for the SQE group kernel tests: argument
 * parsing, the group probe, one line per sub-case, and a model checker
 * that compares the CQEs a ring posted with the ones docs/sqe-group.md
 * promises (results, which requests post a CQE, and their order).
 */
#ifndef ZCCP_KTEST_HELPERS_H
#define ZCCP_KTEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <liburing.h>

#include "zccp/uring_group.h"

#define KT_PASS 0
#define KT_FAIL 1
#define KT_SKIP 77

/* The flags a member must not carry (docs/sqe-group.md). */
#define KT_MEMBER_BAD_FLAGS                                            \
	(IOSQE_IO_LINK | IOSQE_IO_HARDLINK | IOSQE_IO_DRAIN |          \
	 IOSQE_CQE_SKIP_SUCCESS)

/* Wait this long for CQEs that must come, unless a test says otherwise. */
#define KT_WAIT_MS 20000

/*
 * Parse the common arguments and make sure the kernel has groups:
 *   --require-groups (or ZCCP_REQUIRE_GROUPS=1): no groups is a failure
 *   --scale=N        work multiplier for the long tests (default 1 = full)
 *   --seed=N         random seed (default: from the clock, printed)
 * Without groups, exits 77 with "SKIP: kernel has no SQE groups".
 */
void kt_start(const char *name, int argc, char **argv);
/* Only name the test, for one that does its own probing. */
void kt_set_name(const char *name);
/* The percentage of the full work to do: --scale=PERCENT, default 100. */
unsigned kt_scale_percent(void);
unsigned kt_scaled(unsigned full); /* full * scale / 100, at least 1 */
unsigned long long kt_seed(void);
uint64_t kt_rand(void); /* xorshift64*, seeded by kt_seed() */
unsigned kt_rand_below(unsigned bound);

/* Report one sub-case.  kt_check() returns cond. */
void kt_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kt_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool kt_check(bool cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Count a sub-case that passed without a line of its own. */
void kt_pass_quietly(void);
unsigned kt_failures(void);
/* Print the summary; the exit status for main(). */
int kt_finish(void);
/* Abort the test as failed (setup went wrong), with a reason. */
_Noreturn void kt_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Rings and SQEs; both die on failure. */
void kt_ring_init(struct io_uring *ring, unsigned entries, unsigned flags);
struct io_uring_sqe *kt_sqe(struct io_uring *ring);
/* A NOP that completes with res (injected when res != 0). */
void kt_prep_nop(struct io_uring_sqe *sqe, uint64_t ud, int res,
		 unsigned flags);
/* io_uring_submit(), dying unless exactly want SQEs were consumed. */
void kt_submit(struct io_uring *ring, int want);

/* "-ECANCELED", "0", "4096": a CQE result for messages. */
const char *kt_res_name(int res, char buf[24]);
/* The names of IOSQE_* flags, "-" for none. */
const char *kt_flag_names(unsigned flags, char *buf, size_t len);

/*
 * The model: what each submitted request must do.  user_data values
 * must be unique and non-zero.
 */
#define KT_NO_CQE 0x7fffffff /* res of a request that posts no CQE */
struct kt_req {
	uint64_t ud;
	int res;	/* expected result, or KT_NO_CQE */
	int group;	/* requests of one group share it, from 1; 0: none */
	bool leader;
	uint64_t after; /* its CQE must follow this ud's (if posted), 0: none */
	int after_group; /* ... and every CQE of this group, 0: none */
};

struct kt_cqe {
	uint64_t ud;
	int res;
	unsigned flags;
};

/* Fill reqs[]: a group of n members, uds ud_base (leader), ud_base+1.. */
void kt_model_group(struct kt_req *reqs, int group, uint64_t ud_base,
		    int leader_res, const int *member_res, int n);

/*
 * Collect CQEs until every request of the model that must post one has,
 * or timeout_ms passes; then take whatever else is ready (waiting a
 * little when the model expects some CQE to be missing, so a late one is
 * seen).  Returns the number of CQEs stored in out.
 */
int kt_reap(struct io_uring *ring, const struct kt_req *reqs, int nreq,
	    struct kt_cqe *out, int max, int timeout_ms);
/* Collect exactly n CQEs (or fewer on timeout). */
int kt_reap_n(struct io_uring *ring, int n, struct kt_cqe *out, int max,
	      int timeout_ms);
/* Wait up to ms for any CQE; returns the number taken (peeked, consumed). */
int kt_reap_for(struct io_uring *ring, int ms, struct kt_cqe *out, int max);

/*
 * Compare posted CQEs with the model: known and unique user_data, each
 * result, CQEs present or absent, every group member before its leader,
 * and each `after` order.  On a mismatch, why says what (with the CQE
 * sequence) and false is returned.
 */
bool kt_verify(const struct kt_req *reqs, int nreq,
	       const struct kt_cqe *cqes, int ncqe, char *why, size_t len);
/* Index of ud's CQE in cqes, or -1. */
int kt_cqe_pos(const struct kt_cqe *cqes, int ncqe, uint64_t ud);
/* reap + verify + one ok/FAIL line naming `what`; returns pass. */
bool kt_expect(struct io_uring *ring, const struct kt_req *reqs, int nreq,
	       const char *what);

/* Milliseconds on CLOCK_MONOTONIC. */
long long kt_now_ms(void);
/* A pipe, both ends; dies on failure. */
void kt_pipe(int fds[2]);
/* Write all of buf; dies on failure. */
void kt_write_all(int fd, const void *buf, size_t len);
/* A file of len bytes under $TMPDIR (default /tmp), unlinked: its fd. */
int kt_tmpfile(size_t len);
/* Fill buf with bytes derived from seed, so contents can be checked. */
void kt_fill(void *buf, size_t len, uint64_t seed);

#endif
