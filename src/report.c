// SPDX-License-Identifier: MIT
/* Every user-facing message goes through here, one line each. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zccp/report.h"

static int report_verbose;
static bool report_quiet;
static FILE *copied_to; /* -v's "'SRC' -> 'DEST'" lines */
/* The progress thread prints too: one line at a time, and a message
 * first wipes the progress bar (redrawn at its next tick). */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static bool status_drawn;

void zccp_report_init(int verbose, bool quiet, bool stdout_free)
{
	report_verbose = quiet ? 0 : verbose;
	report_quiet = quiet;
	copied_to = stdout_free ? stdout : stderr;
}

bool zccp_report_verbose(void)
{
	return report_verbose > 1;
}

bool zccp_report_informs(void)
{
	return report_verbose > 0;
}

void zccp_append(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	if (used < size)
		vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

unsigned zccp_utf8_length(const unsigned char *p)
{
	unsigned n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 :
		     p[0] >= 0xe0 && p[0] <= 0xef ? 3 :
		     p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : 0;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < 2 || p[1] < lo || p[1] > hi)
		return 0;
	for (unsigned i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* Bytes at p shown as they are: printable ASCII or a whole UTF-8
 * character; 0: a byte to write as $'\ooo'. */
static unsigned shown(const unsigned char *p)
{
	if (*p >= 0x80)
		return zccp_utf8_length(p);
	return *p >= 0x20 && *p != 0x7f;
}

/* name quoted as a shell reads it back, as coreutils quotes it: in
 * double quotes when it holds a ' and nothing a shell would expand
 * there, else in single quotes, with ' as \' and a control character
 * or a byte that is not UTF-8 as $'\n' or $'\ooo' between them. */
static void put_quoted(FILE *out, const char *name)
{
	const unsigned char *p;
	bool plain = true, in = false;
	unsigned n;

	for (p = (const unsigned char *)name; *p; p += n ? n : 1) {
		n = shown(p);
		plain &= n && !strchr("\"$`\\!", *p);
	}
	if (plain && strchr(name, '\'')) {
		fprintf(out, "\"%s\"", name);
		return;
	}
	for (p = (const unsigned char *)name; *p; p += n ? n : 1) {
		n = shown(p);
		if (n && *p != '\'') {
			if (!in)
				fputc('\'', out);
			in = true;
			fwrite(p, 1, n, out);
			continue;
		}
		if (in)
			fputc('\'', out);
		in = false;
		if (*p == '\'')
			fputs("\\'", out);
		else if (*p == '\n' || *p == '\t')
			fprintf(out, "$'\\%c'", *p == '\n' ? 'n' : 't');
		else
			fprintf(out, "$'\\%03o'", *p);
	}
	if (in || !*name)
		fputs(in ? "'" : "''", out);
}

char *zccp_quote(char *buf, size_t n, const char *name)
{
	FILE *out = fmemopen(buf, n, "w");

	buf[0] = '\0';
	if (!out)
		return buf;
	put_quoted(out, name);
	if (fclose(out)) /* cut short: end it where it was cut */
		buf[n - 1] = '\0';
	return buf;
}

/* What a shell reads as one word as it is (as coreutils' quotearg
 * decides it: = may be an assignment, # and ~ only lead). */
static bool shell_plain(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	unsigned n;

	if (!*p || *p == '#' || *p == '~')
		return false;
	for (; *p; p += n) {
		n = shown(p);
		if (!n || (n == 1 && strchr(" !\"$&'()*;<=>?[\\^`|", *p)))
			return false;
	}
	return true;
}

char *zccp_quote_if_needed(char *buf, size_t n, const char *name)
{
	if (!shell_plain(name))
		return zccp_quote(buf, n, name);
	snprintf(buf, n, "%s", name);
	return buf;
}

void zccp_copied(const char *src, const char *dst)
{
	if (!report_verbose || !copied_to)
		return;
	pthread_mutex_lock(&out_lock);
	if (status_drawn && copied_to == stderr)
		fputs("\r\033[K", stderr);
	status_drawn = status_drawn && copied_to != stderr;
	put_quoted(copied_to, src);
	fputs(" -> ", copied_to);
	put_quoted(copied_to, dst);
	fputc('\n', copied_to);
	fflush(copied_to);
	pthread_mutex_unlock(&out_lock);
}

static void vsay(const char *fmt, va_list ap)
{
	char *line = NULL, cut[1024];
	va_list again;

	/* Whole however long its names; cut short only without memory. */
	va_copy(again, ap);
	if (vasprintf(&line, fmt, ap) < 0) {
		line = NULL;
		vsnprintf(cut, sizeof(cut), fmt, again);
	}
	va_end(again);
	pthread_mutex_lock(&out_lock);
	if (status_drawn)
		fputs("\r\033[K", stderr);
	status_drawn = false;
	/* One write: lines from parallel tools do not interleave. */
	fprintf(stderr, "zccp: %s\n", line ? line : cut);
	pthread_mutex_unlock(&out_lock);
	free(line);
}

void zccp_report_status(const char *line)
{
	pthread_mutex_lock(&out_lock);
	fprintf(stderr, "\r%s\033[K", line ? line : "");
	status_drawn = line != NULL;
	pthread_mutex_unlock(&out_lock);
}

void zccp_report_line(const char *line)
{
	pthread_mutex_lock(&out_lock);
	fprintf(stderr, "%s\n", line);
	pthread_mutex_unlock(&out_lock);
}

FILE *zccp_line_begin(struct zccp_line *l)
{
	*l = (struct zccp_line){ 0 };
	l->out = open_memstream(&l->text, &l->size);
	return l->out;
}

void zccp_line_end(struct zccp_line *l)
{
	if (!fclose(l->out))
		zccp_report_line(l->text);
	free(l->text);
}

static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };

void zccp_human_bytes(char *buf, size_t n, double bytes)
{
	unsigned u = 0;

	while (bytes >= 1024 && u < 4) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

void zccp_human_pair(char *buf, size_t n, double part, double whole)
{
	unsigned u = 0;

	while (whole >= 1024 && u < 4) {
		whole /= 1024;
		part /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, n, "%.0f of %.0f B", part, whole);
	else
		snprintf(buf, n, whole < 10 ? "%.2f of %.2f %s" :
			 "%.1f of %.1f %s", part, whole, units[u]);
}

static char first_error[1024]; /* for --json after a usage error */

void zccp_error(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock); /* workers fail files too */
	if (!first_error[0]) {
		va_start(ap, fmt);
		vsnprintf(first_error, sizeof(first_error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&out_lock);
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

const char *zccp_first_error(void)
{
	return first_error[0] ? first_error : NULL;
}

void zccp_warn(const char *fmt, ...)
{
	va_list ap;

	if (report_quiet)
		return;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

void zccp_info(const char *fmt, ...)
{
	va_list ap;

	if (!report_verbose)
		return;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

void zccp_detail(const char *fmt, ...)
{
	va_list ap;

	if (report_verbose < 2)
		return;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

/* zccp's own error numbers, in the order of report.h's enum. */
static const char *const own_errors[] = {
	[ZCCP_EDANGLING - ZCCP_EDANGLING] =
		"not writing through dangling symlink",
	[ZCCP_EOWNER - ZCCP_EDANGLING] =
		"cannot keep the owner on a replacement (try --inplace)",
	[ZCCP_EADDRESS - ZCCP_EDANGLING] =
		"not an address: want tcp://HOST:PORT, tcp://[IPV6]:PORT or "
		"unix:PATH (a file: ./NAME)",
	[ZCCP_ENONAME - ZCCP_EDANGLING] = "host name does not resolve",
	[ZCCP_ENOTSTREAM - ZCCP_EDANGLING] =
		"not a zccp stream (sent with --raw?)",
	[ZCCP_EVERSION - ZCCP_EDANGLING] = "zccp stream from a newer zccp",
	[ZCCP_ESHORT - ZCCP_EDANGLING] = "stream cut short",
	[ZCCP_ECORRUPT - ZCCP_EDANGLING] =
		"stream corrupted or forged (its MAC does not match)",
	[ZCCP_ENOREPLY - ZCCP_EDANGLING] =
		"receiver closed without confirming (not zccp? then --raw)",
	[ZCCP_EREMOTE - ZCCP_EDANGLING] =
		"receiver could not write its destinations",
	[ZCCP_EIDLE - ZCCP_EDANGLING] =
		"the sender sent nothing for --timeout seconds",
	[ZCCP_ESTALL - ZCCP_EDANGLING] =
		"the receiver read nothing for --timeout seconds",
	[ZCCP_EVERIFY - ZCCP_EDANGLING] =
		"read back differs from the source (--verify)",
	[ZCCP_EKEEPOWNER - ZCCP_EDANGLING] =
		"cannot give it the source's owner (--preserve=ownership)",
	[ZCCP_EXATTR - ZCCP_EDANGLING] =
		"cannot copy the source's extended attributes "
		"(--preserve=xattr)",
	[ZCCP_EINSIDE - ZCCP_EDANGLING] =
		"cannot copy a directory into itself (it is in the source "
		"tree)",
	[ZCCP_ESHRANK - ZCCP_EDANGLING] =
		"source changed while it was read (it ended before its size)",
	[ZCCP_EREWRITTEN - ZCCP_EDANGLING] =
		"source changed while it was read (modified, not only "
		"appended to)",
	[ZCCP_ETREELINK - ZCCP_EDANGLING] =
		"is a symbolic link: -r does not write through it",
	[ZCCP_EPARTIAL - ZCCP_EDANGLING] =
		"written in place before the source failed: it holds part "
		"of the copy, unchecked",
	[ZCCP_EAUTH - ZCCP_EDANGLING] =
		"not authenticated: another key, a replay, or changed on "
		"the way",
	[ZCCP_EKEYS - ZCCP_EDANGLING] =
		"one end has a key and the other not (--key-file on both)",
	[ZCCP_ESILENT - ZCCP_EDANGLING] =
		"the receiver sent no challenge within --timeout (not a zccp "
		"--listen? then --raw)",
	[ZCCP_ENOSERVE - ZCCP_EDANGLING] =
		"could not start zccp there",
	[ZCCP_EREFUSED - ZCCP_EDANGLING] =
		"the receiver refused this sender (not its --key-file?)",
	[ZCCP_EPLAIN - ZCCP_EDANGLING] =
		"the receiver takes only encrypted streams (--encrypt)",
	[ZCCP_ETLS - ZCCP_EDANGLING] =
		"TLS failed (--encrypt): another key, or changed on the way",
	[ZCCP_EHOSTGONE - ZCCP_EDANGLING] =
		"its receiver ended without saying how its copy went (the "
		"host or its link went away)",
	[ZCCP_EMOVED - ZCCP_EDANGLING] =
		"moved or replaced while zccp wrote into it: what it wrote "
		"there went with it",
	[ZCCP_ESAMEFILE - ZCCP_EDANGLING] = "is the same file as the source",
	[ZCCP_ETWICE - ZCCP_EDANGLING] = "destination given twice",
};

const char *zccp_strerror(int err)
{
	unsigned i = (unsigned)(err - ZCCP_EDANGLING);

	if (err >= ZCCP_EDANGLING &&
	    i < sizeof(own_errors) / sizeof(*own_errors) && own_errors[i])
		return own_errors[i];
	return strerror(err);
}
