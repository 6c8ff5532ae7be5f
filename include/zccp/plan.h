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

/* What is being copied, as far as planning cares. */
struct zccp_shape {
	enum zccp_kind source;
	uint64_t source_bytes; /* ZCCP_SIZE_UNKNOWN for streams */
	const enum zccp_kind *dests;
	unsigned ndests;
	/* A digest is kept (a zccp stream, --checksum): it must see the
	 * data. */
	bool checksummed;
	/* The source is a zccp stream: its newest full chunk waits for
	 * the next, in case the trailer starts in it. */
	bool source_framed;
	/* The source is on FUSE: only ZCCP_CAP_PLAIN_SOURCE_READS. */
	bool source_fuse;
	/* A destination is a pseudo file: only ZCCP_CAP_PLAIN_WRITES. */
	bool dests_pseudo;
};

#define ZCCP_SIZE_UNKNOWN UINT64_MAX

/*
 * Probes only the engines it must (auto: cheapest first, until one
 * works).  Returns 0, or -errno with plan->reason saying why no engine
 * can run.
 */
int zccp_plan_make(const struct zccp_opts *opts, const struct zccp_shape *shape,
		   struct zccp_probes *probes, struct zccp_plan *plan);

#endif
