/* SPDX-License-Identifier: MIT */
/*
 * The group kernel buffer (kernel patches 4 and 5): an IORING_OP_READ_PAGES
 * leader lends the page cache pages of [off, off + len) of a file to its
 * SQE group, and members flagged IOSQE_GROUP_KBUF write or send slices of
 * them, addr being an offset into the buffer and len a length.  Checked:
 *   - copies to three files in groups of odd sizes from an unaligned
 *     offset: plain, members IOSQE_ASYNC, groups linked;
 *   - slices anywhere inside the buffer, -EFAULT past it, 0 when empty;
 *     a buffer cut short at the end of the file;
 *   - the buffer is read-only: READ and RECV members fail with -EINVAL
 *     and the file is unchanged;
 *   - SEND and WRITE members to sockets, more than a socket holds;
 *   - which SQEs may carry IOSQE_GROUP_KBUF, and READ_PAGES' own rules
 *     (it leads a group, 0 < len <= 16 MiB, unused fields zero);
 *   - a failed leader cancels its members, a failed member no other;
 *     a member cancelled while it waits gets -ECANCELED, leader last;
 *   - a member of a leader that lends nothing fails with -EINVAL;
 *   - only the page cache lends: a sparse file lends its holes as
 *     zeros; pipes, sockets, /dev/zero and directories are -EINVAL;
 *   - a ring torn down while groups hold pages gives every page back:
 *     MemFree comes back once the file is gone.
 * Contents are compared byte for byte with what the source holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "helpers.h"

#define KIB 1024U
#define MIB (1024U * 1024U)
#define SRC_SIZE (3 * MIB + 4097) /* ends one byte into a page */
#define COPY_START 4095U	  /* the last byte of the first page */
#define READ_PAGES_MAX (16 * MIB)
#define L 100 /* a group's leader user_data; members L + 1, L + 2, ... */
#define MAX_MEMBERS 12
#define BATCH 16 /* groups per submission in the copies */
#define MAX_CQES (BATCH * 4 + 16)
#define WATCHDOG_S 300
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The teardown: a file of PIN_SIZE whose pages groups hold. */
#define PIN_SIZE (64 * MIB)
#define PIN_SLACK_KIB (16 * 1024)

static char *src_data; /* what the source file holds */
static int src_fd;
static char why[4096];
static const char *current_case = "setup";

/* A hang fails the test with the case's name, not the guest's timeout. */
static void watchdog(int sig)
{
	static const char msg[] = "FAIL group-kbuf: watchdog: no progress in ";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0 ||
	    write(STDOUT_FILENO, current_case, strlen(current_case)) < 0 ||
	    write(STDOUT_FILENO, "\n", 1) < 0)
		_exit(KT_FAIL);
	_exit(KT_FAIL);
}

static void begin(const char *name)
{
	current_case = name;
	alarm(WATCHDOG_S);
}

/* The leader: lend [off, off + len) of fd's page cache pages. */
static struct io_uring_sqe *lend(struct io_uring *ring, int fd, unsigned len,
				 uint64_t off, uint64_t ud)
{
	struct io_uring_sqe *sqe = kt_sqe(ring);

	zccp_prep_read_pages(sqe, fd, len, off);
	sqe->flags |= IOSQE_SQE_GROUP;
	sqe->user_data = ud;
	return sqe;
}

/* A member: op on fd with len bytes from koff of the leader's buffer. */
static struct io_uring_sqe *member(struct io_uring *ring, int op, int fd,
				   uint64_t koff, unsigned len, uint64_t ud,
				   bool more)
{
	struct io_uring_sqe *sqe = kt_sqe(ring);

	io_uring_prep_rw(op, sqe, fd, NULL, len, 0);
	sqe->addr = koff; /* 64 bits: a high bit must not wrap to a fit */
	sqe->flags = IOSQE_GROUP_KBUF | (more ? IOSQE_SQE_GROUP : 0);
	sqe->user_data = ud;
	return sqe;
}

/* A WRITE member: len bytes from koff of the buffer, to fd at off. */
static struct io_uring_sqe *kwrite(struct io_uring *ring, int fd,
				   uint64_t koff, unsigned len, uint64_t off,
				   uint64_t ud, bool more)
{
	struct io_uring_sqe *sqe = kt_sqe(ring);

	zccp_prep_write_kbuf(sqe, fd, 0, len, off);
	sqe->addr = koff;
	sqe->flags |= more ? IOSQE_SQE_GROUP : 0;
	sqe->user_data = ud;
	return sqe;
}

/* Submit the nreq SQEs queued and collect their CQEs; -1 on a short submit. */
static int submit_reap(struct io_uring *ring, const struct kt_req *reqs,
		       int nreq, struct kt_cqe *cqes, int max)
{
	int ret = io_uring_submit(ring), n;

	if (ret != nreq) {
		snprintf(why, sizeof(why), "io_uring_submit returned %d, want %d",
			 ret, nreq);
		return -1;
	}
	n = kt_reap(ring, reqs, nreq, cqes, max, KT_WAIT_MS);
	if (n > max) {
		snprintf(why, sizeof(why), "more than %d CQEs", max);
		return -1;
	}
	return n;
}

/* Submit, reap and compare with the model; why says what differs. */
static bool run_model(struct io_uring *ring, const struct kt_req *reqs,
		      int nreq)
{
	static struct kt_cqe cqes[MAX_CQES];
	int n = submit_reap(ring, reqs, nreq, cqes, MAX_CQES);

	return n >= 0 && kt_verify(reqs, nreq, cqes, n, why, sizeof(why));
}

static void report(bool good, const char *what)
{
	kt_check(good, "%s%s%s", what, good ? "" : ": ", good ? "" : why);
}

