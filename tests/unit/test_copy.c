// SPDX-License-Identifier: MIT
/*
 * The copy core (copy.c) against a scripted engine: no kernel I/O path,
 * so the ring's cursors, short transfers, out-of-order and late
 * completions, EAGAIN, chunk release, the lag window and the commit
 * rules are tested alone.  The source is a memfd (copy.c asks it for
 * holes and, at the end, whether it changed); destinations are memory
 * the engine writes into.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "zccp/copy.h"

#define CHUNK 4096u
#define NCHUNKS 8u
#define LAG 2u /* chunks: less than the ring, so that it shows */
#define MAX_DESTS 3
#define MAX_PENDING 64

/* What the engine does to the transfers it is given. */
struct script {
	bool sync;	       /* no ZCCP_CAP_ASYNC: done at queue time */
	bool reverse;	       /* reap the newest completion first */
	bool eagain;	       /* sync: every other write is not ready */
	uint32_t short_read;   /* a read moves at most this (0: all) */
	uint32_t short_write;  /* a write moves at most this (0: all) */
	int late_dest;	       /* its writes complete only when alone */
	int fail_dest;	       /* its writes fail ... */
	uint64_t fail_at;      /* ... once they reach this offset */
};

struct dest_mem {
	uint8_t *data;
	uint64_t written;   /* highest end written */
	uint64_t completed; /* ... whose completion the core has seen */
	unsigned done_calls;
	uint64_t done_size;
	bool whole_at_done; /* every byte right when it was committed */
};

static struct {
	const struct script *s;
	const uint8_t *src;
	uint64_t size;
	struct dest_mem mem[MAX_DESTS];
	struct zccp_endpoint *dests[MAX_DESTS];
	struct zccp_io *pending[MAX_PENDING];
	unsigned npending;
	unsigned writes;
	uint64_t max_lead; /* bytes a write started ahead of the slowest */
} t;

static int dest_index(const struct zccp_endpoint *ep)
{
	for (int i = 0; i < MAX_DESTS; i++)
		if (t.dests[i] == ep)
			return i;
	return -1;
}

static uint64_t slowest_completed(void)
{
	uint64_t low = UINT64_MAX;

	for (int i = 0; i < MAX_DESTS; i++)
		if (t.dests[i] && !zccp_endpoint_failed(t.dests[i]) &&
		    t.mem[i].completed < low)
			low = t.mem[i].completed;
	return low;
}

/* The core has seen io complete. */
static void completed(const struct zccp_io *io)
{
	int d = io->op == ZCCP_IO_WRITE ? dest_index(io->ep) : -1;
	uint64_t end = (uint64_t)io->offset + (uint64_t)io->result;

	if (d >= 0 && io->result > 0 && end > t.mem[d].completed)
		t.mem[d].completed = end;
}

static int do_read(const struct zccp_layout *l, struct zccp_io *io)
{
	uint32_t len = io->len;

	if (t.s->short_read && len > t.s->short_read)
		len = t.s->short_read;
	if ((uint64_t)io->offset >= t.size)
		return 0;
	if (len > t.size - (uint64_t)io->offset)
		len = (uint32_t)(t.size - (uint64_t)io->offset);
	memcpy(zccp_io_buf(l, io), t.src + io->offset, len);
	return (int)len;
}

static int do_write(const struct zccp_layout *l, struct zccp_io *io)
{
	int d = dest_index(io->ep);
	uint32_t len = io->len;
	uint64_t end, low = slowest_completed();

	if (d < 0)
		return -EBADF;
	if (t.s->eagain && t.writes++ % 2 == 0)
		return -EAGAIN;
	if (low != UINT64_MAX && (uint64_t)io->offset > low &&
	    (uint64_t)io->offset - low > t.max_lead)
		t.max_lead = (uint64_t)io->offset - low;
	if (d == t.s->fail_dest &&
	    (uint64_t)io->offset + io->len > t.s->fail_at)
		return -EIO;
	if (t.s->short_write && len > t.s->short_write)
		len = t.s->short_write;
	memcpy(t.mem[d].data + io->offset, zccp_io_buf(l, io), len);
	end = (uint64_t)io->offset + len;
	if (end > t.mem[d].written)
		t.mem[d].written = end;
	return (int)len;
}

