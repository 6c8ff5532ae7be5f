// SPDX-License-Identifier: MIT
/*
 * The copy core.  Chunk number `seq` lives in ring slot seq % nchunks.
 * The source is read once, in chunks, into the ring; every destination
 * has a cursor (the next chunk it will start) and writes chunks as soon
 * as they are ready, so a fast destination runs ahead of a slow one.
 * A chunk is released when every live destination has finished it;
 * the reader may start chunk `seq` only while seq < release + lag, so
 * the slowest destination holds the others back by the lag window at
 * most.  A failed destination drops out and holds nobody back.
 *
 * Engines only move bytes; short transfers, holes, EAGAIN and failures
 * are handled here, once, for all of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "zccp/copy.h"
#include "zccp/extents.h"
#include "zccp/hasher.h"
#include "zccp/watchdog.h"
#include "zccp/report.h"

enum chunk_state { CHUNK_FREE, CHUNK_READING, CHUNK_READY };

#define ZERO_BLOCK 4096u

struct chunk {
	enum chunk_state state;
	uint64_t seq;
	uint64_t offset;   /* in the source; meaningless for streams */
	uint32_t want;	   /* bytes asked of the source */
	uint32_t filled;   /* bytes read so far */
	bool hole;	   /* a hole of the source: never read */
	bool zeros;	   /* the hole was filled from /dev/zero */
	unsigned pending;  /* live destinations that have not finished it */
	uint8_t *zero_map; /* --sparse=always: bit per all-zero 4K block */
};

struct dest {
	struct zccp_endpoint *ep;
	uint64_t next_seq; /* the cursor: next chunk to start */
	unsigned inflight;
	bool needs_zeros; /* holes must be written (streams, devices) */
	bool finished;	  /* every byte written, or cloned before we began */
};

struct copy {
	struct zccp_engine *engine;
	const struct zccp_layout *layout;
	const struct zccp_opts *opts;
	struct zccp_endpoint *src;
	bool src_positional;
	uint64_t size_hint; /* reads below it may run in parallel */

	struct chunk *chunks;
	unsigned nchunks, lag;
	uint64_t read_seq; /* next chunk to start reading */
	uint64_t read_pos; /* its source offset */
	uint64_t release_seq; /* oldest chunk not yet released */
	bool eof;	      /* a read returned 0: no chunk after eof_seq */
	uint64_t eof_seq;
	uint64_t end;	      /* source bytes, known at eof */
	bool source_checked;  /* source_unchanged() asked */
	unsigned reads_inflight;
	struct zccp_extents extents;

	struct dest *dests;
	unsigned ndests, live;

	struct zccp_io *ios, *free_ios;
	struct zccp_io **done;	   /* completed, waiting to be handled */
	unsigned ndone, inflight; /* inflight: queued to the engine */
	struct zccp_io **blocked; /* said EAGAIN: poll, then retry */
	unsigned nblocked;
	bool stopping;
	const struct zccp_copy_hooks *hooks;
	/* The digest's thread holds each chunk (one more pending) from
	 * chunk_ready until hashed. */
	struct zccp_hasher hasher;
	bool hashing;
	uint64_t hash_seq;	 /* next chunk to hand the hasher, in order */
	uint64_t hash_released;	 /* chunks the hasher has let go */
	bool held;	   /* a zccp stream's chunk_of(held_seq) is full, */
	uint64_t held_seq; /* but the trailer may yet start in it */
	struct timespec start;
	struct zccp_copy_result *result;
};

static double elapsed(const struct copy *c)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - c->start.tv_sec) +
	       (double)(now.tv_nsec - c->start.tv_nsec) / 1e9;
}

static struct chunk *chunk_of(struct copy *c, uint64_t seq)
{
	return &c->chunks[seq % c->nchunks];
}

static struct dest *dest_of(struct copy *c, const struct zccp_endpoint *ep)
{
	return &c->dests[ep->index - 1];
}

static struct zccp_io *io_get(struct copy *c)
{
	struct zccp_io *io = c->free_ios;

	c->free_ios = io->next;
	return io;
}

static void io_put(struct copy *c, struct zccp_io *io)
{
	io->next = c->free_ios;
	c->free_ios = io;
}

static int io_queue(struct copy *c, struct zccp_io *io)
{
	int ret = c->engine->ops->queue(c->engine, io);

	if (ret < 0) {
		c->result->engine_error = ret;
		c->stopping = true;
		io_put(c, io);
		return ret;
	}
	if (ret == ZCCP_DONE)
		c->done[c->ndone++] = io;
	else
		c->inflight++;
	return 0;
}

/* ---- destinations ---- */

static bool block_is_zero(const struct chunk *k, uint32_t off)
{
	uint32_t b = off / ZERO_BLOCK;

	return k->zero_map && (k->zero_map[b / 8] >> (b % 8)) & 1;
}

