// SPDX-License-Identifier: MIT
/* --json's summary object (see zccp/summary.h and zccp.1). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "zccp/plan.h"
#include "zccp/report.h"
#include "zccp/summary.h"
#include "zccp/tree.h"

#define put_string zccp_json_string

void zccp_json_string(FILE *out, const char *text)
{
	if (!text) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)text; *p;) {
		unsigned n = *p >= 0x80 ? zccp_utf8_length(p) : 1;

		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else if (!n) /* JSON has no bytes: zccp_json_name keeps them */
			fputs("\\ufffd", out);
		else
			fwrite(p, 1, n, out);
		p += n ? n : 1;
	}
	fputc('"', out);
}

static bool is_utf8(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p;) {
		unsigned n = *p >= 0x80 ? zccp_utf8_length(p) : 1;

		if (!n)
			return false;
		p += n;
	}
	return true;
}

/* RFC 4648's base64, padded: what Go's encoding/json gives []byte,
 * and what coreutils' base64 -d and Python's b64decode read. */
static void put_base64(FILE *out, const unsigned char *p, size_t n)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789+/";

	fputc('"', out);
	while (n) {
		size_t take = n < 3 ? n : 3;
		unsigned long v = (unsigned long)p[0] << 16;

		if (take > 1)
			v |= (unsigned long)p[1] << 8;
		if (take > 2)
			v |= p[2];
		fputc(digits[v >> 18 & 63], out);
		fputc(digits[v >> 12 & 63], out);
		fputc(take > 1 ? digits[v >> 6 & 63] : '=', out);
		fputc(take > 2 ? digits[v & 63] : '=', out);
		p += take;
		n -= take;
	}
	fputc('"', out);
}

void zccp_json_name(FILE *out, const char *key, const char *name)
{
	fprintf(out, "\"%s\":", key);
	zccp_json_string(out, name);
	if (!name || is_utf8(name))
		return;
	fprintf(out, ",\"%s_base64\":", key);
	put_base64(out, (const unsigned char *)name, strlen(name));
}

static void put_error(FILE *out, int err)
{
	put_string(out, err ? zccp_strerror(-err) : NULL);
}

/* ok: complete and in place; failed: its own error (or written in place
 * when the source failed); aborted: complete or not, dropped because
 * another failed (--on-error=abort) or the source did. */
static const char *dest_status(const struct zccp_endpoint *d)
{
	switch (zccp_endpoint_state(d)) {
	case ZCCP_EP_COMMITTED:
		return "ok";
	case ZCCP_EP_SKIPPED:
		return "skipped";
	case ZCCP_EP_FAILED:
		return "failed";
	default:
		return "aborted";
	}
}

static void put_dest(FILE *out, const struct zccp_endpoint *d,
		     const char *engine, bool verify)
{
	fputc('{', out);
	zccp_json_name(out, "path", d->arg);
	fputc(',', out);
	zccp_json_name(out, "file", d->path);
	fputs(",\"kind\":", out);
	put_string(out, d->kind < ZCCP_KIND_COUNT ? zccp_endpoint_kind(d) :
						    NULL);
	fprintf(out, ",\"status\":\"%s\",\"bytes\":%" PRIu64
		",\"seconds\":%.6f,\"engine\":", dest_status(d), d->bytes,
		d->seconds);
	/* another host wrote it: our engine did not */
	put_string(out, d->reflinked ? "reflink" : d->via ? NULL : engine);
	fputc(',', out);
	zccp_json_name(out, "via", d->via);
	/* not asked (null) is not "check failed" (false) */
	fprintf(out, ",\"verified\":%s,\"error\":",
		!verify ? "null" : d->verified ? "true" : "false");
	put_error(out, zccp_endpoint_failed(d) ? d->error : 0);
	fputc('}', out);
}

/* {"schema":..,"zccp":..,"status":..,"source":{"path":..,"kind":.. */
static void put_head(FILE *out, int status, const char *src, const char *kind)
{
	fprintf(out, "{\"schema\":%d,\"zccp\":\"%s\",\"status\":%d,"
		"\"source\":{", ZCCP_SUMMARY_SCHEMA, ZCCP_VERSION, status);
	zccp_json_name(out, "path", src);
	fputs(",\"kind\":", out);
	put_string(out, kind);
}

