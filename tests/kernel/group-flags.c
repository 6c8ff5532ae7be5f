/* SPDX-License-Identifier: MIT */
/*
 * Every combination of LINK, HARDLINK, DRAIN, ASYNC and CQE_SKIP_SUCCESS
 * on a NOP group's leader and on one of its 1..3 members, with the
 * leader succeeding or failing (injected -EIO), followed by a plain NOP
 * (the "tail") that the leader's link flags may link to the group.
 * Each case runs on a fresh ring and its CQEs are checked against
 * docs/sqe-group.md:
 *   - a member with LINK, HARDLINK, DRAIN or CQE_SKIP_SUCCESS fails with
 *     -EINVAL, the leader and the other members with -ECANCELED, and
 *     submission stops after the group unless the group is linked;
 *   - members post before the leader; the leader carries its own result;
 *     CQE_SKIP_SUCCESS on the leader hides only its successful CQE;
 *   - to links a group is one request: the tail follows the leader's
 *     CQE; a failed group cancels it through LINK, not HARDLINK.
 * Where the leader is an ordinary request, io_uring's usual rules hold
 * (checked on a stock kernel without groups): DRAIN after CQE_SKIP is
 * -EOPNOTSUPP, a request failing at submission breaks even a hardlink,
 * and the cancelled links of a failed CQE_SKIP request post no CQE.
 */
#include <errno.h>
#include <stdio.h>

#include "helpers.h"

#define LEADER_UD 100
#define TAIL_UD 200
#define MAX_MEMBERS 3
#define MAX_FAIL_LINES 40

static const unsigned flag_list[] = {
	IOSQE_IO_LINK, IOSQE_IO_HARDLINK, IOSQE_IO_DRAIN, IOSQE_ASYNC,
	IOSQE_CQE_SKIP_SUCCESS,
};
#define NR_FLAGS (sizeof(flag_list) / sizeof(flag_list[0]))

struct flag_case {
	unsigned leader_flags, member_flags;
	int members, flagged; /* flagged: the member carrying member_flags */
	bool leader_fails;
};

static unsigned flags_of(unsigned combination)
{
	unsigned flags = 0;

	for (unsigned i = 0; i < NR_FLAGS; i++)
		if (combination & (1U << i))
			flags |= flag_list[i];
	return flags;
}

/* The model of one case: requests and how many SQEs submission takes. */
static int model(const struct flag_case *fc, struct kt_req *reqs,
		 int *submitted)
{
	unsigned lf = fc->leader_flags;
	bool linked = lf & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK);
	bool skip = lf & IOSQE_CQE_SKIP_SUCCESS;
	/* io_uring refuses DRAIN once CQE_SKIP_SUCCESS has been seen */
	int leader_init = (lf & IOSQE_IO_DRAIN) && skip ? -EOPNOTSUPP : 0;
	bool member_bad = fc->member_flags & KT_MEMBER_BAD_FLAGS;
	bool init_failed = leader_init || member_bad;
	bool group_failed = init_failed || fc->leader_fails;
	int member_res[MAX_MEMBERS];
	int leader_res, nreq;

	for (int i = 0; i < fc->members; i++) {
		if (!group_failed)
			member_res[i] = 0;
		else if (member_bad && i == fc->flagged)
			member_res[i] = -EINVAL;
		else
			member_res[i] = -ECANCELED;
	}
	if (leader_init)
		leader_res = leader_init;
	else if (member_bad)
		leader_res = -ECANCELED;
	else if (fc->leader_fails)
		leader_res = -EIO;
	else
		leader_res = skip ? KT_NO_CQE : 0;
	kt_model_group(reqs, 1, LEADER_UD, leader_res, member_res,
		       fc->members);
	nreq = fc->members + 1;

	*submitted = nreq + 1;
	if (!linked) {
		if (init_failed) {
			*submitted = nreq; /* stops after the failed group */
			return nreq;
		}
		reqs[nreq++] = (struct kt_req){ .ud = TAIL_UD, .res = 0 };
		return nreq;
	}
	reqs[nreq] = (struct kt_req){ .ud = TAIL_UD, .res = 0,
				      .after = LEADER_UD, .after_group = 1 };
	if (group_failed &&
	    (init_failed || !(lf & IOSQE_IO_HARDLINK))) {
		/* every failure here is the leader's own, so it had SKIP */
		reqs[nreq].res = skip ? KT_NO_CQE : -ECANCELED;
	}
	return nreq + 1;
}

