/* SPDX-License-Identifier: MIT */
/*
 * IOSQE_IO_DRAIN and SQE groups (docs/sqe-group.md, "Links and drain"):
 * DRAIN on a leader drains the group as a whole, so it waits for every
 * earlier request, and its members run after it; a drained request
 * after a group waits for all of the group; DRAIN on a member is
 * -EINVAL (the leader and the other members -ECANCELED).
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "helpers.h"

#define EARLY 10 /* an earlier, slow request */
#define L 100
#define LATE 300 /* a drained request after the group */

static const int ok4[4] = { 0, 0, 0, 0 };

/* The slow request: a pipe read (1 byte) or a 60 ms timeout (-ETIME). */
static int prep_slow(struct io_uring *ring, int pipe_fd, char *byte)
{
	static struct __kernel_timespec ts = { .tv_nsec = 60 * 1000000 };
	struct io_uring_sqe *sqe = kt_sqe(ring);

	if (pipe_fd >= 0)
		io_uring_prep_read(sqe, pipe_fd, byte, 1, 0);
	else
		io_uring_prep_timeout(sqe, &ts, 0, 0);
	sqe->user_data = EARLY;
	return pipe_fd >= 0 ? 1 : -ETIME;
}

static void prep_group(struct io_uring *ring, unsigned leader_flags, int n,
		       unsigned member_flags)
{
	kt_prep_nop(kt_sqe(ring), L, 0, leader_flags | IOSQE_SQE_GROUP);
	for (int i = 0; i < n; i++)
		kt_prep_nop(kt_sqe(ring), L + 1 + (unsigned)i, 0,
			    (i & 1 ? member_flags : 0) |
				    (i + 1 < n ? IOSQE_SQE_GROUP : 0));
}

/* No CQE at all for ms: true; else a FAIL line. */
static bool quiet_for(struct io_uring *ring, int ms, const char *what)
{
	struct kt_cqe cqe;

	if (!kt_reap_for(ring, ms, &cqe, 1))
		return true;
	kt_fail("%s: CQE %llu:%d came too early", what,
		(unsigned long long)cqe.ud, cqe.res);
	return false;
}

/*
 * An earlier slow request, then a group whose leader has DRAIN (and a
 * drained NOP after the group when late_drain): the group completes
 * only after the slow request, the NOP only after the whole group.
 */
static void drained_leader(bool use_pipe, unsigned member_flags,
			   bool late_drain)
{
	struct kt_req reqs[7];
	struct io_uring ring;
	char what[192], byte;
	int fds[2] = { -1, -1 }, nreq, slow_res;

	snprintf(what, sizeof(what), "DRAIN leader waits for an earlier %s%s%s",
		 use_pipe ? "pipe read" : "60 ms timeout",
		 member_flags ? ", ASYNC members after it" : "",
		 late_drain ? "; a drained NOP after the group waits for it" :
			      "");
	if (use_pipe)
		kt_pipe(fds);
	kt_ring_init(&ring, 16, 0);
	slow_res = prep_slow(&ring, fds[0], &byte);
	prep_group(&ring, IOSQE_IO_DRAIN, 3, member_flags);
	if (late_drain)
		kt_prep_nop(kt_sqe(&ring), LATE, 0, IOSQE_IO_DRAIN);
	kt_submit(&ring, late_drain ? 6 : 5);
	if (use_pipe) {
		if (!quiet_for(&ring, 150, what))
			goto out;
		kt_write_all(fds[1], "d", 1);
	}
	reqs[0] = (struct kt_req){ .ud = EARLY, .res = slow_res };
	kt_model_group(reqs + 1, 1, L, 0, ok4, 3);
	for (int i = 1; i <= 4; i++)
		reqs[i].after = EARLY;
	nreq = 5;
	if (late_drain)
		reqs[nreq++] = (struct kt_req){ .ud = LATE, .res = 0,
						.after = L, .after_group = 1 };
	kt_expect(&ring, reqs, nreq, what);
out:
	if (use_pipe) {
		close(fds[0]);
		close(fds[1]);
	}
	io_uring_queue_exit(&ring);
}

/*
 * A group whose leader (or one member) reads a pipe, then a NOP with
 * DRAIN: the NOP waits for the whole group.
 */