/* "failures":[{"path":..,"error":..}...],"failures_not_listed":N */
static void put_failures(FILE *out, const struct zccp_tree_failures *f)
{
	fputs(",\"failures\":[", out);
	for (unsigned k = 0; k < f->n; k++) {
		fputs(k ? ",{" : "{", out);
		zccp_json_name(out, "path", f->list[k].path);
		fputs(",\"error\":", out);
		put_error(out, f->list[k].error);
		fputc('}', out);
	}
	fprintf(out, "],\"failures_not_listed\":%u", f->unlisted);
}

/* A root: a file's destination's fields, then the tree's. */
static void put_root(FILE *out, const struct zccp_tree_root *r,
		     const char *engine, double seconds, bool verify)
{
	fputc('{', out);
	zccp_json_name(out, "path", r->arg);
	fputc(',', out);
	zccp_json_name(out, "file", r->path);
	fprintf(out, ",\"kind\":\"directory\",\"status\":\"%s\","
		"\"bytes\":%" PRIu64 ",\"seconds\":%.6f,\"engine\":",
		r->failed ? "failed" : r->aborted ? "aborted" : "ok", r->bytes,
		seconds);
	put_string(out, engine);
	fprintf(out, ",\"via\":null,\"verified\":%s,\"error\":",
		!verify ? "null" :
		!r->failed && !r->aborted ? "true" : "false");
	put_error(out, r->failed ? r->error : 0);
	fprintf(out, ",\"files\":%u,\"skipped\":%u,\"excluded\":%u,"
		"\"data_bytes\":%" PRIu64, r->files, r->skipped, r->excluded,
		r->data_bytes);
	put_failures(out, &r->failures);
	fputc('}', out);
}

void zccp_summary_print_tree(FILE *out, const struct zccp_tree_summary *t)
{
	const struct zccp_tree_source *src = t->source;
	unsigned failed = 0, aborted = 0, files = 0;
	uint64_t written = 0, data = 0;

	put_head(out, t->status, t->path, "directory");
	fprintf(out, ",\"bytes\":%" PRIu64 ",\"error\":", src->bytes);
	put_error(out, src->error);
	fprintf(out, ",\"files\":%u,\"data_bytes\":%" PRIu64, src->files,
		src->data_bytes);
	put_failures(out, &src->failures);
	fputs("},\"engine\":", out);
	put_string(out, t->engine);
	fprintf(out, ",\"checksum\":null,\"seconds\":%.6f,"
		"\"destinations\":[", t->seconds);
	for (unsigned i = 0; i < t->n; i++) {
		const struct zccp_tree_root *r = &t->roots[i];

		failed += r->failed;
		aborted += r->aborted && !r->failed;
		files += r->files;
		written += r->bytes;
		data += r->data_bytes;
		if (i)
			fputc(',', out);
		put_root(out, r, t->engine, t->seconds, t->verify);
	}
	fprintf(out, "],\"totals\":{\"destinations\":%u,\"ok\":%u,"
		"\"failed\":%u,\"skipped\":0,\"aborted\":%u,"
		"\"bytes_written\":%" PRIu64 ",\"files\":%u,"
		"\"data_bytes_written\":%" PRIu64 "}}\n", t->n,
		t->n - failed - aborted, failed, aborted, written, files, data);
	fflush(out);
}

void zccp_summary_print_refused(FILE *out, const char *error)
{
	put_head(out, ZCCP_EXIT_USAGE, NULL, NULL);
	fputs(",\"bytes\":0,\"error\":null},\"engine\":null,"
	      "\"checksum\":null,\"seconds\":0,\"destinations\":[],"
	      "\"totals\":{\"destinations\":0,\"ok\":0,\"failed\":0,"
	      "\"skipped\":0,\"aborted\":0,\"bytes_written\":0},"
	      "\"error\":", out);
	put_string(out, error);
	fputs("}\n", out);
	fflush(out);
}