/* Whether fd holds exactly want[0, len); why says where it differs. */
static bool file_holds(int fd, const char *want, size_t len, const char *name)
{
	static char buf[256 * KIB];
	struct stat st;

	if (fstat(fd, &st))
		kt_die("fstat: %s", strerror(errno));
	if ((size_t)st.st_size != len) {
		snprintf(why, sizeof(why), "%s has %lld bytes, want %zu", name,
			 (long long)st.st_size, len);
		return false;
	}
	for (size_t off = 0; off < len;) {
		size_t want_n = len - off < sizeof(buf) ? len - off : sizeof(buf);
		ssize_t n = pread(fd, buf, want_n, (off_t)off);

		if (n <= 0) {
			snprintf(why, sizeof(why), "%s: reading at %zu: %s",
				 name, off, n ? strerror(errno) : "EOF");
			return false;
		}
		if (memcmp(buf, want + off, (size_t)n)) {
			size_t at = 0;

			while (buf[at] == want[off + at])
				at++;
			snprintf(why, sizeof(why),
				 "%s differs at byte %zu: 0x%02x, want 0x%02x",
				 name, off + at, (unsigned char)buf[at],
				 (unsigned char)want[off + at]);
			return false;
		}
		off += (size_t)n;
	}
	return true;
}

/* fd opened again through /proc, with other flags. */
static int reopen(int fd, int flags)
{
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ret = open(path, flags);
	if (ret < 0)
		kt_die("open %s: %s", path, strerror(errno));
	return ret;
}

static void socket_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		kt_die("socketpair: %s", strerror(errno));
}

/* Read len bytes from a socket within ms; then nothing more may be there. */
static bool socket_holds(int fd, const char *want, size_t len, int ms,
			 const char *name)
{
	long long deadline = kt_now_ms() + ms;
	char *buf = malloc(len + 1);
	size_t got = 0;
	bool good;

	if (!buf)
		kt_die("malloc %zu", len + 1);
	while (got < len && kt_now_ms() < deadline) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		/* returning from poll() runs the ring's task work too */
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
		else if (!n || (errno != EAGAIN && errno != EINTR))
			break;
	}
	if (got < len) {
		snprintf(why, sizeof(why), "%s: read %zu bytes, want %zu",
			 name, got, len);
		good = false;
	} else if (recv(fd, buf, 1, MSG_DONTWAIT) != -1 || errno != EAGAIN) {
		snprintf(why, sizeof(why), "%s: more than %zu bytes", name,
			 len);
		good = false;
	} else if (len && memcmp(buf, want, len)) {
		size_t at = 0;

		while (buf[at] == want[at])
			at++;
		snprintf(why, sizeof(why), "%s differs at byte %zu", name, at);
		good = false;
	} else {
		good = true;
	}
	free(buf);
	return good;
}

/* Copies: the source from COPY_START, span bytes, in chunk-byte groups. */

static uint64_t chunk_ud(size_t chunk, int role)
{
	return ((uint64_t)chunk << 2 | (unsigned)role) + 1;
}

static void copy(unsigned chunk, size_t span, unsigned member_flags,
		 bool linked)
{
	static const char *const names[3] = { "destination 1",
					      "destination 2",
					      "destination 3" };
	static struct kt_req reqs[BATCH * 4];
	size_t chunks = (span + chunk - 1) / chunk;
	struct io_uring ring;
	char what[160];
	int dests[3];
	bool good = true;

	snprintf(what, sizeof(what),
		 "copy of %zu bytes from offset %u in %u-byte groups to 3 "
		 "files%s", span, COPY_START, chunk,
		 member_flags & IOSQE_ASYNC ? ", members ASYNC" :
		 linked ? ", groups linked" : "");
	begin(what);
	kt_ring_init(&ring, 256, 0);
	for (int d = 0; d < 3; d++)
		dests[d] = kt_tmpfile(0);
	for (size_t first = 0; good && first < chunks; first += BATCH) {
		size_t last = first + BATCH < chunks ? first + BATCH : chunks;
		int nreq = 0;

		for (size_t c = first; c < last; c++) {
			size_t at = c * chunk;
			unsigned len = span - at < chunk ? (unsigned)(span - at) :
							   chunk;
			int g = (int)(c - first) + 1;
			int res[3] = { (int)len, (int)len, (int)len };
			struct io_uring_sqe *sqe;

			sqe = lend(&ring, src_fd, len, COPY_START + at,
				   chunk_ud(c, 0));
			if (linked && c + 1 < last)
				sqe->flags |= IOSQE_IO_LINK;
			for (int d = 0; d < 3; d++) {
				sqe = kwrite(&ring, dests[d], 0, len, at,
					     chunk_ud(c, 1 + d), d < 2);
				sqe->flags |= member_flags;
			}
			kt_model_group(reqs + nreq, g, chunk_ud(c, 0), (int)len,
				       res, 3);
			/* a linked group starts once the one before is done */
			for (int r = 0; linked && g > 1 && r < 4; r++) {
				reqs[nreq + r].after = chunk_ud(c - 1, 0);
				reqs[nreq + r].after_group = g - 1;
			}
			nreq += 4;
		}
		good = run_model(&ring, reqs, nreq);
	}
	for (int d = 0; good && d < 3; d++)
		good = file_holds(dests[d], src_data + COPY_START, span,
				  names[d]);
	report(good, what);
	for (int d = 0; d < 3; d++)
		close(dests[d]);
	io_uring_queue_exit(&ring);
}

/* Slices: members writing parts of one buffer, each to a file. */

struct slice {
	uint64_t koff;
	unsigned len;
	int res; /* the member's result: len, or why it fails */
};

/*
 * A READ_PAGES leader lends len bytes of the source from off, lent of
 * them (its result); a member per slice writes it to a file of its own.
 * A line for the group's CQEs, one per slice for its file's contents.
 */
