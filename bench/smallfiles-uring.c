// SPDX-License-Identifier: MIT
/*
 * bench/smallfiles-uring DIR FILES BATCH: would io_uring make -r's small
 * files cheaper?  Writes FILES files of 8 KiB into DIR twice, each made
 * under a hidden name and renamed whole (the atomic way zccp must keep):
 * once with plain system calls, once through a ring, BATCH files (a
 * linked chain each: openat to a direct descriptor, write, close,
 * renameat) per io_uring_enter.  Prints the wall time of each and their
 * ratio.  Build: cc -O2 -o smallfiles-uring smallfiles-uring.c -luring
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char data[8192];

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void names(int i, const char *tag, char *tmp, char *final)
{
	snprintf(tmp, 64, ".%s%06d.tmp", tag, i);
	snprintf(final, 64, "%s%06d", tag, i);
}

static int plain(int dir, int files)
{
	char tmp[64], final[64];

	for (int i = 0; i < files; i++) {
		int fd;

		names(i, "p", tmp, final);
		fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			    0644);
		if (fd < 0 || write(fd, data, sizeof(data)) != sizeof(data) ||
		    close(fd) || renameat(dir, tmp, dir, final))
			return -errno;
	}
	return 0;
}

/* One file's chain in slot (a direct descriptor); 4 SQEs. */
static void chain(struct io_uring *ring, int dir, unsigned slot, char *tmp,
		  char *final)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_openat_direct(sqe, dir, tmp,
				    O_WRONLY | O_CREAT | O_EXCL, 0644, slot);
	sqe->flags |= IOSQE_IO_LINK;
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_write(sqe, (int)slot, data, sizeof(data), 0);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_close_direct(sqe, slot);
	sqe->flags |= IOSQE_IO_LINK;
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_renameat(sqe, dir, tmp, dir, final, 0);
}

static int ring_batches(int dir, int files, unsigned batch)
{
	char (*tmp)[64] = calloc(batch, 64), (*final)[64] = calloc(batch, 64);
	struct io_uring ring;
	int ret = io_uring_queue_init(batch * 4, &ring, 0);

	if (ret || !tmp || !final)
		return ret ? ret : -ENOMEM;
	ret = io_uring_register_files_sparse(&ring, batch);
	for (int i = 0; !ret && i < files; i += (int)batch) {
		unsigned n = (unsigned)(files - i) < batch ?
				     (unsigned)(files - i) : batch;
		struct io_uring_cqe *cqe;

		for (unsigned k = 0; k < n; k++) {
			names(i + (int)k, "u", tmp[k], final[k]);
			chain(&ring, dir, k, tmp[k], final[k]);
		}
		ret = io_uring_submit_and_wait(&ring, n * 4);
		ret = ret < 0 ? ret : 0;
		for (unsigned k = 0; !ret && k < n * 4; k++) {
			if (io_uring_wait_cqe(&ring, &cqe))
				return -EIO;
			if (cqe->res < 0)
				ret = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	io_uring_queue_exit(&ring);
	free(tmp);
	free(final);
	return ret;
}

int main(int argc, char **argv)
{
	int dir, files, ret;
	unsigned batch;
	double t0, t1, t2;

	if (argc != 4) {
		fprintf(stderr, "usage: %s DIR FILES BATCH\n", argv[0]);
		return 2;
	}
	dir = open(argv[1], O_RDONLY | O_DIRECTORY);
	files = atoi(argv[2]);
	batch = (unsigned)atoi(argv[3]);
	if (dir < 0 || files < 1 || batch < 1 || batch > 256) {
		fprintf(stderr, "%s: bad arguments\n", argv[0]);
		return 2;
	}
	memset(data, 'z', sizeof(data));
	t0 = now();
	ret = plain(dir, files);
	t1 = now();
	if (!ret)
		ret = ring_batches(dir, files, batch);
	t2 = now();
	if (ret) {
		fprintf(stderr, "%s: %s\n", argv[0], strerror(-ret));
		return 1;
	}
	printf("system calls %.3f s, ring (%u files a submission) %.3f s, "
	       "ring / calls %.2f\n", t1 - t0, batch, t2 - t1,
	       (t2 - t1) / (t1 - t0));
	return 0;
}
