/* SPDX-License-Identifier: MIT */
/*
 * One copy, start to end: open the source and the destinations, plan
 * (auto falls back to the next engine that starts), clone what reflink
 * can, run the ring, put destinations in place (or --verify them first),
 * collect stream replies.  main.c runs one job; tree.c one per file.
 */
#ifndef ZCCP_JOB_H
#define ZCCP_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "zccp/opts.h"
#include "zccp/summary.h"

struct zccp_job;

/*
 * A job for o (copied; the strings it points to must outlive the job).
 * Opens nothing.  0 or -ENOMEM.
 */
int zccp_job_create(struct zccp_job **jp, const struct zccp_opts *o);

/*
 * The copy, or with --dry-run its plan on stdout; failures are reported
 * as they happen.  Returns the exit status (ZCCP_EXIT_*).  Once per job.
 */
int zccp_job_run(struct zccp_job *j);

/* --json: what the run did (status is what it returned); false when
 * there is to be no summary (stdout was refused as a destination). */
bool zccp_job_summary(const struct zccp_job *j, int status,
		      struct zccp_summary *s);

/* A received zccp stream's sender learns the status; else nothing. */
void zccp_job_reply(struct zccp_job *j, int status);

/* dests[i]: 0 copied, 1 left alone (-n), or the -errno that failed it. */
int zccp_job_outcome(const struct zccp_job *j, unsigned i);

/* Bytes read from the source. */
uint64_t zccp_job_bytes(const struct zccp_job *j);

/* dests[i]: seconds from the copy's start until it was complete. */
double zccp_job_seconds(const struct zccp_job *j, unsigned i);

/* Stop the engine, close and free everything; NULL is fine. */
void zccp_job_free(struct zccp_job *j);

#endif
