/* SPDX-License-Identifier: MIT */
/*
 * Failures in and around SQE groups (docs/sqe-group.md):
 *   - a failed leader cancels its members and keeps its own error;
 *   - a failed member leaves the other members and the leader's result
 *     alone, but breaks the link after the group (not a hardlink);
 *   - an SQE failing at submission (bad NOP flags, bad opcode, a
 *     LINK_TIMEOUT anywhere in the group) fails the whole group, and
 *     submission stops after the group unless IORING_SETUP_SUBMIT_ALL;
 *   - a group of only a leader at the end of a submission is -EINVAL;
 *     a group still open at the end of a submission ends there;
 *   - CQE_SKIP_SUCCESS on the leader hides only its successful CQE.
 */
#include <errno.h>
#include <stdio.h>

#include "helpers.h"

#define L 100 /* the leader's user_data; members are L + 1, L + 2, ... */
#define TAIL 200
#define BAD_NOP_FLAGS (1U << 30) /* no such IORING_NOP_* flag */
#define BAD_OPCODE 255

static const int ok3[3] = { 0, 0, 0 };
static const int cancelled3[3] = { -ECANCELED, -ECANCELED, -ECANCELED };

/* Submit what is queued; one FAIL line unless want SQEs were consumed. */
static bool submit(struct io_uring *ring, int want, const char *what)
{
	int ret = io_uring_submit(ring);

	if (ret == want)
		return true;
	kt_fail("%s: io_uring_submit returned %d, want %d", what, ret, want);
	return false;
}

/* A NOP group: leader result, n members with results (0 = success). */
static void prep_group(struct io_uring *ring, unsigned leader_flags,
		       int leader_res, const int *member_res, int n)
{
	kt_prep_nop(kt_sqe(ring), L, leader_res,
		    leader_flags | IOSQE_SQE_GROUP);
	for (int i = 0; i < n; i++)
		kt_prep_nop(kt_sqe(ring), L + 1 + (unsigned)i, member_res[i],
			    i + 1 < n ? IOSQE_SQE_GROUP : 0);
}

static void leader_fails(void)
{
	static const int errors[] = { -EIO, -ENOSPC, -EPERM };

	for (int n = 1; n <= 3; n++) {
		struct io_uring ring;
		struct kt_req reqs[4];
		char what[96];
		int err = errors[n - 1];

		snprintf(what, sizeof(what),
			 "leader fails with %d, its %d member(s) -ECANCELED",
			 err, n);
		kt_ring_init(&ring, 8, 0);
		prep_group(&ring, 0, err, ok3, n);
		kt_model_group(reqs, 1, L, err, cancelled3, n);
		if (submit(&ring, n + 1, what))
			kt_expect(&ring, reqs, n + 1, what);
		io_uring_queue_exit(&ring);
	}
}

/* Member `bad` of 3 fails; tail linked by leader_flags (0: unlinked). */
static void member_fails(int bad, unsigned leader_flags)
{
	int member_res[3] = { 0, 0, 0 };
	bool skip = leader_flags & IOSQE_CQE_SKIP_SUCCESS;
	bool linked = leader_flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK);
	struct io_uring ring;
	struct kt_req reqs[5];
	char what[160], names[64];

	member_res[bad] = -EIO;
	snprintf(what, sizeof(what),
		 "member %d of 3 fails (leader %s): other members 0, leader 0%s",
		 bad + 1, kt_flag_names(leader_flags, names, sizeof(names)),
		 !linked ? "" :
		 leader_flags & IOSQE_IO_HARDLINK ? ", hardlinked NOP runs" :
						    ", linked NOP -ECANCELED");
	kt_ring_init(&ring, 8, 0);
	prep_group(&ring, leader_flags, 0, member_res, 3);
	kt_prep_nop(kt_sqe(&ring), TAIL, 0, 0);
	kt_model_group(reqs, 1, L, skip ? KT_NO_CQE : 0, member_res, 3);
	reqs[4] = (struct kt_req){ .ud = TAIL, .res = 0 };
	if (linked) {
		reqs[4].after = L;
		reqs[4].after_group = 1;
		if (!(leader_flags & IOSQE_IO_HARDLINK))
			reqs[4].res = -ECANCELED;
	}
	if (submit(&ring, 5, what))
		kt_expect(&ring, reqs, 5, what);
	io_uring_queue_exit(&ring);
}

/*
 * Member `bad` of 3 (-1: the leader) fails at submission because of
 * how it is prepared; an unlinked NOP follows the group.
 */
