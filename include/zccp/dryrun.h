/* SPDX-License-Identifier: MIT */
/*
 * --dry-run: the plan, per destination how it would be written (engine,
 * temporary, reflink, O_DIRECT) and what would fail, on stdout; nothing
 * is created, opened for writing or connected.
 */
#ifndef ZCCP_DRYRUN_H
#define ZCCP_DRYRUN_H

#include <stdio.h>

#include "zccp/endpoint.h"
#include "zccp/opts.h"
#include "zccp/plan.h"

/* Print it; returns how many destinations would fail. */
unsigned zccp_dry_run(FILE *out, const struct zccp_plan *plan,
		      const struct zccp_endpoint *src,
		      struct zccp_endpoint **dests, unsigned ndests,
		      const struct zccp_opts *opts);

#endif
