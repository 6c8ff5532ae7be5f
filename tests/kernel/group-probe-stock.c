/* SPDX-License-Identifier: MIT */
/*
 * zccp_uring_group_probe() gives the right answer for the running kernel:
 * --expect=none on a kernel without SQE groups (stock 6.12, mainline),
 * --expect=groups on one with kernel/patches.  Also checks by hand what
 * the probe relies on: without groups, sqe flag bit 7 fails the SQE with
 * -EINVAL and submission stops there; with groups, the member's CQE
 * comes first and IORING_FEAT_SQE_GROUP is advertised.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"

static int expect_groups = -1;

static void check_probe(void)
{
	struct io_uring ring;
	int ret;

	kt_ring_init(&ring, 8, 0);
	ret = zccp_uring_group_probe(&ring);
	io_uring_queue_exit(&ring);
	if (expect_groups)
		kt_check(ret == 0, "probe returns 0 on a group kernel (got %d)",
			 ret);
	else
		kt_check(ret == -EOPNOTSUPP,
			 "probe returns -EOPNOTSUPP on a kernel without groups "
			 "(got %d)", ret);
}

static void check_by_hand(void)
{
	struct io_uring_params params;
	struct io_uring ring;
	struct kt_cqe cqes[4];
	int ret, n;

	memset(&params, 0, sizeof(params));
	ret = io_uring_queue_init_params(8, &ring, &params);
	if (ret < 0)
		kt_die("io_uring_queue_init_params: %s", strerror(-ret));
	kt_prep_nop(kt_sqe(&ring), 1, 0, IOSQE_SQE_GROUP);
	kt_prep_nop(kt_sqe(&ring), 2, 0, 0);
	ret = io_uring_submit(&ring);
	n = kt_reap_n(&ring, ret > 0 ? ret : 0, cqes, 4, KT_WAIT_MS);
	n += kt_reap_for(&ring, 10, cqes + n, 4 - n);
	if (!expect_groups) {
		kt_check(ret == 1,
			 "without groups submission stops at the flagged SQE "
			 "(io_uring_submit returned %d, want 1)", ret);
		kt_check(n == 1 && cqes[0].ud == 1 && cqes[0].res == -EINVAL,
			 "without groups the flagged SQE completes with "
			 "-EINVAL (%d CQEs, first %llu:%d)", n,
			 n ? (unsigned long long)cqes[0].ud : 0ULL,
			 n ? cqes[0].res : 0);
	} else {
		kt_check(ret == 2, "a NOP group of 2 is consumed whole "
			 "(io_uring_submit returned %d)", ret);
		kt_check(n == 2 && cqes[0].ud == 2 && cqes[0].res == 0 &&
				 cqes[1].ud == 1 && cqes[1].res == 0,
			 "member's CQE, then leader's, both 0 (%d CQEs)", n);
		kt_check(params.features & IORING_FEAT_SQE_GROUP,
			 "IORING_FEAT_SQE_GROUP is advertised (features %#x)",
			 params.features);
	}
	io_uring_queue_exit(&ring);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--expect=groups"))
			expect_groups = 1;
		else if (!strcmp(argv[i], "--expect=none"))
			expect_groups = 0;
	}
	if (expect_groups < 0 || argc != 2) {
		fprintf(stderr, "usage: group-probe-stock --expect=groups|none\n");
		return KT_FAIL;
	}
	kt_set_name("group-probe-stock");
	printf("group-probe-stock: expecting %s\n",
	       expect_groups ? "SQE groups" : "no SQE groups");
	check_probe();
	check_by_hand();
	return kt_finish();
}
