/* SPDX-License-Identifier: MIT */
/*
 * CQE order in an SQE group whose requests complete at different times
 * (docs/sqe-group.md, "Completions"): members post in the order they
 * complete, and the leader's CQE comes after every member's.  Members
 * are issued only once the leader has completed, and see its effects.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define L 100
#define MAX_PIPES 6

/* Wait for one CQE (up to ms); false if none came. */
static bool next_cqe(struct io_uring *ring, struct kt_cqe *out, int ms)
{
	return kt_reap_n(ring, 1, out, 1, ms) == 1;
}

/*
 * A NOP leader and n members each reading one byte from its own pipe;
 * the pipes are written in a random order, one at a time, and each
 * member's CQE must be the next one.  Then the leader's.
 */
static void members_in_completion_order(int n)
{
	int pipes[MAX_PIPES][2], order[MAX_PIPES];
	char bytes[MAX_PIPES];
	struct io_uring ring;
	struct kt_cqe cqe;
	char what[96];
	bool good = true;

	snprintf(what, sizeof(what), "%d pipe-reading members post in the "
		 "order their pipes are written, then the leader", n);
	kt_ring_init(&ring, 16, 0);
	kt_prep_nop(kt_sqe(&ring), L, 0, IOSQE_SQE_GROUP);
	for (int i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = kt_sqe(&ring);

		kt_pipe(pipes[i]);
		order[i] = i;
		io_uring_prep_read(sqe, pipes[i][0], &bytes[i], 1, 0);
		sqe->user_data = L + 1 + (unsigned)i;
		sqe->flags = i + 1 < n ? IOSQE_SQE_GROUP : 0;
	}
	for (int i = n - 1; i > 0; i--) {
		int j = (int)kt_rand_below((unsigned)i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	kt_submit(&ring, n + 1);
	if (kt_reap_for(&ring, 100, &cqe, 1)) {
		kt_fail("%s: CQE %llu:%d before any pipe was written", what,
			(unsigned long long)cqe.ud, cqe.res);
		good = false;
	}
	for (int i = 0; good && i < n; i++) {
		int m = order[i];

		kt_write_all(pipes[m][1], "x", 1);
		if (!next_cqe(&ring, &cqe, KT_WAIT_MS) ||
		    cqe.ud != L + 1 + (unsigned)m || cqe.res != 1) {
			kt_fail("%s: after writing pipe %d want CQE %d:1, got "
				"%llu:%d", what, m, L + 1 + m,
				(unsigned long long)cqe.ud, cqe.res);
			good = false;
		}
	}
	if (good && (!next_cqe(&ring, &cqe, KT_WAIT_MS) || cqe.ud != L ||
		     cqe.res != 0)) {
		kt_fail("%s: last CQE %llu:%d, want the leader's %d:0", what,
			(unsigned long long)cqe.ud, cqe.res, L);
		good = false;
	}
	if (good)
		kt_ok("%s", what);
	for (int i = 0; i < n; i++) {
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
	io_uring_queue_exit(&ring);
}

/* Members of all speeds: pipe read, NOP, timeout, ASYNC NOP. */
static void mixed_members(void)
{
	struct __kernel_timespec ts = { .tv_nsec = 30 * 1000000 };
	struct kt_req reqs[5];
	struct kt_cqe early[4];
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int fds[2], n, res[4] = { 1, 0, -ETIME, 0 };
	const char *what = "pipe read, NOP, 30 ms timeout and ASYNC NOP "
			   "members: the leader posts after the slowest";
	char byte;

	kt_ring_init(&ring, 8, 0);
	kt_pipe(fds);
	kt_prep_nop(kt_sqe(&ring), L, 0, IOSQE_SQE_GROUP);
	sqe = kt_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], &byte, 1, 0);
	sqe->user_data = L + 1;
	sqe->flags = IOSQE_SQE_GROUP;
	kt_prep_nop(kt_sqe(&ring), L + 2, 0, IOSQE_SQE_GROUP);
	sqe = kt_sqe(&ring);
	io_uring_prep_timeout(sqe, &ts, 0, 0);
	sqe->user_data = L + 3;
	sqe->flags = IOSQE_SQE_GROUP;
	kt_prep_nop(kt_sqe(&ring), L + 4, 0, IOSQE_ASYNC);
	kt_submit(&ring, 5);

	/* everything but the pipe reader completes; not the leader */
	n = kt_reap_n(&ring, 3, early, 4, KT_WAIT_MS);
	n += kt_reap_for(&ring, 100, early + n, 4 - n);
	if (!kt_check(n == 3 && kt_cqe_pos(early, n, L) < 0 &&
			      kt_cqe_pos(early, n, L + 1) < 0,
		      "before the pipe is written: the 3 other members' CQEs "
		      "only (%d CQEs)", n)) {
		io_uring_queue_exit(&ring);
		return;
	}
	kt_write_all(fds[1], "y", 1);
	kt_model_group(reqs, 1, L, 0, res, 4);
	for (int i = 0; i < 4; i++)
		reqs[i + 1].res = i ? KT_NO_CQE : 1; /* already seen */
	kt_expect(&ring, reqs, 5, what);
	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
}

/* ASYNC and inline members in many shapes: the leader is always last. */
static void async_members(unsigned rounds)
{
	unsigned bad = 0;

	for (unsigned round = 0; round < rounds; round++) {
		int n = 1 + (int)kt_rand_below(8), res[8] = { 0 };
		unsigned leader_flags = kt_rand_below(2) ? IOSQE_ASYNC : 0;
		struct kt_req reqs[9];
		struct kt_cqe cqes[16];
		struct io_uring ring;
		char why[1024];
		int got;

		kt_ring_init(&ring, 16, 0);
		kt_prep_nop(kt_sqe(&ring), L, 0,
			    leader_flags | IOSQE_SQE_GROUP);
		for (int i = 0; i < n; i++)
			kt_prep_nop(kt_sqe(&ring), L + 1 + (unsigned)i, 0,
				    (kt_rand_below(2) ? IOSQE_ASYNC : 0) |
				    (i + 1 < n ? IOSQE_SQE_GROUP : 0));
		kt_submit(&ring, n + 1);
		kt_model_group(reqs, 1, L, 0, res, n);
		got = kt_reap(&ring, reqs, n + 1, cqes, 16, KT_WAIT_MS);
		if (!kt_verify(reqs, n + 1, cqes, got, why, sizeof(why)) &&
		    bad++ < 5)
			printf("  round %u (%d members): %s\n", round, n, why);
		io_uring_queue_exit(&ring);
	}
	kt_check(!bad, "ASYNC/inline NOP groups, %u rounds: leader last in "
		 "%u", rounds, rounds - bad);
}

/*
 * The leader reads from a pipe that is written later; members write
 * what it read to a file.  Nothing may complete, and the file must stay
 * untouched, until the pipe is written.
 */
static void late_leader(void)
{
	enum { LEN = 3000, MEMBERS = 3 };
	static char buf[LEN], data[LEN], check[LEN * MEMBERS];
	const char *what = "members wait for a late leader and write what it "
			   "read";
	int fds[2], file = kt_tmpfile(0), res[MEMBERS];
	struct kt_req reqs[MEMBERS + 1];
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	struct kt_cqe cqe;
	bool good = true;

	kt_fill(data, LEN, 7);
	kt_pipe(fds);
	kt_ring_init(&ring, 8, 0);
	sqe = kt_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, LEN, 0);
	sqe->user_data = L;
	sqe->flags = IOSQE_SQE_GROUP;
	for (int i = 0; i < MEMBERS; i++) {
		sqe = kt_sqe(&ring);
		io_uring_prep_write(sqe, file, buf, LEN, (__u64)i * LEN);
		sqe->user_data = L + 1 + (unsigned)i;
		sqe->flags = i + 1 < MEMBERS ? IOSQE_SQE_GROUP : 0;
		res[i] = LEN;
	}
	kt_submit(&ring, MEMBERS + 1);
	if (kt_reap_for(&ring, 150, &cqe, 1)) {
		kt_fail("%s: CQE %llu:%d before the leader could read", what,
			(unsigned long long)cqe.ud, cqe.res);
		good = false;
	}
	if (good)
		good = kt_check(lseek(file, 0, SEEK_END) == 0,
				"no member wrote before the leader completed");
	if (good) {
		kt_write_all(fds[1], data, LEN);
		kt_model_group(reqs, 1, L, LEN, res, MEMBERS);
		good = kt_expect(&ring, reqs, MEMBERS + 1, what);
	}
	if (good) {
		ssize_t got = pread(file, check, sizeof(check), 0);
		bool same = got == (ssize_t)sizeof(check);

		for (int i = 0; same && i < MEMBERS; i++)
			same = !memcmp(check + i * LEN, data, LEN);
		kt_check(same, "each member wrote the leader's data (file "
			 "%zd bytes)", got);
	}
	close(fds[0]);
	close(fds[1]);
	close(file);
	io_uring_queue_exit(&ring);
}

