// SPDX-License-Identifier: MIT
/* One copy's lifecycle: see zccp/job.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zccp/clock.h"
#include "zccp/copy.h"
#include "zccp/dryrun.h"
#include "zccp/job.h"
#include "zccp/progress.h"
#include "zccp/reflink.h"
#include "zccp/report.h"
#include "zccp/testhook.h"
#include "zccp/verify.h"
#include "zccp/wire.h"

struct zccp_job {
	struct zccp_opts opts;
	struct zccp_endpoint source, zero;
	struct zccp_endpoint *dest_mem; /* fixed: signal cleanup finds them */
	struct zccp_endpoint **dests;
	struct zccp_probes probes;
	struct zccp_plan plan;
	struct zccp_layout layout;
	struct zccp_engine engine;
	struct zccp_wire wire;
	struct zccp_progress progress;
	uint64_t received; /* source (payload) bytes */
	/* The source's digest, for --checksum and --verify. */
	struct zccp_digest checksum;
	char source_hex[ZCCP_DIGEST_HEX_MAX];
	double started;
	int source_error;
	bool source_opened;
};

static bool source_digest(const struct zccp_job *j)
{
	return j->opts.checksum || j->opts.verify;
}

/* --on-error=abort and --verify put destinations in place only after
 * the copy. */
static bool commit_deferred(const struct zccp_job *j)
{
	return j->opts.on_error == ZCCP_ON_ERROR_ABORT || j->opts.verify;
}

static bool any_failed(const struct zccp_job *j)
{
	for (unsigned i = 0; i < j->opts.ndests; i++)
		if (zccp_endpoint_failed(j->dests[i]))
			return true;
	return false;
}

int zccp_job_create(struct zccp_job **jp, const struct zccp_opts *o)
{
	struct zccp_job *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	j->opts = *o;
	*jp = j;
	return 0;
}

static int make_plan(struct zccp_job *j)
{
	enum zccp_kind *kinds = calloc(j->opts.ndests, sizeof(*kinds));
	struct zccp_shape shape = {
		.source = j->source.kind,
		.source_bytes = j->source.size_known ? j->source.size :
						       ZCCP_SIZE_UNKNOWN,
		.ndests = j->opts.ndests,
		.checksummed = j->wire.macing || source_digest(j),
		.source_framed = j->wire.framed_source,
		.source_fuse = j->source.fuse,
	};
	int ret;

	if (!kinds)
		return -ENOMEM;
	for (unsigned i = 0; i < j->opts.ndests; i++) {
		kinds[i] = j->dests[i]->kind;
		shape.dests_pseudo |= j->dests[i]->pseudo;
	}
	shape.dests = kinds;
	ret = zccp_plan_make(&j->opts, &shape, &j->probes, &j->plan);
	free(kinds);
	if (ret)
		zccp_error("%s", j->plan.reason);
	return ret;
}

/* -n, as cp: an existing destination is left alone, and that is no
 * failure (coreutils 9.1, Debian 12); -u: one not older than the
 * source (update.h). */
static void skip_existing(struct zccp_endpoint *d,
			  const struct zccp_endpoint *src,
			  const struct zccp_opts *o)
{
	const struct zccp_update_file s = {
		.mtime = src->mtime, .size = src->found_size,
		.type = src->mode & S_IFMT
	}, t = {
		.mtime = d->mtime, .size = d->found_size,
		.type = d->mode & S_IFMT
	};

	if (o->update == ZCCP_UPDATE_ALL || !d->existed ||
	    !zccp_endpoint_active(d) || d->std || d->net)
		return; /* failed, or already left alone (-r: a link) */
	d->up_to_date = !o->no_clobber && !src->std && !src->stream &&
			 zccp_update_keeps(&s, &t);
	if (o->no_clobber || d->up_to_date)
		zccp_endpoint_set(d, ZCCP_EP_SKIPPED, 0);
}

static int open_source(struct zccp_job *j)
{
	const struct zccp_opts *o = &j->opts;

	if (o->listen ? zccp_source_listen(&j->source, o->listen) :
			zccp_source_open(&j->source, o->source,
					 o->in_tree ? dup(o->source_fd) : -1,
					 o->dry_run))
		return -1;
	j->source_opened = true;
	return 0;
}

