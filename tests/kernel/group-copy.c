/* SPDX-License-Identifier: MIT */
/*
 * The use SQE groups are for: copying one file to several destinations.
 * Each chunk is a group: the leader READ_FIXEDs the chunk from the source
 * into a registered buffer, one member per destination WRITE_FIXEDs that
 * buffer.  Two ways:
 *   - linked: groups linked back to back through ONE buffer, so a chunk
 *     is only correct if the next leader waited for every write of the
 *     previous group (N:M links);
 *   - unlinked: independent groups, several buffers in flight, a buffer
 *     reused as soon as its group's leader CQE (the group's end) comes.
 * Destinations are compared with the source byte for byte.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "helpers.h"

#define CHUNK (64 * 1024)
#define NR_BUFFERS 4
#define MAX_DESTS 3
#define BATCH 32 /* linked groups per submission: 32 * 4 SQEs */
#define RING_ENTRIES 256

static char *buffers[NR_BUFFERS];

struct copy {
	int src, dests[MAX_DESTS], ndests;
	size_t size;
	char why[2048];
};

/* user_data: chunk number, and 0 for the leader or 1 + destination. */
static uint64_t chunk_ud(size_t chunk, int role)
{
	return ((uint64_t)chunk << 8 | (unsigned)role) + 1;
}

static size_t chunk_len(const struct copy *c, size_t chunk)
{
	size_t off = chunk * CHUNK;

	return c->size - off < CHUNK ? c->size - off : CHUNK;
}

static void prep_chunk(struct io_uring *ring, const struct copy *c,
		       size_t chunk, int buf, unsigned leader_flags)
{
	size_t len = chunk_len(c, chunk);
	__u64 off = (__u64)chunk * CHUNK;
	struct io_uring_sqe *sqe = kt_sqe(ring);

	io_uring_prep_read_fixed(sqe, c->src, buffers[buf], (unsigned)len,
				 off, buf);
	sqe->user_data = chunk_ud(chunk, 0);
	sqe->flags = leader_flags | IOSQE_SQE_GROUP;
	for (int d = 0; d < c->ndests; d++) {
		sqe = kt_sqe(ring);
		io_uring_prep_write_fixed(sqe, c->dests[d], buffers[buf],
					  (unsigned)len, off, buf);
		sqe->user_data = chunk_ud(chunk, 1 + d);
		sqe->flags = d + 1 < c->ndests ? IOSQE_SQE_GROUP : 0;
	}
}

/* Chains of up to BATCH linked groups, all through buffer 0. */
static bool copy_linked(struct io_uring *ring, struct copy *c)
{
	size_t chunks = (c->size + CHUNK - 1) / CHUNK;
	static struct kt_req reqs[BATCH * (MAX_DESTS + 1)];
	static struct kt_cqe cqes[BATCH * (MAX_DESTS + 1) + 8];

	for (size_t first = 0; first < chunks; first += BATCH) {
		size_t last = first + BATCH < chunks ? first + BATCH : chunks;
		int nreq = 0, n;

		for (size_t i = first; i < last; i++) {
			int res[MAX_DESTS], len = (int)chunk_len(c, i);
			int g = (int)(i - first) + 1;

			prep_chunk(ring, c, i, 0,
				   i + 1 < last ? IOSQE_IO_LINK : 0);
			for (int d = 0; d < c->ndests; d++)
				res[d] = len;
			kt_model_group(reqs + nreq, g, chunk_ud(i, 0), len,
				       res, c->ndests);
			for (int r = 0; g > 1 && r <= c->ndests; r++) {
				reqs[nreq + r].after = chunk_ud(i - 1, 0);
				reqs[nreq + r].after_group = g - 1;
			}
			nreq += c->ndests + 1;
		}
		n = io_uring_submit(ring);
		if (n != nreq) {
			snprintf(c->why, sizeof(c->why),
				 "io_uring_submit returned %d, want %d", n,
				 nreq);
			return false;
		}
		n = kt_reap(ring, reqs, nreq, cqes,
			    (int)(sizeof(cqes) / sizeof(cqes[0])), KT_WAIT_MS);
		if (!kt_verify(reqs, nreq, cqes, n, c->why, sizeof(c->why)))
			return false;
	}
	return true;
}