/*
 * The next range of chunk k that destination d must write, from off:
 * regular files skip holes (they stay holes), everything else gets
 * every byte.  Returns the length, 0 when the chunk is done.
 */
static uint32_t next_range(const struct dest *d, const struct chunk *k,
			   uint32_t *off)
{
	uint32_t end;

	if (*off >= k->filled)
		return 0;
	if (d->needs_zeros)
		return k->filled - *off;
	if (k->hole)
		return 0;
	while (*off < k->filled && block_is_zero(k, *off))
		*off = (*off / ZERO_BLOCK + 1) * ZERO_BLOCK;
	if (*off >= k->filled)
		return 0;
	end = *off;
	while (end < k->filled && !block_is_zero(k, end))
		end = (end / ZERO_BLOCK + 1) * ZERO_BLOCK;
	if (end > k->filled)
		end = k->filled;
	return end - *off;
}

static void release_chunks(struct copy *c)
{
	while (c->release_seq < c->read_seq) {
		struct chunk *k = chunk_of(c, c->release_seq);

		if (k->state != CHUNK_READY || k->pending)
			break;
		k->state = CHUNK_FREE;
		c->release_seq++;
	}
}

static void chunk_finished_by(struct copy *c, struct chunk *k)
{
	if (--k->pending == 0)
		release_chunks(c);
}

static void dest_fail(struct copy *c, struct dest *d, int err)
{
	if (zccp_endpoint_failed(d->ep))
		return;
	zccp_endpoint_set(d->ep, ZCCP_EP_FAILED, err);
	d->ep->seconds = elapsed(c);
	zccp_report_endpoint(d->ep, err);
	c->result->failed++;
	c->live--;
	/* Leave the ring: chunks it started finish as their writes end. */
	for (uint64_t s = d->next_seq; s < c->read_seq; s++) {
		struct chunk *k = chunk_of(c, s);

		if (k->state == CHUNK_READY)
			chunk_finished_by(c, k);
	}
	d->next_seq = c->read_seq;
	if (c->opts->on_error == ZCCP_ON_ERROR_ABORT)
		c->stopping = true;
}

static void dest_commit(struct copy *c, struct dest *d)
{
	int ret = c->hooks->done(c->hooks->ctx, d->ep, c->end);

	if (ret)
		dest_fail(c, d, ret);
}

/* A read of ep (the source, or /dev/zero for a hole) failed: said once
 * (the reads still in flight fail alike), and the copy stops. */
static void source_failed(struct copy *c, const struct zccp_endpoint *ep,
			  int err)
{
	if (!c->result->source_error) {
		zccp_report_endpoint(ep, err);
		c->result->source_error = err;
	}
	c->stopping = true;
}

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/*
 * Once every read is done, before anything is put in place: a file
 * modified in place while we read it (an editor saving over it, a log
 * cut by copy-truncate) gave us neither its old bytes nor its new ones.
 * Asked of the open descriptor: a new file renamed over the name (the
 * usual save) is not ours and changes nothing we read.  A file that
 * only grew is taken as a log being appended to (we read to its end);
 * stat cannot tell that from a rewrite that came out longer.  As GNU
 * tar does, a new ctime counts too (chmod, a new link): rare, and
 * cheaper to rerun than to wonder.
 */
static int source_unchanged(const struct zccp_endpoint *src)
{
	struct stat st;

	if (src->kind != ZCCP_KIND_REGULAR || src->stream || src->size_vague ||
	    !src->size_known)
		return 0;
	if (fstat(src->fd, &st))
		return -errno;
	if ((uint64_t)st.st_size > src->size)
		return 0;
	if ((uint64_t)st.st_size < src->size)
		return -ZCCP_ESHRANK;
	if (!same_time(st.st_mtim, src->mtime) ||
	    !same_time(st.st_ctim, src->ctime))
		return -ZCCP_EREWRITTEN;
	return 0;
}

/* Every byte is there: put the destination in place now. */
static void dest_check_complete(struct copy *c, struct dest *d)
{
	int ret;

	if (d->finished || zccp_endpoint_failed(d->ep) || d->inflight ||
	    !c->eof || d->next_seq <= c->eof_seq || c->stopping)
		return;
	/* The first to finish has seen every read: ask once. */
	if (!c->source_checked) {
		c->source_checked = true;
		ret = source_unchanged(c->src);
		if (ret) {
			source_failed(c, c->src, ret);
			return;
		}
	}
	/* A zccp stream's trailer carries the digest of every chunk. */
	if (d->ep->framed && c->hashing && c->hash_released <= c->eof_seq)
		return;
	d->finished = true;
	d->ep->seconds = elapsed(c);
	if (c->hooks->done) /* else the caller commits all at the end */
		dest_commit(c, d);
}

