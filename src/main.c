// SPDX-License-Identifier: MIT
/*
 * zccp's process: parse, guard the standard descriptors, signals, then
 * one job (job.h) or a tree (tree.h), the --json summary and the exit
 * status.  The copy itself is the job's.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "zccp/clock.h"
#include "zccp/job.h"
#include "zccp/remote.h"
#include "zccp/report.h"
#include "zccp/summary.h"
#include "zccp/tree.h"

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

/* --json among the options (before a "--"), whatever else is wrong. */
static bool json_asked(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			return true;
	return false;
}

/* Nothing of ours goes to standard output: -v's lines may (report.h). */
static bool stdout_free(const struct zccp_opts *opts)
{
	for (unsigned i = 0; i < opts->ndests; i++)
		if (!strcmp(opts->dests[i], "-"))
			return false;
	return !opts->json && !opts->checksum && !opts->dry_run &&
	       !opts->serve;
}

/* -r with a directory: the tree to every root; else a copy of one. */
static int copy_tree(struct zccp_opts *opts, bool *was_tree)
{
	struct zccp_tree_source source = { 0 };
	struct zccp_tree_root *roots;
	struct stat st;
	double started = zccp_now();
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
	status = zccp_tree_copy(opts->source, &source, roots, opts->ndests,
				opts);
	if (opts->json && !opts->dry_run) { /* a plan is its own object */
		const struct zccp_tree_summary t = {
			.status = status, .path = opts->source,
			.source = &source, .roots = roots, .n = opts->ndests,
			.engine = strcmp(opts->engine, "auto") ? opts->engine :
								 NULL,
			.verify = opts->verify, .seconds = zccp_now() - started,
		};

		zccp_summary_print_tree(stdout, &t);
	}
	zccp_tree_free(&source, roots, opts->ndests);
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

/* One copy: its --json summary, then the reply to a stream's sender. */
static int copy_one(const struct zccp_opts *opts)
{
	struct zccp_job *job;
	struct zccp_summary s;
	int status;

	if (zccp_job_create(&job, opts)) {
		zccp_error("%s", strerror(ENOMEM));
		return ZCCP_EXIT_USAGE;
	}
	status = zccp_job_run(job);
	if (opts->json && zccp_job_summary(job, status, &s))
		zccp_summary_print(stdout, &s);
	/* Its PATH alone (the others are the hosts it forwards to, which
	 * speak for themselves), before the reply moves the sender on. */
	if (opts->serve)
		zccp_serve_result(zccp_job_outcome(job, 0),
				  zccp_job_bytes(job), zccp_job_seconds(job, 0));
	/* The sender learns how its stream went, even when it went wrong. */
	zccp_job_reply(job, status);
	zccp_job_free(job);
	return status;
}

/* --serve: the key and the targets from ssh's channel, and a listener
 * where it came in (remote.h). */
static int serve_setup(struct zccp_opts *opts, struct zccp_serve *serve)
{
	int ret = zccp_serve_begin(serve, opts->dests[0]);

	if (ret) {
		zccp_error("--serve: %s", ret == -ZCCP_ENOSERVE ?
			   "only an ssh:// sender starts it (no key on "
			   "standard input, or no SSH_CONNECTION)" :
			   ret == -ZCCP_EADDRESS ?
			   "a target on standard input is not tcp://ADDRESS" :
			   zccp_strerror(-ret));
		return -1;
	}
	opts->listen = serve->spec;
	opts->serve_listener = &serve->listener;
	opts->key = &serve->key;
	opts->dests = serve->dests;
	opts->ndests = serve->ndests;
	opts->fallbacks = serve->fallbacks;
	opts->nfallbacks = serve->nfallbacks;
	return 0;
}

int main(int argc, char **argv)
{
	struct zccp_opts opts = { 0 };
	struct zccp_serve serve = { 0 };
	int status;

	if (zccp_guard_standard_fds())
		return ZCCP_EXIT_USAGE;
	switch (zccp_cli_parse(argc, argv, &opts)) {
	case ZCCP_CLI_EXIT_OK:
		return ZCCP_EXIT_OK;
	case ZCCP_CLI_ERROR:
		/* as coreutils ends a usage error */
		fputs("Try 'zccp --help' for more information.\n", stderr);
		/* --json's promise: an object whatever happened */
		if (json_asked(argc, argv))
			zccp_summary_print_refused(stdout, zccp_first_error());
		return ZCCP_EXIT_USAGE;
	case ZCCP_CLI_RUN:
		break;
	}
	zccp_report_init(opts.verbose, opts.quiet, stdout_free(&opts));
	if (opts.serve && serve_setup(&opts, &serve))
		return ZCCP_EXIT_USAGE;
	install_signals();
	raise_nofile(opts.ndests);
	if (opts.recursive) {
		bool was_tree;

		status = copy_tree(&opts, &was_tree);
		if (was_tree)
			return check_stdout(status);
		if (opts.dry_run && opts.json) {
			zccp_error("--dry-run --json: %s is not a directory "
				   "(one file's plan is text)", opts.source);
			return ZCCP_EXIT_USAGE;
		}
	}
	status = check_stdout(copy_one(&opts));
	zccp_serve_free(&serve);
	return status;
}