static void describe(const struct flag_case *fc, char *buf, size_t len)
{
	char lead[64], member[64];

	snprintf(buf, len,
		 "leader %s%s, %d member(s), member %d flagged %s",
		 kt_flag_names(fc->leader_flags, lead, sizeof(lead)),
		 fc->leader_fails ? " failing -EIO" : "", fc->members,
		 fc->flagged + 1,
		 kt_flag_names(fc->member_flags, member, sizeof(member)));
}

static bool run_case(const struct flag_case *fc, char *why, size_t len)
{
	struct kt_req reqs[MAX_MEMBERS + 2];
	struct kt_cqe cqes[16];
	struct io_uring ring;
	int nreq, want, got, n;

	nreq = model(fc, reqs, &want);
	kt_ring_init(&ring, 8, 0);
	kt_prep_nop(kt_sqe(&ring), LEADER_UD, fc->leader_fails ? -EIO : 0,
		    fc->leader_flags | IOSQE_SQE_GROUP);
	for (int i = 0; i < fc->members; i++) {
		unsigned flags = i == fc->flagged ? fc->member_flags : 0;

		if (i + 1 < fc->members)
			flags |= IOSQE_SQE_GROUP;
		kt_prep_nop(kt_sqe(&ring), LEADER_UD + 1 + (unsigned)i, 0,
			    flags);
	}
	kt_prep_nop(kt_sqe(&ring), TAIL_UD, 0, 0);
	got = io_uring_submit(&ring);
	n = kt_reap(&ring, reqs, nreq, cqes, 16, 5000);
	io_uring_queue_exit(&ring);
	if (got != want) {
		snprintf(why, len, "io_uring_submit returned %d, want %d", got,
			 want);
		return false;
	}
	return kt_verify(reqs, nreq, cqes, n, why, len);
}

int main(int argc, char **argv)
{
	static const int shapes[][2] = { /* members, flagged member */
		{ 1, 0 }, { 2, 0 }, { 2, 1 }, { 3, 0 }, { 3, 2 },
	};
	unsigned fail_lines = 0;

	kt_start("group-flags", argc, argv);
	for (unsigned lc = 0; lc < 1U << NR_FLAGS; lc++) {
		unsigned cases = 0, bad = 0;
		char names[64];

		for (unsigned mc = 0; mc < 1U << NR_FLAGS; mc++) {
			for (unsigned s = 0; s < 5; s++) {
				for (int fails = 0; fails < 2; fails++) {
					struct flag_case fc = {
						.leader_flags = flags_of(lc),
						.member_flags = flags_of(mc),
						.members = shapes[s][0],
						.flagged = shapes[s][1],
						.leader_fails = fails,
					};
					char what[160], why[1024];

					/* below 100%, a random share */
					if (kt_rand_below(100) >=
					    kt_scale_percent())
						continue;
					cases++;
					if (run_case(&fc, why, sizeof(why)))
						continue;
					bad++;
					if (fail_lines++ >= MAX_FAIL_LINES)
						continue;
					describe(&fc, what, sizeof(what));
					printf("  case %s: %s\n", what, why);
				}
			}
		}
		kt_flag_names(flags_of(lc), names, sizeof(names));
		kt_check(!bad, "leader %s: %u of %u cases as documented", names,
			 cases - bad, cases);
	}
	if (fail_lines > MAX_FAIL_LINES)
		printf("(%u more failing cases not shown)\n",
		       fail_lines - MAX_FAIL_LINES);
	return kt_finish();
}