static int fake_init(struct zccp_engine *e)
{
	(void)e;
	return 0;
}

static int fake_setup(struct zccp_engine *e, struct zccp_endpoint *ep)
{
	(void)e;
	ep->method = "scripted";
	return 0;
}

static int fake_queue(struct zccp_engine *e, struct zccp_io *io)
{
	io->result = io->op == ZCCP_IO_READ ? do_read(e->layout, io) :
					      do_write(e->layout, io);
	if (t.s->sync) {
		completed(io);
		return ZCCP_DONE;
	}
	if (t.npending == MAX_PENDING)
		return -ENOSPC; /* the core queued more than it may */
	t.pending[t.npending++] = io;
	return ZCCP_QUEUED;
}

static int fake_submit(struct zccp_engine *e)
{
	(void)e;
	return 0;
}

/* The late destination's completions wait while others are due. */
static bool held_back(unsigned i)
{
	if (t.pending[i]->op != ZCCP_IO_WRITE ||
	    dest_index(t.pending[i]->ep) != t.s->late_dest)
		return false;
	for (unsigned k = 0; k < t.npending; k++)
		if (t.pending[k]->op == ZCCP_IO_READ ||
		    dest_index(t.pending[k]->ep) != t.s->late_dest)
			return true;
	return false;
}

static int fake_reap(struct zccp_engine *e, struct zccp_io **done,
		     unsigned max, bool wait)
{
	unsigned n = 0;

	(void)e;
	(void)wait;
	for (unsigned step = 0; step < t.npending && n < max;) {
		unsigned i = t.s->reverse ? t.npending - 1 - step : step;

		if (held_back(i)) {
			step++;
			continue;
		}
		completed(t.pending[i]);
		done[n++] = t.pending[i];
		memmove(&t.pending[i], &t.pending[i + 1],
			(t.npending - i - 1) * sizeof(*t.pending));
		t.npending--;
		if (t.s->reverse)
			step = 0;
	}
	return (int)n;
}

static void fake_cleanup(struct zccp_engine *e)
{
	(void)e;
}

static const struct zccp_engine_ops scripted_async = {
	.name = "scripted",
	.caps = ZCCP_CAP_ASYNC | ZCCP_CAP_USER_BUFFER | ZCCP_CAP_PARALLEL,
	.init = fake_init, .setup_endpoint = fake_setup, .queue = fake_queue,
	.submit = fake_submit, .reap = fake_reap, .cleanup = fake_cleanup,
};

static const struct zccp_engine_ops scripted_sync = {
	.name = "scripted-sync",
	.caps = ZCCP_CAP_USER_BUFFER,
	.init = fake_init, .setup_endpoint = fake_setup, .queue = fake_queue,
	.submit = fake_submit, .reap = fake_reap, .cleanup = fake_cleanup,
};

/* The done hook: a destination is committed only when whole. */
static int on_done(void *ctx, struct zccp_endpoint *dest, uint64_t size)
{
	int d = dest_index(dest);

	(void)ctx;
	t.mem[d].done_calls++;
	t.mem[d].done_size = size;
	t.mem[d].whole_at_done = size == t.size &&
				 !memcmp(t.mem[d].data, t.src, t.size);
	return 0;
}

