/* SPDX-License-Identifier: MIT */
/*
 * ublk-loop: a ublk server that exports a regular file as /dev/ublkbN,
 * like the loop driver, for the kernel tests (tests/kernel/ublk-loop.sh).
 *
 *   ublk-loop [--queue-depth N] [--block-size 512|4096] [--zero-copy]
 *             BACKING_FILE
 *
 * Adds the device through /dev/ublk-control, serves its one queue from a
 * thread, prints the block device's path on stdout once it is usable and
 * serves until SIGTERM or SIGINT; then stops and deletes the device and
 * exits 0.  Any error: one line on stderr, exit 1.
 *
 * Written from the 6.12 UAPI (include/uapi/linux/ublk_cmd.h) and
 * Documentation/block/ublk.rst.  Every command is ioctl-encoded
 * (UBLK_U_*), the only form a kernel without
 * CONFIG_BLKDEV_UBLK_LEGACY_OPCODES takes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <liburing.h>

#include "zccp/ublk.h"
#include "zccp/uring_group.h"

#define MAX_IO_BYTES (512U << 10) /* per request; the kernel page-aligns it */
#define TGT_IO (1ULL << 63)	  /* user_data: backing file I/O, not a cmd */
#define LEND (1ULL << 62)	  /* user_data: PROVIDE_IO_BUF, a group leader */

/*
 * How request data gets between the kernel and the backing file.
 * COPY: FETCH_REQ and COMMIT_AND_FETCH_REQ name a buffer of ours per tag;
 * the kernel copies a write's data into it before handing us the request
 * and a read's data out of it when we commit.
 * ZERO_COPY (--zero-copy, kernel/patches 7): no buffer; each backing file
 * read or write is the member of an SQE group whose leader,
 * UBLK_U_IO_PROVIDE_IO_BUF, lends it the request's own pages.
 */
enum data_mode {
	MODE_COPY,
	MODE_ZERO_COPY,
};

struct server {
	enum data_mode mode;
	int ctrl_fd, cdev_fd, file_fd;
	struct io_uring ctrl_ring;
	struct ublksrv_ctrl_dev_info info;
	unsigned long long size;
	unsigned bs_shift;
	/* the queue (only one) */
	struct io_uring ring;
	const struct ublksrv_io_desc *iods; /* mmap of /dev/ublkcN, read-only */
	size_t iods_len;
	char *bufs;
	size_t buf_size;
	unsigned *done; /* per tag: bytes of its request moved so far */
	unsigned live; /* tags whose command the kernel has not aborted */
};

static const char *prog = "ublk-loop";

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* An SQE, submitting what is queued when the SQ is full. */
static struct io_uring_sqe *get_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
		if (!sqe)
			die("io_uring: no free SQE");
	}
	return sqe;
}

/* Send one control command and wait for it: its result. */
static int ctrl_cmd(struct server *s, unsigned op, void *buf, unsigned len,
		    unsigned long long data)
{
	struct io_uring_sqe *sqe = get_sqe(&s->ctrl_ring);
	struct ublksrv_ctrl_cmd *cmd = (struct ublksrv_ctrl_cmd *)sqe->cmd;
	struct io_uring_cqe *cqe;
	int ret;

	memset(sqe, 0, 2 * sizeof(*sqe)); /* SQE128: the command is inline */
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = s->ctrl_fd;
	sqe->cmd_op = op;
	cmd->dev_id = s->info.dev_id;
	cmd->queue_id = (__u16)-1;
	cmd->addr = (uintptr_t)buf;
	cmd->len = len;
	cmd->data[0] = data;
	ret = io_uring_submit_and_wait(&s->ctrl_ring, 1);
	if (ret >= 0)
		ret = io_uring_wait_cqe(&s->ctrl_ring, &cqe);
	if (ret < 0)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(&s->ctrl_ring, cqe);
	return ret;
}

