// SPDX-License-Identifier: MIT
/*
 * Planning: which engine, and the ring's geometry.  Selection is data:
 * each engine's rank per endpoint kind (measured, see README) and its
 * capability flags; the probes say what this kernel can run.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "zccp/plan.h"

#define RANK_CANNOT 255

/* Why an engine cannot serve this copy, or NULL if it can. */
static const char *engine_unfit(const struct zccp_engine_ops *ops,
				const struct zccp_opts *opts,
				enum zccp_kind source,
				const enum zccp_kind *dests, unsigned ndests)
{
	if (opts->sparse == ZCCP_SPARSE_ALWAYS &&
	    !(ops->caps & ZCCP_CAP_USER_BUFFER))
		return "--sparse=always must see the data to find zeros";
	if (ops->rank[source] == RANK_CANNOT)
		return "cannot read this kind of source";
	for (unsigned i = 0; i < ndests; i++)
		if (ops->rank[dests[i]] == RANK_CANNOT)
			return "cannot write this kind of destination";
	return NULL;
}

static unsigned engine_score(const struct zccp_engine_ops *ops,
			     enum zccp_kind source,
			     const enum zccp_kind *dests, unsigned ndests)
{
	unsigned score = ops->rank[source];

	for (unsigned i = 0; i < ndests; i++)
		score += ops->rank[dests[i]];
	return score;
}

static int choose_named(const struct zccp_opts *opts, enum zccp_kind source,
			const enum zccp_kind *dests, unsigned ndests,
			const int *probe, const char *const *why,
			struct zccp_plan *plan)
{
	for (unsigned i = 0; i < zccp_nengines; i++) {
		const struct zccp_engine_ops *ops = zccp_engines[i];
		const char *unfit;

		if (strcmp(ops->name, opts->engine))
			continue;
		if (probe[i]) {
			snprintf(plan->reason, sizeof(plan->reason),
				 "engine %s unavailable: %s", ops->name, why[i]);
			return probe[i];
		}
		unfit = engine_unfit(ops, opts, source, dests, ndests);
		if (unfit) {
			snprintf(plan->reason, sizeof(plan->reason),
				 "engine %s: %s", ops->name, unfit);
			return -EINVAL;
		}
		plan->engine = ops;
		snprintf(plan->reason, sizeof(plan->reason), "chosen by --engine");
		return 0;
	}
	snprintf(plan->reason, sizeof(plan->reason), "unknown engine %s",
		 opts->engine);
	return -EINVAL;
}

/* Append to a reason, truncating quietly. */
__attribute__((format(printf, 3, 4))) static void
append(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	if (used < size)
		vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

/*
 * Lowest total rank over all endpoints among the engines that can run;
 * the reason lists every candidate's cost and why the others were out.
 */
static int choose_auto(const struct zccp_opts *opts, enum zccp_kind source,
		       const enum zccp_kind *dests, unsigned ndests,
		       const int *probe, const char *const *why,
		       struct zccp_plan *plan)
{
	unsigned best_score = ~0u;
	char costs[128] = "", out[160] = "";

	for (unsigned i = 0; i < zccp_nengines; i++) {
		const struct zccp_engine_ops *ops = zccp_engines[i];
		const char *unfit = probe[i] ? why[i] :
				    engine_unfit(ops, opts, source, dests,
						 ndests);
		unsigned score;

		if (unfit) {
			append(out, sizeof(out), "; %s out: %s", ops->name,
			       unfit);
			continue;
		}
		score = engine_score(ops, source, dests, ndests);
		append(costs, sizeof(costs), "%s%s %u", *costs ? ", " : "",
		       ops->name, score);
		if (score < best_score) {
			best_score = score;
			plan->engine = ops;
		}
	}
	if (!plan->engine) {
		snprintf(plan->reason, sizeof(plan->reason),
			 "no engine can run this copy%s", out);
		return -EOPNOTSUPP;
	}
	snprintf(plan->reason, sizeof(plan->reason),
		 "auto: lowest measured cost for a %s source and %u "
		 "destination(s) (%s)%s", zccp_kind_name(source), ndests,
		 costs, out);
	return 0;
}

int zccp_plan_make(const struct zccp_opts *opts, enum zccp_kind source,
		   const enum zccp_kind *dests, unsigned ndests,
		   const int *probe, const char *const *why,
		   struct zccp_plan *plan)
{
	uint64_t lag;
	int ret;

	memset(plan, 0, sizeof(*plan));
	if (!strcmp(opts->engine, "auto"))
		ret = choose_auto(opts, source, dests, ndests, probe, why, plan);
	else
		ret = choose_named(opts, source, dests, ndests, probe, why,
				   plan);
	if (ret)
		return ret;

	plan->chunk_size = opts->block_size;
	plan->nchunks = opts->queue_depth;
	lag = opts->lag ? opts->lag : (uint64_t)plan->chunk_size * plan->nchunks;
	/* A window smaller than one chunk would stop everything. */
	plan->lag_chunks = (unsigned)((lag + plan->chunk_size - 1) /
				      plan->chunk_size);
	if (plan->lag_chunks > plan->nchunks)
		plan->lag_chunks = plan->nchunks;
	return 0;
}
