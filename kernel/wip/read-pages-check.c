/* kernel/wip: a quick check of the WIP patch (IORING_OP_READ_PAGES leader, IOSQE_GROUP_KBUF members); not built by CMake yet */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <liburing.h>

#define IOSQE_SQE_GROUP (1U << 7)
#define IOSQE_GROUP_KBUF IOSQE_IO_DRAIN
#define IORING_OP_READ_PAGES 0xf0

static int fail;
#define CHECK(c, ...) do { if (!(c)) { printf("FAIL %d: ", __LINE__); printf(__VA_ARGS__); printf("\n"); fail = 1; } } while (0)

static void prep_rp(struct io_uring_sqe *sqe, int fd, unsigned len, unsigned long long off)
{
	io_uring_prep_rw(IORING_OP_READ_PAGES, sqe, fd, NULL, len, off);
}

/* one group: leader READ_PAGES(src, off, len), members write [moff, mlen) to dsts */
static int run_group(struct io_uring *ring, int src, unsigned long long off, unsigned len,
		     int *dst, int n, unsigned moff, unsigned mlen, int member_op, int *res)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int i, got;

	prep_rp(sqe, src, len, off);
	sqe->flags |= IOSQE_SQE_GROUP;
	sqe->user_data = 100;
	for (i = 0; i < n; i++) {
		sqe = io_uring_get_sqe(ring);
		io_uring_prep_rw(member_op, sqe, dst[i], (void *)(unsigned long)moff, mlen, 0);
		sqe->flags |= IOSQE_GROUP_KBUF | (i + 1 < n ? IOSQE_SQE_GROUP : 0);
		sqe->user_data = i;
	}
	io_uring_submit(ring);
	for (got = 0; got < n + 1; got++) {
		if (io_uring_wait_cqe(ring, &cqe))
			return -1;
		if (cqe->user_data == 100) { CHECK(got == n, "leader CQE not last"); res[n] = cqe->res; }
		else res[cqe->user_data] = cqe->res;
		io_uring_cqe_seen(ring, cqe);
	}
	return 0;
}

int main(void)
{
	struct io_uring ring;
	size_t size = (3 << 20) + 4097;
	char *data = malloc(size), *back = malloc(size);
	int src, dst[3], res[4], i;

	for (size_t j = 0; j < size; j++) data[j] = (char)(j * 7 + j / 4096);
	src = open("/tmp/rp-src", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (write(src, data, size) != (ssize_t)size) return 2;
	for (i = 0; i < 3; i++) {
		char name[32]; snprintf(name, sizeof(name), "/tmp/rp-dst%d", i);
		dst[i] = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
	}
	if (io_uring_queue_init(16, &ring, 0)) return 2;

	/* 1 MiB + 3 from an unaligned offset to 3 files */
	unsigned len = (1 << 20) + 3; unsigned long long off = 4097;
	run_group(&ring, src, off, len, dst, 3, 0, len, IORING_OP_WRITE, res);
	CHECK(res[3] == (int)len, "leader res %d", res[3]);
	for (i = 0; i < 3; i++) {
		CHECK(res[i] == (int)len, "member %d res %d", i, res[i]);
		memset(back, 0, size);
		CHECK(pread(dst[i], back, len, 0) == (ssize_t)len && !memcmp(back, data + off, len), "dst %d content", i);
	}
	/* slice: members write [5000, 5000+12345) */
	run_group(&ring, src, 0, 65536, dst, 2, 5000, 12345, IORING_OP_WRITE, res);
	CHECK(res[0] == 12345 && res[1] == 12345, "slice res %d %d", res[0], res[1]);
	CHECK(pread(dst[0], back, 12345, 0) == 12345 && !memcmp(back, data + 5000, 12345), "slice content");
	/* out of range: -EFAULT */
	run_group(&ring, src, 0, 8192, dst, 1, 4096, 8192, IORING_OP_WRITE, res);
	CHECK(res[0] == -EFAULT, "out of range res %d", res[0]);
	/* wrong direction: member READ into page cache pages: -EINVAL */
	run_group(&ring, src, 0, 8192, dst, 1, 0, 4096, IORING_OP_READ, res);
	CHECK(res[0] == -EINVAL, "wrong dir res %d", res[0]);
	/* short at EOF: buffer is what exists */
	run_group(&ring, src, size - 100, 4096, dst, 1, 0, 100, IORING_OP_WRITE, res);
	CHECK(res[1] == 100 && res[0] == 100, "eof leader %d member %d", res[1], res[0]);
	/* member beyond the short buffer */
	run_group(&ring, src, size - 100, 4096, dst, 1, 0, 200, IORING_OP_WRITE, res);
	CHECK(res[0] == -EFAULT, "beyond short res %d", res[0]);
	/* a lone READ_PAGES (no group): -EINVAL */
	{
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring); struct io_uring_cqe *cqe;
		prep_rp(sqe, src, 4096, 0); io_uring_submit(&ring); io_uring_wait_cqe(&ring, &cqe);
		CHECK(cqe->res == -EINVAL, "lone res %d", cqe->res); io_uring_cqe_seen(&ring, cqe);
	}
	/* many groups, teardown with some in flight */
	for (i = 0; i < 200; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		if (!sqe) { io_uring_submit(&ring); struct io_uring_cqe *c; while (!io_uring_peek_cqe(&ring, &c)) io_uring_cqe_seen(&ring, c); sqe = io_uring_get_sqe(&ring); }
		prep_rp(sqe, src, 65536, (i * 4096) % (size - 65536));
		sqe->flags |= IOSQE_SQE_GROUP;
		sqe = io_uring_get_sqe(&ring);
		if (!sqe) { io_uring_submit(&ring); sqe = io_uring_get_sqe(&ring); }
		io_uring_prep_write(sqe, dst[2], (void *)0, 65536, 0);
		sqe->flags |= IOSQE_GROUP_KBUF;
		io_uring_submit(&ring);
	}
	io_uring_queue_exit(&ring);
	printf(fail ? "rp-test: FAILED\n" : "rp-test: ok\n");
	return fail;
}
