/* SPDX-License-Identifier: MIT */
/*
 * The copy core: a ring of chunks read once from the source, a cursor
 * per destination.  A destination may run ahead of the slowest one by
 * up to the lag window; a chunk is released when every live destination
 * has written it; a failed destination leaves the ring.
 */
#ifndef ZCCP_COPY_H
#define ZCCP_COPY_H

#include "zccp/engine.h"
#include "zccp/opts.h"
#include "zccp/plan.h"

struct zccp_copy_result {
	uint64_t bytes;	 /* source bytes copied */
	int source_error; /* -errno if the source failed */
	int engine_error; /* -errno if the engine itself failed */
	unsigned failed; /* destinations that failed */
};

/*
 * Run the copy with an initialised engine.  Destinations whose
 * endpoint is already failed or cloned are skipped; if none is left,
 * the source is not read.  Failures are reported as
 * they happen.
 */
typedef int (*zccp_dest_done_fn)(struct zccp_endpoint *dest, uint64_t size,
				 const struct zccp_opts *opts);

/*
 * done() is called for each destination as soon as it holds every
 * byte, so a fast destination is in place while slow ones still run;
 * its error fails that destination.  Without done() (all or nothing)
 * the caller commits after the run.
 */
int zccp_copy_run(struct zccp_engine *engine, const struct zccp_plan *plan,
		  const struct zccp_opts *opts, zccp_dest_done_fn done,
		  struct zccp_copy_result *result);

#endif