static char *io_buf(struct server *s, unsigned tag)
{
	switch (s->mode) {
	case MODE_COPY:
		return s->bufs + (size_t)tag * s->buf_size;
	case MODE_ZERO_COPY:
		break; /* user copy: the commands carry no address */
	}
	return NULL;
}

/* Queue an io command (FETCH_REQ, COMMIT_AND_FETCH_REQ with res, ...). */
static struct io_uring_sqe *queue_cmd(struct server *s, unsigned tag,
				      unsigned op, int res)
{
	struct io_uring_sqe *sqe = get_sqe(&s->ring);
	struct ublksrv_io_cmd *cmd = (struct ublksrv_io_cmd *)sqe->cmd;

	memset(sqe, 0, 2 * sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = s->cdev_fd;
	sqe->cmd_op = op;
	sqe->user_data = tag;
	cmd->q_id = 0;
	cmd->tag = tag;
	cmd->result = res;
	cmd->addr = (uintptr_t)io_buf(s, tag);
	return sqe;
}

/* Read or write the rest of tag's request on the backing file. */
static void queue_rw(struct server *s, unsigned tag)
{
	const struct ublksrv_io_desc *iod = &s->iods[tag];
	unsigned done = s->done[tag];
	unsigned len = (iod->nr_sectors << 9) - done;
	off_t off = ((off_t)iod->start_sector << 9) + done;
	unsigned op = ublksrv_get_op(iod) == UBLK_IO_OP_READ ?
			      IORING_OP_READ : IORING_OP_WRITE;
	struct io_uring_sqe *sqe;

	if (s->mode == MODE_ZERO_COPY) {
		/* the group's two SQEs must go in one submission */
		if (io_uring_sq_space_left(&s->ring) < 2)
			io_uring_submit(&s->ring);
		sqe = queue_cmd(s, tag, UBLK_U_IO_PROVIDE_IO_BUF, 0);
		sqe->flags |= IOSQE_SQE_GROUP;
		io_uring_sqe_set_data64(sqe, LEND | tag);
		/* addr: where in the request the rest starts */
		sqe = get_sqe(&s->ring);
		io_uring_prep_rw(op, sqe, s->file_fd, (void *)(uintptr_t)done,
				 len, off);
		sqe->flags |= IOSQE_GROUP_KBUF;
	} else {
		sqe = get_sqe(&s->ring);
		io_uring_prep_rw(op, sqe, s->file_fd, io_buf(s, tag) + done,
				 len, off);
	}
	io_uring_sqe_set_data64(sqe, TGT_IO | tag);
}

/* The kernel handed us a request: start it. */
static void start_io(struct server *s, unsigned tag)
{
	const struct ublksrv_io_desc *iod = &s->iods[tag];
	struct io_uring_sqe *sqe;

	s->done[tag] = 0;
	switch (ublksrv_get_op(iod)) {
	case UBLK_IO_OP_READ:
	case UBLK_IO_OP_WRITE: /* at most max_sectors: fits our buffer */
		queue_rw(s, tag);
		break;
	case UBLK_IO_OP_FLUSH:
		/* we advertise a volatile cache, so flushes reach us */
		sqe = get_sqe(&s->ring);
		io_uring_prep_fsync(sqe, s->file_fd, IORING_FSYNC_DATASYNC);
		io_uring_sqe_set_data64(sqe, TGT_IO | tag);
		break;
	default: /* no discard or write-zeroes limits set: none should come */
		queue_cmd(s, tag, UBLK_U_IO_COMMIT_AND_FETCH_REQ, -EOPNOTSUPP);
	}
}

/* Backing file I/O for tag ended with res: go on, or commit. */
static void io_done(struct server *s, unsigned tag, int res)
{
	const struct ublksrv_io_desc *iod = &s->iods[tag];
	unsigned total = iod->nr_sectors << 9;

	if (ublksrv_get_op(iod) == UBLK_IO_OP_FLUSH || res < 0) {
		queue_cmd(s, tag, UBLK_U_IO_COMMIT_AND_FETCH_REQ, res);
		return;
	}
	if (res == 0 && ublksrv_get_op(iod) == UBLK_IO_OP_READ) {
		/*
		 * Past the file's end (it shrank under us): zeros, as the
		 * loop driver reads.  Zero copy: the kernel has zeroed what
		 * the short read left of the request's pages.
		 */
		if (s->mode == MODE_COPY)
			memset(io_buf(s, tag) + s->done[tag], 0,
			       total - s->done[tag]);
		res = total;
	} else if (res == 0) {
		res = -EIO; /* a write that moves nothing would loop */
	} else if ((s->done[tag] += res) < total) {
		queue_rw(s, tag); /* short read or write: the rest */
		return;
	} else {
		res = total;
	}
	queue_cmd(s, tag, UBLK_U_IO_COMMIT_AND_FETCH_REQ, res);
}

static void handle_cqe(struct server *s, struct io_uring_cqe *cqe)
{
	unsigned tag = cqe->user_data & 0xffff;

	if (cqe->user_data & TGT_IO) {
		io_done(s, tag, cqe->res);
	} else if (cqe->user_data & LEND) {
		/* its member's CQE came first and says how the I/O went */
	} else if (cqe->res == UBLK_IO_RES_OK) {
		start_io(s, tag);
	} else if (cqe->res == UBLK_IO_RES_ABORT) { /* after STOP_DEV */
		s->live--;
	} else { /* a tag that cannot serve would hang START_DEV or I/O */
		die("queue: tag %u: command failed: %s", tag,
		    strerror(-cqe->res));
	}
}

/*
 * The queue's thread.  It must issue every command of the queue itself:
 * the kernel takes the first FETCH_REQ's task as the queue's daemon and
 * refuses commands from any other.  It ends when all were aborted.
 */
static void *queue_main(void *arg)
{
	struct server *s = arg;
	struct io_uring_cqe *cqe;
	unsigned head, n;
	unsigned tag;
	int ret;

	for (tag = 0; tag < s->info.queue_depth; tag++)
		queue_cmd(s, tag, UBLK_U_IO_FETCH_REQ, 0);
	s->live = s->info.queue_depth;
	while (s->live) {
		ret = io_uring_submit_and_wait(&s->ring, 1);
		if (ret < 0 && ret != -EINTR)
			die("queue: io_uring_submit_and_wait: %s",
			    strerror(-ret));
		n = 0;
		io_uring_for_each_cqe(&s->ring, head, cqe) {
			handle_cqe(s, cqe);
			n++;
		}
		io_uring_cq_advance(&s->ring, n);
	}
	return NULL;
}

static void add_dev(struct server *s, unsigned depth)
{
	int ret;

	s->info.nr_hw_queues = 1;
	s->info.queue_depth = depth;
	s->info.max_io_buf_bytes = MAX_IO_BYTES;
	s->info.dev_id = -1; /* any free number */
	s->info.flags = UBLK_F_CMD_IOCTL_ENCODE;
	if (s->mode == MODE_ZERO_COPY)
		s->info.flags |= UBLK_F_USER_COPY | UBLK_F_SUPPORT_ZERO_COPY;
	ret = ctrl_cmd(s, UBLK_U_CMD_ADD_DEV, &s->info, sizeof(s->info), 0);
	if (ret < 0) /* 6.1/6.2 refuse ioctl-encoded commands this way */
		die("ADD_DEV: %s%s", strerror(-ret), ret == -EOPNOTSUPP ||
		    ret == -524 /* ENOTSUPP */ ? " (kernel before 6.3?)" : "");
	if (!(s->info.flags & UBLK_F_CMD_IOCTL_ENCODE))
		die("ADD_DEV: kernel lacks UBLK_F_CMD_IOCTL_ENCODE");
	if (s->mode == MODE_ZERO_COPY &&
	    !(s->info.flags & UBLK_F_SUPPORT_ZERO_COPY))
		die("ADD_DEV: kernel lacks UBLK_F_SUPPORT_ZERO_COPY "
		    "(kernel/patches 7)");
	s->buf_size = s->info.max_io_buf_bytes;
}

/*
 * --check-add-dev: zero copy without user copy is refused at ADD_DEV
 * with EINVAL (kernel/patches 7, as in the series posted in 2024), not
 * quietly cleared.  Exits 0 if so, 1 otherwise (a device it made is
 * deleted again).
 */
static _Noreturn void check_add_dev(struct server *s)
{
	int ret;

	s->info.nr_hw_queues = 1;
	s->info.queue_depth = 4;
	s->info.max_io_buf_bytes = MAX_IO_BYTES;
	s->info.dev_id = -1;
	s->info.flags = UBLK_F_CMD_IOCTL_ENCODE | UBLK_F_SUPPORT_ZERO_COPY;
	ret = ctrl_cmd(s, UBLK_U_CMD_ADD_DEV, &s->info, sizeof(s->info), 0);
	if (ret == -EINVAL) {
		printf("ADD_DEV, zero copy without user copy: EINVAL\n");
		exit(0);
	}
	fprintf(stderr, "%s: ADD_DEV, zero copy without user copy: %s, flags "
		"%#llx (want EINVAL)\n", prog, ret < 0 ? strerror(-ret) : "added",
		(unsigned long long)s->info.flags);
	if (ret >= 0)
		ctrl_cmd(s, UBLK_U_CMD_DEL_DEV, NULL, 0, 0);
	exit(1);
}

static void set_params(struct server *s)
{
	struct ublk_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.len = sizeof(p);
	p.types = UBLK_PARAM_TYPE_BASIC;
	p.basic.attrs = UBLK_ATTR_VOLATILE_CACHE;
	p.basic.logical_bs_shift = s->bs_shift;
	p.basic.physical_bs_shift = s->bs_shift;
	p.basic.io_min_shift = s->bs_shift;
	p.basic.io_opt_shift = s->bs_shift;
	p.basic.max_sectors = s->buf_size >> 9;
	p.basic.dev_sectors = s->size >> 9;
	ret = ctrl_cmd(s, UBLK_U_CMD_SET_PARAMS, &p, sizeof(p), 0);
	if (ret < 0)
		die("SET_PARAMS: %s", strerror(-ret));
}

/* Open /dev/ublkcN, map its request descriptors, make the buffers. */
static void setup_queue(struct server *s)
{
	unsigned depth = s->info.queue_depth;
	long page = sysconf(_SC_PAGESIZE);
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/dev/ublkc%u", s->info.dev_id);
	s->cdev_fd = open(path, O_RDWR | O_CLOEXEC);
	if (s->cdev_fd < 0)
		die("%s: %s", path, strerror(errno));
	/* queue q's descriptors are at q * (the largest queue's size) */
	s->iods_len = (depth * sizeof(struct ublksrv_io_desc) + page - 1) &
		      ~(page - 1);
	s->iods = mmap(NULL, s->iods_len, PROT_READ, MAP_SHARED | MAP_POPULATE,
		       s->cdev_fd, UBLKSRV_CMD_BUF_OFFSET);
	if (s->iods == MAP_FAILED)
		die("mmap %s: %s", path, strerror(errno));
	if (s->mode == MODE_COPY) {
		s->bufs = mmap(NULL, depth * s->buf_size,
			       PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s->bufs == MAP_FAILED)
			die("mmap buffers: %s", strerror(errno));
	}
	s->done = calloc(depth, sizeof(*s->done));
	if (!s->done)
		die("out of memory");
	/* per tag: a command, or a file I/O (zero copy: and its leader) */
	ret = io_uring_queue_init(2 * depth, &s->ring, IORING_SETUP_SQE128);
	if (ret < 0)
		die("io_uring_queue_init: %s", strerror(-ret));
}

static void open_backing(struct server *s, const char *path)
{
	struct stat st;

	s->file_fd = open(path, O_RDWR | O_CLOEXEC);
	if (s->file_fd < 0 || fstat(s->file_fd, &st) < 0)
		die("%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die("%s: not a regular file", path);
	s->size = st.st_size;
	if (!s->size || s->size & ((1ULL << s->bs_shift) - 1))
		die("%s: size %llu is not a positive multiple of %u", path,
		    s->size, 1U << s->bs_shift);
}

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: %s [--queue-depth N] [--block-size 512|4096] "
		"[--zero-copy] BACKING_FILE\n       %s --check-add-dev\n",
		prog, prog);
	exit(2);
}

