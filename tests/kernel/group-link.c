/* SPDX-License-Identifier: MIT */
/*
 * Links between SQE groups (docs/sqe-group.md, "Links and drain"): LINK
 * or HARDLINK on a leader links the whole group to what follows it, and
 * the next group starts only after every member of the previous one has
 * completed (N:M dependencies).  A group fails, for its link, when its
 * leader or any member fails: LINK then cancels the rest of the chain,
 * leaders and members alike, HARDLINK goes on.  A group in a chain
 * after a failed request is cancelled whole.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define BLOCK 4096

/* Queue a NOP group g (user_data g*100, g*100+1, ...). */
static void prep_nop_group(struct io_uring *ring, int g, unsigned flags,
			   int leader_res, const int *member_res, int n,
			   unsigned member_flags)
{
	uint64_t base = (uint64_t)g * 100;

	kt_prep_nop(kt_sqe(ring), base, leader_res, flags | IOSQE_SQE_GROUP);
	for (int i = 0; i < n; i++)
		kt_prep_nop(kt_sqe(ring), base + 1 + (unsigned)i,
			    member_res ? member_res[i] : 0,
			    member_flags | (i + 1 < n ? IOSQE_SQE_GROUP : 0));
}

/* Model group g; it runs after group `after` (0: none). */
static int model_group(struct kt_req *reqs, int g, int leader_res,
		       int member_res_all, int n, int after)
{
	int res[8];

	for (int i = 0; i < n; i++)
		res[i] = member_res_all;
	kt_model_group(reqs, g, (uint64_t)g * 100, leader_res, res, n);
	for (int i = 0; i <= n; i++) {
		reqs[i].after_group = after;
		reqs[i].after = after ? (uint64_t)after * 100 : 0;
	}
	return n + 1;
}

/*
 * Group A: a NOP leader, members writing two blocks of a file and one
 * reading a pipe that is written late.  Group B, linked after it: its
 * leader reads the two blocks, its member copies them to a second file.
 * B must not start (nor any CQE but A's writers come) before the pipe is
 * written, and must read what A's members wrote.
 */
static void n_to_m(void)
{
	static char blocks[2 * BLOCK], copy[2 * BLOCK], check[2 * BLOCK];
	const char *what = "group B linked after group A starts only when "
			   "all of A's members are done";
	int file = kt_tmpfile(0), second = kt_tmpfile(0), fds[2];
	struct kt_req reqs[6];
	struct kt_cqe early[6];
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int n, nreq = 0;
	char byte;

	kt_fill(blocks, sizeof(blocks), 11);
	kt_pipe(fds);
	kt_ring_init(&ring, 8, 0);
	kt_prep_nop(kt_sqe(&ring), 100, 0, IOSQE_SQE_GROUP | IOSQE_IO_LINK);
	sqe = kt_sqe(&ring);
	io_uring_prep_write(sqe, file, blocks, BLOCK, 0);
	sqe->user_data = 101;
	sqe->flags = IOSQE_SQE_GROUP;
	sqe = kt_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], &byte, 1, 0);
	sqe->user_data = 102;
	sqe->flags = IOSQE_SQE_GROUP;
	sqe = kt_sqe(&ring);
	io_uring_prep_write(sqe, file, blocks + BLOCK, BLOCK, BLOCK);
	sqe->user_data = 103;
	sqe = kt_sqe(&ring);
	io_uring_prep_read(sqe, file, copy, sizeof(copy), 0);
	sqe->user_data = 200;
	sqe->flags = IOSQE_SQE_GROUP;
	sqe = kt_sqe(&ring);
	io_uring_prep_write(sqe, second, copy, sizeof(copy), 0);
	sqe->user_data = 201;
	kt_submit(&ring, 6);

	n = kt_reap_n(&ring, 2, early, 6, KT_WAIT_MS);
	n += kt_reap_for(&ring, 150, early + n, 6 - n);
	if (!kt_check(n == 2 && kt_cqe_pos(early, n, 101) >= 0 &&
			      kt_cqe_pos(early, n, 103) >= 0 &&
			      early[0].res == BLOCK && early[1].res == BLOCK,
		      "before A's slow member completes: only A's two writes "
		      "posted (%d CQEs)", n))
		goto out;
	kt_write_all(fds[1], "z", 1);
	reqs[nreq++] = (struct kt_req){ .ud = 100, .res = 0, .group = 1,
					.leader = true };
	reqs[nreq++] = (struct kt_req){ .ud = 102, .res = 1, .group = 1 };
	reqs[nreq++] = (struct kt_req){ .ud = 200, .res = 2 * BLOCK,
					.group = 2, .leader = true,
					.after = 100, .after_group = 1 };
	reqs[nreq++] = (struct kt_req){ .ud = 201, .res = 2 * BLOCK,
					.group = 2, .after = 100,
					.after_group = 1 };
	if (!kt_expect(&ring, reqs, nreq, what))
		goto out;
	kt_check(!memcmp(copy, blocks, sizeof(blocks)) &&
			 pread(second, check, sizeof(check), 0) ==
				 (ssize_t)sizeof(check) &&
			 !memcmp(check, blocks, sizeof(blocks)),
		 "B's leader read both blocks A's members wrote, B's member "
		 "copied them");
