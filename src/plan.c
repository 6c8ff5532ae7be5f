// SPDX-License-Identifier: MIT
/*
 * Planning: which engine, and the ring's geometry.  Selection is data:
 * each engine's rank per endpoint kind (measured, see README) and its
 * capability flags; the probes say what this kernel can run.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "zccp/plan.h"
#include "zccp/report.h"

#define RANK_CANNOT 255

/* Why an engine cannot serve this copy, or NULL if it can. */
static const char *engine_unfit(const struct zccp_engine_ops *ops,
				const struct zccp_opts *opts,
				const struct zccp_shape *shape)
{
	bool sees_data = (ops->caps & ZCCP_CAP_USER_BUFFER) &&
			 !(ops->caps & ZCCP_CAP_ORDERED_FANOUT);

	if (opts->sparse == ZCCP_SPARSE_ALWAYS && !sees_data)
		return "--sparse=always must see the data to find zeros";
	/* A zero copy engine may show the core its chunks (peek). */
	if (shape->checksummed && !sees_data && !ops->peek)
		return opts->checksum ? "--checksum must see the data" :
		       opts->verify ? "--verify must see the source's data" :
		       "a zccp stream's MAC must see the data (--raw "
		       "does not)";
	if (ops->rank[shape->source] == RANK_CANNOT)
		return "cannot read this kind of source";
	if (shape->source_fuse && !(ops->caps & ZCCP_CAP_PLAIN_SOURCE_READS))
		return "its reads of a FUSE source can report data that is not "
		       "there (docs/fuse-short-reads.md)";
	if (shape->dests_pseudo && !(ops->caps & ZCCP_CAP_PLAIN_WRITES))
		return "cannot write a pseudo file (proc, sysfs...): some take "
		       "only write(2)";
	for (unsigned i = 0; i < shape->ndests; i++)
		if (ops->rank[shape->dests[i]] == RANK_CANNOT)
			return "cannot write this kind of destination";
	return NULL;
}

/*
 * A source this small copies in less time than some engines take to
 * start: 200 files of 4 KiB to 2 copies took 0.2 ms per file with
 * splice or rw, 1 ms with uring, 64 ms with aio; splice still led at
 * 1 MiB (0.9 ms against 1.5), and uring leads from a few MiB up.
 */
#define SMALL_SOURCE_BYTES (1u << 20)

static bool small_source(const struct zccp_shape *shape)
{
	return shape->source_bytes != ZCCP_SIZE_UNKNOWN &&
	       shape->source_bytes <= SMALL_SOURCE_BYTES;
}

/* Measured ranks per endpoint; for a small source, the cost of
 * starting first (ranks, in tens of microseconds, break ties). */
static unsigned engine_score(const struct zccp_engine_ops *ops,
			     const struct zccp_shape *shape)
{
	unsigned score = ops->rank[shape->source];

	for (unsigned i = 0; i < shape->ndests; i++)
		score += ops->rank[shape->dests[i]];
	return small_source(shape) ? ops->setup_us + 10 * score : score;
}

static int choose_named(const struct zccp_opts *opts,
			const struct zccp_shape *shape,
			struct zccp_probes *probes, struct zccp_plan *plan)
{
	for (unsigned i = 0; i < zccp_nengines; i++) {
		const struct zccp_engine_ops *ops = zccp_engines[i];
		const char *unfit;
		int ret;

		if (strcmp(ops->name, opts->engine))
			continue;
		unfit = engine_unfit(ops, opts, shape);
		if (unfit) {
			snprintf(plan->reason, sizeof(plan->reason),
				 "engine %s: %s", ops->name, unfit);
			return -EINVAL;
		}
		ret = zccp_probe(probes, i);
		if (ret) {
			snprintf(plan->reason, sizeof(plan->reason),
				 "engine %s unavailable: %s", ops->name,
				 probes->why[i]);
			return ret;
		}
		plan->engine = ops;
		snprintf(plan->reason, sizeof(plan->reason), "chosen by --engine");
		return 0;
	}
	snprintf(plan->reason, sizeof(plan->reason), "unknown engine %s",
		 opts->engine);
	return -EINVAL;
}

