/* SPDX-License-Identifier: MIT */
/*
 * SQE groups under load, teardown and cancellation:
 *   - thousands of random groups (1..8 members of NOP, READ or WRITE,
 *     random IOSQE_ASYNC, injected failures, random LINK/HARDLINK between
 *     groups), each batch checked against the model of docs/sqe-group.md:
 *     every result, one CQE per request, members before their leader,
 *     linked groups in order; data read and written by members that ran
 *     is checked, and members that were cancelled must not have run;
 *   - closing a ring, exiting a process and killing one, with groups in
 *     flight: nothing hangs, and every request lets go of its file;
 *   - IORING_OP_ASYNC_CANCEL of a blocked leader cancels the group; an
 *     unissued member cannot be found; an issued one can.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

#define MAX_GROUPS 12
#define MAX_MEMBERS 8
#define MAX_REQS (MAX_GROUPS * (MAX_MEMBERS + 1))
#define IO_MAX 4096
#define PATTERN_SIZE (256 * 1024)

enum op { OP_NOP, OP_READ, OP_WRITE };

struct stress_req {
	enum op op;
	int inject;	/* NOP: injected result, 0 = success */
	unsigned len;	/* READ / WRITE */
	off_t off;	/* READ: in the pattern; WRITE: in the scratch file */
	char *buf;
};

static char *pattern, *bufs[MAX_REQS];
static int pattern_fd, scratch_fd;

static void make_request(struct stress_req *r, int slot, bool leader)
{
	unsigned kind = kt_rand_below(leader ? 4 : 3);

	memset(r, 0, sizeof(*r));
	r->buf = bufs[slot];
	r->len = 1 + kt_rand_below(IO_MAX);
	r->op = kind == 1 ? OP_READ : kind == 2 ? OP_WRITE : OP_NOP;
	if (leader && r->op == OP_WRITE)
		r->op = OP_NOP;
	if (r->op == OP_NOP && kt_rand_below(8) == 0)
		r->inject = -EIO;
	if (r->op == OP_READ) {
		r->off = kt_rand_below(PATTERN_SIZE - r->len + 1);
		memset(r->buf, 0xa5, r->len);
	} else if (r->op == OP_WRITE) {
		r->off = (off_t)slot * IO_MAX;
		kt_fill(r->buf, r->len, kt_rand());
	}
}

static void prep(struct io_uring *ring, const struct stress_req *r,
		 uint64_t ud, unsigned flags)
{
	struct io_uring_sqe *sqe = kt_sqe(ring);

	if (r->op == OP_NOP)
		kt_prep_nop(sqe, ud, r->inject, 0);
	else if (r->op == OP_READ)
		io_uring_prep_read(sqe, pattern_fd, r->buf, r->len,
				   (__u64)r->off);
	else
		io_uring_prep_write(sqe, scratch_fd, r->buf, r->len,
				    (__u64)r->off);
	sqe->user_data = ud;
	sqe->flags = (__u8)(flags | (kt_rand_below(4) ? 0 : IOSQE_ASYNC));
}

static int own_result(const struct stress_req *r)
{
	return r->op == OP_NOP ? r->inject : (int)r->len;
}

/* Did request r do what it should: its data if it ran, nothing if not. */
static bool check_data(const struct stress_req *r, bool ran, char *why,
		       size_t len)
{
	char back[IO_MAX];
	ssize_t n;

	if (r->op == OP_READ) {
		bool untouched = true;

		for (unsigned i = 0; i < r->len; i++)
			untouched &= (unsigned char)r->buf[i] == 0xa5;
		if (ran && memcmp(r->buf, pattern + r->off, r->len))
			snprintf(why, len, "a read got the wrong bytes");
		else if (!ran && !untouched)
			snprintf(why, len, "a cancelled read filled its buffer");
		else
			return true;
		return false;
	}
	if (r->op != OP_WRITE)
		return true;
	n = pread(scratch_fd, back, r->len, r->off);
	if (ran && (n != (ssize_t)r->len || memcmp(back, r->buf, r->len)))
		snprintf(why, len, "a write left the wrong bytes");
	else if (!ran && n > 0 && !memcmp(back, r->buf, (size_t)n))
		snprintf(why, len, "a cancelled write wrote its data");
	else
		return true;
	return false;
}