/* Standard output is for --json or --checksum, or a destination. */
static int check_stdout_free(const struct zccp_job *j)
{
	const struct zccp_opts *o = &j->opts;

	for (unsigned i = 0; (o->checksum || o->json) && i < o->ndests; i++) {
		if (!j->dests[i]->std)
			continue;
		zccp_error("-: --%s prints to standard output, which is a "
			   "destination", o->json ? "json" : "checksum");
		return -1;
	}
	return 0;
}

static int open_endpoints(struct zccp_job *j)
{
	const struct zccp_opts *o = &j->opts;

	if (zccp_wire_prepare(&j->wire, o) || open_source(j))
		return -1;
	j->dest_mem = calloc(o->ndests, sizeof(*j->dest_mem));
	j->dests = calloc(o->ndests, sizeof(*j->dests));
	if (!j->dest_mem || !j->dests) {
		/* none opened: finish, free and --json see no destinations */
		free(j->dest_mem);
		free(j->dests);
		j->dest_mem = NULL;
		j->dests = NULL;
		zccp_error("out of memory");
		return -1;
	}
	for (unsigned i = 0; i < o->ndests; i++) {
		j->dests[i] = &j->dest_mem[i];
		zccp_dest_prepare(j->dests[i], o->dests[i], &j->source, o,
				  o->in_tree ? o->dest_dirfds[i] : -1);
		j->dests[i]->index = (int)i + 1;
		j->wire.macing |= j->dests[i]->framed;
		skip_existing(j->dests[i], &j->source, o);
	}
	if (zccp_check_distinct(&j->source, j->dests, o->ndests) ||
	    check_stdout_free(j))
		return -1;
	if (!o->listen)
		return 0;
	/* Destinations are checked, and nothing waits for a sender that
	 * could not be served: plan, then wait for the sender. */
	j->wire.framed_source = !o->raw;
	j->wire.macing |= j->wire.framed_source;
	if (make_plan(j))
		return -1;
	return zccp_wire_accept(&j->wire, &j->source, o);
}

static int open_zero(struct zccp_endpoint *zero)
{
	*zero = (struct zccp_endpoint){ .arg = "/dev/zero", .kind =
		ZCCP_KIND_CHAR, .stream = true, .engine_fd = -1 };
	zero->fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (zero->fd < 0) {
		zccp_error("/dev/zero: %s", strerror(errno));
		return -errno;
	}
	zero->index = -1;
	return 0;
}

static int start_engine(struct zccp_job *j)
{
	j->layout = (struct zccp_layout){
		.source = &j->source,
		.zero = &j->zero,
		.dests = j->dests,
		.ndests = j->opts.ndests,
		.direct = j->opts.direct,
		.verbose = j->opts.verbose > 1,
	};
	return zccp_copy_start(&j->engine, &j->layout, &j->plan);
}

/* auto falls back to the next engine when one cannot start here. */
static int plan_and_start(struct zccp_job *j)
{
	for (;;) {
		int ret;

		if (make_plan(j))
			return -1;
		ret = start_engine(j);
		if (!ret)
			return 0;
		zccp_probe_fail(&j->probes, j->plan.engine, ret,
				strerror(-ret));
		if (strcmp(j->opts.engine, "auto")) {
			zccp_error("engine %s: %s", j->plan.engine->name,
				   strerror(-ret));
			return -1;
		}
		zccp_detail("engine %s failed to start (%s); trying another",
			  j->plan.engine->name, strerror(-ret));
	}
}

static int setup_endpoints(struct zccp_job *j)
{
	const struct zccp_engine_ops *ops = j->plan.engine;
	int ret;

	ret = ops->setup_endpoint(&j->engine, &j->source);
	if (!ret)
		ret = ops->setup_endpoint(&j->engine, &j->zero);
	if (ret) {
		zccp_report_endpoint(&j->source, ret);
		return ret;
	}
	for (unsigned i = 0; i < j->opts.ndests; i++) {
		struct zccp_endpoint *d = j->dests[i];

		if (!zccp_endpoint_active(d))
			continue;
		ret = ops->setup_endpoint(&j->engine, d);
		if (ret)
			zccp_dest_fail(d, ret);
	}
	return 0;
}

