// SPDX-License-Identifier: MIT
/*
 * Command line to struct zccp_opts.  One table lists every option: it
 * feeds getopt_long and --help, so the two cannot drift.  The parser
 * never touches a file.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zccp/digest.h"
#include "zccp/engine.h"
#include "zccp/opts.h"
#include "zccp/progress.h"
#include "zccp/report.h"

enum {
	OPT_LAG = 256,
	OPT_SPARSE,
	OPT_REFLINK,
	OPT_DIRECT,
	OPT_INPLACE,
	OPT_FSYNC,
	OPT_ON_ERROR,
	OPT_STATS,
	OPT_TIMEOUT,
	OPT_LISTEN,
	OPT_RAW,
	OPT_CHECKSUM,
	OPT_VERIFY,
	OPT_JSON,
	OPT_DRY_RUN,
	OPT_PROGRESS,
};

struct cli_option {
	const char *name;
	int has_arg;
	int key; /* short letter, or OPT_* */
	const char *arg;
	const char *help;
};

/* Short letters stay clear of cp's (-b -d -H -l -L -P -s -u -x). */
static const struct cli_option cli_options[] = {
	{ "block-size", required_argument, 'B', "SIZE",
	  "chunk size, 4K..1G, a multiple of 4K (default 1M)" },
	{ "queue-depth", required_argument, 'Q', "N",
	  "chunks in the ring, 1..1024 (default 8); memory ~ SIZE x N" },
	{ "lag", required_argument, OPT_LAG, "SIZE",
	  "how far the fastest destination may lead the slowest\n"
	  "(default and maximum: block size x queue depth)" },
	{ "engine", required_argument, 'e', "NAME",
	  "auto (default), uring, group, splice, aio or rw" },
	{ "sparse", required_argument, OPT_SPARSE, "WHEN",
	  "auto (default), always or never, as cp" },
	{ "reflink", required_argument, OPT_REFLINK, "WHEN",
	  "auto (default), always or never: clone, as cp" },
	{ "direct", required_argument, OPT_DIRECT, "WHEN",
	  "auto (default), always or never: O_DIRECT I/O" },
	{ "no-clobber", no_argument, 'n', NULL,
	  "leave an existing destination alone (as cp -n)" },
	{ "force", no_argument, 'f', NULL,
	  "replace a destination we may not write (as cp -f)" },
	{ "dry-run", no_argument, OPT_DRY_RUN, NULL,
	  "print the plan per destination; write nothing" },
	{ "inplace", no_argument, OPT_INPLACE, NULL,
	  "write regular destinations in place, not via a temporary" },
	{ "fsync", no_argument, OPT_FSYNC, NULL,
	  "fsync each destination before it replaces the old one" },
	{ "on-error", required_argument, OPT_ON_ERROR, "POLICY",
	  "continue (default): other destinations go on; abort: stop" },
	{ "timeout", required_argument, OPT_TIMEOUT, "SECONDS",
	  "fail a network destination that takes longer to connect or\n"
	  "stalls longer; --listen: wait as long for the sender\n"
	  "(default 30; 0: as the kernel does)" },
	{ "listen", required_argument, OPT_LISTEN, "ADDRESS",
	  "receive SOURCE from one sender on ADDRESS: HOST:PORT,\n"
	  "[IPV6]:PORT, :PORT (loopback), *:PORT (all) or unix:PATH" },
	{ "raw", no_argument, OPT_RAW, NULL,
	  "sockets carry bare data (nc, socat): no header, checksum\n"
	  "or reply" },
	{ "checksum", optional_argument, OPT_CHECKSUM, "ALGO",
	  "print the source's digest on stdout, as sha256sum does;\n"
	  "ALGO: sha256 (default) or xxh128" },
	{ "verify", no_argument, OPT_VERIFY, NULL,
	  "read every file and block device back (O_DIRECT) and\n"
	  "compare its digest with the source's; then replace" },
	{ "progress", optional_argument, 'g', "MODE",
	  "show progress on stderr: auto (a bar on a terminal),\n"
	  "bar, plain (lines for logs) or json (lines for programs)" },
	{ "stats", no_argument, OPT_STATS, NULL,
	  "per destination: bytes, seconds, throughput, engine" },
	{ "json", no_argument, OPT_JSON, NULL,
	  "a summary object on stdout at the end (see zccp(1))" },
	{ "verbose", no_argument, 'v', NULL,
	  "say which engine runs and why, per destination" },
	{ "quiet", no_argument, 'q', NULL, "print only errors" },
	{ "help", no_argument, 'h', NULL, "show this help and exit" },
	{ "version", no_argument, 'V', NULL,
	  "show the version and the engines this kernel runs" },
};

#define NOPTIONS (sizeof(cli_options) / sizeof(cli_options[0]))

