// SPDX-License-Identifier: MIT
/* Wiring only: options, endpoints, plan, engine, copy, commit. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "zccp/copy.h"
#include "zccp/dryrun.h"
#include "zccp/net.h"
#include "zccp/progress.h"
#include "zccp/reflink.h"
#include "zccp/report.h"
#include "zccp/stream.h"
#include "zccp/summary.h"
#include "zccp/tree.h"
#include "zccp/verify.h"
#include "zccp/watchdog.h"

struct run {
	struct zccp_opts opts;
	struct zccp_endpoint source, zero;
	struct zccp_endpoint *dest_mem;
	struct zccp_endpoint **dests;
	struct zccp_probes probes;
	struct zccp_plan plan;
	struct zccp_layout layout;
	struct zccp_engine engine;
	size_t chunk_bytes;
	/* zccp streams: sent to framed destinations, or received. */
	bool framed_source, hashing;
	struct zccp_stream_header header;
	struct zccp_stream_hash hash;
	struct zccp_watchdog watchdog;
	struct zccp_watch *watches;
	struct zccp_progress progress;
	uint64_t received; /* payload bytes, for the reply */
	/* The source's digest, for --checksum and --verify. */
	struct zccp_digest checksum;
	char source_hex[ZCCP_DIGEST_HEX_MAX];
	/* For --json. */
	double started;
	int source_error;
	bool source_opened;
};

static bool source_digest(const struct run *r)
{
	return r->opts.checksum || r->opts.verify;
}

/* --on-error=abort and --verify put destinations in place only after
 * the copy. */
static bool commit_deferred(const struct run *r)
{
	return r->opts.on_error == ZCCP_ON_ERROR_ABORT || r->opts.verify;
}

/* Remove named temporaries, then die of the signal as the shell expects. */
static void on_fatal_signal(int sig)
{
	zccp_dests_discard_from_signal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_fatal_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A closed pipe fails that destination (EPIPE), not zccp; so does
	 * a file past ulimit -f (EFBIG). */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
}

/* Per destination: its own descriptor, an O_DIRECT twin, a progress
 * thread's; plus engines' and --verify's few. */
static void raise_nofile(unsigned ndests)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)ndests * 3 + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static int make_plan(struct run *r);

/* --listen: nothing waits for a sender that could not be served. */
static int accept_source(struct run *r)
{
	int ret;

	r->framed_source = !r->opts.raw;
	r->hashing |= r->framed_source;
	if (make_plan(r))
		return -1;
	ret = zccp_source_accept(&r->source, r->opts.timeout_ms);
	if (ret || r->opts.raw)
		return ret;
	ret = zccp_stream_accept(&r->source, &r->header, r->opts.timeout_ms);
	if (ret)
		zccp_report_endpoint(&r->source, ret);
	else if (r->header.size_known)
		zccp_info("%s: zccp stream of %" PRIu64 " bytes",
			  r->source.path, r->header.size);
	else
		zccp_info("%s: zccp stream of unknown size", r->source.path);
	return ret;
}

/* -n, as cp: an existing destination is left alone, and that is no
 * failure (coreutils 9.1, Debian 12). */
static void skip_existing(struct zccp_endpoint *d, const struct zccp_opts *o)
{
	if (!o->no_clobber || !d->existed || d->failed || d->std || d->net)
		return;
	d->skipped = true;
}