/* Nothing is written before the plan stands and the engine runs. */
static int prepare(struct zccp_job *j)
{
	if (open_endpoints(j) || open_zero(&j->zero) || plan_and_start(j))
		return -1;
	zccp_wire_remotes(&j->wire, j->dests, j->opts.ndests, &j->opts);
	for (unsigned i = 0; i < j->opts.ndests; i++) {
		struct zccp_endpoint *d = j->dests[i];

		if (!zccp_endpoint_active(d))
			continue;
		if (d->remote)
			d->source = &j->source;
		else if (zccp_dest_open(d, &j->source, &j->opts))
			continue;
		if (d->framed && zccp_endpoint_active(d))
			zccp_wire_begin(&j->wire, d, &j->source,
					j->opts.timeout_ms);
	}
	return setup_endpoints(j);
}

/*
 * Complete destinations were put in place as they finished; whatever
 * is left did not finish: remove its temporary.
 */
static unsigned finish(struct zccp_job *j)
{
	unsigned failed = 0;

	for (unsigned i = 0; j->dests && i < j->opts.ndests; i++) {
		struct zccp_endpoint *d = j->dests[i];

		if (!zccp_endpoint_committed(d) && !zccp_endpoint_skipped(d)) {
			failed++;
			/* Said: it was changed, and is not the source. */
			if (!zccp_endpoint_failed(d) &&
			    zccp_dest_written_in_place(d))
				zccp_endpoint_fail(d, -ZCCP_EPARTIAL);
			zccp_dest_discard(d);
		}
		zccp_endpoint_close(d);
	}
	return failed;
}

/* Seal every destination (size, data, a name beside it), or end its
 * stream; with --on-error=abort, false at the first failure. */
static bool seal_all(struct zccp_job *j, uint64_t size, bool all)
{
	for (unsigned i = 0; i < j->opts.ndests; i++) {
		struct zccp_endpoint *d = j->dests[i];
		int ret;

		if (!zccp_endpoint_active(d))
			continue;
		ret = d->framed ? zccp_wire_end(&j->wire, d) :
				  zccp_dest_seal(d, size, &j->opts);
		if (ret) {
			zccp_endpoint_fail(d, ret);
			if (all)
				return false;
		}
	}
	return true;
}

/*
 * After the copy (commit_deferred): seal every destination, read back
 * what --verify can, then rename.  With --on-error=abort it is all or
 * nothing: one failure and none is renamed.
 */
static void commit_after_run(struct zccp_job *j, uint64_t size)
{
	bool all = j->opts.on_error == ZCCP_ON_ERROR_ABORT;

	if (!seal_all(j, size, all))
		return;
	if (j->opts.verify &&
	    zccp_verify_dests(j->dests, j->opts.ndests, size,
			      j->checksum.algo, j->source_hex) && all)
		return;
	if (all) {
		zccp_dests_publish_all(j->dests, j->opts.ndests, &j->opts);
		return;
	}
	for (unsigned i = 0; i < j->opts.ndests; i++) {
		struct zccp_endpoint *d = j->dests[i];
		int ret;

		if (!zccp_endpoint_active(d) || d->framed)
			continue;
		ret = zccp_dest_publish(d, &j->opts);
		if (ret)
			zccp_endpoint_fail(d, ret);
	}
}

/*
 * --reflink: a clone is complete at once, so it is put in place now
 * (all or nothing waits for the others), and the ring never sees it.
 */
static void clone_dest(struct zccp_job *j, struct zccp_endpoint *d)
{
	double start = zccp_now();
	int ret = zccp_reflink_clone(d, &j->source, &j->opts);

	if (ret) {
		if (j->opts.reflink == ZCCP_WHEN_ALWAYS) {
			zccp_report_uncloned(d); /* says why, not ret */
			zccp_endpoint_set(d, ZCCP_EP_FAILED, ret);
			zccp_dest_discard(d);
		}
		return; /* auto: the ring copies it */
	}
	if (!commit_deferred(j))
		ret = zccp_dest_commit(d, d->bytes, &j->opts);
	d->seconds = zccp_now() - start;
	if (ret)
		zccp_dest_fail(d, ret);
}

/* Nothing can stop us now: truncate --inplace files, then clone. */
static void begin_dests(struct zccp_job *j)
{
	for (unsigned i = 0; i < j->opts.ndests; i++) {
		struct zccp_endpoint *d = j->dests[i];

		if (!zccp_endpoint_active(d))
			continue;
		zccp_dest_begin(d, &j->opts);
		if (!zccp_endpoint_failed(d))
			clone_dest(j, d);
	}
}