static unsigned parse_uint(const char *arg, unsigned max)
{
	char *end = NULL;
	unsigned long v = arg ? strtoul(arg, &end, 10) : 0;

	if (!v || v > max || *end)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	struct server s = { .mode = MODE_COPY, .bs_shift = 9 };
	unsigned depth = 64, bs;
	bool only_check = false;
	pthread_t thread;
	sigset_t sigs;
	int i, sig, ret;

	/*
	 * Every thread blocks the signals and main takes them with sigwait,
	 * from the start, so none kills us with the device half set up.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--queue-depth")) {
			depth = parse_uint(argv[++i], UBLK_MAX_QUEUE_DEPTH);
		} else if (!strcmp(argv[i], "--block-size")) {
			bs = parse_uint(argv[++i], 4096);
			if (bs != 512 && bs != 4096)
				usage();
			s.bs_shift = bs == 512 ? 9 : 12;
		} else if (!strcmp(argv[i], "--zero-copy")) {
			s.mode = MODE_ZERO_COPY;
		} else if (!strcmp(argv[i], "--check-add-dev")) {
			only_check = true;
		} else {
			usage();
		}
	}
	if (i != argc - !only_check)
		usage();
	if (!only_check)
		open_backing(&s, argv[i]);

	s.ctrl_fd = open("/dev/ublk-control", O_RDWR | O_CLOEXEC);
	if (s.ctrl_fd < 0)
		die("/dev/ublk-control: %s%s", strerror(errno), errno == ENOENT ?
		    " (kernel without CONFIG_BLK_DEV_UBLK?)" : "");
	ret = io_uring_queue_init(4, &s.ctrl_ring, IORING_SETUP_SQE128);
	if (ret < 0)
		die("io_uring_queue_init: %s", strerror(-ret));
	if (only_check)
		check_add_dev(&s);
	add_dev(&s, depth);
	set_params(&s);
	setup_queue(&s);

	ret = pthread_create(&thread, NULL, queue_main, &s);
	if (ret)
		die("pthread_create: %s", strerror(ret));

	/* waits until the queue fetched every tag; then adds the disk */
	ret = ctrl_cmd(&s, UBLK_U_CMD_START_DEV, NULL, 0, getpid());
	if (ret < 0) {
		fprintf(stderr, "%s: START_DEV: %s\n", prog, strerror(-ret));
	} else {
		printf("/dev/ublkb%u\n", s.info.dev_id);
		fflush(stdout);
		sigwait(&sigs, &sig);
	}

	/* aborts the queue's commands, so its thread ends */
	i = ctrl_cmd(&s, UBLK_U_CMD_STOP_DEV, NULL, 0, 0);
	if (i < 0)
		die("STOP_DEV: %s", strerror(-i));
	pthread_join(thread, NULL);
	io_uring_queue_exit(&s.ring);
	munmap((void *)s.iods, s.iods_len);
	close(s.cdev_fd);
	/* waits for the last reference: the char device must be closed */
	i = ctrl_cmd(&s, UBLK_U_CMD_DEL_DEV, NULL, 0, 0);
	if (i < 0)
		die("DEL_DEV: %s", strerror(-i));
	return ret < 0;
}