/* One batch of random groups; false (with why) on a mismatch. */
static bool stress_batch(struct io_uring *ring, unsigned *groups_done,
			 char *why, size_t len)
{
	static struct stress_req reqs[MAX_REQS];
	static struct kt_req model[MAX_REQS];
	static struct kt_cqe cqes[MAX_REQS + 8];
	int ngroups = 1 + (int)kt_rand_below(MAX_GROUPS), n = 0, got;
	bool linked_in = false, cancelling = false;
	uint64_t prev_leader = 0, break_leader = 0;
	int prev_group = 0, break_group = 0;

	if (ftruncate(scratch_fd, 0))
		kt_die("ftruncate: %s", strerror(errno));
	for (int g = 1; g <= ngroups; g++) {
		int members = 1 + (int)kt_rand_below(MAX_MEMBERS), first = n;
		unsigned pick = kt_rand_below(20), link;
		bool failed;

		link = pick < 6 ? IOSQE_IO_LINK :
		       pick < 9 ? IOSQE_IO_HARDLINK : 0;
		for (int i = 0; i <= members; i++) {
			make_request(&reqs[n + i], n + i, i == 0);
			prep(ring, &reqs[n + i], (uint64_t)n + i + 1,
			     (i < members ? IOSQE_SQE_GROUP : 0) |
				     (i == 0 ? link : 0));
		}
		if (!linked_in)
			cancelling = false;
		for (int i = 0; i <= members; i++) {
			model[n + i] = (struct kt_req){
				.ud = (uint64_t)n + i + 1, .group = g,
				.leader = i == 0,
				.res = cancelling ? -ECANCELED :
						    own_result(&reqs[n + i]),
			};
			if (linked_in) {
				model[n + i].after = cancelling ?
					break_leader : prev_leader;
				model[n + i].after_group = cancelling ?
					break_group : prev_group;
			}
		}
		failed = model[first].res < 0;
		for (int i = 1; i <= members; i++) {
			if (model[first].res < 0)
				model[first + i].res = -ECANCELED;
			failed |= model[first + i].res < 0;
		}
		if (!cancelling) {
			prev_leader = model[first].ud;
			prev_group = g;
			if (failed && link == IOSQE_IO_LINK) {
				cancelling = true;
				break_leader = prev_leader;
				break_group = g;
			}
		}
		linked_in = link != 0;
		n += members + 1;
	}
	got = io_uring_submit(ring);
	if (got != n) {
		snprintf(why, len, "io_uring_submit returned %d, want %d", got,
			 n);
		return false;
	}
	got = kt_reap(ring, model, n, cqes, MAX_REQS + 8, KT_WAIT_MS);
	if (!kt_verify(model, n, cqes, got, why, len))
		return false;
	for (int i = 0; i < n; i++)
		if (!check_data(&reqs[i], model[i].res >= 0, why, len))
			return false;
	*groups_done += (unsigned)ngroups;
	return true;
}

/* Batches of random groups on a ring set up with setup_flags. */
static void random_groups(unsigned batches, unsigned setup_flags,
			  const char *ring_kind)
{
	struct io_uring ring;
	unsigned groups = 0;
	char why[2048];

	kt_ring_init(&ring, 256, setup_flags);
	for (unsigned b = 0; b < batches; b++) {
		if (!stress_batch(&ring, &groups, why, sizeof(why))) {
			kt_fail("random groups on a %s ring, batch %u (seed "
				"%llu): %s", ring_kind, b, kt_seed(), why);
			io_uring_queue_exit(&ring);
			return;
		}
	}
	kt_ok("%u random groups in %u batches on a %s ring as documented",
	      groups, batches, ring_kind);
	io_uring_queue_exit(&ring);
}

/*
 * Queue `count` groups that cannot finish, some linked: each has members
 * reading and writing files and a last member reading fd (which nobody
 * writes), and even ones a leader reading fd too.
 */
static void queue_blocked_groups(struct io_uring *ring, int fd, int count)
{
	static char byte[64];

	for (int g = 0; g < count; g++) {
		uint64_t base = (uint64_t)g << 8;
		struct io_uring_sqe *sqe = kt_sqe(ring);
		struct stress_req r;

		if (g & 1)
			io_uring_prep_nop(sqe);
		else
			io_uring_prep_read(sqe, fd, &byte[g % 64], 1, 0);
		sqe->user_data = base;
		sqe->flags = IOSQE_SQE_GROUP | (g & 2 ? IOSQE_IO_LINK : 0);
		for (int i = 0; i < 3; i++) {
			make_request(&r, 1 + i, false);
			r.inject = 0;
			prep(ring, &r, base + 1 + (unsigned)i,
			     IOSQE_SQE_GROUP);
		}
		sqe = kt_sqe(ring);
		io_uring_prep_read(sqe, fd, &byte[(g + 32) % 64], 1, 0);
		sqe->user_data = base + 4;
		sqe->flags = g & 4 ? IOSQE_ASYNC : 0;
	}
	kt_submit(ring, count * 5);
}

