/* SPDX-License-Identifier: MIT */
/*
 * The copy core: a ring of chunks read once from the source, a cursor
 * per destination.  A destination may run ahead of the slowest one by
 * up to the lag window; a chunk is released when every live destination
 * has written it; a failed destination leaves the ring.
 */
#ifndef ZCCP_COPY_H
#define ZCCP_COPY_H

#include "zccp/digest.h"
#include "zccp/engine.h"
#include "zccp/opts.h"
#include "zccp/plan.h"
#include "zccp/stream.h"

struct zccp_copy_result {
	uint64_t bytes;	 /* source bytes copied */
	int source_error; /* -errno if the source failed */
	int engine_error; /* -errno if the engine itself failed */
	unsigned failed; /* destinations that failed */
};

/*
 * Called for each destination as soon as it holds every byte, so a
 * fast destination is in place while slow ones still run; its error
 * fails that destination.
 */
typedef int (*zccp_dest_done_fn)(void *ctx, struct zccp_endpoint *dest,
				 uint64_t size);

struct zccp_copy_hooks {
	/* NULL: all or nothing, the caller commits after the run. */
	zccp_dest_done_fn done;
	void *ctx;
	/*
	 * The payload's MAC, fed in order as chunks arrive (the engine
	 * must keep chunks in user memory): NULL when no zccp stream is
	 * sent or received.
	 */
	struct zccp_stream_mac *mac;
	/* --checksum: the source's digest, fed the same way; the source
	 * is then read to its end even when no destination needs it. */
	struct zccp_digest *checksum;
	/*
	 * The source is a zccp stream after its header: its last
	 * ZCCP_STREAM_TRAILER_LEN bytes are the trailer, never written;
	 * the end of the source counts only once the trailer vouches
	 * for the payload, so nothing is committed before.
	 */
	const struct zccp_stream_header *source_header;
	/*
	 * --fanout's chain (stream.h: resume), or NULL.  resume: the
	 * stream source's sender went before its trailer, holding `held`
	 * payload bytes here; wait for the host before it to take over: 0
	 * once the source's socket is the new connection, else -errno.
	 * reroute: a framed destination's receiver went (err); go on to
	 * the next: 0 with *held, where its payload ends, once dest's
	 * socket is the new connection (the core sends it what it lacks),
	 * else -errno.
	 */
	int (*resume)(void *ctx, uint64_t held);
	int (*reroute)(void *ctx, struct zccp_endpoint *dest, int err,
		       uint64_t *held);
};

/*
 * Endpoints with a watch (ep->watch) are told when a transfer is due
 * and when one completes; one that ends after the watchdog fired fails
 * with ZCCP_EIDLE (the source) or ZCCP_ESTALL (a destination).
 */

/*
 * Start the plan's engine on l, whose endpoints and flags the caller
 * set: the ring's geometry comes from the plan, and the chunk memory
 * is mapped here, before init (which may register it), when the engine
 * copies through user memory (ZCCP_CAP_USER_BUFFER).  0/-errno; on
 * error nothing is left mapped or started.
 */
int zccp_copy_start(struct zccp_engine *e, struct zccp_layout *l,
		    const struct zccp_plan *plan);

/* Stop the engine and unmap l's chunks; does nothing if it never
 * started, and nothing the second time. */
void zccp_copy_stop(struct zccp_engine *e, struct zccp_layout *l);

/*
 * Run the copy with an engine zccp_copy_start started.  Destinations whose
 * endpoint is already failed or cloned are skipped; if none is left,
 * the source is not read.  Failures are reported as they happen.
 */
int zccp_copy_run(struct zccp_engine *engine, const struct zccp_plan *plan,
		  const struct zccp_opts *opts,
		  const struct zccp_copy_hooks *hooks,
		  struct zccp_copy_result *result);

#endif