/* Start up to `limit` chunks destination d may start now. */
static unsigned dest_advance(struct copy *c, struct dest *d, unsigned limit)
{
	unsigned moved = 0;

	while (moved < limit && !zccp_endpoint_failed(d->ep) && !d->finished &&
	       !c->stopping &&
	       d->next_seq < c->read_seq &&
	       !(c->eof && d->next_seq > c->eof_seq)) {
		struct chunk *k = chunk_of(c, d->next_seq);
		struct zccp_io *io;
		uint32_t off = 0, len;

		if (k->state != CHUNK_READY || (d->ep->stream && d->inflight))
			break;
		d->next_seq++;
		moved++;
		len = next_range(d, k, &off);
		if (!len) {
			chunk_finished_by(c, k);
			dest_check_complete(c, d);
			continue;
		}
		io = io_get(c);
		*io = (struct zccp_io){
			.op = ZCCP_IO_WRITE,
			.ep = d->ep,
			.chunk = (unsigned)(k->seq % c->nchunks),
			.chunk_offset = off,
			.len = len,
			.offset = d->ep->stream ? -1 : (int64_t)(k->offset + off),
		};
		d->inflight++;
		zccp_watch_busy(d->ep->watch, true);
		if (io_queue(c, io))
			break;
	}
	return moved;
}

static uint8_t *chunk_data(const struct copy *c, const struct chunk *k)
{
	return (uint8_t *)c->layout->chunk_mem +
	       (size_t)(k->seq % c->nchunks) * c->layout->chunk_size;
}

typedef void (*see_fn)(void *ctx, const void *data, uint32_t n);

/* Show bytes [off, off + len) of chunk k to see(): from user memory, or
 * through the engine (zero copy engines keep chunks in the kernel).
 * Runs on the hasher's thread too: it touches nothing but the chunk. */
static int chunk_look(struct copy *c, const struct chunk *k, uint32_t off,
		      uint32_t len, see_fn see, void *ctx)
{
	if (!c->layout->chunk_mem)
		return c->engine->ops->peek(c->engine,
					    (unsigned)(k->seq % c->nchunks),
					    off, len, see, ctx);
	see(ctx, chunk_data(c, k) + off, len);
	return 0;
}

/* What resend() moves: bytes to a socket, the first error kept. */
struct resend {
	int fd;
	unsigned timeout_ms;
	int err;
};

static void resend_see(void *ctx, const void *data, uint32_t n)
{
	struct resend *r = ctx;

	if (!r->err)
		r->err = zccp_stream_send(r->fd, data, n, r->timeout_ms);
}

/* The ready chunk in the ring that holds stream byte at, or NULL. */
static struct chunk *resident(struct copy *c, uint64_t at)
{
	for (uint64_t s = c->release_seq; s < c->read_seq; s++) {
		struct chunk *k = chunk_of(c, s);

		if (k->state == CHUNK_READY && k->offset <= at &&
		    at < k->offset + k->filled)
			return k;
	}
	return NULL;
}

/* What holds the bytes the ring let go: a positional source, else a
 * live regular file written from it (every live destination wrote a
 * released chunk).  A descriptor of our own, or -1. */
static int backing(const struct copy *c)
{
	char proc[40];
	int fd = c->src_positional ? c->src->fd : -1;

	for (unsigned i = 0; fd < 0 && i < c->ndests; i++) {
		const struct zccp_endpoint *ep = c->dests[i].ep;

		if (ep->kind != ZCCP_KIND_REGULAR || ep->std ||
		    zccp_endpoint_failed(ep))
			continue;
		/* complete, in place and closed: its name holds it */
		if (zccp_endpoint_committed(ep) && ep->path && !ep->beneath)
			return open(ep->path, O_RDONLY | O_CLOEXEC);
		fd = ep->fd;
	}
	if (fd < 0)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return open(proc, O_RDONLY | O_CLOEXEC);
}

/* Stream bytes [from, to), which the ring let go, again: from what
 * backs them. */
static int resend_backed(const struct copy *c, struct resend *r,
			 uint64_t from, uint64_t to)
{
	int fd = backing(c);

	r->err = fd < 0 ? -ENODATA :
			  zccp_stream_send_range(r->fd, fd, from, to,
						 r->timeout_ms);
	if (fd >= 0)
		close(fd);
	return r->err;
}

/* Stream bytes [from, to) to ep's socket again: from the ring while
 * its chunks are there, else from what backs it. */