/* Wait until nothing holds the pipe's read end (POLLERR for its writer). */
static bool pipe_released(int write_fd, int ms)
{
	long long deadline = kt_now_ms() + ms;

	do {
		struct pollfd p = { .fd = write_fd, .events = POLLOUT };

		if (poll(&p, 1, 0) == 1 && (p.revents & POLLERR))
			return true;
		usleep(10 * 1000);
	} while (kt_now_ms() < deadline);
	return false;
}

static const char *ring_kind(unsigned setup_flags)
{
	return setup_flags & IORING_SETUP_DEFER_TASKRUN ? "DEFER_TASKRUN" :
	       setup_flags & IORING_SETUP_SQPOLL	 ? "SQPOLL" :
							   "plain";
}

static void close_ring_in_flight(unsigned setup_flags)
{
	struct io_uring ring;
	int fds[2];

	kt_pipe(fds);
	kt_ring_init(&ring, 64, setup_flags);
	queue_blocked_groups(&ring, fds[0], 8);
	usleep(20 * 1000);
	io_uring_queue_exit(&ring);
	close(fds[0]);
	kt_check(pipe_released(fds[1], KT_WAIT_MS),
		 "closing a %s ring with 8 groups in flight releases every "
		 "request", ring_kind(setup_flags));
	close(fds[1]);
}

/* A child queues blocked groups, then exits (or is killed). */
static void child_in_flight(bool killed, unsigned setup_flags)
{
	int fds[2], ready[2], status = 0;
	long long deadline;
	char byte;
	pid_t pid;

	kt_pipe(fds);
	kt_pipe(ready);
	pid = fork();
	if (pid < 0)
		kt_die("fork: %s", strerror(errno));
	if (!pid) {
		struct io_uring ring;

		close(fds[1]);
		close(ready[0]);
		kt_ring_init(&ring, 64, setup_flags);
		queue_blocked_groups(&ring, fds[0], 8);
		kt_write_all(ready[1], "r", 1);
		if (killed)
			pause();
		_exit(0); /* ring still open, groups in flight */
	}
	close(fds[0]);
	close(ready[1]);
	if (read(ready[0], &byte, 1) != 1)
		kt_die("child died before queueing its groups");
	if (killed)
		kill(pid, SIGKILL);
	deadline = kt_now_ms() + KT_WAIT_MS;
	while (waitpid(pid, &status, WNOHANG) == 0 && kt_now_ms() < deadline)
		usleep(10 * 1000);
	if (!kt_check(kill(pid, 0) && errno == ESRCH,
		      "a child %s with 8 groups in flight on a %s ring "
		      "finishes", killed ? "killed" : "exiting",
		      ring_kind(setup_flags))) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	kt_check(pipe_released(fds[1], KT_WAIT_MS),
		 "... and its requests let go of the pipe");
	close(fds[1]);
	close(ready[0]);
}

static void prep_cancel(struct io_uring *ring, uint64_t target)
{
	struct io_uring_sqe *sqe = kt_sqe(ring);

	io_uring_prep_cancel64(sqe, target, 0);
	sqe->user_data = 999;
}

/* Cancel a leader blocked on a pipe read: the group is cancelled. */
static void cancel_leader(void)
{
	static const int res[3] = { -ECANCELED, -ECANCELED, -ECANCELED };
	struct kt_req reqs[6];
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int fds[2];
	char byte;

	kt_pipe(fds);
	kt_ring_init(&ring, 16, 0);
	sqe = kt_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], &byte, 1, 0);
	sqe->user_data = 100;
	sqe->flags = IOSQE_SQE_GROUP | IOSQE_IO_LINK;
	kt_prep_nop(kt_sqe(&ring), 101, 0, IOSQE_SQE_GROUP);
	kt_prep_nop(kt_sqe(&ring), 102, 0, IOSQE_SQE_GROUP);
	kt_prep_nop(kt_sqe(&ring), 103, 0, 0);
	kt_prep_nop(kt_sqe(&ring), 200, 0, 0);
	kt_submit(&ring, 5);
	usleep(50 * 1000);
	prep_cancel(&ring, 100);
	kt_submit(&ring, 1);
	kt_model_group(reqs, 1, 100, -ECANCELED, res, 3);
	reqs[4] = (struct kt_req){ .ud = 999, .res = 0 };
	reqs[5] = (struct kt_req){ .ud = 200, .res = -ECANCELED, .after = 100,
				   .after_group = 1 };
	kt_expect(&ring, reqs, 6, "cancelling a leader blocked on a pipe: "
		  "leader and members -ECANCELED, linked NOP too");
	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
}

