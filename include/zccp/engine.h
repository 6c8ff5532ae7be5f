/* SPDX-License-Identifier: MIT */
/*
 * One ops table for every I/O engine (after fio's ioengine_ops).
 *
 * The core (copy.c) owns the ring of chunks, the cursor of every
 * destination, short transfers, failures and the lag window.  An engine
 * only moves bytes: it is asked to READ a range of the source (or of
 * /dev/zero, for holes that must be written out) into a chunk slot, or
 * to WRITE part of a slot to a destination, and reports when that is
 * done.  The core never asks which engine it is talking to; it reads
 * the capability flags.
 *
 * Lifecycle: probe (can this kernel run it?), init (buffers, rings),
 * setup_endpoint (per-endpoint decisions, e.g. O_DIRECT or io-wq),
 * then queue/submit/reap until the copy ends, then cleanup.
 */
#ifndef ZCCP_ENGINE_H
#define ZCCP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zccp/endpoint.h"
#include "zccp/opts.h"

/* Capabilities: selection and the core read these, never the name. */
enum {
	/* Requests complete later, through reap(); queue never says EAGAIN. */
	ZCCP_CAP_ASYNC = 1u << 0,
	/* Chunks live in user memory the core allocates (layout.chunk_mem). */
	ZCCP_CAP_USER_BUFFER = 1u << 1,
	/* Data never passes through user memory. */
	ZCCP_CAP_ZERO_COPY = 1u << 2,
	/* Writes to different destinations run at the same time. */
	ZCCP_CAP_PARALLEL = 1u << 3,
	/* Uses O_DIRECT where the endpoint allows it. */
	ZCCP_CAP_DIRECT = 1u << 4,
	/*
	 * A READ may be reported done at queue time: the engine runs the
	 * writes of that slot queued before the next submit() after the
	 * read itself (the SQE group engine).  The bytes are not in the
	 * slot yet, so nothing may look at them; a read that fails or comes
	 * back short later ends the copy: reap() returns its error and sets
	 * zccp_engine.late_read_error, and the core says the source failed.
	 */
	ZCCP_CAP_ORDERED_FANOUT = 1u << 5,
	/*
	 * Reads the source with pread(2) or libaio, whose short reads a FUSE
	 * file system reports as they are.  io_uring and splice reads of a
	 * FUSE file can report data that is not there or stop early
	 * (docs/fuse-short-reads.md): a FUSE source needs this.
	 */
	ZCCP_CAP_PLAIN_SOURCE_READS = 1u << 6,
	/*
	 * Writes a stream with write(2).  Proc files without ->write_iter
	 * (/proc/PID/oom_score_adj) refuse libaio's and splice's writes
	 * (EINVAL, measured); io_uring loops over ->write.  A pseudo file
	 * is a command of a few bytes: written as cp writes it, one
	 * write(2), whatever its handler takes.  A pseudo destination
	 * needs this.
	 */
	ZCCP_CAP_PLAIN_WRITES = 1u << 7,
};

enum zccp_io_op { ZCCP_IO_READ, ZCCP_IO_WRITE };

/* One transfer between an endpoint and (part of) a chunk slot. */
struct zccp_io {
	enum zccp_io_op op;
	struct zccp_endpoint *ep; /* source, zero device or destination */
	unsigned chunk;		  /* ring slot */
	uint32_t chunk_offset;	  /* where in the slot the transfer starts */
	uint32_t len;
	int64_t offset;		  /* file offset; -1: a stream's position */
	int result;		  /* bytes moved, or -errno; set by engine */
	struct zccp_io *next;	  /* core's free list */
};

/* What the core hands an engine at init. */
struct zccp_layout {
	unsigned nchunks;
	uint32_t chunk_size;
	void *chunk_mem; /* nchunks * chunk_size, page aligned (USER_BUFFER) */
	struct zccp_endpoint *source;
	struct zccp_endpoint *zero; /* /dev/zero, read for holes */
	struct zccp_endpoint **dests;
	unsigned ndests;
	unsigned max_inflight; /* the core never has more queued */
	enum zccp_when direct;  /* --direct: O_DIRECT policy for engines */
	bool verbose;
};

static inline void *zccp_io_buf(const struct zccp_layout *layout,
				const struct zccp_io *io)
{
	return (char *)layout->chunk_mem +
	       (size_t)io->chunk * layout->chunk_size + io->chunk_offset;
}

struct zccp_engine;

enum { ZCCP_QUEUED = 1, ZCCP_DONE = 0 };