static void slice_group(const char *what, unsigned len, uint64_t off, int lent,
			const struct slice *s, int n)
{
	struct kt_cqe cqes[2 * (MAX_MEMBERS + 1)];
	struct kt_req reqs[MAX_MEMBERS + 1];
	int res[MAX_MEMBERS], dests[MAX_MEMBERS], ncqe;
	struct io_uring ring;
	char line[256];

	begin(what);
	kt_ring_init(&ring, 32, 0);
	lend(&ring, src_fd, len, off, L);
	for (int i = 0; i < n; i++) {
		dests[i] = kt_tmpfile(0);
		kwrite(&ring, dests[i], s[i].koff, s[i].len, 0,
		       L + 1 + (unsigned)i, i + 1 < n);
		res[i] = s[i].res;
	}
	kt_model_group(reqs, 1, L, lent, res, n);
	ncqe = submit_reap(&ring, reqs, n + 1, cqes, (int)ARRAY_SIZE(cqes));
	snprintf(line, sizeof(line), "%s: leader lends %d, members' CQEs "
		 "first", what, lent);
	report(ncqe >= 0 && kt_verify(reqs, n + 1, cqes, ncqe, why,
				      sizeof(why)), line);
	for (int i = 0; ncqe >= 0 && i < n; i++) {
		int pos = kt_cqe_pos(cqes, ncqe, L + 1 + (unsigned)i);
		size_t wrote = s[i].res > 0 ? (size_t)s[i].res : 0;
		char name[24];
		bool good;

		snprintf(line, sizeof(line), "%s: slice [%llu, +%u) %s", what,
			 (unsigned long long)s[i].koff, s[i].len,
			 kt_res_name(s[i].res, name));
		if (pos < 0) {
			snprintf(why, sizeof(why), "no CQE");
			good = false;
		} else if (cqes[pos].res != s[i].res) {
			snprintf(why, sizeof(why), "res %s",
				 kt_res_name(cqes[pos].res, name));
			good = false;
		} else {
			good = file_holds(dests[i],
					  src_data + off + s[i].koff, wrote,
					  "its file");
		}
		report(good, line);
	}
	for (int i = 0; i < n; i++)
		close(dests[i]);
	io_uring_queue_exit(&ring);
}

#define SLICE_BUF (64 * KIB)

static void slices(void)
{
	/* what io_group_import_kbuf() allows: koff + len <= the buffer */
	static const struct slice s[] = {
		{ 0, 1, 1 },
		{ 1, 4095, 4095 },
		{ SLICE_BUF - 1, 1, 1 },
		{ 0, SLICE_BUF, SLICE_BUF },
		{ 4096, SLICE_BUF - 4096, SLICE_BUF - 4096 },
		{ SLICE_BUF, 0, 0 },
		{ 0, 0, 0 },
		{ 1, SLICE_BUF, -EFAULT },
		{ SLICE_BUF - 4096, 4097, -EFAULT },
		{ SLICE_BUF + 1, 0, -EFAULT },
		{ 1ULL << 32, 1, -EFAULT },
		{ SLICE_BUF / 2, 0xffffffffU, -EFAULT },
	};

	slice_group("slices of 64 KiB lent from offset 4095", SLICE_BUF,
		    COPY_START, SLICE_BUF, s, (int)ARRAY_SIZE(s));
}

static void short_at_eof(void)
{
	static const struct slice tail[] = {
		{ 0, 100, 100 }, { 99, 1, 1 }, { 100, 0, 0 },
		{ 0, 101, -EFAULT }, { 1, 100, -EFAULT },
	};
	static const struct slice none[] = { { 0, 0, 0 }, { 0, 1, -EFAULT } };
	static const struct slice whole[] = { { 0, SRC_SIZE, SRC_SIZE } };

	/* 100 bytes before the end, across the last page boundary */
	slice_group("1 MiB asked 100 bytes before EOF", MIB, SRC_SIZE - 100,
		    100, tail, (int)ARRAY_SIZE(tail));
	slice_group("4 KiB asked at EOF", 4096, SRC_SIZE, 0, none,
		    (int)ARRAY_SIZE(none));
	slice_group("4 KiB asked 1 MiB past EOF", 4096, SRC_SIZE + MIB, 0,
		    none, (int)ARRAY_SIZE(none));
	slice_group("16 MiB (the most) asked from 0", READ_PAGES_MAX, 0,
		    SRC_SIZE, whole, (int)ARRAY_SIZE(whole));
}

/* The buffer is the file's: members may only read it. */
static void wrong_direction(unsigned bad_flags)
{
	char what[160], junk[4096];
	struct kt_req reqs[4];
	static const int res[3] = { -EINVAL, -EINVAL, 4096 };
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	int other, dest, sv[2];
	bool good;

	snprintf(what, sizeof(what), "READ and RECV members%s: -EINVAL, "
		 "a WRITE member beside them runs",
		 bad_flags & IOSQE_ASYNC ? " (ASYNC)" : "");
	begin(what);
	/* data a wrongly allowed READ or RECV would put in the page cache */
	memset(junk, 0x5a, sizeof(junk));
	other = kt_tmpfile(0);
	kt_write_all(other, junk, sizeof(junk));
	socket_pair(sv);
	kt_write_all(sv[1], junk, sizeof(junk));
	dest = kt_tmpfile(0);

	kt_ring_init(&ring, 8, 0);
	lend(&ring, src_fd, SLICE_BUF, 0, L);
	sqe = member(&ring, IORING_OP_READ, other, 0, 4096, L + 1, true);
	sqe->flags |= bad_flags;
	sqe = member(&ring, IORING_OP_RECV, sv[0], 4096, 4096, L + 2, true);
	sqe->flags |= bad_flags;
	kwrite(&ring, dest, 0, 4096, 0, L + 3, false);
	kt_model_group(reqs, 1, L, SLICE_BUF, res, 3);
	good = run_model(&ring, reqs, 4) &&
	       file_holds(dest, src_data, 4096, "the WRITE member's file");
	report(good, what);
	report(file_holds(src_fd, src_data, SRC_SIZE, "the source file"),
	       "... and the source file is unchanged");
	report(socket_holds(sv[0], junk, sizeof(junk), 1000, "the socket"),
	       "... and the RECV member took nothing from the socket");
	close(other);
	close(dest);
	close(sv[0]);
	close(sv[1]);
	io_uring_queue_exit(&ring);
}

/* SEND members: slices to sockets. */
static void send_slices(void)
{
	static const int res[3] = { 16 * KIB, SLICE_BUF - 1, -EFAULT };
	const char *what = "SEND members: 16 KiB from offset 4095 and 64 KiB "
			   "- 1 from 0 to two sockets, one past the end -EFAULT";
	struct kt_req reqs[4];
	struct io_uring ring;
	int a[2], b[2];
	bool good;

	begin(what);
	socket_pair(a);
	socket_pair(b);
	kt_ring_init(&ring, 8, 0);
	lend(&ring, src_fd, 2 * SLICE_BUF, 0, L);
	member(&ring, IORING_OP_SEND, a[0], 4095, 16 * KIB, L + 1, true);
	member(&ring, IORING_OP_SEND, b[0], 0, SLICE_BUF - 1, L + 2, true);
	member(&ring, IORING_OP_SEND, a[0], SLICE_BUF + 1, SLICE_BUF, L + 3,
	       false);
	kt_model_group(reqs, 1, L, 2 * SLICE_BUF, res, 3);
	good = run_model(&ring, reqs, 4) &&
	       socket_holds(a[1], src_data + 4095, 16 * KIB, 1000,
			    "the first socket") &&
	       socket_holds(b[1], src_data, SLICE_BUF - 1, 1000,
			    "the second socket");
	report(good, what);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
	io_uring_queue_exit(&ring);
}