/* A destination holds every byte: put it in place, or end its stream. */
static int dest_done(void *ctx, struct zccp_endpoint *d, uint64_t size)
{
	struct zccp_job *j = ctx;

	/* Tests read -g's "finishing" here, every byte written. */
	zccp_test_pause("ZCCP_TEST_COMMIT_PAUSE");
	if (d->framed)
		return zccp_wire_end(&j->wire, d);
	return zccp_dest_commit(d, size, &j->opts);
}

static int start_stream_work(struct zccp_job *j)
{
	int ret = zccp_wire_start(&j->wire, &j->source, j->dests,
				  j->opts.ndests, &j->opts);

	if (!ret && source_digest(j))
		ret = zccp_digest_init(&j->checksum, j->opts.checksum_algo);
	if (ret)
		zccp_error("%s", strerror(-ret));
	return ret;
}

static void start_progress(struct zccp_job *j)
{
	uint64_t total = j->source.size_known ? j->source.size :
			 j->wire.header.size_known ? j->wire.header.size :
						     ZCCP_SIZE_UNKNOWN;
	int ret = zccp_progress_start(&j->progress, j->opts.progress,
				      j->dests, j->opts.ndests, total,
				      (j->opts.fsync ? ZCCP_PROGRESS_FSYNC : 0) |
				      (j->opts.verify ? ZCCP_PROGRESS_VERIFY : 0));

	if (ret) /* the copy matters more than its progress */
		zccp_warn("--progress: %s", strerror(-ret));
}

/* Up to the ring: ZCCP_EXIT_OK to go on, else the status to stop with. */
static int get_ready(struct zccp_job *j)
{
	bool abort_mode = j->opts.on_error == ZCCP_ON_ERROR_ABORT;

	if (prepare(j))
		return ZCCP_EXIT_USAGE;
	if (abort_mode && any_failed(j))
		return ZCCP_EXIT_PARTIAL;
	begin_dests(j);
	/* --reflink=always may have failed one: nothing is renamed yet. */
	if (abort_mode && any_failed(j))
		return ZCCP_EXIT_PARTIAL;
	zccp_report_plan(&j->plan, &j->source, j->dests, j->opts.ndests);
	if (start_stream_work(j))
		return ZCCP_EXIT_USAGE;
	return ZCCP_EXIT_OK;
}

static int resume_source(void *ctx, uint64_t held)
{
	struct zccp_job *j = ctx;

	return zccp_wire_resume(&j->wire, &j->source, held, &j->opts);
}

static int reroute_dest(void *ctx, struct zccp_endpoint *d, int err,
			uint64_t *held)
{
	struct zccp_job *j = ctx;

	return zccp_wire_reroute(&j->wire, d, &j->source, err, held,
				 j->opts.timeout_ms);
}

/* The ring itself; 0 when the copy reached the source's end. */
static int run_ring(struct zccp_job *j)
{
	struct zccp_copy_result res;
	struct zccp_copy_hooks hooks = {
		.done = commit_deferred(j) ? NULL : dest_done,
		.ctx = j,
		.mac = j->wire.macing ? &j->wire.mac : NULL,
		.checksum = source_digest(j) ? &j->checksum : NULL,
		.source_header = j->wire.framed_source ? &j->wire.header :
							 NULL,
		.resume = j->opts.serve_listener ? resume_source : NULL,
		.reroute = reroute_dest,
	};
	int ret;

	start_progress(j);
	ret = zccp_copy_run(&j->engine, &j->plan, &j->opts, &hooks, &res);
	zccp_progress_ended(&j->progress);
	zccp_wire_stop(&j->wire);
	j->received = res.bytes;
	j->source_error = res.source_error;
	if (ret)
		zccp_error("copy stopped: %s", strerror(-ret));
	else if (res.engine_error)
		zccp_error("engine %s: %s", j->plan.engine->name,
			   strerror(-res.engine_error));
	if (source_digest(j))
		zccp_digest_hex(&j->checksum, j->source_hex);
	return ret ? ret : res.source_error ? res.source_error :
						res.engine_error;
}

/* --checksum: "DIGEST  NAME", as sha256sum and xxh128sum print it. */
static void print_checksum(struct zccp_job *j)
{
	printf("%s  %s\n", j->source_hex, j->opts.listen ? j->source.path :
		j->opts.source);
	fflush(stdout);
}

