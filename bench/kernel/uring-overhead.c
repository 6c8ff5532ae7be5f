/*
 * uring-overhead: the cost of plain io_uring requests (no SQE groups), to
 * compare a stock kernel with one carrying the SQE group series.
 *
 *   nop     batches of BATCH IORING_OP_NOP, submitted with one
 *           io_uring_enter that also waits for all of them, then reaped
 *   read4k  the same with IORING_OP_READ of 4 KiB at successive offsets of
 *           a file on tmpfs (buffered, page cache hot), each SQE its own
 *           buffer
 *
 * Each measurement is repeated REPS times after one untimed warm-up; the
 * program prints per repetition and the median, in ns per request:
 *   REP <metric> <rep> <ns>
 *   METRIC <metric> <median ns> <requests per rep>
 * Exit status 0, or 1 with a message on any error (a failed request
 * included).
 *
 * Usage: uring-overhead [-b BATCH] [-n NOPS] [-r READS] [-k REPS]
 *                       [-f FILE] [-s FILE_MIB]
 * Build: cc -O2 -static -o uring-overhead uring-overhead.c -luring
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096u
#define MAX_REPS 64

static void die(const char *what, int err)
{
	fprintf(stderr, "uring-overhead: %s: %s\n", what, strerror(err));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Submits and waits for the batch already prepared in the SQ, then
 * reaps exactly `batch` CQEs, checking each result equals `want`.
 */
static void submit_and_reap(struct io_uring *ring, unsigned batch, int want)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;
	int ret;

	ret = io_uring_submit_and_wait(ring, batch);
	if (ret < 0)
		die("io_uring_submit_and_wait", -ret);
	if ((unsigned)ret != batch) {
		fprintf(stderr, "uring-overhead: submitted %d of %u\n", ret, batch);
		exit(1);
	}
	while (seen < batch) {
		unsigned n = 0;

		io_uring_for_each_cqe(ring, head, cqe) {
			if (cqe->res < 0)
				die("request failed", -cqe->res);
			if (cqe->res != want) {
				fprintf(stderr, "uring-overhead: result %d, want %d\n",
					cqe->res, want);
				exit(1);
			}
			n++;
		}
		io_uring_cq_advance(ring, n);
		seen += n;
		if (seen < batch) {
			/* All were waited for: only reached if the CQ lags. */
			ret = io_uring_wait_cqe(ring, &cqe);
			if (ret < 0)
				die("io_uring_wait_cqe", -ret);
		}
	}
}

static struct io_uring_sqe *get_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		fprintf(stderr, "uring-overhead: SQ full\n");
		exit(1);
	}
	return sqe;
}

/* One timed pass of `total` NOPs; returns ns per NOP. */
static double run_nops(struct io_uring *ring, unsigned batch, unsigned long total)
{
	unsigned long done;
	double start = now_ns();

	for (done = 0; done < total; done += batch) {
		for (unsigned i = 0; i < batch; i++)
			io_uring_prep_nop(get_sqe(ring));
		submit_and_reap(ring, batch, 0);
	}
	return (now_ns() - start) / done;
}

/* One timed pass of `total` 4 KiB reads cycling over `blocks` blocks. */
static double run_reads(struct io_uring *ring, unsigned batch, unsigned long total,
			int fd, char *bufs, unsigned long blocks)
{
	static unsigned long next; /* the block to read next, across passes */
	unsigned long done;
	double start = now_ns();

	for (done = 0; done < total; done += batch) {
		for (unsigned i = 0; i < batch; i++) {
			io_uring_prep_read(get_sqe(ring), fd, bufs + (size_t)i * BLOCK,
					   BLOCK, (__u64)next * BLOCK);
			next = (next + 1) % blocks;
		}
		submit_and_reap(ring, batch, BLOCK);
	}
	return (now_ns() - start) / done;
}

/* Creates the file to read, filled with non-zero bytes, in page cache. */
static int make_file(const char *path, unsigned long blocks)
{
	char buf[BLOCK];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		die(path, errno);
	memset(buf, 0x5a, sizeof(buf));
	for (unsigned long i = 0; i < blocks; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("writing the file", errno);
	return fd;
}

static void report(const char *metric, double *ns, int reps, unsigned long total)
{
	for (int i = 0; i < reps; i++)
		printf("REP %s %d %.1f\n", metric, i, ns[i]);
	printf("METRIC %s %.1f %lu\n", metric, median(ns, reps), total);
	fflush(stdout);
}

static unsigned long number(const char *arg, unsigned long max)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (*end || v == 0 || v > max) {
		fprintf(stderr, "uring-overhead: bad number %s (1..%lu)\n", arg, max);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned batch = 32;
	unsigned long nops = 1ul << 18, reads = 1ul << 17, mib = 16;
	int reps = 7, opt, ret, fd;
	const char *path = "/tmp/uring-overhead.data";
	double ns[MAX_REPS];
	struct io_uring ring;
	char *bufs;

	while ((opt = getopt(argc, argv, "b:n:r:k:f:s:")) != -1) {
		switch (opt) {
		case 'b': batch = number(optarg, 4096); break;
		case 'n': nops = number(optarg, 1ul << 40); break;
		case 'r': reads = number(optarg, 1ul << 40); break;
		case 'k': reps = number(optarg, MAX_REPS); break;
		case 'f': path = optarg; break;
		case 's': mib = number(optarg, 1 << 20); break;
		default:
			fprintf(stderr, "usage: uring-overhead [-b BATCH] [-n NOPS] "
				"[-r READS] [-k REPS] [-f FILE] [-s FILE_MIB]\n");
			return 2;
		}
	}

	/* Plain ring, no setup flags: the default path most programs take. */
	ret = io_uring_queue_init(batch, &ring, 0);
	if (ret < 0)
		die("io_uring_queue_init", -ret);
	printf("CONFIG batch=%u nops=%lu reads=%lu reps=%d file_mib=%lu\n",
	       batch, nops, reads, reps, mib);

	run_nops(&ring, batch, nops / 4 + batch); /* warm-up */
	for (int i = 0; i < reps; i++)
		ns[i] = run_nops(&ring, batch, nops);
	report("nop", ns, reps, nops);

	unsigned long blocks = mib * (1024 * 1024 / BLOCK);
	fd = make_file(path, blocks);
	if (posix_memalign((void **)&bufs, BLOCK, (size_t)batch * BLOCK))
		die("posix_memalign", ENOMEM);
	run_reads(&ring, batch, reads / 4 + batch, fd, bufs, blocks); /* warm-up */
	for (int i = 0; i < reps; i++)
		ns[i] = run_reads(&ring, batch, reads, fd, bufs, blocks);
	report("read4k", ns, reps, reads);

	close(fd);
	unlink(path);
	free(bufs);
	io_uring_queue_exit(&ring);
	return 0;
}