/*
 * A SEND (MSG_WAITALL) member of more than the socket holds goes on,
 * when there is room again, from where it stopped in the slice it
 * imported once.  A WRITE member stops short instead (io_write() only
 * finishes regular files and block devices): what it wrote must be the
 * start of its slice.
 */
static void socket_stream(int op)
{
	const unsigned len = MIB + 3;
	const int res[1] = { (int)len };
	struct kt_cqe cqes[8];
	struct kt_req reqs[2];
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	char what[160];
	int sv[2], n, pos;
	bool good;

	snprintf(what, sizeof(what), "%s member: 1 MiB + 3 from offset 4095 "
		 "into a socket, %s", op == IORING_OP_SEND ?
		 "SEND (MSG_WAITALL)" : "WRITE", op == IORING_OP_SEND ?
		 "read as it comes" : "what fits, its start");
	begin(what);
	socket_pair(sv);
	kt_ring_init(&ring, 8, 0);
	lend(&ring, src_fd, len, COPY_START, L);
	sqe = member(&ring, op, sv[0], 0, len, L + 1, false);
	if (op == IORING_OP_SEND)
		sqe->msg_flags = MSG_WAITALL;
	kt_model_group(reqs, 1, L, (int)len, res, 1);
	if (io_uring_submit(&ring) != 2)
		kt_die("io_uring_submit");
	if (op == IORING_OP_SEND) {
		good = socket_holds(sv[1], src_data + COPY_START, len,
				    KT_WAIT_MS, "the socket");
		n = kt_reap(&ring, reqs, 2, cqes, (int)ARRAY_SIZE(cqes),
			    KT_WAIT_MS);
		good = good && kt_verify(reqs, 2, cqes, n, why, sizeof(why));
	} else {
		n = kt_reap(&ring, reqs, 2, cqes, (int)ARRAY_SIZE(cqes),
			    KT_WAIT_MS);
		pos = kt_cqe_pos(cqes, n, L + 1);
		if (pos >= 0 && cqes[pos].res > 0 && cqes[pos].res <= res[0])
			reqs[1].res = cqes[pos].res;
		good = kt_verify(reqs, 2, cqes, n, why, sizeof(why)) &&
		       socket_holds(sv[1], src_data + COPY_START,
				    (size_t)reqs[1].res, 1000, "the socket");
	}
	report(good, what);
	close(sv[0]);
	close(sv[1]);
	io_uring_queue_exit(&ring);
}

/* Which SQEs may carry IOSQE_GROUP_KBUF. */

struct bad_member {
	const char *name;
	int op;
	unsigned flags; /* besides IOSQE_GROUP_KBUF */
	int res;
};

/*
 * The bad member between two good ones fails at submission; so does its
 * group: the leader -ECANCELED, never issued, the others -ECANCELED.
 */
static void bad_member(const struct bad_member *b)
{
	static struct iovec iov = { .iov_base = NULL, .iov_len = 0 };
	static struct msghdr msg;
	int res[3] = { -ECANCELED, b->res, -ECANCELED };
	struct io_uring_sqe *sqe;
	struct kt_req reqs[4];
	struct io_uring ring;
	int dests[2];
	char what[160];
	bool good;

	snprintf(what, sizeof(what), "GROUP_KBUF on a %s member: %s, group "
		 "-ECANCELED", b->name, b->res == -EINVAL ? "-EINVAL" :
		 "-EOPNOTSUPP");
	begin(what);
	dests[0] = kt_tmpfile(0);
	dests[1] = kt_tmpfile(0);
	kt_ring_init(&ring, 8, 0);
	lend(&ring, src_fd, 4096, 0, L);
	kwrite(&ring, dests[0], 0, 4096, 0, L + 1, true);
	sqe = member(&ring, b->op, dests[1], 0, 4096, L + 2, true);
	if (b->op == IORING_OP_WRITEV) {
		sqe->addr = (uintptr_t)&iov;
		sqe->len = 1;
	} else if (b->op == IORING_OP_SENDMSG) {
		sqe->addr = (uintptr_t)&msg;
		sqe->len = 1;
	}
	sqe->flags |= b->flags;
	kwrite(&ring, dests[1], 0, 4096, 0, L + 3, false);
	kt_model_group(reqs, 1, L, -ECANCELED, res, 3);
	good = run_model(&ring, reqs, 4) &&
	       file_holds(dests[0], NULL, 0, "a good member's file") &&
	       file_holds(dests[1], NULL, 0, "a good member's file");
	report(good, what);
	close(dests[0]);
	close(dests[1]);
	io_uring_queue_exit(&ring);
}

