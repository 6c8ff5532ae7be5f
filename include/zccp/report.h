/* SPDX-License-Identifier: MIT */
/*
 * The one place that prints to the user: "zccp: WHAT: reason".  It knows
 * nothing of endpoints or plans (endpoint.h and summary.h say those).
 */
#ifndef ZCCP_REPORT_H
#define ZCCP_REPORT_H

#include <stdbool.h>

/* zccp's own error numbers, above every errno. */
enum {
	ZCCP_EDANGLING = 4200,
	ZCCP_EOWNER,
	ZCCP_EADDRESS,
	ZCCP_ENONAME,
	ZCCP_ENOTSTREAM, /* a zccp stream's header is missing */
	ZCCP_EVERSION,	 /* ... or from a newer zccp */
	ZCCP_ESHORT,	 /* the stream ended before its trailer */
	ZCCP_ECORRUPT,	 /* the trailer does not match the payload */
	ZCCP_ENOREPLY,	 /* the receiver closed without a reply */
	ZCCP_EREMOTE,	 /* the receiver's destinations failed */
	ZCCP_EIDLE,	 /* --listen: the sender sent nothing for --timeout */
	ZCCP_ESTALL,	 /* a unix: receiver read nothing for --timeout */
	ZCCP_EVERIFY,	 /* --verify read back other bytes */
	ZCCP_EKEEPOWNER, /* --preserve=ownership: not allowed */
	ZCCP_EXATTR,	 /* --preserve=xattr: not allowed or not supported */
	ZCCP_EINSIDE,	 /* -r: a destination root is in the source tree */
	ZCCP_ESHRANK,	 /* the source ended before the size it had */
	ZCCP_EREWRITTEN, /* ... or was modified in place as we read it */
	ZCCP_EPARTIAL,	 /* written in place, then the source failed */
	ZCCP_ETREELINK,	 /* -r: a symbolic link where the tree has a file */
};

/* strerror() that also knows zccp's own numbers; err is positive. */
const char *zccp_strerror(int err);

void zccp_report_init(int verbose, bool quiet);
/* -v was given (and not -q): worth building a line for zccp_info(). */
bool zccp_report_verbose(void);
__attribute__((format(printf, 1, 2))) void zccp_error(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void zccp_warn(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void zccp_info(const char *fmt, ...);
/* The progress bar's line, redrawn in place on stderr; NULL wipes it. */
void zccp_report_status(const char *line);
/* A line of progress (plain, json): printed even with -q, which only
 * silences what was not asked for. */
void zccp_report_line(const char *line);
#endif