/* Independent groups, one per buffer, a new one as each group ends. */
static bool copy_unlinked(struct io_uring *ring, struct copy *c)
{
	size_t chunks = (c->size + CHUNK - 1) / CHUNK, next = 0, done = 0;
	int seen[NR_BUFFERS], want = 0, ret;
	size_t chunk_in[NR_BUFFERS];

	for (int b = 0; b < NR_BUFFERS && next < chunks; b++, next++) {
		prep_chunk(ring, c, next, b, 0);
		chunk_in[b] = next;
		seen[b] = 0;
		want += c->ndests + 1;
	}
	if (chunks && (ret = io_uring_submit(ring)) != want) {
		snprintf(c->why, sizeof(c->why),
			 "io_uring_submit returned %d, want %d", ret, want);
		return false;
	}
	while (done < chunks) {
		struct kt_cqe cqe;
		size_t chunk;
		int role, b;

		if (kt_reap_n(ring, 1, &cqe, 1, KT_WAIT_MS) != 1) {
			snprintf(c->why, sizeof(c->why),
				 "no CQE for %d s with %zu of %zu chunks done",
				 KT_WAIT_MS / 1000, done, chunks);
			return false;
		}
		chunk = (size_t)((cqe.ud - 1) >> 8);
		role = (int)((cqe.ud - 1) & 0xff);
		for (b = 0; b < NR_BUFFERS; b++)
			if (chunk < next && chunk_in[b] == chunk)
				break;
		if (b == NR_BUFFERS || role > c->ndests) {
			snprintf(c->why, sizeof(c->why),
				 "CQE for no chunk in flight: user_data %llu",
				 (unsigned long long)cqe.ud);
			return false;
		}
		if (cqe.res != (int)chunk_len(c, chunk)) {
			snprintf(c->why, sizeof(c->why),
				 "chunk %zu %s %d: res %d, want %zu", chunk,
				 role ? "write to destination" : "read", role,
				 cqe.res, chunk_len(c, chunk));
			return false;
		}
		if (role) {
			seen[b]++;
			continue;
		}
		if (seen[b] != c->ndests) {
			snprintf(c->why, sizeof(c->why),
				 "chunk %zu: leader's CQE after %d of %d "
				 "members' CQEs", chunk, seen[b], c->ndests);
			return false;
		}
		done++;
		if (next < chunks) {
			prep_chunk(ring, c, next, b, 0);
			chunk_in[b] = next++;
			seen[b] = 0;
			ret = io_uring_submit(ring);
			if (ret != c->ndests + 1) {
				snprintf(c->why, sizeof(c->why),
					 "io_uring_submit returned %d, want %d",
					 ret, c->ndests + 1);
				return false;
			}
		}
	}
	return true;
}

static bool same_contents(int fd, const char *want, size_t size, char *why,
			  size_t len)
{
	static char buf[CHUNK];
	struct stat st;

	if (fstat(fd, &st) || (size_t)st.st_size != size) {
		snprintf(why, len, "destination has %lld bytes, want %zu",
			 (long long)st.st_size, size);
		return false;
	}
	for (size_t off = 0; off < size;) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)off);

		if (n <= 0) {
			snprintf(why, len, "reading back at %zu: %s", off,
				 n ? strerror(errno) : "EOF");
			return false;
		}
		if (memcmp(buf, want + off, (size_t)n)) {
			size_t at = 0;

			while (buf[at] == want[off + at])
				at++;
			snprintf(why, len, "destination differs at byte %zu",
				 off + at);
			return false;
		}
		off += (size_t)n;
	}
	return true;
}

static void copy_case(struct io_uring *ring, size_t size, int ndests,
		      bool linked)
{
	struct copy c = { .ndests = ndests, .size = size };
	char *data = malloc(size ? size : 1);
	bool good;

	if (!data)
		kt_die("malloc %zu", size);
	kt_fill(data, size, size * 31 + (unsigned)ndests);
	c.src = kt_tmpfile(0);
	kt_write_all(c.src, data, size);
	for (int d = 0; d < ndests; d++)
		c.dests[d] = kt_tmpfile(0);
	good = linked ? copy_linked(ring, &c) : copy_unlinked(ring, &c);
	for (int d = 0; good && d < ndests; d++)
		good = same_contents(c.dests[d], data, size, c.why,
				     sizeof(c.why));
	if (good)
		kt_ok("%s copy of %zu bytes to %d destinations",
		      linked ? "linked" : "unlinked", size, ndests);
	else
		kt_fail("%s copy of %zu bytes to %d destinations: %s",
			linked ? "linked" : "unlinked", size, ndests, c.why);
	close(c.src);
	for (int d = 0; d < ndests; d++)
		close(c.dests[d]);
	free(data);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = {
		0, 1, 4095, 4096, 4097, CHUNK - 1, CHUNK, CHUNK + 1,
		3 * CHUNK + 17, (size_t)BATCH * CHUNK + 1,
	};
	struct iovec iov[NR_BUFFERS];
	struct io_uring ring;
	unsigned randoms = kt_scale_percent() >= 100 ? 3 : 1;
	int ret;

	kt_start("group-copy", argc, argv);
	kt_ring_init(&ring, RING_ENTRIES, 0);
	for (int b = 0; b < NR_BUFFERS; b++) {
		if (posix_memalign((void **)&buffers[b], 4096, CHUNK))
			kt_die("posix_memalign");
		iov[b] = (struct iovec){ .iov_base = buffers[b],
					 .iov_len = CHUNK };
	}
	ret = io_uring_register_buffers(&ring, iov, NR_BUFFERS);
	if (ret)
		kt_die("io_uring_register_buffers: %s", strerror(-ret));

	for (int linked = 1; linked >= 0; linked--) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			copy_case(&ring, sizes[i], 2 + (int)(i % 2), linked);
		for (unsigned i = 0; i < randoms; i++) {
			size_t size = (1 << 20) + kt_rand_below(3 << 20);

			copy_case(&ring, size, 2 + (int)(i % 2), linked);
		}
	}
	io_uring_queue_exit(&ring);
	return kt_finish();
}
