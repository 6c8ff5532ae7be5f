// SPDX-License-Identifier: MIT
/* --verify: read every destination back and compare digests. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zccp/report.h"
#include "zccp/testhook.h"
#include "zccp/thread.h"
#include "zccp/verify.h"

#define READBACK_CHUNK (1u << 20) /* a multiple of any block size */
#define READBACK_ALIGN 4096u
#define READBACK_READERS 4u /* enough to keep a few devices busy */

struct readback {
	struct zccp_endpoint *dest;
	uint64_t size;
	enum zccp_digest_algo algo;
	const char *want;
	bool direct; /* read with O_DIRECT */
	int error;   /* -errno, -ZCCP_EVERIFY, or 0 */
	bool wanted; /* a destination to read back */
};

/* Files and block devices; not streams, sockets or character devices. */
static bool readable_back(const struct zccp_endpoint *dest)
{
	return dest->kind == ZCCP_KIND_REGULAR || dest->kind == ZCCP_KIND_BLOCK;
}

/*
 * A second, read-only descriptor for what we wrote (a temporary may have
 * no name): O_DIRECT first, so the data comes from the device; file
 * systems without it (tmpfs) keep the data in the page cache anyway.
 */
static int reopen(struct readback *rb)
{
	char proc[40];
	int fd;
	/* O_NOATIME: reading back must not change times -p gave it. */
	int flags = O_RDONLY | O_CLOEXEC | O_NOATIME;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", rb->dest->fd);
	fd = open(proc, flags | O_DIRECT);
	if (fd < 0 && errno == EPERM) { /* not ours: a device, say */
		flags &= ~O_NOATIME;
		fd = open(proc, flags | O_DIRECT);
	}
	rb->direct = fd >= 0;
	if (fd < 0 && errno == EINVAL)
		fd = open(proc, flags);
	return fd < 0 ? -errno : fd;
}

static int hash_back(struct readback *rb, int fd, uint8_t *buf,
		     struct zccp_digest *digest)
{
	uint64_t off = 0;

	while (off < rb->size) {
		ssize_t n = pread(fd, buf, READBACK_CHUNK, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) /* shorter than the source */
			return -ZCCP_EVERIFY;
		if ((uint64_t)n > rb->size - off)
			n = (ssize_t)(rb->size - off); /* a device goes on */
		zccp_digest_update(digest, buf, (uint64_t)n);
		off += (uint64_t)n;
	}
	return 0;
}

static int read_back(struct readback *rb, void *buf)
{
	char got[ZCCP_DIGEST_HEX_MAX];
	struct zccp_digest digest;
	int fd, ret;

	ret = zccp_digest_init(&digest, rb->algo);
	if (ret)
		return ret;
	fd = reopen(rb);
	if (fd < 0) {
		zccp_digest_free(&digest);
		return fd;
	}
	ret = hash_back(rb, fd, buf, &digest);
	if (!ret) {
		zccp_digest_hex(&digest, got);
		ret = strcmp(got, rb->want) ? -ZCCP_EVERIFY : 0;
	}
	close(fd);
	zccp_digest_free(&digest);
	return ret;
}

/* A few readers share the destinations: each reading one at a time
 * keeps descriptors, threads and buffers bounded at any count. */
struct pool {
	struct readback *rbs;
	unsigned n;
	unsigned next; /* the next to take, atomically */
};

static void *reader(void *arg)
{
	struct pool *pool = arg;
	void *buf = NULL;
	unsigned i;

	if (posix_memalign(&buf, READBACK_ALIGN, READBACK_CHUNK))
		buf = NULL;
	while ((i = __atomic_fetch_add(&pool->next, 1, __ATOMIC_RELAXED)) <
	       pool->n) {
		struct readback *rb = &pool->rbs[i];

		if (rb->wanted)
			rb->error = buf ? read_back(rb, buf) : -ENOMEM;
	}
	free(buf);
	return NULL;
}

unsigned zccp_verify_dests(struct zccp_endpoint **dests, unsigned ndests,
			   uint64_t size, enum zccp_digest_algo algo,
			   const char *want)
{
	struct readback *rbs = calloc(ndests, sizeof(*rbs));
	struct pool pool = { .rbs = rbs, .n = ndests };
	pthread_t threads[READBACK_READERS];
	unsigned failed = 0, nthreads = 0;

	if (!rbs) {
		zccp_error("--verify: %s", strerror(ENOMEM));
		return ndests;
	}
	/* Tests corrupt a destination from outside here. */
	zccp_test_pause("ZCCP_TEST_VERIFY_PAUSE");
	for (unsigned i = 0; i < ndests; i++)
		rbs[i] = (struct readback){
			.dest = dests[i], .size = size, .algo = algo,
			.want = want,
			.wanted = zccp_endpoint_active(dests[i]) &&
				  readable_back(dests[i]),
		};
	while (nthreads < READBACK_READERS && nthreads < ndests &&
	       !zccp_thread_create(&threads[nthreads], reader, &pool))
		nthreads++;
	if (!nthreads) /* read them back here, then */
		reader(&pool);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	for (unsigned i = 0; i < ndests; i++) {
		struct readback *rb = &rbs[i];

		if (rb->error) {
			zccp_endpoint_fail(rb->dest, rb->error);
			failed++;
		} else if (rb->wanted) {
			rb->dest->verified = true;
			zccp_info("%s: verified: read back %s",
				  ZCCP_QF(rb->dest->arg), rb->direct ? "with O_DIRECT" :
				  "through the page cache (no O_DIRECT here)");
		} else if (zccp_endpoint_active(rb->dest)) {
			zccp_info("%s: not verified: a %s cannot be read back",
				  ZCCP_QF(rb->dest->arg),
				  zccp_endpoint_kind(rb->dest));
		}
	}
	free(rbs);
	return failed;
}