/*
 * Lowest total rank over all endpoints among the engines that can run.
 * Fit engines are probed cheapest first and the first that works wins,
 * so the rest are never probed.  The reason lists every fit engine's
 * cost and why the others were out.
 */
static int choose_auto(const struct zccp_opts *opts,
		       const struct zccp_shape *shape,
		       struct zccp_probes *probes, struct zccp_plan *plan)
{
	unsigned score[ZCCP_MAX_ENGINES];
	bool candidate[ZCCP_MAX_ENGINES];
	char costs[128] = "", out[192] = "";

	for (unsigned i = 0; i < zccp_nengines; i++) {
		const struct zccp_engine_ops *ops = zccp_engines[i];
		const char *unfit = engine_unfit(ops, opts, shape);

		candidate[i] = !unfit;
		if (unfit) {
			zccp_append(out, sizeof(out), "; %s out: %s", ops->name,
			       unfit);
			continue;
		}
		score[i] = engine_score(ops, shape);
		zccp_append(costs, sizeof(costs), "%s%s %u", *costs ? ", " : "",
		       ops->name, score[i]);
	}
	while (!plan->engine) {
		int best = -1;

		/* Registry order breaks ties. */
		for (unsigned i = 0; i < zccp_nengines; i++)
			if (candidate[i] &&
			    (best < 0 || score[i] < score[best]))
				best = (int)i;
		if (best < 0)
			break;
		candidate[best] = false;
		if (zccp_probe(probes, (unsigned)best))
			zccp_append(out, sizeof(out), "; %s out: %s",
			       zccp_engines[best]->name, probes->why[best]);
		else
			plan->engine = zccp_engines[best];
	}
	if (!plan->engine) {
		snprintf(plan->reason, sizeof(plan->reason),
			 "no engine can run this copy%s", out);
		return -EOPNOTSUPP;
	}
	snprintf(plan->reason, sizeof(plan->reason),
		 "auto: lowest measured cost for a %s%s source and %u "
		 "destination(s) (%s)%s", small_source(shape) ?
		 "small (start-up counts) " : "", zccp_kind_name(shape->source),
		 shape->ndests, costs, out);
	return 0;
}

int zccp_plan_make(const struct zccp_opts *opts, const struct zccp_shape *shape,
		   struct zccp_probes *probes, struct zccp_plan *plan)
{
	uint64_t lag, need;
	int ret;

	memset(plan, 0, sizeof(*plan));
	if (!strcmp(opts->engine, "auto"))
		ret = choose_auto(opts, shape, probes, plan);
	else
		ret = choose_named(opts, shape, probes, plan);
	if (ret)
		return ret;

	plan->chunk_size = opts->block_size;
	plan->nchunks = opts->queue_depth;
	/* No more slots than a sized source can fill: a 64 KiB file need
	 * not map and register 8 MiB of buffers. */
	if (shape->source_bytes != ZCCP_SIZE_UNKNOWN) {
		need = (shape->source_bytes + plan->chunk_size - 1) /
		       plan->chunk_size;
		if (need < plan->nchunks)
			plan->nchunks = need ? (unsigned)need : 1;
	}
	lag = opts->lag ? opts->lag : (uint64_t)plan->chunk_size * plan->nchunks;
	/* A window smaller than one chunk would stop everything. */
	plan->lag_chunks = (unsigned)((lag + plan->chunk_size - 1) /
				      plan->chunk_size);
	if (plan->lag_chunks > plan->nchunks)
		plan->lag_chunks = plan->nchunks;
	if (shape->source_framed && plan->lag_chunks < 2)
		plan->nchunks = plan->lag_chunks = 2;
	return 0;
}