static void print_help(void)
{
	printf("Usage: zccp [OPTION]... SOURCE DEST...\n"
	       "  or:  zccp [OPTION]... --listen=ADDRESS DEST...\n"
	       "Copy SOURCE to every DEST, reading it once and writing the "
	       "destinations in parallel.\n"
	       "SOURCE: file, block device, FIFO or - (stdin).  DEST: file "
	       "(replaced when complete),\nblock device, FIFO, directory "
	       "(DIR/basename of SOURCE), - (stdout), a socket:\n"
	       "tcp://HOST:PORT, tcp://[IPV6]:PORT or unix:PATH "
	       "(./tcp:... is a file).\n\n");
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct cli_option *o = &cli_options[i];
		char left[48];
		const char *help = o->help;

		snprintf(left, sizeof(left), "%c%c%c --%s%s%s%s",
			 o->key < 256 ? '-' : ' ',
			 o->key < 256 ? o->key : ' ', o->key < 256 ? ',' : ' ',
			 o->name,
			 o->has_arg == optional_argument ? "[=" :
			 o->arg ? "=" : "", o->arg ? o->arg : "",
			 o->has_arg == optional_argument ? "]" : "");
		while (help) {
			const char *nl = strchr(help, '\n');
			int n = nl ? (int)(nl - help) : (int)strlen(help);

			printf("  %-26s %.*s\n", left, n, help);
			left[0] = '\0';
			help = nl ? nl + 1 : NULL;
		}
	}
	printf("\nSIZE takes K, M, G suffixes (powers of 1024).\n"
	       "Exit status: 0 all destinations complete, 1 some destination "
	       "failed,\n2 usage error, refused destination or source "
	       "failure.\n");
}

static void print_version(void)
{
	printf("zccp %s\nengines:", ZCCP_VERSION);
	for (unsigned i = 0; i < zccp_nengines; i++) {
		const char *why = "";
		int ret = zccp_engines[i]->probe(&why);

		printf(" %s%s", zccp_engines[i]->name, ret ? "(unavailable)" : "");
	}
	printf("\n");
}

int zccp_parse_size(const char *text, uint64_t *bytes)
{
	char *end;
	uint64_t value, scale = 1;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno)
		return -ERANGE;
	switch (*end) {
	case 'G': case 'g': scale <<= 10; /* fall through */
	case 'M': case 'm': scale <<= 10; /* fall through */
	case 'K': case 'k': scale <<= 10; end++; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B' && scale > 1)
		end++;
	if (*end)
		return -EINVAL;
	if (value > UINT64_MAX / scale)
		return -ERANGE;
	*bytes = value * scale;
	return 0;
}