static int resend(struct copy *c, struct zccp_endpoint *ep, uint64_t from,
		  uint64_t to)
{
	struct resend r = { .fd = ep->fd, .timeout_ms = c->opts->timeout_ms };
	uint64_t ring = c->release_seq < c->read_seq ?
				chunk_of(c, c->release_seq)->offset : to;

	/* The hasher idle: one thread at a time looks at chunks. */
	zccp_hasher_wait(&c->hasher, c->hash_seq);
	if (from < ring && resend_backed(c, &r, from, ring < to ? ring : to))
		return r.err;
	for (from = from > ring ? from : ring; from < to && !r.err;) {
		struct chunk *k = resident(c, from);
		uint64_t end = k ? k->offset + k->filled : 0;
		uint32_t n;
		int ret;

		if (!k)
			return -ENODATA;
		n = (uint32_t)((end < to ? end : to) - from);
		ret = chunk_look(c, k, (uint32_t)(from - k->offset), n,
				 resend_see, &r);
		if (ret)
			return ret;
		from += n;
	}
	return r.err;
}

/* d's receiver went: go on to the next one (hooks->reroute), send it
 * what it lacks up to where the failed write began, then that write
 * again.  Whether it did. */
static bool dest_rerouted(struct copy *c, struct dest *d, struct zccp_io *io)
{
	const struct chunk *k = &c->chunks[io->chunk];
	uint64_t at = k->offset + io->chunk_offset, held;
	int err = io->result;

	if (!c->hooks->reroute || c->stopping || zccp_endpoint_failed(d->ep) ||
	    at != d->ep->bytes)
		return false;
	while (!c->hooks->reroute(c->hooks->ctx, d->ep, err, &held)) {
		err = held > at ? -ERANGE : resend(c, d->ep, held, at);
		if (!err) {
			zccp_watch_rearm(d->ep->watch);
			io_queue(c, io);
			return true;
		}
		/* ours to lack: the next receiver would lack it too, and
		 * connecting to it would cut it from its own sender */
		if (err == -ENODATA || err == -ERANGE)
			break;
	}
	return false;
}

static void write_done(struct copy *c, struct zccp_io *io)
{
	struct dest *d = dest_of(c, io->ep);
	struct chunk *k = &c->chunks[io->chunk];
	uint32_t off;

	if (io->result == 0 && io->len)
		io->result = -EIO; /* no progress would loop forever */
	if (io->result < 0 && zccp_watch_fired(d->ep->watch))
		io->result = -ZCCP_ESTALL;
	if (io->result > 0 && !zccp_endpoint_failed(d->ep)) {
		__atomic_store_n(&d->ep->bytes,
				 d->ep->bytes + (uint64_t)io->result,
				 __ATOMIC_RELAXED);
		off = io->chunk_offset + (uint32_t)io->result;
		io->len = next_range(d, k, &off);
		if (io->len && !c->stopping) {
			io->chunk_offset = off;
			io->offset = d->ep->stream ? -1 :
						     (int64_t)(k->offset + off);
			io_queue(c, io);
			return;
		}
	} else if (io->result < 0) {
		if (dest_rerouted(c, d, io))
			return;
		dest_fail(c, d, io->result);
	}
	d->inflight--;
	zccp_watch_busy(d->ep->watch, d->inflight);
	chunk_finished_by(c, k);
	io_put(c, io);
	dest_check_complete(c, d);
}

/* ---- the source ---- */

static void zero_map_build(struct chunk *k, const uint8_t *data)
{
	static const uint8_t zeros[ZERO_BLOCK];

	for (uint32_t off = 0, b = 0; off < k->filled; off += ZERO_BLOCK, b++) {
		uint32_t n = k->filled - off < ZERO_BLOCK ? k->filled - off :
							     ZERO_BLOCK;

		if (!memcmp(data + off, zeros, n))
			k->zero_map[b / 8] |= (uint8_t)(1u << (b % 8));
		else
			k->zero_map[b / 8] &= (uint8_t)~(1u << (b % 8));
	}
}

/* Every digest the copy keeps sees the same bytes. */
static void hash_see(void *ctx, const void *data, uint32_t n)
{
	const struct zccp_copy_hooks *hooks = ctx;

	if (hooks->mac)
		zccp_stream_mac_update(hooks->mac, data, n);
	if (hooks->checksum)
		zccp_digest_update(hooks->checksum, data, n);
}

/* On the hasher's thread: chunk seq into the digest. */
static int hash_chunk(void *ctx, uint64_t seq)
{
	static const uint8_t zeros[ZERO_BLOCK];
	struct copy *c = ctx;
	const struct chunk *k = chunk_of(c, seq);

	if (k->hole && !k->zeros) { /* never read: zeros */
		for (uint32_t off = 0; off < k->filled; off += ZERO_BLOCK)
			hash_see((void *)c->hooks, zeros,
				 k->filled - off < ZERO_BLOCK ?
				 k->filled - off : ZERO_BLOCK);
		return 0;
	}
	return chunk_look(c, k, 0, k->filled, hash_see, (void *)c->hooks);
}

/* Hand the hasher every ready chunk in order: parallel reads finish
 * out of order. */