/*
 * A short read by the leader (5 bytes of 4096, from a pipe or at the end
 * of a regular file) is not a failure: members are issued.
 */
static void short_leader(bool from_file)
{
	static const int res[2] = { 0, 0 };
	struct kt_req reqs[3];
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	char buf[4096], what[128];
	int fds[2];

	snprintf(what, sizeof(what), "a leader's short read (5 of 4096 bytes, "
		 "%s) still issues its members",
		 from_file ? "end of a regular file" : "pipe");
	if (from_file) {
		fds[0] = fds[1] = kt_tmpfile(0);
		kt_write_all(fds[1], "short", 5);
	} else {
		kt_pipe(fds);
		kt_write_all(fds[1], "short", 5);
	}
	kt_ring_init(&ring, 8, 0);
	sqe = kt_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->user_data = L;
	sqe->flags = IOSQE_SQE_GROUP;
	kt_prep_nop(kt_sqe(&ring), L + 1, 0, IOSQE_SQE_GROUP);
	kt_prep_nop(kt_sqe(&ring), L + 2, 0, 0);
	kt_submit(&ring, 3);
	kt_model_group(reqs, 1, L, 5, res, 2);
	kt_expect(&ring, reqs, 3, what);
	close(fds[0]);
	if (!from_file)
		close(fds[1]);
	io_uring_queue_exit(&ring);
}