static int parse_count(const char *text, uint64_t *count)
{
	char *end;

	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	*count = strtoull(text, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static int pick(const char *value, const char *const *names, int count)
{
	for (int i = 0; i < count; i++)
		if (!strcmp(value, names[i]))
			return i;
	return -1;
}

static int bad_value(const char *option, const char *value, const char *want)
{
	zccp_error("invalid --%s '%s': %s", option, value, want);
	return -EINVAL;
}

static int parse_option(int key, const char *arg, struct zccp_opts *opts)
{
	static const char *const when[] = { "auto", "always", "never" };
	static const char *const on_error[] = { "continue", "abort" };
	enum zccp_digest_algo algo = ZCCP_DIGEST_SHA256;
	enum zccp_progress_mode progress = ZCCP_PROGRESS_AUTO;
	uint64_t n;
	int i;

	switch (key) {
	case 'B':
		if (zccp_parse_size(arg, &n) || n < 4096 ||
		    n > ZCCP_MAX_BLOCK_SIZE || n % 4096)
			return bad_value("block-size", arg,
					 "want 4K..1G, a multiple of 4K");
		opts->block_size = (uint32_t)n;
		return 0;
	case 'Q':
		if (parse_count(arg, &n) || n < 1 || n > ZCCP_MAX_QUEUE_DEPTH)
			return bad_value("queue-depth", arg, "want 1..1024");
		opts->queue_depth = (unsigned)n;
		return 0;
	case OPT_LAG:
		if (zccp_parse_size(arg, &n) || n == 0)
			return bad_value("lag", arg, "want a size like 4M");
		opts->lag = n;
		return 0;
	case 'e':
		if (strcmp(arg, "auto") && !zccp_engine_find(arg))
			return bad_value("engine", arg,
					 "want auto, uring, group, splice, aio "
					 "or rw");
		opts->engine = arg;
		return 0;
	case OPT_SPARSE:
		i = pick(arg, when, 3);
		if (i < 0)
			return bad_value("sparse", arg,
					 "want auto, always or never");
		opts->sparse = (enum zccp_sparse)i;
		return 0;
	case OPT_REFLINK:
	case OPT_DIRECT:
		i = pick(arg, when, 3);
		if (i < 0)
			return bad_value(key == OPT_REFLINK ? "reflink" :
					 "direct", arg,
					 "want auto, always or never");
		if (key == OPT_REFLINK)
			opts->reflink = (enum zccp_when)i;
		else
			opts->direct = (enum zccp_when)i;
		return 0;
	case OPT_ON_ERROR:
		i = pick(arg, on_error, 2);
		if (i < 0)
			return bad_value("on-error", arg,
					 "want continue or abort");
		opts->on_error = (enum zccp_on_error)i;
		return 0;
	case OPT_TIMEOUT:
		if (parse_count(arg, &n) || n > ZCCP_MAX_TIMEOUT_S)
			return bad_value("timeout", arg,
					 "want whole seconds, 0..86400");
		opts->timeout_ms = (unsigned)n * 1000u;
		return 0;
	case OPT_LISTEN:
		if (!*arg)
			return bad_value("listen", arg,
					 "want HOST:PORT or unix:PATH");
		opts->listen = arg;
		return 0;
	case OPT_RAW: opts->raw = true; return 0;
	case OPT_CHECKSUM:
		if (arg && zccp_digest_parse(arg, &algo))
			return bad_value("checksum", arg,
					 "want " ZCCP_DIGEST_NAMES);
		opts->checksum = true;
		opts->checksum_algo = algo;
		return 0;
	case OPT_VERIFY: opts->verify = true; return 0;
	case OPT_JSON: opts->json = true; return 0;
	case 'n': opts->no_clobber = true; return 0;
	case OPT_DRY_RUN: opts->dry_run = true; return 0;
	case 'g':
		if (arg && zccp_progress_parse(arg, &progress))
			return bad_value("progress", arg,
					 "want " ZCCP_PROGRESS_NAMES);
		opts->progress = progress;
		return 0;
	case 'f': opts->force = true; return 0;
	case OPT_INPLACE: opts->inplace = true; return 0;
	case OPT_FSYNC: opts->fsync = true; return 0;
	case OPT_STATS: opts->stats = true; return 0;
	case 'v': opts->verbose++; return 0;
	case 'q': opts->quiet = true; return 0;
	}
	return -EINVAL;
}

static void build_getopt_tables(struct option *longs, char *shorts)
{
	char *s = shorts;

	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct cli_option *o = &cli_options[i];

		longs[i] = (struct option){ o->name, o->has_arg, NULL, o->key };
		if (o->key < 256) {
			*s++ = (char)o->key;
			if (o->has_arg)
				*s++ = ':';
			if (o->has_arg == optional_argument)
				*s++ = ':'; /* -gplain, as getopt wants */
		}
	}
	longs[NOPTIONS] = (struct option){ 0 };
	*s = '\0';
}

static void set_defaults(struct zccp_opts *opts)
{
	*opts = (struct zccp_opts){
		.engine = "auto",
		.block_size = ZCCP_DEFAULT_BLOCK_SIZE,
		.queue_depth = ZCCP_DEFAULT_QUEUE_DEPTH,
		.timeout_ms = ZCCP_DEFAULT_TIMEOUT_MS,
		/* --verify alone: corruption, not an adversary: fast. */
		.checksum_algo = ZCCP_DIGEST_XXH128,
	};
}

enum zccp_cli_result zccp_cli_parse(int argc, char **argv,
				    struct zccp_opts *opts)
{
	struct option longs[NOPTIONS + 1];
	char shorts[3 * NOPTIONS + 2] = ":"; /* ':' reports a missing value */
	int key;

	set_defaults(opts);
	build_getopt_tables(longs, shorts + 1);
	opterr = 0;
	optind = 1;
	while ((key = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (key == 'h') {
			print_help();
			return ZCCP_CLI_EXIT_OK;
		}
		if (key == 'V') {
			print_version();
			return ZCCP_CLI_EXIT_OK;
		}
		if (key == '?' || key == ':') {
			zccp_error("%s: %s (try 'zccp --help')",
				   argv[optind - 1], key == ':' ?
				   "option requires an argument" :
				   "unknown option");
			return ZCCP_CLI_ERROR;
		}
		if (parse_option(key, optarg, opts))
			return ZCCP_CLI_ERROR;
	}
	/* --listen: the connection is the source; all operands are DESTs. */
	if (argc - optind < (opts->listen ? 1 : 2)) {
		zccp_error("%s (try 'zccp --help')",
			   argc == optind && !opts->listen ?
			   "missing SOURCE and DEST" : "missing DEST");
		return ZCCP_CLI_ERROR;
	}
	if (opts->lag > (uint64_t)opts->block_size * opts->queue_depth) {
		zccp_error("invalid --lag: larger than block size x queue "
			   "depth (%" PRIu64 " bytes)",
			   (uint64_t)opts->block_size * opts->queue_depth);
		return ZCCP_CLI_ERROR;
	}
	if (opts->dry_run && (opts->listen || opts->json)) {
		zccp_error("--dry-run cannot be used with --%s",
			   opts->listen ? "listen (nothing to plan before a "
			   "sender comes)" : "json");
		return ZCCP_CLI_ERROR;
	}
	if (!opts->listen)
		opts->source = argv[optind++];
	opts->dests = (const char **)&argv[optind];
	opts->ndests = (unsigned)(argc - optind);
	return ZCCP_CLI_RUN;
}