/*
 * Members cannot be cancelled before their leader completes (-ENOENT),
 * and can be once issued: the cancelled member fails the group, which
 * breaks the link after it; the leader keeps its own result.
 */
static void cancel_member(void)
{
	struct kt_req before = { .ud = 999, .res = -ENOENT };
	struct kt_req reqs[6];
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int fds[2], other[2];
	char byte, byte2;

	kt_pipe(fds);
	kt_pipe(other);
	kt_ring_init(&ring, 16, 0);
	sqe = kt_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], &byte, 1, 0);
	sqe->user_data = 100;
	sqe->flags = IOSQE_SQE_GROUP | IOSQE_IO_LINK;
	sqe = kt_sqe(&ring);
	io_uring_prep_read(sqe, other[0], &byte2, 1, 0);
	sqe->user_data = 101;
	sqe->flags = IOSQE_SQE_GROUP;
	kt_prep_nop(kt_sqe(&ring), 102, 0, 0);
	kt_prep_nop(kt_sqe(&ring), 200, 0, 0);
	kt_submit(&ring, 4);
	usleep(50 * 1000);
	prep_cancel(&ring, 101);
	kt_submit(&ring, 1);
	if (!kt_expect(&ring, &before, 1, "a member whose leader has not "
		       "completed cannot be cancelled: -ENOENT"))
		goto out;
	kt_write_all(fds[1], "g", 1);
	usleep(50 * 1000);
	prep_cancel(&ring, 101);
	kt_submit(&ring, 1);
	reqs[0] = (struct kt_req){ .ud = 100, .res = 1, .group = 1,
				   .leader = true };
	reqs[1] = (struct kt_req){ .ud = 101, .res = -ECANCELED, .group = 1 };
	reqs[2] = (struct kt_req){ .ud = 102, .res = 0, .group = 1 };
	reqs[3] = (struct kt_req){ .ud = 999, .res = 0 };
	reqs[4] = (struct kt_req){ .ud = 200, .res = -ECANCELED, .after = 100,
				   .after_group = 1 };
	kt_expect(&ring, reqs, 5, "an issued member blocked on a pipe can be "
		  "cancelled; leader keeps its result, linked NOP -ECANCELED");
out:
	close(fds[0]);
	close(fds[1]);
	close(other[0]);
	close(other[1]);
	io_uring_queue_exit(&ring);
}

int main(int argc, char **argv)
{
	unsigned teardowns;

	kt_start("group-stress", argc, argv);
	signal(SIGPIPE, SIG_IGN);
	pattern = malloc(PATTERN_SIZE);
	if (!pattern)
		kt_die("malloc");
	for (int i = 0; i < MAX_REQS; i++)
		if (!(bufs[i] = malloc(IO_MAX)))
			kt_die("malloc");
	kt_fill(pattern, PATTERN_SIZE, 3);
	pattern_fd = kt_tmpfile(0);
	kt_write_all(pattern_fd, pattern, PATTERN_SIZE);
	scratch_fd = kt_tmpfile(0);

	random_groups(kt_scaled(2000), 0, "plain");
	random_groups(kt_scaled(1000),
		      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		      "DEFER_TASKRUN");
	random_groups(kt_scaled(500), IORING_SETUP_SQPOLL, "SQPOLL");
	teardowns = kt_scaled(12) < 3 ? 3 : kt_scaled(12);
	for (unsigned i = 0; i < teardowns; i++) {
		static const unsigned kinds[] = {
			0, IORING_SETUP_SQPOLL,
			IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		};
		unsigned flags = kinds[i % 3];

		close_ring_in_flight(flags);
		child_in_flight(false, flags);
		child_in_flight(true, flags);
	}
	cancel_leader();
	cancel_member();
	return kt_finish();
}
