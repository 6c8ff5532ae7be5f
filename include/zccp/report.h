/* SPDX-License-Identifier: MIT */
/*
 * The one place that prints to the user: "zccp: WHAT: reason".  It knows
 * nothing of endpoints or plans (endpoint.h and summary.h say those).
 */
#ifndef ZCCP_REPORT_H
#define ZCCP_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "zccp/errors.h" /* ZCCP_E*: what zccp_strerror() knows */

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no
 * overlong forms, no surrogates, nothing past U+10FFFF), or 0. */
unsigned zccp_utf8_length(const unsigned char *p);
/* strerror() that also knows zccp's own numbers; err is positive. */
const char *zccp_strerror(int err);

/* stdout_free: nothing else of ours goes to standard output (no --json,
 * --checksum, --dry-run, nor a "-" destination): -v's lines may. */
void zccp_report_init(int verbose, bool quiet, bool stdout_free);
/* -vv was given (and not -q): worth building a line for zccp_detail(). */
bool zccp_report_verbose(void);
/* -v was given (and not -q): worth quoting a name for zccp_info(). */
bool zccp_report_informs(void);
/* Add to the string in buf (size bytes), cut short quietly. */
__attribute__((format(printf, 3, 4))) void zccp_append(char *buf, size_t size,
							const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void zccp_error(const char *fmt, ...);
/* Sizes as every message says them, in powers of 1024: "1.5 MiB"; and
 * part of a whole in the whole's unit: "0.98 of 1.00 GiB". */
void zccp_human_bytes(char *buf, size_t n, double bytes);
void zccp_human_pair(char *buf, size_t n, double part, double whole);
/* What the first zccp_error() said (without "zccp: "), or NULL. */
const char *zccp_first_error(void);
__attribute__((format(printf, 1, 2))) void zccp_warn(const char *fmt, ...);
/* -v: what a user asked about (left alone, excluded, verified...) */
__attribute__((format(printf, 1, 2))) void zccp_info(const char *fmt, ...);
/* -vv: how zccp goes about it (engines, rings, methods, costs) */
__attribute__((format(printf, 1, 2))) void zccp_detail(const char *fmt, ...);
/*
 * A file's name in a message, as coreutils quotes it: zccp_quote always
 * ('x', as cp's "cannot stat 'x'"), zccp_quote_if_needed only where a
 * shell would need it (x, 'a b', 'a'$'\n''b'): a name with a newline
 * stays on its line.  Into buf (n bytes, cut short if it must); returns
 * buf.  ZCCP_Q and ZCCP_QF give each use a buffer of its own, alive to
 * the end of the enclosing block: zccp_error("cannot stat %s: %s",
 * ZCCP_Q(path), ...).
 */
#define ZCCP_QUOTE_MAX (4 * 4096 + 8) /* PATH_MAX, each byte as \ooo */
char *zccp_quote(char *buf, size_t n, const char *name);
char *zccp_quote_if_needed(char *buf, size_t n, const char *name);
#define ZCCP_Q(name) \
	zccp_quote((char[ZCCP_QUOTE_MAX]){ 0 }, ZCCP_QUOTE_MAX, (name))
#define ZCCP_QF(name) \
	zccp_quote_if_needed((char[ZCCP_QUOTE_MAX]){ 0 }, ZCCP_QUOTE_MAX, \
			     (name))
/* -v: "'SRC' -> 'DEST'", as cp -v says a copy is made: on standard output
 * where it is free, else standard error; names quoted as the shell
 * would need them. */
void zccp_copied(const char *src, const char *dst);
/* The progress bar's line, redrawn in place on stderr; NULL wipes it. */
void zccp_report_status(const char *line);
/* A line of progress (plain, json): printed even with -q, which only
 * silences what was not asked for. */
void zccp_report_line(const char *line);

/* A line written piece by piece (a JSON object), then printed whole as
 * zccp_report_line prints, so another thread's line never lands inside
 * it: begin gives the stream to write to (NULL: out of memory, nothing
 * to end), end prints and frees. */
struct zccp_line {
	char *text;
	size_t size;
	FILE *out;
};
FILE *zccp_line_begin(struct zccp_line *l);
void zccp_line_end(struct zccp_line *l);
#endif