out:
	close(fds[0]);
	close(fds[1]);
	close(file);
	close(second);
	io_uring_queue_exit(&ring);
}

/* A -> B -> C, all succeeding, with ASYNC members: strictly in order. */
static void chain_of_three(unsigned member_flags)
{
	struct kt_req reqs[12];
	struct io_uring ring;
	char what[128];
	int nreq = 0;

	snprintf(what, sizeof(what), "three linked groups%s complete one "
		 "after another", member_flags ? " with ASYNC members" : "");
	kt_ring_init(&ring, 16, 0);
	prep_nop_group(&ring, 1, IOSQE_IO_LINK, 0, NULL, 3, member_flags);
	prep_nop_group(&ring, 2, IOSQE_IO_LINK, 0, NULL, 2, member_flags);
	prep_nop_group(&ring, 3, 0, 0, NULL, 3, member_flags);
	kt_submit(&ring, 11);
	nreq += model_group(reqs + nreq, 1, 0, 0, 3, 0);
	nreq += model_group(reqs + nreq, 2, 0, 0, 2, 1);
	nreq += model_group(reqs + nreq, 3, 0, 0, 3, 2);
	kt_expect(&ring, reqs, nreq, what);
	io_uring_queue_exit(&ring);
}

/*
 * Group A fails (its leader, or member 2 of 3) and is linked by
 * a_flags to group B, which is linked to a NOP (user_data 300).
 */
static void failed_group_link(bool leader_fails, unsigned a_flags)
{
	static const int member_fail[3] = { 0, -EIO, 0 };
	bool hard = a_flags & IOSQE_IO_HARDLINK;
	struct kt_req reqs[10];
	struct io_uring ring;
	char what[160];
	int nreq;

	snprintf(what, sizeof(what), "group A with a failing %s, %s to "
		 "group B and a NOP: %s", leader_fails ? "leader" : "member",
		 hard ? "HARDLINKed" : "LINKed",
		 hard ? "B and the NOP run" : "B and the NOP -ECANCELED");
	kt_ring_init(&ring, 16, 0);
	prep_nop_group(&ring, 1, a_flags, leader_fails ? -EIO : 0,
		       leader_fails ? NULL : member_fail, 3, 0);
	prep_nop_group(&ring, 2, IOSQE_IO_LINK, 0, NULL, 2, 0);
	kt_prep_nop(kt_sqe(&ring), 300, 0, 0);
	kt_submit(&ring, 8);
	nreq = model_group(reqs, 1, leader_fails ? -EIO : 0,
			   leader_fails ? -ECANCELED : 0, 3, 0);
	if (!leader_fails)
		reqs[2].res = -EIO;
	nreq += model_group(reqs + nreq, 2, hard ? 0 : -ECANCELED,
			    hard ? 0 : -ECANCELED, 2, 1);
	reqs[nreq++] = (struct kt_req){ .ud = 300,
					.res = hard ? 0 : -ECANCELED,
					.after = hard ? 200 : 100,
					.after_group = hard ? 2 : 1 };
	kt_expect(&ring, reqs, nreq, what);
	io_uring_queue_exit(&ring);
}

/* A HARDLINKed group whose member fails, then a LINKed one whose
 * leader fails: the chain goes on past the first, stops at the second. */
static void hardlink_then_link(void)
{
	static const int member_fail[2] = { -EIO, 0 };
	struct kt_req reqs[10];
	struct io_uring ring;
	int nreq;

	kt_ring_init(&ring, 16, 0);
	prep_nop_group(&ring, 1, IOSQE_IO_HARDLINK, 0, member_fail, 2, 0);
	prep_nop_group(&ring, 2, IOSQE_IO_LINK, -EIO, NULL, 2, 0);
	prep_nop_group(&ring, 3, 0, 0, NULL, 2, 0);
	kt_submit(&ring, 9);
	nreq = model_group(reqs, 1, 0, 0, 2, 0);
	reqs[1].res = -EIO;
	nreq += model_group(reqs + nreq, 2, -EIO, -ECANCELED, 2, 1);
	nreq += model_group(reqs + nreq, 3, -ECANCELED, -ECANCELED, 2, 2);
	kt_expect(&ring, reqs, nreq, "HARDLINK past a group with a failed "
		  "member, then LINK from a failed leader cancels the next "
		  "group");	io_uring_queue_exit(&ring);
}

/*
 * A request at the head of a chain (user_data 10) fails, at run time or
 * at submission; the group linked after it (and a NOP after the group,
 * user_data 300, when group_links) is cancelled whole.
 */