void zccp_summary_print(FILE *out, const struct zccp_summary *s)
{
	unsigned ok = 0, failed = 0, skipped = 0;
	uint64_t written = 0;

	put_head(out, s->status, s->source->arg,
		 s->source_opened ? zccp_endpoint_kind(s->source) : NULL);
	fprintf(out, ",\"bytes\":%" PRIu64 ",\"error\":", s->bytes);
	put_error(out, s->source_error);
	fputs("},\"engine\":", out);
	put_string(out, s->engine);
	fputs(",\"checksum\":", out);
	if (s->digest_hex) {
		fputs("{\"algorithm\":", out);
		put_string(out, s->digest_algo);
		fputs(",\"digest\":", out);
		put_string(out, s->digest_hex);
		fputc('}', out);
	} else {
		fputs("null", out);
	}
	fprintf(out, ",\"seconds\":%.6f,\"destinations\":[", s->seconds);
	for (unsigned i = 0; i < s->ndests; i++) {
		/* Never opened: what the user named, nothing known. */
		const struct zccp_endpoint blank = { .arg = s->dest_args[i],
						     .kind = ZCCP_KIND_COUNT };
		const struct zccp_endpoint *d = s->dests ? s->dests[i] : &blank;

		ok += zccp_endpoint_committed(d);
		failed += zccp_endpoint_failed(d);
		skipped += zccp_endpoint_skipped(d);
		written += d->bytes;
		if (i)
			fputc(',', out);
		put_dest(out, d, s->engine, s->verify);
	}
	fprintf(out, "],\"totals\":{\"destinations\":%u,\"ok\":%u,"
		"\"failed\":%u,\"skipped\":%u,\"aborted\":%u,"
		"\"bytes_written\":%" PRIu64 "}}\n", s->ndests, ok, failed,
		skipped, s->ndests - ok - failed - skipped, written);
	fflush(out);
}

/* One line per destination: how it is written, and reflink's word. */
static void report_dest(const struct zccp_endpoint *d)
{
	const char *via = d->tmp_unnamed || d->tmp_name ? ", via temporary" :
							   "";

	if (d->via) {
		zccp_detail("dest %s: its data comes from %s (--fanout)",
			  zccp_endpoint_name(d), d->via);
		return;
	}
	if (zccp_endpoint_skipped(d)) {
		zccp_detail("dest %s (%s): %s", zccp_endpoint_name(d),
			  zccp_endpoint_kind(d), zccp_endpoint_skip_reason(d));
		return;
	}
	if (d->reflinked) {
		zccp_detail("dest %s (%s%s): reflink (FICLONE): %s",
			  zccp_endpoint_name(d), zccp_endpoint_kind(d), via,
			  d->reflink_why);
		return;
	}
	zccp_detail("dest %s (%s%s): %s%s%s", zccp_endpoint_name(d),
		  zccp_endpoint_kind(d), via, d->method ? d->method : "-",
		  *d->reflink_why ? "; no reflink: " : "", d->reflink_why);
}

void zccp_report_plan(const struct zccp_plan *plan,
		      const struct zccp_endpoint *src,
		      struct zccp_endpoint **dsts, unsigned ndst)
{
	if (!zccp_report_verbose())
		return;
	zccp_detail("engine %s: %s", plan->engine->name, plan->reason);
	zccp_detail("ring: %u chunks of %u bytes, lag window %u chunks",
		  plan->nchunks, plan->chunk_size, plan->lag_chunks);
	zccp_detail("source %s (%s): %s", zccp_endpoint_name(src),
		  zccp_endpoint_kind(src), src->method ? src->method : "-");
	for (unsigned i = 0; i < ndst; i++)
		report_dest(dsts[i]);
}

void zccp_report_stats(const struct zccp_plan *plan,
		       struct zccp_endpoint **dsts, unsigned ndst,
		       double seconds)
{
	for (unsigned i = 0; i < ndst; i++) {
		const struct zccp_endpoint *d = dsts[i];
		double s = d->seconds > 0 ? d->seconds : seconds;
		char rate[32];

		/* IEC, as the progress bar says it */
		zccp_human_bytes(rate, sizeof(rate),
				    s > 0 ? (double)d->bytes / s : 0.0);
		fprintf(stderr,
			"zccp: stats: %s: %llu bytes in %.3f s (%s/s), "
			"engine %s, %s\n",
			zccp_endpoint_name(d), (unsigned long long)d->bytes, s,
			rate,
			d->reflinked ? "reflink" : plan->engine->name,
			dest_status(d));
	}
}