static void hash_enqueue(struct copy *c)
{
	uint64_t from = c->hash_seq;

	while (c->hash_seq < c->read_seq &&
	       chunk_of(c, c->hash_seq)->state == CHUNK_READY)
		c->hash_seq++;
	if (c->hash_seq != from)
		zccp_hasher_ready(&c->hasher, c->hash_seq);
}

static void dest_check_complete(struct copy *c, struct dest *d);

/* Let go of what the hasher has done; framed destinations may now be
 * complete. */
static void hash_collect(struct copy *c)
{
	int err = 0;
	uint64_t hashed = zccp_hasher_hashed(&c->hasher, &err);

	if (err && !c->result->engine_error) {
		c->result->engine_error = err;
		c->stopping = true;
	}
	if (hashed == c->hash_released)
		return;
	while (c->hash_released < hashed)
		chunk_finished_by(c, chunk_of(c, c->hash_released++));
	for (unsigned i = 0; i < c->ndests; i++)
		dest_check_complete(c, &c->dests[i]);
}

static void chunk_ready(struct copy *c, struct chunk *k)
{
	k->state = CHUNK_READY;
	k->pending = c->live + c->hashing; /* the hasher holds it too */
	if (k->zero_map && !k->hole)
		zero_map_build(k, chunk_data(c, k));
	if (c->hashing)
		hash_enqueue(c);
	if (!k->pending)
		release_chunks(c);
}

static bool any_dest_needs_zeros(const struct copy *c)
{
	for (unsigned i = 0; i < c->ndests; i++)
		if (!zccp_endpoint_failed(c->dests[i].ep) &&
		    !c->dests[i].finished && c->dests[i].needs_zeros)
			return true;
	return false;
}

static void read_queue(struct copy *c, struct chunk *k)
{
	struct zccp_io *io = io_get(c);
	bool positional = c->src_positional && !k->zeros;

	*io = (struct zccp_io){
		.op = ZCCP_IO_READ,
		.ep = k->zeros ? c->layout->zero : c->src,
		.chunk = (unsigned)(k->seq % c->nchunks),
		.chunk_offset = k->filled,
		.len = k->want - k->filled,
		.offset = positional ? (int64_t)(k->offset + k->filled) : -1,
	};
	c->reads_inflight++;
	zccp_watch_busy(c->src->watch, true);
	io_queue(c, io);
}

/* Read on, for --checksum, when no destination needs the data. */
static bool needs_source(const struct copy *c)
{
	return c->live || c->hooks->checksum;
}

/* May the reader start another chunk now? */
static bool may_start_read(const struct copy *c)
{
	if (c->eof || c->stopping || !needs_source(c))
		return false;
	if (c->read_seq >= c->release_seq + c->lag)
		return false; /* the lag window (and the ring) is full */
	/* Streams, and reads past the expected size, go one at a time. */
	if ((!c->src_positional || c->read_pos >= c->size_hint) &&
	    c->reads_inflight)
		return false;
	return true;
}

static unsigned reads_advance(struct copy *c)
{
	unsigned moved = 0;

	for (; may_start_read(c); moved++) {
		struct chunk *k = chunk_of(c, c->read_seq);
		uint64_t len = c->layout->chunk_size;
		bool hole = false;

		if (c->src_positional && c->read_pos < c->size_hint) {
			if (len > c->size_hint - c->read_pos)
				len = c->size_hint - c->read_pos;
			len = zccp_extents_next(&c->extents, c->read_pos, len,
						&hole);
		}
		k->seq = c->read_seq++;
		k->offset = c->read_pos;
		k->want = (uint32_t)len;
		k->filled = 0;
		k->hole = hole;
		k->zeros = hole && any_dest_needs_zeros(c);
		k->state = CHUNK_READING;
		c->read_pos += len;
		if (hole && !k->zeros) {
			k->filled = k->want; /* nothing to read or write */
			chunk_ready(c, k);
			continue;
		}
		read_queue(c, k);
	}
	return moved;
}

/*
 * A file or device that ends before the size it had when opened was cut
 * while we read it, or its file system lied (a FUSE server that answers
 * short reads without direct_io: docs/fuse-short-reads.md).  Either way
 * what we have is not the source.  Growing is fine: read to the end.
 */
static bool ended_early(const struct copy *c, const struct chunk *k)
{
	return c->src_positional && c->src->size_known &&
	       !c->src->size_vague && k->offset + k->filled < c->src->size;
}

/* The first chunk that meets the end decides it (the file may shrink). */
static void source_eof(struct copy *c, struct chunk *k)
{
	zccp_watch_busy(c->src->watch, false); /* no more reads due */
	if (!c->eof || k->seq < c->eof_seq) {
		c->eof = true;
		c->eof_seq = k->seq;
		if (c->src_positional)
			c->end = k->offset + k->filled;
	}
	k->want = k->filled;
}