static void kbuf_flag(void)
{
	static const struct bad_member bad[] = {
		{ "NOP", IORING_OP_NOP, 0, -EINVAL },
		{ "FSYNC", IORING_OP_FSYNC, 0, -EINVAL },
		{ "WRITEV", IORING_OP_WRITEV, 0, -EINVAL },
		{ "WRITE_FIXED", IORING_OP_WRITE_FIXED, 0, -EINVAL },
		{ "SENDMSG", IORING_OP_SENDMSG, 0, -EINVAL },
		{ "READ_PAGES", IORING_OP_READ_PAGES, 0, -EINVAL },
		{ "SEND with BUFFER_SELECT", IORING_OP_SEND,
		  IOSQE_BUFFER_SELECT, -EINVAL },
		{ "READ with BUFFER_SELECT", IORING_OP_READ,
		  IOSQE_BUFFER_SELECT, -EINVAL },
		/* WRITE can't select buffers at all: the older check wins */
		{ "WRITE with BUFFER_SELECT", IORING_OP_WRITE,
		  IOSQE_BUFFER_SELECT, -EOPNOTSUPP },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		bad_member(&bad[i]);
}

/* A group's last member fails at submission: the group ends there. */
static void bad_last_member(void)
{
	static const int res[2] = { -ECANCELED, -EINVAL };
	const char *what = "GROUP_KBUF on a NOP as the last member: -EINVAL, "
			   "group -ECANCELED";
	struct kt_req reqs[3];
	struct io_uring ring;
	int dest = kt_tmpfile(0);

	begin(what);
	kt_ring_init(&ring, 8, 0);
	lend(&ring, src_fd, 4096, 0, L);
	kwrite(&ring, dest, 0, 4096, 0, L + 1, true);
	member(&ring, IORING_OP_NOP, -1, 0, 0, L + 2, false);
	kt_model_group(reqs, 1, L, -ECANCELED, res, 2);
	report(run_model(&ring, reqs, 3) &&
	       file_holds(dest, NULL, 0, "the good member's file"), what);
	close(dest);
	io_uring_queue_exit(&ring);
}

/* READ_PAGES that leads nothing. */
static void read_pages_alone(bool group_flag)
{
	struct kt_req req = { .ud = L, .res = -EINVAL, .group = group_flag,
			      .leader = group_flag };
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	char what[128];

	snprintf(what, sizeof(what), "READ_PAGES alone%s: -EINVAL",
		 group_flag ? " with IOSQE_SQE_GROUP (a lone leader)" :
			      ", in no group");
	begin(what);
	kt_ring_init(&ring, 8, 0);
	sqe = kt_sqe(&ring);
	zccp_prep_read_pages(sqe, src_fd, 4096, 0);
	sqe->flags = group_flag ? IOSQE_SQE_GROUP : 0;
	sqe->user_data = L;
	report(run_model(&ring, &req, 1), what);
	io_uring_queue_exit(&ring);
}

/* READ_PAGES as a member: it leads nothing, fails when issued, alone. */
static void read_pages_member(void)
{
	static const int res[2] = { -EINVAL, 0 };
	const char *what = "READ_PAGES as a member of a NOP group: -EINVAL, "
			   "the other member and the leader 0";
	struct io_uring_sqe *sqe;
	struct kt_req reqs[3];
	struct io_uring ring;

	begin(what);
	kt_ring_init(&ring, 8, 0);
	kt_prep_nop(kt_sqe(&ring), L, 0, IOSQE_SQE_GROUP);
	sqe = kt_sqe(&ring);
	zccp_prep_read_pages(sqe, src_fd, 4096, 0);
	sqe->flags = IOSQE_SQE_GROUP;
	sqe->user_data = L + 1;
	kt_prep_nop(kt_sqe(&ring), L + 2, 0, 0);
	kt_model_group(reqs, 1, L, 0, res, 2);
	report(run_model(&ring, reqs, 3), what);
	io_uring_queue_exit(&ring);
}

enum bad_field { F_NONE, F_ADDR, F_BUF_INDEX, F_RW_FLAGS, F_IOPRIO, F_ADDR3,
		 F_SPLICE_FD_IN };

/* A READ_PAGES leader failing its preparation: members -ECANCELED. */
static void bad_leader(const char *name, unsigned len, enum bad_field field)
{
	static const int res[2] = { -ECANCELED, -ECANCELED };
	struct io_uring_sqe *sqe;
	struct kt_req reqs[3];
	struct io_uring ring;
	char what[128];
	int dest = kt_tmpfile(0);

	snprintf(what, sizeof(what), "READ_PAGES with %s: -EINVAL, members "
		 "-ECANCELED", name);
	begin(what);
	kt_ring_init(&ring, 8, 0);
	sqe = lend(&ring, src_fd, len, 0, L);
	switch (field) {
	case F_NONE:
		break;
	case F_ADDR:
		sqe->addr = 4096;
		break;
	case F_BUF_INDEX:
		sqe->buf_index = 1;
		break;
	case F_RW_FLAGS:
		sqe->rw_flags = 1;
		break;
	case F_IOPRIO:
		sqe->ioprio = 1;
		break;
	case F_ADDR3:
		sqe->addr3 = 1;
		break;
	case F_SPLICE_FD_IN:
		sqe->splice_fd_in = 1;
		break;
	}
	kwrite(&ring, dest, 0, 1, 0, L + 1, true);
	kwrite(&ring, dest, 0, 1, 0, L + 2, false);
	kt_model_group(reqs, 1, L, -EINVAL, res, 2);
	report(run_model(&ring, reqs, 3) &&
	       file_holds(dest, NULL, 0, "the members' file"), what);
	close(dest);
	io_uring_queue_exit(&ring);
}

/*
 * Flags whose meaning the bit must keep: IO_DRAIN on the leader drains;
 * a ring that saw CQE_SKIP_SUCCESS refuses drain, not GROUP_KBUF; and
 * CQE_SKIP_SUCCESS on the leader hides only its CQE.
 */
static void other_flags(unsigned leader_flags, bool skip_before)
{
	static const int res[2] = { 8192, 4096 };
	struct io_uring_sqe *sqe;
	struct kt_req reqs[4];
	struct io_uring ring;
	char what[160], names[64];
	int dest[2] = { kt_tmpfile(0), kt_tmpfile(0) };
	int nreq = 3;
	bool good;

	snprintf(what, sizeof(what), "READ_PAGES leader (%s)%s: members "
		 "write their slices", kt_flag_names(leader_flags, names,
						     sizeof(names)),
		 skip_before ? " after a CQE_SKIP_SUCCESS NOP" : "");
	begin(what);
	kt_ring_init(&ring, 8, 0);
	if (skip_before)
		kt_prep_nop(kt_sqe(&ring), L + 9, 0, IOSQE_CQE_SKIP_SUCCESS);
	sqe = lend(&ring, src_fd, 8192, 4095, L);
	sqe->flags |= leader_flags;
	kwrite(&ring, dest[0], 0, 8192, 0, L + 1, true);
	kwrite(&ring, dest[1], 4096, 4096, 0, L + 2, false);
	kt_model_group(reqs, 1, L,
		       leader_flags & IOSQE_CQE_SKIP_SUCCESS ? KT_NO_CQE : 8192,
		       res, 2);
	if (skip_before)
		reqs[nreq++] = (struct kt_req){ .ud = L + 9, .res = KT_NO_CQE };
	good = run_model(&ring, reqs, nreq) &&
	       file_holds(dest[0], src_data + 4095, 8192, "a member's file") &&
	       file_holds(dest[1], src_data + 4095 + 4096, 4096,
			  "a member's file");
	report(good, what);
	close(dest[0]);
	close(dest[1]);
	io_uring_queue_exit(&ring);
}

static void read_pages_rules(void)
{
	read_pages_alone(false);
	read_pages_alone(true);
	read_pages_member();
	bad_leader("len 0", 0, F_NONE);
	bad_leader("len 16 MiB + 1", READ_PAGES_MAX + 1, F_NONE);
	bad_leader("len 4 GiB - 1", 0xffffffffU, F_NONE);
	bad_leader("addr 4096", 4096, F_ADDR);
	bad_leader("buf_index 1", 4096, F_BUF_INDEX);
	bad_leader("rw_flags 1", 4096, F_RW_FLAGS);
	bad_leader("ioprio 1", 4096, F_IOPRIO);
	bad_leader("addr3 1", 4096, F_ADDR3);
	bad_leader("splice_fd_in 1", 4096, F_SPLICE_FD_IN);
	other_flags(IOSQE_IO_DRAIN, false);
	other_flags(0, true);
	other_flags(IOSQE_CQE_SKIP_SUCCESS, false);
}

/* A leader that fails cancels its members (want 0: any error will do). */
static void leader_fails(const char *name, int fd, int want)
{
	static const int res[2] = { -ECANCELED, -ECANCELED };
	struct kt_cqe cqes[8];
	struct kt_req reqs[3];
	struct io_uring ring;
	char what[160], got[24];
	int dest = kt_tmpfile(0), n, pos;
	bool good;

	snprintf(what, sizeof(what), "READ_PAGES on %s: leader %s, members "
		 "-ECANCELED", name, want ? kt_res_name(want, got) : "< 0");
	begin(what);
	kt_ring_init(&ring, 8, 0);
	lend(&ring, fd, 4096, 0, L);
	kwrite(&ring, dest, 0, 1, 0, L + 1, true);
	kwrite(&ring, dest, 0, 1, 0, L + 2, false);
	kt_model_group(reqs, 1, L, want ? want : -1, res, 2);
	n = submit_reap(&ring, reqs, 3, cqes, (int)ARRAY_SIZE(cqes));
	pos = n >= 0 ? kt_cqe_pos(cqes, n, L) : -1;
	/* any error will do when want is 0: take the one it has */
	if (!want && pos >= 0 && cqes[pos].res < 0)
		reqs[0].res = cqes[pos].res;
	good = n >= 0 && kt_verify(reqs, 3, cqes, n, why, sizeof(why)) &&
	       file_holds(dest, NULL, 0, "the members' file");
	if (good)
		kt_ok("%s (%s)", what, kt_res_name(reqs[0].res, got));
	else
		kt_fail("%s: %s", what, why);
	close(dest);
	io_uring_queue_exit(&ring);
}

static void leader_failures(void)
{
	const char *tmp = getenv("TMPDIR");
	int fd, p[2];

	fd = reopen(src_fd, O_WRONLY);
	leader_fails("an O_WRONLY file", fd, -EBADF);
	close(fd);

	/*
	 * Only regular files and block devices have page cache pages to
	 * lend: a pipe's or a socket's splice would consume the data, and
	 * /dev/zero's makes pages of its own.
	 */
	kt_pipe(p);
	kt_write_all(p[1], "data", 4);
	leader_fails("a pipe's read end", p[0], -EINVAL);
	close(p[0]);
	close(p[1]);

	socket_pair(p);
	kt_write_all(p[1], "data", 4);
	leader_fails("a socket", p[0], -EINVAL);
	close(p[0]);
	close(p[1]);

	fd = open("/dev/zero", O_RDONLY);
	if (fd < 0)
		kt_die("/dev/zero: %s", strerror(errno));
	leader_fails("/dev/zero", fd, -EINVAL);
	close(fd);

	fd = open(tmp && *tmp ? tmp : "/tmp", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		kt_die("open the temporary directory: %s", strerror(errno));
	leader_fails("a directory", fd, -EINVAL);
	close(fd);
}

/* shmem lends a hole as the zero page: a sparse file reads as zeros. */
static void sparse_file(void)
{
	static const int res[1] = { 256 * KIB };
	const char *what = "READ_PAGES on a sparse file lends its holes as "
			   "zeros";
	struct kt_req reqs[2];
	struct io_uring ring;
	char *want = calloc(1, 256 * KIB);
	int fd = kt_tmpfile(256 * KIB), dest = kt_tmpfile(0);

	begin(what);
	if (!want)
		kt_die("calloc");
	/* data in one page, holes around it */
	memcpy(want + 100 * KIB + 7, src_data, 5000);
	if (pwrite(fd, src_data, 5000, 100 * KIB + 7) != 5000)
		kt_die("pwrite: %s", strerror(errno));
	kt_ring_init(&ring, 8, 0);
	lend(&ring, fd, 256 * KIB, 0, L);
	kwrite(&ring, dest, 0, 256 * KIB, 0, L + 1, false);
	kt_model_group(reqs, 1, L, 256 * KIB, res, 1);
	report(run_model(&ring, reqs, 2) &&
	       file_holds(dest, want, 256 * KIB, "the member's file"), what);
	free(want);
	close(fd);
	close(dest);
	io_uring_queue_exit(&ring);
}

/*
 * A member blocked on a full pipe, cancelled by its user_data: it gets
 * -ECANCELED and the leader still completes, last.
 */
static void cancel_member(void)
{
	static const int res[1] = { -ECANCELED };
	const char *what = "a WRITE member blocked on a full pipe, cancelled: "
			   "-ECANCELED, cancel 0, leader last";
	struct kt_req reqs[3];
	struct kt_cqe cqes[8];
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	char junk[4096] = "";
	int p[2], n;

	begin(what);
	kt_pipe(p);
	if (fcntl(p[1], F_SETFL, O_NONBLOCK))
		kt_die("fcntl: %s", strerror(errno));
	while (write(p[1], junk, sizeof(junk)) > 0)
		;
	kt_ring_init(&ring, 8, 0);
	lend(&ring, src_fd, 64 * KIB, COPY_START, L);
	kwrite(&ring, p[1], 0, 64 * KIB, 0, L + 1, false);
	kt_submit(&ring, 2);
	/* the leader has lent, the member waits for room in the pipe */
	n = kt_reap_for(&ring, 300, cqes, (int)ARRAY_SIZE(cqes));
	if (n) {
		kt_fail("%s: %d CQE(s) before the cancel (first ud %llu res "
			"%d)", what, n, (unsigned long long)cqes[0].ud,
			cqes[0].res);
		goto out;
	}
	sqe = kt_sqe(&ring);
	io_uring_prep_cancel64(sqe, L + 1, 0);
	sqe->user_data = L + 50;
	kt_submit(&ring, 1);
	kt_model_group(reqs, 1, L, 64 * KIB, res, 1);
	reqs[2] = (struct kt_req){ .ud = L + 50, .res = 0 };
	n = kt_reap(&ring, reqs, 3, cqes, (int)ARRAY_SIZE(cqes), KT_WAIT_MS);
	report(kt_verify(reqs, 3, cqes, n, why, sizeof(why)), what);
out:
	io_uring_queue_exit(&ring);
	close(p[0]);
	close(p[1]);
}

/* A member that fails leaves the others and the leader alone. */
static void member_fails(int bad)
{
	int res[3] = { 3 * 4096, 3 * 4096, 3 * 4096 };
	int dests[3], rdonly = -1;
	struct kt_req reqs[4];
	struct io_uring ring;
	char what[128];
	bool good;

	snprintf(what, sizeof(what), "member %d of 3 writes to an O_RDONLY "
		 "file: -EBADF, the others write, leader last", bad + 1);
	begin(what);
	kt_ring_init(&ring, 8, 0);
	lend(&ring, src_fd, 3 * 4096, COPY_START, L);
	for (int i = 0; i < 3; i++) {
		dests[i] = kt_tmpfile(0);
		if (i == bad) {
			rdonly = reopen(dests[i], O_RDONLY);
			res[i] = -EBADF;
		}
		kwrite(&ring, i == bad ? rdonly : dests[i], 0, 3 * 4096, 0,
		       L + 1 + (unsigned)i, i < 2);
	}
	kt_model_group(reqs, 1, L, 3 * 4096, res, 3);
	good = run_model(&ring, reqs, 4);
	for (int i = 0; good && i < 3; i++)
		good = file_holds(dests[i], src_data + COPY_START,
				  i == bad ? 0 : 3 * 4096,
				  i == bad ? "the failed member's file" :
					     "a good member's file");
	report(good, what);
	for (int i = 0; i < 3; i++)
		close(dests[i]);
	close(rdonly);
	io_uring_queue_exit(&ring);
}

/* A leader that lends nothing: GROUP_KBUF members -EINVAL. */
static void lends_nothing(bool read_leader, int op)
{
	static char buf[4096];
	struct io_uring_sqe *sqe;
	struct kt_req reqs[2];
	struct io_uring ring;
	char what[160];
	int res[1] = { -EINVAL };
	int dest = kt_tmpfile(0), sv[2], fd = dest;

	snprintf(what, sizeof(what), "a %s member of a %s leader: -EINVAL, "
		 "the leader's own result", op == IORING_OP_SEND ? "SEND" :
		 "WRITE", read_leader ? "plain READ" : "NOP");
	begin(what);
	socket_pair(sv);
	if (op == IORING_OP_SEND)
		fd = sv[0];
	kt_ring_init(&ring, 8, 0);
	sqe = kt_sqe(&ring);
	if (read_leader)
		io_uring_prep_read(sqe, src_fd, buf, sizeof(buf), 0);
	else
		io_uring_prep_nop(sqe);
	sqe->flags = IOSQE_SQE_GROUP;
	sqe->user_data = L;
	member(&ring, op, fd, 0, 1, L + 1, false);
	kt_model_group(reqs, 1, L, read_leader ? (int)sizeof(buf) : 0, res, 1);
	report(run_model(&ring, reqs, 2) &&
	       file_holds(dest, NULL, 0, "the member's file") &&
	       socket_holds(sv[1], NULL, 0, 0, "the socket"), what);
	close(dest);
	close(sv[0]);
	close(sv[1]);
	io_uring_queue_exit(&ring);
}

/* Tearing a ring down while groups hold pages. */

static long mem_free_kib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kib = -1;

	if (!f)
		kt_die("/proc/meminfo: %s", strerror(errno));
	while (kib < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kib) != 1)
			kib = -1;
	fclose(f);
	if (kib < 0)
		kt_die("no MemFree in /proc/meminfo");
	return kib;
}