static int open_endpoints(struct run *r)
{
	struct zccp_opts *o = &r->opts;

	if (o->listen ? zccp_source_listen(&r->source, o->listen) :
			zccp_source_open(&r->source, o->source,
					 o->in_tree ? dup(o->source_fd) : -1,
					 o->dry_run))
		return -1;
	r->source_opened = true;
	r->dest_mem = calloc(o->ndests, sizeof(*r->dest_mem));
	r->dests = calloc(o->ndests, sizeof(*r->dests));
	if (!r->dest_mem || !r->dests) {
		zccp_error("out of memory");
		return -1;
	}
	for (unsigned i = 0; i < o->ndests; i++) {
		r->dests[i] = &r->dest_mem[i];
		zccp_dest_prepare(r->dests[i], o->dests[i], &r->source, o,
				  o->in_tree ? o->dest_dirfds[i] : -1);
		r->dests[i]->index = (int)i + 1;
		r->hashing |= r->dests[i]->framed;
		skip_existing(r->dests[i], o);
	}
	if (zccp_check_distinct(&r->source, r->dests, o->ndests))
		return -1;
	for (unsigned i = 0; (o->checksum || o->json) && i < o->ndests; i++) {
		if (!r->dests[i]->std)
			continue;
		zccp_error("-: --%s prints to standard output, which is a "
			   "destination", o->json ? "json" : "checksum");
		return -1;
	}
	/* Destinations are checked: now wait for the sender. */
	return o->listen ? accept_source(r) : 0;
}

