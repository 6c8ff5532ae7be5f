// SPDX-License-Identifier: MIT
/* --dry-run (see zccp/dryrun.h). */
#include <inttypes.h>
#include <string.h>

#include "zccp/direct.h"
#include "zccp/dryrun.h"
#include "zccp/reflink.h"
#include "zccp/report.h"

/* O_DIRECT as far as it is known before the file is opened. */
static void print_direct(FILE *out, const struct zccp_plan *plan,
			 const struct zccp_endpoint *src,
			 const struct zccp_endpoint *d, unsigned ndests,
			 const struct zccp_opts *opts)
{
	uint64_t bytes = src->size_known ? src->size * ndests : 0;
	const char *why;

	if (!(plan->engine->caps & ZCCP_CAP_USER_BUFFER))
		fputs("; buffered (the engine moves page cache pages)", out);
	else if (zccp_direct_wanted(opts->direct, d, bytes, &why))
		fprintf(out, "; O_DIRECT where the file system has it (%s)",
			why);
	else
		fprintf(out, "; buffered (%s)", why);
}

static int dry_run_dest(FILE *out, const struct zccp_plan *plan,
			const struct zccp_endpoint *src,
			struct zccp_endpoint *d, unsigned ndests,
			const struct zccp_opts *opts)
{
	const char *how;
	int ret;

	if (zccp_endpoint_failed(d)) {
		fprintf(out, "dest %s: would fail: %s\n", d->arg,
			zccp_strerror(-d->error));
		return 1;
	}
	if (zccp_endpoint_skipped(d)) {
		fprintf(out, "dest %s (%s): %s\n", d->arg,
			zccp_endpoint_kind(d), zccp_endpoint_skip_reason(d));
		return 0;
	}
	ret = zccp_dest_check(d, opts, &how);
	if (ret) {
		fprintf(out, "dest %s: would fail: %s\n", d->arg,
			zccp_strerror(-ret));
		return 1;
	}
	/* The file it names: DIR/NAME for a directory. */
	fprintf(out, "dest %s (%s%s): %s", d->path && !d->net ? d->path :
		d->arg, zccp_endpoint_kind(d),
		d->existed || d->net ? "" : ", new", how);
	if (d->kind == ZCCP_KIND_REGULAR && !d->std) {
		bool clone = zccp_reflink_predict(d, src, opts, d->dir);

		fprintf(out, "; reflink: %s (%s)", clone ? "yes" : "no",
			d->reflink_why);
	}
	if ((d->kind == ZCCP_KIND_REGULAR || d->kind == ZCCP_KIND_BLOCK) &&
	    !d->net)
		print_direct(out, plan, src, d, ndests, opts);
	fputc('\n', out);
	return 0;
}

unsigned zccp_dry_run(FILE *out, const struct zccp_plan *plan,
		      const struct zccp_endpoint *src,
		      struct zccp_endpoint **dests, unsigned ndests,
		      const struct zccp_opts *opts)
{
	unsigned failing = 0;

	fprintf(out, "dry run: nothing is written\nsource %s (%s", src->arg,
		zccp_endpoint_kind(src));
	if (src->size_known)
		fprintf(out, ", %" PRIu64 " bytes", src->size);
	fprintf(out, ")\nengine %s: %s\nring: %u chunks of %" PRIu32
		" bytes, lag window %u chunks\n", plan->engine->name,
		plan->reason, plan->nchunks, plan->chunk_size,
		plan->lag_chunks);
	for (unsigned i = 0; i < ndests; i++)
		failing += (unsigned)dry_run_dest(out, plan, src, dests[i],
						  ndests, opts);
	fflush(out);
	return failing;
}