static void fails_at_submission(int bad, bool bad_opcode, bool submit_all)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct kt_req reqs[5];
	char what[160];
	int member_res[3];

	snprintf(what, sizeof(what),
		 "%s %d with %s fails the group at submission%s",
		 bad < 0 ? "leader" : "member", bad < 0 ? 0 : bad + 1,
		 bad_opcode ? "opcode 255" : "unknown NOP flags",
		 submit_all ? " (SUBMIT_ALL: the NOP after it runs)" :
			      ", submission stops after it");
	kt_ring_init(&ring, 8, submit_all ? IORING_SETUP_SUBMIT_ALL : 0);
	for (int i = 0; i < 4; i++) {
		sqe = kt_sqe(&ring);
		kt_prep_nop(sqe, L + (unsigned)i, 0,
			    i < 3 ? IOSQE_SQE_GROUP : 0);
		if (i != bad + 1)
			continue;
		if (bad_opcode)
			sqe->opcode = BAD_OPCODE;
		else
			sqe->rw_flags = BAD_NOP_FLAGS;
	}
	kt_prep_nop(kt_sqe(&ring), TAIL, 0, 0);
	for (int i = 0; i < 3; i++)
		member_res[i] = i == bad ? -EINVAL : -ECANCELED;
	kt_model_group(reqs, 1, L, bad < 0 ? -EINVAL : -ECANCELED, member_res,
		       3);
	reqs[4] = (struct kt_req){ .ud = TAIL, .res = 0 };
	if (!submit(&ring, submit_all ? 5 : 4, what)) {
		io_uring_queue_exit(&ring);
		return;
	}
	if (!submit_all && kt_expect(&ring, reqs, 4, what)) {
		/* the NOP left in the SQ ring goes with the next submission */
		snprintf(what, sizeof(what),
			 "the SQE after a group failed at submission is "
			 "submitted next time, alone");
		if (submit(&ring, 1, what))
			kt_expect(&ring, &reqs[4], 1, what);
	} else if (submit_all) {
		kt_expect(&ring, reqs, 5, what);
	}
	io_uring_queue_exit(&ring);
}

/*
 * IORING_OP_LINK_TIMEOUT in a group, at position `at` (0: leader); a
 * linked NOP before the group lets the timeout's own preparation pass,
 * so only the group rule can refuse it.  The failed group fails the
 * link it is in, the NOP before it included.
 */
static void link_timeout_in_group(int at, int members)
{
	struct __kernel_timespec ts = { .tv_sec = 1 };
	struct io_uring ring;
	struct kt_req reqs[5];
	char what[128];
	int member_res[3];

	snprintf(what, sizeof(what),
		 "LINK_TIMEOUT as %s%.0d of a group of %d: -EINVAL, group "
		 "-ECANCELED", at ? "member " : "leader", at, members + 1);
	kt_ring_init(&ring, 8, 0);
	kt_prep_nop(kt_sqe(&ring), TAIL, 0, IOSQE_IO_LINK);
	for (int i = 0; i <= members; i++) {
		struct io_uring_sqe *sqe = kt_sqe(&ring);

		if (i == at)
			io_uring_prep_link_timeout(sqe, &ts, 0);
		else
			io_uring_prep_nop(sqe);
		sqe->user_data = L + (unsigned)i;
		sqe->flags = i < members ? IOSQE_SQE_GROUP : 0;
	}
	for (int i = 0; i < members; i++)
		member_res[i] = i + 1 == at ? -EINVAL : -ECANCELED;
	kt_model_group(reqs, 1, L, at ? -ECANCELED : -EINVAL, member_res,
		       members);
	/* the NOP heads the link the group failed */
	reqs[members + 1] = (struct kt_req){ .ud = TAIL, .res = -ECANCELED };
	if (submit(&ring, members + 2, what))
		kt_expect(&ring, reqs, members + 2, what);
	io_uring_queue_exit(&ring);
}

static void lone_leader(unsigned flags)
{
	struct kt_req req = { .ud = L, .res = -EINVAL, .group = 1,
			      .leader = true };
	struct kt_req next[3];
	struct io_uring ring;
	char what[128], names[64];

	snprintf(what, sizeof(what),
		 "a leader (%s) alone at the end of a submission: -EINVAL",
		 kt_flag_names(flags | IOSQE_SQE_GROUP, names, sizeof(names)));
	kt_ring_init(&ring, 8, 0);
	kt_prep_nop(kt_sqe(&ring), L, 0, flags | IOSQE_SQE_GROUP);
	if (submit(&ring, 1, what) && kt_expect(&ring, &req, 1, what)) {
		/* the next submission starts afresh: a group of its own */
		snprintf(what, sizeof(what), "the next submission's group "
			 "is not joined to the failed leader");
		prep_group(&ring, 0, 0, ok3, 2);
		kt_model_group(next, 1, L, 0, ok3, 2);
		if (submit(&ring, 3, what))
			kt_expect(&ring, next, 3, what);
	}
	io_uring_queue_exit(&ring);
}