static int make_plan(struct run *r)
{
	enum zccp_kind *kinds = calloc(r->opts.ndests, sizeof(*kinds));
	struct zccp_shape shape = {
		.source = r->source.kind,
		.source_bytes = r->source.size_known ? r->source.size :
						       ZCCP_SIZE_UNKNOWN,
		.ndests = r->opts.ndests,
		.checksummed = r->hashing || source_digest(r),
		.source_framed = r->framed_source,
		.source_fuse = r->source.fuse,
	};
	int ret;

	if (!kinds)
		return -ENOMEM;
	for (unsigned i = 0; i < r->opts.ndests; i++)
		kinds[i] = r->dests[i]->kind;
	shape.dests = kinds;
	ret = zccp_plan_make(&r->opts, &shape, &r->probes, &r->plan);
	free(kinds);
	if (ret)
		zccp_error("%s", r->plan.reason);
	return ret;
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

static int start_engine(struct run *r)
{
	const struct zccp_engine_ops *ops = r->plan.engine;
	struct zccp_layout *l = &r->layout;
	int ret;

	*l = (struct zccp_layout){
		.nchunks = r->plan.nchunks,
		.chunk_size = r->plan.chunk_size,
		.source = &r->source,
		.zero = &r->zero,
		.dests = r->dests,
		.ndests = r->opts.ndests,
		.max_inflight = r->plan.nchunks * (r->opts.ndests + 1),
		.direct = r->opts.direct,
		.verbose = r->opts.verbose > 0,
	};
	if (ops->caps & ZCCP_CAP_USER_BUFFER) {
		r->chunk_bytes = (size_t)l->nchunks * l->chunk_size;
		l->chunk_mem = mmap(NULL, r->chunk_bytes,
				    PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (l->chunk_mem == MAP_FAILED) {
			l->chunk_mem = NULL;
			return -errno;
		}
	}
	r->engine = (struct zccp_engine){ .ops = ops, .layout = l };
	ret = ops->init(&r->engine);
	if (ret && l->chunk_mem) {
		munmap(l->chunk_mem, r->chunk_bytes);
		l->chunk_mem = NULL;
	}
	return ret;
}

/* auto falls back to the next engine when one cannot start here. */
static int plan_and_start(struct run *r)
{
	for (;;) {
		int ret;

		if (make_plan(r))
			return -1;
		ret = start_engine(r);
		if (!ret)
			return 0;
		zccp_probe_fail(&r->probes, r->plan.engine, ret,
				strerror(-ret));
		if (strcmp(r->opts.engine, "auto")) {
			zccp_error("engine %s: %s", r->plan.engine->name,
				   strerror(-ret));
			return -1;
		}
		zccp_info("engine %s failed to start (%s); trying another",
			  r->plan.engine->name, strerror(-ret));
	}
}

static int setup_endpoints(struct run *r)
{
	const struct zccp_engine_ops *ops = r->plan.engine;
	int ret;

	ret = ops->setup_endpoint(&r->engine, &r->source);
	if (!ret)
		ret = ops->setup_endpoint(&r->engine, &r->zero);
	if (ret) {
		zccp_report_endpoint(&r->source, ret);
		return ret;
	}
	for (unsigned i = 0; i < r->opts.ndests; i++) {
		struct zccp_endpoint *d = r->dests[i];

		if (!zccp_endpoint_active(d))
			continue;
		ret = ops->setup_endpoint(&r->engine, d);
		if (ret) {
			zccp_endpoint_fail(d, ret);
			zccp_dest_discard(d);
		}
	}
	return 0;
}

/*
 * Complete destinations were put in place as they finished; whatever
 * is left did not finish: remove its temporary.
 */
static unsigned finish(struct run *r)
{
	unsigned failed = 0;

	for (unsigned i = 0; r->dests && i < r->opts.ndests; i++) {
		struct zccp_endpoint *d = r->dests[i];

		if (!d->committed && !d->skipped) {
			failed++;
			/* Said: it was changed, and is not the source. */
			if (!d->failed && zccp_dest_written_in_place(d))
				zccp_endpoint_fail(d, -ZCCP_EPARTIAL);
			zccp_dest_discard(d);
		}
		zccp_endpoint_close(d);
	}
	return failed;
}

static bool any_failed(const struct run *r)
{
	for (unsigned i = 0; i < r->opts.ndests; i++)
		if (r->dests[i]->failed)
			return true;
	return false;
}

static void run_free(struct run *r)
{
	zccp_engine_stop(&r->engine); /* notes for -v, then cleanup */
	if (r->layout.chunk_mem)
		munmap(r->layout.chunk_mem, r->chunk_bytes);
	for (unsigned i = 0; r->dests && i < r->opts.ndests; i++)
		zccp_endpoint_free(r->dests[i]);
	zccp_endpoint_free(&r->source);
	zccp_endpoint_free(&r->zero);
	free(r->watches);
	if (r->hash.state)
		zccp_stream_hash_free(&r->hash);
	if (r->checksum.state)
		zccp_digest_free(&r->checksum);
	free(r->dests);
	free(r->dest_mem);
}

/*
 * After the copy (commit_deferred): seal every destination (size, data,
 * a name beside it), read back what --verify can, then rename.  With
 * --on-error=abort it is all or nothing: one failure and none is
 * renamed.
 */
static void commit_after_run(struct run *r, uint64_t size)
{
	bool all = r->opts.on_error == ZCCP_ON_ERROR_ABORT;

	for (unsigned i = 0; i < r->opts.ndests; i++) {
		struct zccp_endpoint *d = r->dests[i];
		int ret;

		if (!zccp_endpoint_active(d))
			continue;
		ret = d->framed ? zccp_stream_end(d, &r->hash) :
				  zccp_dest_seal(d, size, &r->opts);
		if (ret) {
			zccp_endpoint_fail(d, ret);
			if (all)
				return;
		}
	}
	if (r->opts.verify &&
	    zccp_verify_dests(r->dests, r->opts.ndests, size,
			      r->checksum.algo, r->source_hex) && all)
		return;
	if (all) {
		zccp_dests_publish_all(r->dests, r->opts.ndests, &r->opts);
		return;
	}
	for (unsigned i = 0; i < r->opts.ndests; i++) {
		struct zccp_endpoint *d = r->dests[i];
		int ret;

		if (!zccp_endpoint_active(d) || d->framed)
			continue;
		ret = zccp_dest_publish(d, &r->opts);
		if (ret)
			zccp_endpoint_fail(d, ret);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void dest_fail(struct zccp_endpoint *d, int err)
{
	d->failed = true;
	d->error = err;
	zccp_dest_discard(d);
}

/*
 * --reflink: a clone is complete at once, so it is put in place now
 * (all or nothing waits for the others), and the ring never sees it.
 */
static void clone_dest(struct run *r, struct zccp_endpoint *d)
{
	double start = now();
	int ret = zccp_reflink_clone(d, &r->source, &r->opts);

	if (ret) {
		if (r->opts.reflink == ZCCP_WHEN_ALWAYS) {
			zccp_report_uncloned(d);
			dest_fail(d, ret);
		}
		return; /* auto: the ring copies it */
	}
	if (!commit_deferred(r))
		ret = zccp_dest_commit(d, d->bytes, &r->opts);
	d->seconds = now() - start;
	if (ret) {
		zccp_report_endpoint(d, ret);
		dest_fail(d, ret);
	}
}

/* Nothing can stop us now: truncate --inplace files, then clone. */
static void begin_dests(struct run *r)
{
	for (unsigned i = 0; i < r->opts.ndests; i++) {
		struct zccp_endpoint *d = r->dests[i];

		if (d->skipped)
			continue;
		zccp_dest_begin(d, &r->opts);
		if (!d->failed)
			clone_dest(r, d);
	}
}

/* Nothing is written before the plan stands and the engine runs. */
static int prepare(struct run *r)
{
	if (open_endpoints(r) || open_zero(&r->zero) || plan_and_start(r))
		return -1;
	for (unsigned i = 0; i < r->opts.ndests; i++) {
		struct zccp_endpoint *d = r->dests[i];
		int ret;

		if (!zccp_endpoint_active(d) ||
		    zccp_dest_open(d, &r->source, &r->opts) ||
		    !d->framed)
			continue;
		ret = zccp_stream_begin(d, &r->source, r->opts.timeout_ms);
		if (ret) {
			zccp_report_endpoint(d, ret);
			dest_fail(d, ret);
		}
	}
	return setup_endpoints(r);
}

/* --dry-run: as far as a copy goes before it writes, then the plan. */
static int dry_run(struct run *r)
{
	if (open_endpoints(r) || make_plan(r))
		return ZCCP_EXIT_USAGE;
	return zccp_dry_run(stdout, &r->plan, &r->source, r->dests,
			    r->opts.ndests, &r->opts) ?
		       ZCCP_EXIT_PARTIAL : ZCCP_EXIT_OK;
}

/* A destination holds every byte: put it in place, or end its stream. */
static int dest_done(void *ctx, struct zccp_endpoint *d, uint64_t size)
{
	struct run *r = ctx;

	if (d->framed)
		return zccp_stream_end(d, &r->hash);
	return zccp_dest_commit(d, size, &r->opts);
}

/* A zccp stream's destination is complete once its receiver says so. */
static void await_replies(struct run *r)
{
	for (unsigned i = 0; i < r->opts.ndests; i++) {
		struct zccp_endpoint *d = r->dests[i];
		int ret;

		if (!d->awaiting_reply)
			continue;
		ret = zccp_stream_await_reply(d, &r->hash, r->opts.timeout_ms);
		if (ret) {
			zccp_report_endpoint(d, ret);
			dest_fail(d, ret);
		}
	}
}

/* What only the kernel cannot time out: a --listen source that goes
 * idle, a unix: destination that stops reading (TCP_USER_TIMEOUT does
 * for tcp). */
static bool needs_watch(const struct zccp_endpoint *ep)
{
	return ep->net && !ep->failed && ep->fd >= 0 &&
	       !zccp_net_is_tcp(ep->fd);
}

static int start_watchdog(struct run *r)
{
	unsigned n = 0;

	if (!r->opts.timeout_ms)
		return 0;
	r->watches = calloc(r->opts.ndests + 1, sizeof(*r->watches));
	if (!r->watches)
		return -ENOMEM;
	if (r->opts.listen) {
		r->source.watch = &r->watches[n++];
		zccp_watch_init(r->source.watch, r->source.fd, false);
	}
	for (unsigned i = 0; i < r->opts.ndests; i++) {
		struct zccp_endpoint *d = r->dests[i];

		if (!needs_watch(d))
			continue;
		d->watch = &r->watches[n++];
		zccp_watch_init(d->watch, d->fd, false);
	}
	return zccp_watchdog_start(&r->watchdog, r->watches, n,
				   r->opts.timeout_ms);
}

static int start_stream_work(struct run *r)
{
	int ret = 0;

	if (r->hashing)
		ret = zccp_stream_hash_init(&r->hash);
	if (!ret && source_digest(r))
		ret = zccp_digest_init(&r->checksum, r->opts.checksum_algo);
	if (!ret)
		ret = start_watchdog(r);
	if (ret)
		zccp_error("%s", strerror(-ret));
	return ret;
}

static void start_progress(struct run *r)
{
	uint64_t total = r->source.size_known ? r->source.size :
			 r->header.size_known ? r->header.size :
						ZCCP_SIZE_UNKNOWN;
	int ret = zccp_progress_start(&r->progress, r->opts.progress,
				      r->dests, r->opts.ndests, total,
				      r->opts.fsync);

	if (ret) /* the copy matters more than its progress */
		zccp_warn("--progress: %s", strerror(-ret));
}

/* --checksum: "DIGEST  NAME", as sha256sum and xxh128sum print it. */
static void print_checksum(struct run *r)
{
	printf("%s  %s\n", r->source_hex, r->opts.listen ? r->source.path :
		r->opts.source);
	fflush(stdout);
}

static int copy(struct run *r)
{
	bool abort_mode = r->opts.on_error == ZCCP_ON_ERROR_ABORT;
	struct zccp_copy_result res;
	struct zccp_copy_hooks hooks = {
		.done = commit_deferred(r) ? NULL : dest_done,
		.ctx = r,
	};
	unsigned failed;
	int ret;

	r->started = now();
	if (prepare(r)) {
		finish(r);
		return ZCCP_EXIT_USAGE;
	}
	if (abort_mode && any_failed(r)) {
		finish(r);
		return ZCCP_EXIT_PARTIAL;
	}
	begin_dests(r);
	/* --reflink=always may have failed one: nothing is renamed yet. */
	if (abort_mode && any_failed(r)) {
		finish(r);
		return ZCCP_EXIT_PARTIAL;
	}
	zccp_report_plan(&r->plan, &r->source, r->dests, r->opts.ndests);
	if (start_stream_work(r)) {
		finish(r);
		return ZCCP_EXIT_USAGE;
	}
	hooks.hash = r->hashing ? &r->hash : NULL;
	hooks.checksum = source_digest(r) ? &r->checksum : NULL;
	hooks.source_header = r->framed_source ? &r->header : NULL;
	start_progress(r);
	ret = zccp_copy_run(&r->engine, &r->plan, &r->opts, &hooks, &res);
	zccp_progress_stop(&r->progress);
	zccp_watchdog_stop(&r->watchdog);
	r->received = res.bytes;
	r->source_error = res.source_error;
	if (ret)
		zccp_error("copy stopped: %s", strerror(-ret));
	else if (res.engine_error)
		zccp_error("engine %s: %s", r->plan.engine->name,
			   strerror(-res.engine_error));
	if (source_digest(r))
		zccp_digest_hex(&r->checksum, r->source_hex);
	if (!ret && !res.source_error && !res.engine_error &&
	    commit_deferred(r) && !(abort_mode && any_failed(r)))
		commit_after_run(r, res.bytes);
	await_replies(r);
	failed = finish(r);
	if (r->opts.stats)
		zccp_report_stats(&r->plan, r->dests, r->opts.ndests,
				  r->dests[0]->seconds);
	if (ret || res.source_error || res.engine_error)
		return ZCCP_EXIT_USAGE;
	if (r->opts.checksum && !r->opts.json)
		print_checksum(r);
	return failed ? ZCCP_EXIT_PARTIAL : ZCCP_EXIT_OK;
}

/* --json: what happened, whatever happened. */
static void print_summary(struct run *r, int status)
{
	struct zccp_summary s = {
		.status = status,
		.source = &r->source,
		.source_opened = r->source_opened,
		.dests = r->dests,
		.dest_args = r->opts.dests,
		.ndests = r->opts.ndests,
		.engine = r->engine.ops ? r->plan.engine->name : NULL,
		.bytes = r->received,
		.source_error = r->source_error ? r->source_error :
						  r->source.error,
		.seconds = now() - r->started,
	};

	for (unsigned i = 0; i < r->opts.ndests; i++)
		if (!strcmp(r->opts.dests[i], "-"))
			return; /* refused: stdout is a destination */
	if (source_digest(r) && status != ZCCP_EXIT_USAGE) {
		s.digest_algo = zccp_digest_name(r->checksum.algo);
		s.digest_hex = r->source_hex;
	}
	zccp_summary_print(stdout, &s);
}

/* -r: one file of the tree, as a copy of its own. */
static int copy_tree_file(void *ctx, const char *src, int src_fd,
			  const char *const *dests, const int *dirfds,
			  unsigned n, int *result, uint64_t *bytes)
{
	struct run sub = { .opts = *(const struct zccp_opts *)ctx };
	int status;

	sub.opts.source = src;
	sub.opts.source_fd = src_fd;
	sub.opts.dest_dirfds = dirfds;
	sub.opts.in_tree = true;
	sub.opts.dests = (const char **)dests;
	sub.opts.ndests = n;
	status = copy(&sub);
	for (unsigned i = 0; i < n; i++) {
		const struct zccp_endpoint *d = sub.dests ? sub.dests[i] : NULL;

		result[i] = d && d->committed ? 0 : d && d->skipped ? 1 :
			    d && d->error ? d->error :
			    sub.source.error ? sub.source.error : -ECANCELED;
	}
	*bytes = sub.received;
	run_free(&sub);
	return status;
}

/* -r with a directory: the tree to every root; else a copy of one. */
static int copy_tree(struct zccp_opts *opts, bool *was_tree)
{
	struct zccp_tree_root *roots;
	struct stat st;
	double started = now();
	int status;

	*was_tree = !stat(opts->source, &st) && S_ISDIR(st.st_mode);
	if (!*was_tree)
		return 0;
	roots = calloc(opts->ndests, sizeof(*roots));
	if (!roots) {
		zccp_error("%s", strerror(ENOMEM));
		return ZCCP_EXIT_USAGE;
	}
	for (unsigned i = 0; i < opts->ndests; i++)
		roots[i].arg = opts->dests[i];
	status = zccp_tree_copy(opts->source, roots, opts->ndests, opts,
				copy_tree_file, opts);
	if (opts->json)
		zccp_summary_print_tree(stdout, status, opts->source, roots,
					opts->ndests, now() - started);
	zccp_tree_free(roots, opts->ndests);
	free(roots);
	return status;
}

/* What we printed on stdout (--checksum, --json, --dry-run) must have
 * arrived; if not, say so and fail, as coreutils' close_stdout does. */
static int check_stdout(int status)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return status;
	zccp_error("standard output: write error%s%s",
		   errno ? ": " : "", errno ? strerror(errno) : "");
	return status == ZCCP_EXIT_OK ? ZCCP_EXIT_PARTIAL : status;
}

int main(int argc, char **argv)
{
	struct run r = { 0 };
	int status;

	if (zccp_guard_standard_fds())
		return ZCCP_EXIT_USAGE;
	switch (zccp_cli_parse(argc, argv, &r.opts)) {
	case ZCCP_CLI_EXIT_OK:
		return ZCCP_EXIT_OK;
	case ZCCP_CLI_ERROR:
		return ZCCP_EXIT_USAGE;
	case ZCCP_CLI_RUN:
		break;
	}
	zccp_report_init(r.opts.verbose, r.opts.quiet);
	install_signals();
	raise_nofile(r.opts.ndests);
	if (r.opts.recursive) {
		bool was_tree;

		status = copy_tree(&r.opts, &was_tree);
		if (was_tree)
			return check_stdout(status);
	}
	status = r.opts.dry_run ? dry_run(&r) : copy(&r);
	if (r.opts.json)
		print_summary(&r, status);
	/* The sender learns how its stream went, even when it went wrong. */
	if (r.framed_source)
		zccp_stream_reply(&r.source,
				  status == ZCCP_EXIT_OK ? 0 : r.opts.ndests,
				  r.received, r.opts.timeout_ms);
	run_free(&r);
	return check_stdout(status);
}
