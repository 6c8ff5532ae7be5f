/* SPDX-License-Identifier: MIT */
/*
 * --json: one summary object on stdout at the end, for scripts.  The
 * schema is documented in zccp.1 (JSON SUMMARY); "schema" changes only
 * when a field changes meaning or goes away, never for a new field.
 */
#ifndef ZCCP_SUMMARY_H
#define ZCCP_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

#include "zccp/endpoint.h"

#define ZCCP_SUMMARY_SCHEMA 1

struct zccp_summary {
	int status;			 /* the exit status */
	const struct zccp_endpoint *source;
	bool source_opened;		 /* its kind is known */
	struct zccp_endpoint **dests;	 /* NULL if never opened */
	const char *const *dest_args;	 /* as the user named them */
	unsigned ndests;
	const char *engine;		 /* NULL if none ran */
	bool verify;			 /* --verify: else "verified" is null */
	const char *digest_algo;	 /* NULL without a source digest */
	const char *digest_hex;
	uint64_t bytes;			 /* read from the source */
	int source_error;		 /* -errno, 0 */
	double seconds;
};

void zccp_summary_print(FILE *out, const struct zccp_summary *s);

/* The object when nothing started (a usage error, exit 2): the same
 * keys, nothing in them, and "error": what was said. */
void zccp_summary_print_refused(FILE *out, const char *error);

struct zccp_tree_root;
struct zccp_tree_source;

/* -r: what a tree's copy did. */
struct zccp_tree_summary {
	int status;
	const char *path; /* the source, as named */
	const struct zccp_tree_source *source;
	const struct zccp_tree_root *roots;
	unsigned n;
	const char *engine; /* -e's, NULL for auto (files go several ways) */
	bool verify;
	double seconds;
};

/* The file's object (zccp_summary_print) with a root per destination,
 * and the tree's counts and failures (zccp.1). */
void zccp_summary_print_tree(FILE *out, const struct zccp_tree_summary *t);

struct zccp_plan;
/* -v: the engine, the ring, the source and how each destination is
 * written (why not reflink), one line each. */
void zccp_report_plan(const struct zccp_plan *plan,
		      const struct zccp_endpoint *src,
		      struct zccp_endpoint **dsts, unsigned ndst);
/* --stats: one line per destination on stderr, even with -q. */
void zccp_report_stats(const struct zccp_plan *plan,
		       struct zccp_endpoint **dsts, unsigned ndst,
		       double seconds);

/* A JSON string, or null for NULL: quotes, backslashes and control
 * characters escaped, valid UTF-8 as it is, and each byte that is not
 * as U+FFFD: always valid JSON, but lossy for such a name. */
void zccp_json_string(FILE *out, const char *text);

/* "key":name, and when the name is not valid UTF-8 also
 * ,"key_base64":its exact bytes (RFC 4648), since paths are bytes and
 * a script must find the file (zccp.1, JSON SUMMARY). */
void zccp_json_name(FILE *out, const char *key, const char *name);

#endif
