/* SPDX-License-Identifier: MIT */
/* The one place that prints to the user: "zccp: WHAT: reason". */
#ifndef ZCCP_REPORT_H
#define ZCCP_REPORT_H

#include <stdbool.h>

#include "zccp/endpoint.h"

struct zccp_plan;

#include "zccp/errors.h" /* ZCCP_E*: what zccp_strerror() knows */

/* strerror() that also knows zccp's own numbers; err is positive. */
const char *zccp_strerror(int err);

void zccp_report_init(int verbose, bool quiet);
__attribute__((format(printf, 1, 2))) void zccp_error(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void zccp_warn(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void zccp_info(const char *fmt, ...);
/* The progress bar's line, redrawn in place on stderr; NULL wipes it. */
void zccp_report_status(const char *line);
/* A line of progress (plain, json): printed even with -q, which only
 * silences what was not asked for. */
void zccp_report_line(const char *line);
/* "zccp: DEST: reason" for a failed endpoint (err is -errno). */
void zccp_report_endpoint(const struct zccp_endpoint *ep, int err);
/* The same, then ": note". */
void zccp_report_endpoint_note(const struct zccp_endpoint *ep, int err,
			       const char *note);
/* "zccp: DEST: cannot clone: why" (--reflink=always). */
void zccp_report_uncloned(const struct zccp_endpoint *ep);
void zccp_report_plan(const struct zccp_plan *plan,
		      const struct zccp_endpoint *src,
		      struct zccp_endpoint **dsts, unsigned ndst);
void zccp_report_stats(const struct zccp_plan *plan,
		       struct zccp_endpoint **dsts, unsigned ndst,
		       double seconds);

#endif