struct trailer {
	uint8_t bytes[ZCCP_STREAM_TRAILER_LEN];
	uint32_t used;
};

static void trailer_see(void *ctx, const void *data, uint32_t n)
{
	struct trailer *t = ctx;

	if (n > sizeof(t->bytes) - t->used)
		n = (uint32_t)sizeof(t->bytes) - t->used;
	memcpy(t->bytes + t->used, data, n);
	t->used += n;
}

/* "nothing written" only where true: what went to a destination in
 * place (a device, --inplace, a relay's pipe) stays; main says which. */
static void report_stream_failure(const struct copy *c, int err)
{
	for (unsigned i = 0; i < c->ndests; i++)
		if (zccp_dest_kept_partial(c->dests[i].ep) &&
		    c->dests[i].next_seq) { /* a write started */
			zccp_report_endpoint(c->src, err);
			return;
		}
	zccp_report_endpoint_note(c->src, err, "nothing written");
}

/* The end of a zccp stream: split off its trailer, then check it. */
static void framed_source_end(struct copy *c, struct chunk *k)
{
	struct chunk *h = c->held ? chunk_of(c, c->held_seq) : NULL;
	struct trailer trailer = { .used = 0 };
	uint32_t t = ZCCP_STREAM_TRAILER_LEN, from_k = k->filled;
	int ret = -ZCCP_ESHORT, err = 0;

	if (from_k > t)
		from_k = t;
	if (from_k < t && (!h || h->filled < t - from_k))
		goto fail;
	/* The hasher idle: one thread at a time looks at chunks. */
	zccp_hasher_wait(&c->hasher, c->hash_seq);
	if (from_k < t) {
		h->filled -= t - from_k;
		err = chunk_look(c, h, h->filled, t - from_k, trailer_see,
				 &trailer);
	}
	if (!err)
		err = chunk_look(c, k, k->filled - from_k, from_k,
				 trailer_see, &trailer);
	if (err) {
		c->result->engine_error = err;
		c->stopping = true;
		return;
	}
	k->filled -= from_k;
	c->end -= t;
	c->held = false;
	if (h)
		chunk_ready(c, h);
	source_eof(c, k);
	c->eof = false; /* not until the trailer vouches for it */
	chunk_ready(c, k);
	/* The digest must hold the last chunk before it can be checked. */
	zccp_hasher_wait(&c->hasher, k->seq + 1);
	hash_collect(c);
	ret = zccp_stream_trailer_check(trailer.bytes, c->hooks->mac,
					c->hooks->source_header);
	if (!ret) {
		c->eof = true;
		return;
	}
fail:
	report_stream_failure(c, ret);
	c->result->source_error = ret;
	c->stopping = true;
}

/*
 * A zccp stream's chunk is ready once the trailer cannot start in it:
 * when the next chunk holds a whole trailer's worth.  Returns whether
 * read_done is done with k.
 */
static bool framed_source_read(struct copy *c, struct chunk *k, int result)
{
	if (result == 0) {
		framed_source_end(c, k);
		return true;
	}
	if (c->held && k->filled >= ZCCP_STREAM_TRAILER_LEN) {
		c->held = false;
		chunk_ready(c, chunk_of(c, c->held_seq));
	}
	if (k->filled < k->want)
		return false;
	c->held = true;
	c->held_seq = k->seq;
	return true;
}

/*
 * A zccp stream cut before its trailer, in a --fanout chain: the host
 * before the one that went takes over from the bytes we hold (what of
 * the trailer came is dropped: it comes again).
 */
static bool source_resumed(struct copy *c, struct chunk *k)
{
	const struct zccp_stream_header *h = c->hooks->source_header;
	uint64_t over;

	if (!c->hooks->resume || !h || !h->size_known || c->stopping ||
	    c->end >= h->size + ZCCP_STREAM_TRAILER_LEN)
		return false;
	over = c->end > h->size ? c->end - h->size : 0;
	if (over > k->filled)
		return false;
	k->filled -= (uint32_t)over;
	c->end -= over;
	if (c->hooks->resume(c->hooks->ctx, c->end))
		return false;
	zccp_watch_rearm(c->src->watch);
	return true;
}

static void read_done(struct copy *c, struct zccp_io *io)
{
	struct chunk *k = &c->chunks[io->chunk];
	int result = io->result;

	c->reads_inflight--;
	zccp_watch_busy(c->src->watch, c->reads_inflight);
	/* The watchdog shut the socket: that end is no end of file. */
	if (result <= 0 && zccp_watch_fired(c->src->watch))
		result = -ZCCP_EIDLE;
	if (result <= 0 && !k->zeros && source_resumed(c, k)) {
		io_put(c, io);
		read_queue(c, k);
		return;
	}
	if (result < 0)
		source_failed(c, io->ep, result);
	io_put(c, io);
	if (result < 0)
		return;
	k->filled += (uint32_t)result;
	if (!c->src_positional && !k->zeros)
		c->end += (uint64_t)result;
	if (c->hooks->source_header && !k->zeros &&
	    framed_source_read(c, k, result))
		return;
	if (result == 0 && !k->zeros) {
		source_eof(c, k);
		if (ended_early(c, k)) {
			source_failed(c, c->src, -ZCCP_ESHRANK);
			return;
		}
	}
	if (k->filled < k->want && !c->stopping) {
		read_queue(c, k);
		return;
	}
	chunk_ready(c, k);
}