static int memfd_with(const uint8_t *data, uint64_t size)
{
	int fd = memfd_create("zccp-test-source", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		return -1;
	return fd;
}

/* Copy size pseudo-random bytes to ndests destinations under s. */
static struct zccp_copy_result run(const struct script *s, uint64_t size,
				   unsigned ndests)
{
	static uint8_t chunks[NCHUNKS * CHUNK] __attribute__((aligned(4096)));
	struct zccp_endpoint src = { .kind = ZCCP_KIND_REGULAR, .fd = -1 };
	struct zccp_endpoint zero = { .kind = ZCCP_KIND_CHAR, .fd = -1 };
	struct zccp_endpoint dst[MAX_DESTS];
	struct zccp_layout layout = {
		.nchunks = NCHUNKS, .chunk_size = CHUNK, .chunk_mem = chunks,
		.source = &src, .zero = &zero, .dests = t.dests,
		.ndests = ndests, .max_inflight = 2 * NCHUNKS * (MAX_DESTS + 1),
	};
	struct zccp_plan plan = { .chunk_size = CHUNK, .nchunks = NCHUNKS,
				  .lag_chunks = LAG };
	struct zccp_opts opts = { 0 };
	struct zccp_copy_hooks hooks = { .done = on_done };
	struct zccp_engine engine = { .layout = &layout };
	struct zccp_copy_result res;
	struct stat st;
	uint8_t *data = malloc(size ? size : 1);

	memset(&t, 0, sizeof(t));
	t.s = s;
	t.size = size;
	t.src = data;
	for (uint64_t i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	engine.ops = s->sync ? &scripted_sync : &scripted_async;
	plan.engine = engine.ops;
	src.fd = memfd_with(data, size);
	src.size = size;
	src.size_known = true;
	src.arg = "scripted-source";
	/* as zccp_source_open sets them: the end of the copy asks again */
	if (!fstat(src.fd, &st)) {
		src.mtime = st.st_mtim;
		src.ctime = st.st_ctim;
	}
	for (unsigned i = 0; i < ndests; i++) {
		dst[i] = (struct zccp_endpoint){ .kind = ZCCP_KIND_REGULAR,
						 .index = (int)i + 1,
						 .arg = "scripted-dest" };
		/* writable at once: the core polls it after EAGAIN */
		dst[i].fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		t.dests[i] = &dst[i];
		t.mem[i].data = calloc(1, size ? size : 1);
	}
	zccp_copy_run(&engine, &plan, &opts, &hooks, &res);
	for (unsigned i = 0; i < ndests; i++) {
		close(dst[i].fd);
		free(t.mem[i].data);
		t.mem[i].data = NULL;
	}
	close(src.fd);
	free(data);
	return res;
}

/* Every destination whole, committed once, nothing failed. */
static void expect_all(const char *what, const struct script *s,
		       uint64_t size, unsigned ndests)
{
	struct zccp_copy_result r = run(s, size, ndests);
	bool ok = r.bytes == size && !r.failed && !r.source_error &&
		  !r.engine_error;

	for (unsigned i = 0; i < ndests; i++)
		ok &= t.mem[i].done_calls == 1 && t.mem[i].whole_at_done;
	if (!ok)
		fprintf(stderr, "%s, %llu bytes: bytes %llu failed %u source "
			"%d engine %d\n", what, (unsigned long long)size,
			(unsigned long long)r.bytes, r.failed, r.source_error,
			r.engine_error);
	CHECK(ok);
	/* No write starts a lag window or more ahead of the slowest. */
	CHECK(t.max_lead < LAG * CHUNK);
}

static const uint64_t sizes[] = {
	0, 1, CHUNK - 1, CHUNK, CHUNK + 1, NCHUNKS * CHUNK - 1,
	NCHUNKS * CHUNK + 1, 13 * CHUNK + 17,
};

static void test_scripts(void)
{
	static const struct script scripts[] = {
		{ .late_dest = -1, .fail_dest = -1 },
		{ .reverse = true, .late_dest = -1, .fail_dest = -1 },
		{ .short_read = 1000, .short_write = 777, .late_dest = -1,
		  .fail_dest = -1 },
		{ .reverse = true, .short_write = 4095, .late_dest = 1,
		  .fail_dest = -1 },
		{ .sync = true, .late_dest = -1, .fail_dest = -1 },
		{ .sync = true, .eagain = true, .short_write = 1500,
		  .late_dest = -1, .fail_dest = -1 },
	};
	static const char *const names[] = {
		"in order", "reversed", "short", "late and short",
		"synchronous", "EAGAIN",
	};

	for (unsigned k = 0; k < sizeof(scripts) / sizeof(*scripts); k++)
		for (unsigned i = 0; i < sizeof(sizes) / sizeof(*sizes); i++)
			expect_all(names[k], &scripts[k], sizes[i], 3);
}

/* One destination fails mid-copy: it alone, never committed; the
 * others complete and the ring does not wait for it. */
static void test_one_fails(void)
{
	struct script s = { .reverse = true, .late_dest = -1, .fail_dest = 1,
			    .fail_at = 5 * CHUNK + 3 };
	struct zccp_copy_result r = run(&s, 13 * CHUNK + 17, 3);

	CHECK(r.failed == 1 && !r.source_error && !r.engine_error);
	CHECK(t.mem[1].done_calls == 0);
	CHECK(t.mem[0].done_calls == 1 && t.mem[0].whole_at_done);
	CHECK(t.mem[2].done_calls == 1 && t.mem[2].whole_at_done);
	CHECK(zccp_endpoint_failed(t.dests[1]) && t.dests[1]->error == -EIO);
}

/* A late destination fails at its last byte after the others were
 * committed: those stay committed, it is not. */
static void test_fails_after_others_committed(void)
{
	uint64_t size = 9 * CHUNK + 5;
	struct script s = { .late_dest = 2, .fail_dest = 2,
			    .fail_at = size - 1 };
	struct zccp_copy_result r = run(&s, size, 3);

	CHECK(r.failed == 1);
	CHECK(t.mem[0].done_calls == 1 && t.mem[0].whole_at_done);
	CHECK(t.mem[1].done_calls == 1 && t.mem[1].whole_at_done);
	CHECK(t.mem[2].done_calls == 0);
}

/* Every destination fails: the copy ends (no deadlock), none commits. */
static void test_all_fail(void)
{
	struct script s = { .late_dest = -1, .fail_dest = 0, .fail_at = 0 };
	struct zccp_copy_result r = run(&s, 3 * CHUNK, 1);

	CHECK(r.failed == 1 && t.mem[0].done_calls == 0);
}

/* zccp_copy_start/stop: what init sees, what a failed init leaves. */
static int init_calls, init_ret, cleanup_calls;
static bool init_saw_memory;

static int counting_init(struct zccp_engine *e)
{
	const struct zccp_layout *l = e->layout;

	init_calls++;
	/* engines register the chunks in init: they must be there */
	init_saw_memory = l->chunk_mem &&
			  (uintptr_t)l->chunk_mem % 4096 == 0 &&
			  l->nchunks == NCHUNKS && l->chunk_size == CHUNK;
	return init_ret;
}

static void counting_cleanup(struct zccp_engine *e)
{
	(void)e;
	cleanup_calls++;
}

static void test_start_stop(void)
{
	struct zccp_engine_ops ops = scripted_async;
	struct zccp_plan plan = { .engine = &ops, .chunk_size = CHUNK,
				  .nchunks = NCHUNKS, .lag_chunks = LAG };
	struct zccp_layout l = { .ndests = 2 };
	struct zccp_engine e = { 0 };

	ops.init = counting_init;
	ops.cleanup = counting_cleanup;
	zccp_copy_stop(&e, &l); /* never started: nothing to do */
	CHECK(cleanup_calls == 0);
	CHECK(zccp_copy_start(&e, &l, &plan) == 0);
	CHECK(init_calls == 1 && init_saw_memory && e.ops == &ops);
	CHECK(l.max_inflight == NCHUNKS * 3);
	memset(l.chunk_mem, 0xa5, (size_t)NCHUNKS * CHUNK); /* writable */
	zccp_copy_stop(&e, &l);
	zccp_copy_stop(&e, &l);
	CHECK(cleanup_calls == 1 && !l.chunk_mem && !e.ops);

	init_ret = -ENODEV; /* a failed init cleans up after itself */
	CHECK(zccp_copy_start(&e, &l, &plan) == -ENODEV);
	CHECK(init_calls == 2 && !l.chunk_mem && !e.ops);
	zccp_copy_stop(&e, &l);
	CHECK(cleanup_calls == 1);

	ops.caps &= ~ZCCP_CAP_USER_BUFFER; /* kernel buffers: no map */
	init_ret = 0;
	CHECK(zccp_copy_start(&e, &l, &plan) == 0 && !l.chunk_mem);
	zccp_copy_stop(&e, &l);
	CHECK(cleanup_calls == 2);
}

int main(void)
{
	test_start_stop();
	test_scripts();
	test_one_fails();
	test_fails_after_others_committed();
	test_all_fail();
	CHECK_EXIT();
}