static void drain_after_group(bool slow_leader)
{
	struct io_uring_sqe *sqe;
	struct kt_req reqs[6];
	struct kt_cqe early[4];
	struct io_uring ring;
	char what[160], byte;
	int fds[2], n, want_early = slow_leader ? 0 : 2;

	snprintf(what, sizeof(what), "a drained NOP after a group whose %s "
		 "reads a pipe waits for the whole group",
		 slow_leader ? "leader" : "member");
	kt_pipe(fds);
	kt_ring_init(&ring, 16, 0);
	sqe = kt_sqe(&ring);
	if (slow_leader)
		io_uring_prep_read(sqe, fds[0], &byte, 1, 0);
	else
		io_uring_prep_nop(sqe);
	sqe->user_data = L;
	sqe->flags = IOSQE_SQE_GROUP;
	kt_prep_nop(kt_sqe(&ring), L + 1, 0, IOSQE_SQE_GROUP);
	sqe = kt_sqe(&ring);
	if (slow_leader)
		io_uring_prep_nop(sqe);
	else
		io_uring_prep_read(sqe, fds[0], &byte, 1, 0);
	sqe->user_data = L + 2;
	sqe->flags = IOSQE_SQE_GROUP;
	kt_prep_nop(kt_sqe(&ring), L + 3, 0, IOSQE_ASYNC);
	kt_prep_nop(kt_sqe(&ring), LATE, 0, IOSQE_IO_DRAIN);
	kt_submit(&ring, 5);

	n = kt_reap_n(&ring, want_early, early, 4, KT_WAIT_MS);
	n += kt_reap_for(&ring, 150, early + n, 4 - n);
	if (!kt_check(n == want_early && kt_cqe_pos(early, n, LATE) < 0 &&
			      kt_cqe_pos(early, n, L) < 0,
		      "%s: before the pipe is written, %d CQE(s), want %d of "
		      "members only", what, n, want_early))
		goto out;
	kt_write_all(fds[1], "e", 1);
	kt_model_group(reqs, 1, L, slow_leader ? 1 : 0, ok4, 3);
	if (!slow_leader) {
		reqs[1].res = KT_NO_CQE; /* already seen */
		reqs[2].res = 1;
		reqs[3].res = KT_NO_CQE;
	}
	reqs[4] = (struct kt_req){ .ud = LATE, .res = 0, .after = L,
				   .after_group = 1 };
	kt_expect(&ring, reqs, 5, what);
out:
	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
}

/* DRAIN on member `bad` of n: -EINVAL, the rest of the group -ECANCELED. */
static void drained_member(int bad, int n)
{
	int res[4];
	struct kt_req reqs[5];
	struct io_uring ring;
	char what[96];

	snprintf(what, sizeof(what),
		 "DRAIN on member %d of %d: -EINVAL, group -ECANCELED", bad + 1,
		 n);
	kt_ring_init(&ring, 8, 0);
	kt_prep_nop(kt_sqe(&ring), L, 0, IOSQE_SQE_GROUP);
	for (int i = 0; i < n; i++) {
		kt_prep_nop(kt_sqe(&ring), L + 1 + (unsigned)i, 0,
			    (i == bad ? IOSQE_IO_DRAIN : 0) |
				    (i + 1 < n ? IOSQE_SQE_GROUP : 0));
		res[i] = i == bad ? -EINVAL : -ECANCELED;
	}
	kt_submit(&ring, n + 1);
	kt_model_group(reqs, 1, L, -ECANCELED, res, n);
	kt_expect(&ring, reqs, n + 1, what);
	io_uring_queue_exit(&ring);
}

/* An earlier pipe read, then group A (DRAIN|LINK) linked to group B. */
static void drained_linked_groups(void)
{
	const char *what = "DRAIN|LINK leader: both linked groups wait for "
			   "the earlier request, B after A";
	struct kt_req reqs[6];
	struct io_uring ring;
	char byte;
	int fds[2];

	kt_pipe(fds);
	kt_ring_init(&ring, 16, 0);
	prep_slow(&ring, fds[0], &byte);
	prep_group(&ring, IOSQE_IO_DRAIN | IOSQE_IO_LINK, 2, 0);
	kt_prep_nop(kt_sqe(&ring), 200, 0, IOSQE_SQE_GROUP);
	kt_prep_nop(kt_sqe(&ring), 201, 0, 0);
	kt_submit(&ring, 6);
	if (quiet_for(&ring, 150, what)) {
		kt_write_all(fds[1], "f", 1);
		reqs[0] = (struct kt_req){ .ud = EARLY, .res = 1 };
		kt_model_group(reqs + 1, 1, L, 0, ok4, 2);
		for (int i = 1; i <= 3; i++)
			reqs[i].after = EARLY;
		kt_model_group(reqs + 4, 2, 200, 0, ok4, 1);
		for (int i = 4; i <= 5; i++) {
			reqs[i].after = L;
			reqs[i].after_group = 1;
		}
		kt_expect(&ring, reqs, 6, what);
	}
	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
}

int main(int argc, char **argv)
{
	kt_start("group-drain", argc, argv);
	drained_leader(true, 0, false);
	drained_leader(false, 0, false);
	drained_leader(true, IOSQE_ASYNC, false);
	drained_leader(true, 0, true);
	drained_leader(true, IOSQE_ASYNC, true);
	drained_leader(false, IOSQE_ASYNC, true);
	drain_after_group(true);
	drain_after_group(false);
	for (int bad = 0; bad < 3; bad++)
		drained_member(bad, 3);
	drained_member(0, 1);
	drained_linked_groups();
	return kt_finish();
}