static void drop_caches(void)
{
	int fd;

	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd < 0)
		return;
	if (write(fd, "3\n", 2) != 2)
		printf("# drop_caches: %s\n", strerror(errno));
	close(fd);
}

/* Fill a pipe so that writes to it wait. */
static void fill_pipe(int fd)
{
	static char page[4096];
	int flags = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	while (write(fd, page, sizeof(page)) > 0)
		;
	while (write(fd, page, 1) > 0)
		;
	if (errno != EAGAIN)
		kt_die("filling a pipe: %s", strerror(errno));
	/* an O_NONBLOCK file would fail io_uring's writes with -EAGAIN */
	fcntl(fd, F_SETFL, flags);
}

static uint64_t pin_ud(unsigned group, int role)
{
	return ((uint64_t)group << 2 | (unsigned)role) + 1;
}

/*
 * Group i lends a 16 MiB quarter of the file (i < 4: together, all of
 * it) or an odd 1 MiB or so elsewhere; one member writes a byte of it to
 * the progress file, so its CQE says the pages are lent, and one waits
 * on the full pipe (every fourth issued from io-wq, IOSQE_ASYNC).
 */
static void pin_group(struct io_uring *ring, int fd, unsigned i, int prog,
		      int pipe_fd)
{
	unsigned len = i < 4 ? 16 * MIB : MIB + (i * 4097) % (64 * KIB);
	uint64_t off = i < 4 ? (uint64_t)i * 16 * MIB :
			       ((uint64_t)i * 37 * 4096 + i) % (PIN_SIZE - len);
	struct io_uring_sqe *sqe;

	lend(ring, fd, len, off, pin_ud(i, 0));
	kwrite(ring, prog, 0, 1, i, pin_ud(i, 1), true);
	sqe = kwrite(ring, pipe_fd, 0, 256 * KIB, 0, pin_ud(i, 2), false);
	if (i % 4 == 3)
		sqe->flags |= IOSQE_ASYNC;
}