/* ---- the loop ---- */

static void handle(struct copy *c, struct zccp_io *io)
{
	zccp_watch_beat(io->ep->watch);
	if (io->result == -EAGAIN) {
		c->blocked[c->nblocked++] = io;
		return;
	}
	if (io->op == ZCCP_IO_READ)
		read_done(c, io);
	else
		write_done(c, io);
}

static void handle_done(struct copy *c)
{
	while (c->ndone) {
		struct zccp_io *io = c->done[--c->ndone];

		handle(c, io);
	}
}

/* Wait for the endpoints that said EAGAIN, then queue them again. */
static int poll_blocked(struct copy *c)
{
	struct pollfd *pfd = calloc(c->nblocked, sizeof(*pfd));
	unsigned n = c->nblocked, kept = 0;
	int ret;

	if (!pfd)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		pfd[i].fd = c->blocked[i]->ep->fd;
		pfd[i].events = c->blocked[i]->op == ZCCP_IO_READ ? POLLIN :
								      POLLOUT;
	}
	ret = poll(pfd, n, -1);
	if (ret < 0) {
		ret = -errno;
		free(pfd);
		return ret;
	}
	for (unsigned i = 0; i < n; i++) {
		struct zccp_io *io = c->blocked[i];

		if (!pfd[i].revents) {
			c->blocked[kept++] = io;
			continue;
		}
		io_queue(c, io);
	}
	c->nblocked = kept;
	free(pfd);
	return 0;
}

static bool copy_complete(const struct copy *c)
{
	if (c->inflight || c->ndone || c->nblocked)
		return false;
	if (c->stopping || !needs_source(c))
		return true;
	return c->eof && c->release_seq > c->eof_seq;
}

static int wait_for_progress(struct copy *c)
{
	int n;

	if (c->inflight) {
		n = c->engine->ops->reap(c->engine, c->done + c->ndone,
					 c->layout->max_inflight - c->ndone,
					 true);
		if (n < 0) {
			if (c->engine->late_read_error) /* said as such */
				source_failed(c, c->src,
					      c->engine->late_read_error);
			return n;
		}
		c->inflight -= (unsigned)n;
		c->ndone += (unsigned)n;
		return 0;
	}
	if (c->nblocked)
		return poll_blocked(c);
	/* Only the hasher holds chunks back: wait for its next one. */
	if (c->hashing && c->hash_released < c->hash_seq) {
		zccp_hasher_wait(&c->hasher, c->hash_released + 1);
		return 0;
	}
	return -EDEADLK; /* nothing in flight yet nothing can start: a bug */
}

/*
 * One chunk per destination per round: a chunk goes to every
 * destination while it is still in the CPU cache, instead of one
 * destination taking the whole ring first.
 */
static unsigned dests_advance(struct copy *c)
{
	unsigned moved = 0, round;

	do {
		round = 0;
		for (unsigned i = 0; i < c->ndests; i++)
			round += dest_advance(c, &c->dests[i], 1);
		moved += round;
	} while (round);
	return moved;
}

static int copy_loop(struct copy *c)
{
	unsigned moved;
	int ret;

	while (!copy_complete(c)) {
		if (c->stopping)
			c->nblocked = 0; /* nobody will wait for them */
		if (c->hashing)
			hash_collect(c);
		moved = reads_advance(c);
		moved += dests_advance(c);
		if (c->ndone) {
			handle_done(c);
			continue;
		}
		/* Holes release chunks without I/O: go round again. */
		if (moved && !c->inflight)
			continue;
		ret = c->engine->ops->submit(c->engine);
		if (ret < 0 && ret != -EINTR) {
			c->result->engine_error = ret;
			return ret;
		}
		if (copy_complete(c))
			break;
		ret = wait_for_progress(c);
		if (ret == -EINTR)
			continue;
		if (ret < 0 && c->engine->late_read_error)
			return 0; /* the source failed, and that is said */
		if (ret < 0) {
			c->result->engine_error = ret;
			return ret;
		}
		handle_done(c);
	}
	return 0;
}

static bool needs_zeros(const struct zccp_endpoint *ep,
			const struct zccp_opts *opts)
{
	return ep->stream || ep->kind != ZCCP_KIND_REGULAR ||
	       opts->sparse == ZCCP_SPARSE_NEVER;
}