/*
 * More CQEs than the CQ ring holds: two groups of 16, submitted one
 * after the other without reaping, on a 16-entry CQ ring.
 * The overflowed CQEs must come out complete and in the same order.
 */
static void cq_overflow(void)
{
	static const int res[15];
	struct io_uring_params params = { .flags = IORING_SETUP_CQSIZE,
					  .cq_entries = 16 };
	struct kt_req reqs[32];
	struct io_uring ring;
	int ret;

	ret = io_uring_queue_init_params(16, &ring, &params);
	if (ret < 0)
		kt_die("io_uring_queue_init_params: %s", strerror(-ret));
	for (int g = 0; g < 2; g++) {
		uint64_t base = (uint64_t)(g + 1) * 100;

		kt_prep_nop(kt_sqe(&ring), base, 0, IOSQE_SQE_GROUP);
		for (int i = 0; i < 15; i++)
			kt_prep_nop(kt_sqe(&ring), base + 1 + (unsigned)i, 0,
				    (i & 1 ? IOSQE_ASYNC : 0) |
					    (i < 14 ? IOSQE_SQE_GROUP : 0));
		kt_model_group(reqs + 16 * g, g + 1, base, 0, res, 15);
		kt_submit(&ring, 16); /* the second overflows the CQ ring */
	}
	kt_expect(&ring, reqs, 32, "two groups of 16 overflowing a 16-entry "
		  "CQ ring: every CQE, members before their leader");
	io_uring_queue_exit(&ring);
}

int main(int argc, char **argv)
{
	kt_start("group-order", argc, argv);
	for (int n = 1; n <= MAX_PIPES; n++)
		members_in_completion_order(n);
	mixed_members();
	async_members(kt_scaled(300));
	late_leader();
	cq_overflow();
	short_leader(false);
	short_leader(true);
	return kt_finish();
}