struct zccp_engine_ops {
	const char *name;
	/* What its probe finds, for --version's kernel features ("libaio");
	 * NULL: nothing worth a line (rw). */
	const char *feature;
	unsigned caps;
	/* Preference where several engines can run, by endpoint kind:
	 * lower is better; from bench/ measurements (see README). */
	unsigned char rank[ZCCP_KIND_COUNT];
	/* Microseconds to start and end it, which a small copy pays in
	 * full (200 files of 4 KiB to 2, -r, one process, this machine). */
	unsigned setup_us;
	/* 0 if this kernel can run the engine, else -errno; *why says. */
	int (*probe)(const char **why);
	int (*init)(struct zccp_engine *e);
	/* Decide how to use one endpoint; sets ep->method for -v. */
	int (*setup_endpoint)(struct zccp_engine *e, struct zccp_endpoint *ep);
	/*
	 * Start a transfer.  ZCCP_QUEUED: it completes through reap().
	 * ZCCP_DONE: it completed now, io->result says how; a result of
	 * -EAGAIN (engines without ZCCP_CAP_ASYNC only) means the endpoint
	 * was not ready and nothing moved: the core polls it and retries.
	 * A negative return is a failure of the engine itself.
	 */
	int (*queue)(struct zccp_engine *e, struct zccp_io *io);
	/*
	 * Hand what queue() gathered to the kernel.  An engine may leave
	 * the system call to reap(), which the core calls next whenever
	 * anything is in flight.
	 */
	int (*submit)(struct zccp_engine *e);
	/*
	 * Completed transfers into done[]; if asked to wait, for at least
	 * one (an engine may wait for more that the kernel owes it).
	 */
	int (*reap)(struct zccp_engine *e, struct zccp_io **done, unsigned max,
		    bool wait);
	void (*cleanup)(struct zccp_engine *e);
	/*
	 * Optional: what the engine has to tell a user of -v about the
	 * run, called before cleanup().  Engines print nothing
	 * (docs/contract.md): the core prints the line.  Returns 0 if
	 * there is nothing to say, else >0 with one line (no "zccp: ", no
	 * newline) in buf, cut to len.
	 */
	int (*notes)(struct zccp_engine *e, char *buf, size_t len);
	/*
	 * Optional, for engines without ZCCP_CAP_USER_BUFFER: hand the
	 * bytes [off, off + len) of a ready chunk slot to see(), in
	 * pieces, leaving the slot as it was; 0 or -errno.  The core looks
	 * at data through it (a zccp stream's digest and trailer).
	 */
	int (*peek)(struct zccp_engine *e, unsigned chunk, uint32_t off,
		    uint32_t len, void (*see)(void *ctx, const void *data,
					      uint32_t n), void *ctx);
	/*
	 * Optional: more --version feature lines, after `feature`'s.
	 * probed is what probe() just returned; say(label, value) prints
	 * one line ("yes", or "no: why").
	 */
	void (*features)(int probed,
			 void (*say)(const char *label, const char *value));
};

struct zccp_engine {
	const struct zccp_engine_ops *ops;
	const struct zccp_layout *layout;
	void *priv;
	/* ZCCP_CAP_ORDERED_FANOUT: a read reported done that failed after
	 * all (-errno; short: -ZCCP_ESHRANK), or 0. */
	int late_read_error;
};

/*
 * The registry, in order of general preference: src/engine.c's list is
 * the only place the engines are named (each file defines its
 * zccp_engine_NAME).
 */
extern const struct zccp_engine_ops *const zccp_engines[];
extern const unsigned zccp_nengines;

/* The registered engine called name, or NULL. */
const struct zccp_engine_ops *zccp_engine_find(const char *name);

/*
 * The engines' names in registry order, joined by sep and, before the
 * last, by last: (", ", " or ") gives "uring, group, ... or rw".
 * Returns 0, or -ENOSPC if buf (len bytes) is too small.
 */
int zccp_engine_names(char *buf, size_t len, const char *sep, const char *last);

/*
 * End an engine started with ops->init: print its notes (-v), then
 * ops->cleanup.  Nothing if e->ops is NULL.
 */
void zccp_engine_stop(struct zccp_engine *e);

#define ZCCP_MAX_ENGINES 8

/*
 * What each engine's probe said, asked at most once and only when a
 * plan needs the answer: a probe costs system calls (io_destroy alone
 * takes ~30 ms), which would dominate small copies.
 */
struct zccp_probes {
	bool asked[ZCCP_MAX_ENGINES];
	int result[ZCCP_MAX_ENGINES]; /* 0 or -errno */
	const char *why[ZCCP_MAX_ENGINES];
	/* Runs the probe; NULL means ops->probe.  Unit tests replace it. */
	int (*run)(const struct zccp_engine_ops *ops, const char **why);
};

/* zccp_engines[i]'s probe result, running the probe on first use. */
int zccp_probe(struct zccp_probes *p, unsigned i);
/* Record a failure found later (an engine that probed fine but failed
 * to start), so the next plan looks elsewhere. */
void zccp_probe_fail(struct zccp_probes *p, const struct zccp_engine_ops *ops,
		     int err, const char *why);

/* Helpers shared by the engines that issue plain syscalls. */
/* pread/pwrite that never block on a stream: -EAGAIN instead. */
int zccp_sync_transfer(const struct zccp_layout *layout, struct zccp_io *io);
/* Make a FIFO we opened non-blocking (a synchronous engine's streams). */
int zccp_sync_setup_stream(struct zccp_endpoint *ep);

#endif