static int copy_setup(struct copy *c, const struct zccp_plan *plan)
{
	const struct zccp_layout *l = c->layout;
	bool zero_maps = c->opts->sparse == ZCCP_SPARSE_ALWAYS && l->chunk_mem;
	size_t map_bytes = (l->chunk_size / ZERO_BLOCK + 7) / 8;

	c->nchunks = l->nchunks;
	c->lag = plan->lag_chunks;
	c->chunks = calloc(c->nchunks, sizeof(*c->chunks));
	c->dests = calloc(l->ndests, sizeof(*c->dests));
	c->ios = calloc(l->max_inflight, sizeof(*c->ios));
	c->done = calloc(l->max_inflight, sizeof(*c->done));
	c->blocked = calloc(l->max_inflight, sizeof(*c->blocked));
	if (!c->chunks || !c->dests || !c->ios || !c->done || !c->blocked)
		return -ENOMEM;
	for (unsigned i = 0; zero_maps && i < c->nchunks; i++) {
		c->chunks[i].zero_map = calloc(1, map_bytes);
		if (!c->chunks[i].zero_map)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < l->max_inflight; i++)
		io_put(c, &c->ios[i]);
	c->ndests = l->ndests;
	for (unsigned i = 0; i < l->ndests; i++) {
		struct dest *d = &c->dests[i];

		d->ep = l->dests[i];
		d->needs_zeros = needs_zeros(d->ep, c->opts);
		/* A clone is complete already, -n leaves one alone: neither
		 * holds a chunk back. */
		d->finished = zccp_endpoint_state(d->ep) != ZCCP_EP_PENDING;
		if (!zccp_endpoint_failed(d->ep) && !d->finished)
			c->live++;
	}
	if (c->hooks->mac || c->hooks->checksum) {
		int ret = zccp_hasher_start(&c->hasher, hash_chunk, c);

		if (ret)
			return ret;
		c->hashing = true;
	}
	c->src = l->source;
	c->src_positional = !c->src->stream;
	c->size_hint = c->src->size_known ? c->src->size : 0;
	zccp_extents_init(&c->extents, c->src->fd,
			  c->src->kind == ZCCP_KIND_REGULAR &&
				  c->src_positional);
	return 0;
}

static void copy_free(struct copy *c)
{
	for (unsigned i = 0; c->chunks && i < c->nchunks; i++)
		free(c->chunks[i].zero_map);
	free(c->chunks);
	free(c->dests);
	free(c->ios);
	free(c->done);
	free(c->blocked);
}

static size_t chunk_bytes(const struct zccp_layout *l)
{
	return (size_t)l->nchunks * l->chunk_size;
}

int zccp_copy_start(struct zccp_engine *e, struct zccp_layout *l,
		    const struct zccp_plan *plan)
{
	const struct zccp_engine_ops *ops = plan->engine;
	int ret;

	l->nchunks = plan->nchunks;
	l->chunk_size = plan->chunk_size;
	l->max_inflight = plan->nchunks * (l->ndests + 1);
	l->chunk_mem = NULL;
	if (ops->caps & ZCCP_CAP_USER_BUFFER) {
		void *mem = mmap(NULL, chunk_bytes(l), PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (mem == MAP_FAILED)
			return -errno;
		l->chunk_mem = mem;
	}
	*e = (struct zccp_engine){ .ops = ops, .layout = l };
	ret = ops->init(e);
	if (ret) {
		e->ops = NULL;
		zccp_copy_stop(e, l);
	}
	return ret;
}

void zccp_copy_stop(struct zccp_engine *e, struct zccp_layout *l)
{
	zccp_engine_stop(e); /* its -v note, then its cleanup */
	e->ops = NULL;
	if (l->chunk_mem)
		munmap(l->chunk_mem, chunk_bytes(l));
	l->chunk_mem = NULL;
}

int zccp_copy_run(struct zccp_engine *engine, const struct zccp_plan *plan,
		  const struct zccp_opts *opts,
		  const struct zccp_copy_hooks *hooks,
		  struct zccp_copy_result *result)
{
	struct copy c = {
		.engine = engine,
		.layout = engine->layout,
		.opts = opts,
		.hooks = hooks,
		.result = result,
	};
	int ret;

	memset(result, 0, sizeof(*result));
	clock_gettime(CLOCK_MONOTONIC, &c.start);
	ret = copy_setup(&c, plan);
	if (!ret)
		ret = copy_loop(&c);
	/* Let what is in flight land before buffers go away. */
	c.stopping = true;
	while (c.inflight && !wait_for_progress(&c))
		handle_done(&c);
	if (c.hashing)
		zccp_hasher_stop(&c.hasher);
	result->bytes = c.end;
	copy_free(&c);
	return ret;
}