static int copy(struct zccp_job *j)
{
	unsigned failed;
	int status, ret;

	j->started = zccp_now();
	status = get_ready(j);
	if (status) {
		finish(j);
		return status;
	}
	ret = run_ring(j);
	if (!ret && commit_deferred(j) &&
	    !(j->opts.on_error == ZCCP_ON_ERROR_ABORT && any_failed(j)))
		commit_after_run(j, j->received);
	zccp_wire_await_replies(&j->wire, j->dests, j->opts.ndests,
				j->received, j->opts.timeout_ms);
	zccp_progress_stop(&j->progress); /* its "(done)": all in place */
	failed = finish(j);
	for (unsigned i = 0; i < j->opts.ndests; i++) /* -v, as cp -v */
		if (zccp_endpoint_committed(j->dests[i]))
			zccp_copied(j->source.std ? "-" : j->source.arg,
				    zccp_endpoint_name(j->dests[i]));
	if (j->opts.stats)
		zccp_report_stats(&j->plan, j->dests, j->opts.ndests,
				  j->dests[0]->seconds);
	if (ret)
		return ZCCP_EXIT_USAGE;
	if (j->opts.checksum && !j->opts.json)
		print_checksum(j);
	return failed ? ZCCP_EXIT_PARTIAL : ZCCP_EXIT_OK;
}

/* --dry-run: as far as a copy goes before it writes, then the plan. */
static int dry_run(struct zccp_job *j)
{
	j->started = zccp_now();
	if (open_endpoints(j) || make_plan(j))
		return ZCCP_EXIT_USAGE;
	return zccp_dry_run(stdout, &j->plan, &j->source, j->dests,
			    j->opts.ndests, &j->opts) ?
		       ZCCP_EXIT_PARTIAL : ZCCP_EXIT_OK;
}

int zccp_job_run(struct zccp_job *j)
{
	return j->opts.dry_run ? dry_run(j) : copy(j);
}

bool zccp_job_summary(const struct zccp_job *j, int status,
		      struct zccp_summary *s)
{
	for (unsigned i = 0; i < j->opts.ndests; i++)
		if (!strcmp(j->opts.dests[i], "-"))
			return false; /* refused: stdout is a destination */
	*s = (struct zccp_summary){
		.status = status,
		.source = &j->source,
		.source_opened = j->source_opened,
		.dests = j->dests,
		.dest_args = j->opts.dests,
		.ndests = j->opts.ndests,
		.engine = j->engine.ops ? j->engine.ops->name : NULL,
		.verify = j->opts.verify,
		.bytes = j->received,
		.source_error = j->source_error ? j->source_error :
						  j->source.error,
		.seconds = zccp_now() - j->started,
	};
	if (source_digest(j) && status != ZCCP_EXIT_USAGE) {
		s->digest_algo = zccp_digest_name(j->checksum.algo);
		s->digest_hex = j->source_hex;
	}
	return true;
}

void zccp_job_reply(struct zccp_job *j, int status)
{
	zccp_wire_reply(&j->wire, &j->source, status, j->opts.ndests,
			j->received, j->opts.timeout_ms);
}

int zccp_job_outcome(const struct zccp_job *j, unsigned i)
{
	const struct zccp_endpoint *d = j->dests ? j->dests[i] : NULL;

	return d && zccp_endpoint_committed(d) ? 0 :
	       d && zccp_endpoint_skipped(d) ? 1 :
	       d && d->error ? d->error :
	       j->source.error ? j->source.error : -ECANCELED;
}

double zccp_job_seconds(const struct zccp_job *j, unsigned i)
{
	return j->dests ? j->dests[i]->seconds : 0;
}

uint64_t zccp_job_bytes(const struct zccp_job *j)
{
	return j->received;
}

void zccp_job_free(struct zccp_job *j)
{
	if (!j)
		return;
	zccp_copy_stop(&j->engine, &j->layout);
	for (unsigned i = 0; j->dests && i < j->opts.ndests; i++)
		zccp_endpoint_free(j->dests[i]);
	zccp_endpoint_free(&j->source);
	zccp_endpoint_free(&j->zero);
	zccp_wire_free(&j->wire);
	if (j->checksum.state)
		zccp_digest_free(&j->checksum);
	free(j->dests);
	free(j->dest_mem);
	free(j);
}
