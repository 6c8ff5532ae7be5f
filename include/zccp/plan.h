/* SPDX-License-Identifier: MIT */
/*
 * Planning: from options, endpoint kinds and what the kernel supports
 * to the engine and ring geometry.  No I/O, so unit tests drive it.
 */
#ifndef ZCCP_PLAN_H
#define ZCCP_PLAN_H

#include "zccp/endpoint.h"
#include "zccp/engine.h"
#include "zccp/opts.h"

struct zccp_plan {
	const struct zccp_engine_ops *engine;
	char reason[512];   /* why this engine, for -v */
	uint32_t chunk_size;
	unsigned nchunks;    /* ring slots: the memory bound */
	unsigned lag_chunks; /* how far the fastest may lead the slowest */
};

/*
 * probe[i] is zccp_engines[i]'s probe result (0 or -errno) and why[i]
 * its reason.  Returns 0, or -errno with plan->reason saying why no
 * engine can run.
 */
int zccp_plan_make(const struct zccp_opts *opts, enum zccp_kind source,
		   const enum zccp_kind *dests, unsigned ndests,
		   const int *probe, const char *const *why,
		   struct zccp_plan *plan);

#endif