static void teardown(void)
{
	/* at least the four that lend all of the file; within the ring */
	unsigned waited = kt_scaled(100) < 4 ? 4 : kt_scaled(100);
	unsigned loose = kt_scaled(100);
	long base, written, pinned, now = 0;
	struct io_uring ring, again;
	static struct kt_cqe cqes[512];
	struct kt_req reqs[3];
	int fd, prog, p[2], n = 0, bad = -1;
	long long deadline;
	char *buf;
	bool good;

	waited = waited < 300 ? waited : 300;
	loose = loose < 300 ? loose : 300;
	begin("teardown with pages lent");
	drop_caches();
	base = mem_free_kib();
	fd = kt_tmpfile(0);
	buf = malloc(MIB);
	if (!buf)
		kt_die("malloc");
	for (unsigned i = 0; i < PIN_SIZE / MIB; i++) {
		kt_fill(buf, MIB, kt_seed() + 1000 + i);
		kt_write_all(fd, buf, MIB);
	}
	free(buf);
	written = mem_free_kib();
	kt_pipe(p);
	fill_pipe(p[1]);
	prog = kt_tmpfile(0);

	kt_ring_init(&ring, 1024, 0);
	for (unsigned i = 0; i < waited; i++)
		pin_group(&ring, fd, i, prog, p[1]);
	kt_submit(&ring, (int)waited * 3);
	/* all of them lent: each progress member's CQE, nothing else */
	while (n < (int)waited && bad < 0) {
		int got = kt_reap_n(&ring, 1, &cqes[n], 1, 120 * 1000);

		if (got != 1)
			break;
		if ((cqes[n].ud - 1) % 4 != 1 || cqes[n].res != 1)
			bad = n;
		n++;
	}
	if (bad >= 0)
		kt_fail("teardown: %u groups lend pages, their writers wait: "
			"CQE %llu (role %llu) res %d, want only progress "
			"members' 1", waited,
			(unsigned long long)cqes[bad].ud,
			(unsigned long long)((cqes[bad].ud - 1) % 4),
			cqes[bad].res);
	else
		kt_check(n == (int)waited, "teardown: %u groups lend pages, "
			 "their writers wait (%d of %u lent)", waited, n,
			 waited);

	/* more, in flight at the ring's end: waiting, lending, or neither */
	for (unsigned i = waited; i < waited + loose; i++)
		pin_group(&ring, fd, i, prog, p[1]);
	kt_submit(&ring, (int)loose * 3);
	close(fd); /* the file's pages are only the groups' now */
	pinned = base - mem_free_kib();
	kt_check(pinned >= (long)(PIN_SIZE / KIB) - PIN_SLACK_KIB,
		 "teardown: the unlinked file's 64 MiB stay while lent "
		 "(MemFree %ld kB before the file, %ld with it, %ld below "
		 "with it closed)", base, written, pinned);

	io_uring_queue_exit(&ring);
	close(p[0]);
	close(p[1]);
	close(prog);
	deadline = kt_now_ms() + 60 * 1000;
	for (int tries = 0; kt_now_ms() < deadline; tries++) {
		if (!(tries % 10))
			drop_caches();
		now = mem_free_kib();
		if (base - now < PIN_SLACK_KIB)
			break;
		usleep(100 * 1000);
	}
	kt_check(base - now < PIN_SLACK_KIB, "teardown: %u groups at ring "
		 "exit give their pages back (MemFree %ld kB, %ld below the "
		 "%ld kB before the file; at most %d)", waited + loose, now,
		 base - now, base, PIN_SLACK_KIB);

	/* nothing is stuck: a new ring's group runs */
	begin("a new ring after the teardown");
	{
		const int res[1] = { 4096 };
		int dest = kt_tmpfile(0);

		kt_ring_init(&again, 8, 0);
		lend(&again, src_fd, 4096, COPY_START, L);
		kwrite(&again, dest, 0, 4096, 0, L + 1, false);
		kt_model_group(reqs, 1, L, 4096, res, 1);
		good = run_model(&again, reqs, 2) &&
		       file_holds(dest, src_data + COPY_START, 4096,
				  "the member's file");
		report(good, "teardown: a new ring's READ_PAGES group runs "
		       "after it");
		close(dest);
		io_uring_queue_exit(&again);
	}
}