/* Leader and members all flagged: the submission's end closes the group. */
static void open_at_end(int members)
{
	struct kt_req reqs[4], alone = { .ud = TAIL, .res = 0 };
	struct io_uring ring;
	char what[128];

	snprintf(what, sizeof(what),
		 "a group of %d still open at the end of a submission ends "
		 "with its last SQE, all 0", members + 1);
	kt_ring_init(&ring, 8, 0);
	for (int i = 0; i <= members; i++)
		kt_prep_nop(kt_sqe(&ring), L + (unsigned)i, 0,
			    IOSQE_SQE_GROUP);
	kt_model_group(reqs, 1, L, 0, ok3, members);
	if (submit(&ring, members + 1, what) &&
	    kt_expect(&ring, reqs, members + 1, what)) {
		snprintf(what, sizeof(what), "an unflagged NOP in the next "
			 "submission stands alone");
		kt_prep_nop(kt_sqe(&ring), TAIL, 0, 0);
		if (submit(&ring, 1, what))
			kt_expect(&ring, &alone, 1, what);
	}
	io_uring_queue_exit(&ring);
}

/* The submission ends in a group whose last SQE failed to initialise. */
static void open_at_end_failed(void)
{
	static const int res[2] = { -ECANCELED, -EINVAL };
	const char *what = "a group open at the end of a submission whose "
			   "last member failed at submission: -EINVAL, group "
			   "-ECANCELED";
	struct io_uring_sqe *sqe;
	struct kt_req reqs[3];
	struct io_uring ring;

	kt_ring_init(&ring, 8, 0);
	kt_prep_nop(kt_sqe(&ring), L, 0, IOSQE_SQE_GROUP);
	kt_prep_nop(kt_sqe(&ring), L + 1, 0, IOSQE_SQE_GROUP);
	sqe = kt_sqe(&ring);
	kt_prep_nop(sqe, L + 2, 0, IOSQE_SQE_GROUP);
	sqe->rw_flags = BAD_NOP_FLAGS;
	kt_model_group(reqs, 1, L, -ECANCELED, res, 2);
	if (submit(&ring, 3, what))
		kt_expect(&ring, reqs, 3, what);
	io_uring_queue_exit(&ring);
}

static void skip_success_leader(int leader_res)
{
	struct io_uring ring;
	struct kt_req reqs[3];
	char what[128];

	snprintf(what, sizeof(what),
		 "CQE_SKIP_SUCCESS leader %s: %s", leader_res ? "fails" :
		 "succeeds", leader_res ? "its CQE -EIO, members -ECANCELED" :
		 "no leader CQE, members 0");
	kt_ring_init(&ring, 8, 0);
	prep_group(&ring, IOSQE_CQE_SKIP_SUCCESS, leader_res, ok3, 2);
	kt_model_group(reqs, 1, L, leader_res ? leader_res : KT_NO_CQE,
		       leader_res ? cancelled3 : ok3, 2);
	if (submit(&ring, 3, what))
		kt_expect(&ring, reqs, 3, what);
	io_uring_queue_exit(&ring);
}

int main(int argc, char **argv)
{
	kt_start("group-fail", argc, argv);

	leader_fails();
	for (int bad = 0; bad < 3; bad++)
		member_fails(bad, 0);
	member_fails(1, IOSQE_IO_LINK);
	member_fails(2, IOSQE_IO_HARDLINK);
	member_fails(0, IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS);
	member_fails(0, IOSQE_IO_LINK | IOSQE_ASYNC);

	for (int bad = -1; bad < 3; bad++)
		fails_at_submission(bad, false, false);
	fails_at_submission(1, true, false);
	fails_at_submission(2, true, false);
	fails_at_submission(0, false, true);

	link_timeout_in_group(0, 1);
	link_timeout_in_group(1, 1);
	link_timeout_in_group(1, 2);
	link_timeout_in_group(2, 2);

	lone_leader(0);
	lone_leader(IOSQE_IO_LINK);
	lone_leader(IOSQE_ASYNC);
	open_at_end(1);
	open_at_end(3);
	open_at_end_failed();

	skip_success_leader(0);
	skip_success_leader(-EIO);
	return kt_finish();
}