static void group_after_failed_request(bool at_submission, bool group_links)
{
	struct io_uring_sqe *sqe;
	struct kt_req reqs[6];
	struct io_uring ring;
	char what[160];
	int nreq = 0;

	snprintf(what, sizeof(what), "a group linked after a request that "
		 "fails %s: leader and members -ECANCELED%s",
		 at_submission ? "at submission" : "when it runs",
		 group_links ? ", and the NOP linked after the group" : "");
	kt_ring_init(&ring, 8, 0);
	sqe = kt_sqe(&ring);
	kt_prep_nop(sqe, 10, at_submission ? 0 : -EIO, IOSQE_IO_LINK);
	if (at_submission)
		sqe->rw_flags = 1U << 30; /* no such NOP flag: -EINVAL */
	prep_nop_group(&ring, 1, group_links ? IOSQE_IO_LINK : 0, 0, NULL, 2,
		       0);
	if (group_links)
		kt_prep_nop(kt_sqe(&ring), 300, 0, 0);
	kt_submit(&ring, group_links ? 5 : 4);
	reqs[nreq++] = (struct kt_req){ .ud = 10, .res = at_submission ?
							   -EINVAL : -EIO };
	nreq += model_group(reqs + nreq, 1, -ECANCELED, -ECANCELED, 2, 0);
	for (int i = 1; i < nreq; i++)
		reqs[i].after = 10;
	if (group_links)
		reqs[nreq++] = (struct kt_req){ .ud = 300, .res = -ECANCELED,
						.after = 10 };
	kt_expect(&ring, reqs, nreq, what);
	io_uring_queue_exit(&ring);
}

/* A plain request linked before and after a group, all succeeding. */
static void group_inside_chain(void)
{
	struct kt_req reqs[6];
	struct io_uring ring;
	int nreq = 0;

	kt_ring_init(&ring, 8, 0);
	kt_prep_nop(kt_sqe(&ring), 10, 0, IOSQE_IO_LINK);
	prep_nop_group(&ring, 1, IOSQE_IO_LINK, 0, NULL, 3, IOSQE_ASYNC);
	kt_prep_nop(kt_sqe(&ring), 300, 0, 0);
	kt_submit(&ring, 6);
	reqs[nreq++] = (struct kt_req){ .ud = 10, .res = 0 };
	nreq += model_group(reqs + nreq, 1, 0, 0, 3, 0);
	for (int i = 1; i < nreq; i++)
		reqs[i].after = 10;
	reqs[nreq++] = (struct kt_req){ .ud = 300, .res = 0, .after = 100,
					.after_group = 1 };
	kt_expect(&ring, reqs, nreq, "NOP -> group -> NOP chain runs in "
		  "order");
	io_uring_queue_exit(&ring);
}

/*
 * A short read (5 bytes of 64 from a pipe) by the leader or by a member
 * breaks the link after the group, as it breaks a link chain: the NOP
 * linked after it is cancelled.  A short leader still runs its members.
 */
static void short_result_breaks_link(bool by_leader)
{
	struct io_uring_sqe *sqe;
	struct kt_req reqs[4];
	struct io_uring ring;
	char what[128], buf[64];
	int fds[2];

	snprintf(what, sizeof(what), "a short read by the %s (5 of 64 bytes) "
		 "fails the group for its link: the linked NOP is cancelled",
		 by_leader ? "leader" : "member");
	kt_pipe(fds);
	kt_write_all(fds[1], "short", 5);
	kt_ring_init(&ring, 8, 0);
	sqe = kt_sqe(&ring);
	if (by_leader)
		io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	else
		io_uring_prep_nop(sqe);
	sqe->user_data = 100;
	sqe->flags = IOSQE_SQE_GROUP | IOSQE_IO_LINK;
	sqe = kt_sqe(&ring);
	if (by_leader)
		io_uring_prep_nop(sqe);
	else
		io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->user_data = 101;
	sqe->flags = IOSQE_SQE_GROUP;
	kt_prep_nop(kt_sqe(&ring), 102, 0, 0);
	kt_prep_nop(kt_sqe(&ring), 300, 0, 0);
	kt_submit(&ring, 4);
	model_group(reqs, 1, 0, 0, 2, 0);
	reqs[by_leader ? 0 : 1].res = 5;
	reqs[3] = (struct kt_req){ .ud = 300, .res = -ECANCELED, .after = 100,
				   .after_group = 1 };
	kt_expect(&ring, reqs, 4, what);
	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
}

int main(int argc, char **argv)
{
	kt_start("group-link", argc, argv);
	n_to_m();
	chain_of_three(0);
	chain_of_three(IOSQE_ASYNC);
	failed_group_link(true, IOSQE_IO_LINK);
	failed_group_link(false, IOSQE_IO_LINK);
	failed_group_link(true, IOSQE_IO_HARDLINK);
	failed_group_link(false, IOSQE_IO_HARDLINK);
	failed_group_link(false, IOSQE_IO_LINK | IOSQE_ASYNC);
	hardlink_then_link();
	group_after_failed_request(false, false);
	group_after_failed_request(false, true);
	group_after_failed_request(true, false);
	group_after_failed_request(true, true);
	group_inside_chain();
	short_result_breaks_link(true);
	short_result_breaks_link(false);
	return kt_finish();
}