int main(int argc, char **argv)
{
	const size_t rest = SRC_SIZE - COPY_START;

	kt_start("group-kbuf", argc, argv);
	signal(SIGALRM, watchdog);
	/* writers to a pipe whose reader is gone must not kill us */
	signal(SIGPIPE, SIG_IGN);

	src_data = malloc(SRC_SIZE);
	if (!src_data)
		kt_die("malloc %u", SRC_SIZE);
	/* different in every byte and page, so a misplaced one shows */
	kt_fill(src_data, SRC_SIZE, kt_seed());
	src_fd = kt_tmpfile(0);
	kt_write_all(src_fd, src_data, SRC_SIZE);

	copy(1, kt_scaled(1024), 0, false);
	copy(4095, kt_scaled((unsigned)rest), 0, false);
	copy(4097, kt_scaled((unsigned)rest), IOSQE_ASYNC, false);
	copy(64 * KIB - 1, rest, 0, true);
	copy(MIB + 3, rest, 0, false);

	slices();
	short_at_eof();

	wrong_direction(0);
	wrong_direction(IOSQE_ASYNC);

	send_slices();
	socket_stream(IORING_OP_SEND);
	socket_stream(IORING_OP_WRITE);

	kbuf_flag();
	bad_last_member();
	read_pages_rules();

	leader_failures();
	sparse_file();

	for (int bad = 0; bad < 3; bad++)
		member_fails(bad);
	cancel_member();

	lends_nothing(false, IORING_OP_WRITE);
	lends_nothing(true, IORING_OP_WRITE);
	lends_nothing(false, IORING_OP_SEND);

	teardown();

	begin("the end");
	report(file_holds(src_fd, src_data, SRC_SIZE, "the source file"),
	       "the source file is unchanged after all of it");
	close(src_fd);
	free(src_data);
	alarm(0);
	return kt_finish();
}
