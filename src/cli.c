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
#include <sys/stat.h>
#include <sys/utsname.h>

#include "zccp/digest.h"
#include "zccp/engine.h"
#include "zccp/exclude.h"
#include "zccp/fanout.h"
#include "zccp/net.h"
#include "zccp/opts.h"
#include "zccp/preserve.h"
#include "zccp/progress.h"
#include "zccp/remote.h"
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
	OPT_ONE_FS,
	OPT_EXCLUDE,
	OPT_EXCLUDE_FROM,
	OPT_KEY_FILE,
	OPT_INSECURE,
	OPT_ENCRYPT,
	OPT_RSH,
	OPT_REMOTE_ZCCP,
	OPT_SERVE,
	OPT_FANOUT,
	OPT_REPORT_PROGRESS,
};

struct cli_option {
	const char *name;
	int has_arg;
	int key; /* short letter, or OPT_* */
	const char *arg;
	const char *help;
	bool engines; /* help goes on with the registry's engine names */
	bool hidden;  /* not for people: no help line */
	bool bare;    /* the short letter takes no value (-u), the name may */
};

/*
 * Short letters are cp's where the meaning is cp's (-a -f -n -p -r -u), and
 * clear of cp's others (-b -d -H -l -L -P -s -x).  One line of help
 * each: --help fits a 40-line screen, 80 columns.
 */
static const struct cli_option cli_options[] = {
	{ "recursive", no_argument, 'r', NULL,
	  "copy a directory tree (-a: and -p, xattrs: cp -a)" },
	/* its line is --recursive's: --help fits a 40-line screen */
	{ "archive", no_argument, 'a', NULL, "", .hidden = true },
	{ "one-file-system", no_argument, OPT_ONE_FS, NULL,
	  "-r: do not descend into other file systems" },
	{ "exclude", required_argument, OPT_EXCLUDE, "PATTERN",
	  "-r: leave out matches (also --exclude-from=FILE)" },
	/* its line is --exclude's: --help fits a 40-line screen */
	{ "exclude-from", required_argument, OPT_EXCLUDE_FROM, "FILE", "",
	  false, true },
	{ "preserve", optional_argument, 'p', "LIST",
	  "keep mode,ownership,timestamps (-p),xattr,all", .bare = true },
	{ "no-clobber", no_argument, 'n', NULL,
	  "leave an existing destination alone" },
	{ "update", optional_argument, 'u', "WHEN",
	  "replace existing: older (-u), none or all", .bare = true },
	{ "force", no_argument, 'f', NULL,
	  "replace a destination we may not write" },
	{ "dry-run", no_argument, OPT_DRY_RUN, NULL,
	  "print the plan per destination; write nothing" },
	{ "inplace", no_argument, OPT_INPLACE, NULL,
	  "write files in place, not through a temporary" },
	{ "fsync", no_argument, OPT_FSYNC, NULL,
	  "make each destination durable before it replaces" },
	{ "on-error", required_argument, OPT_ON_ERROR, "POLICY",
	  "continue (default: the others go on) or abort" },
	{ "verify", no_argument, OPT_VERIFY, NULL,
	  "read back, compare digests, then replace" },
	{ "checksum", optional_argument, OPT_CHECKSUM, "ALGO",
	  "print the source's sha256 (default) or xxh128" },
	{ "progress", optional_argument, 'g', "MODE",
	  "on stderr: auto (-g), bar, plain or json", .bare = true },
	{ "json", no_argument, OPT_JSON, NULL,
	  "a summary object on stdout at the end" },
	{ "stats", no_argument, OPT_STATS, NULL,
	  "per destination: bytes, seconds, rate, engine" },
	{ "engine", required_argument, 'e', "NAME", "auto (default), ", true },
	{ "block-size", required_argument, 'B', "SIZE",
	  "chunk size 4K..1G (K, M, G: powers of 1024), 1M" },
	{ "queue-depth", required_argument, 'Q', "N",
	  "chunks in the ring, 1..1024 (default 8)" },
	{ "lag", required_argument, OPT_LAG, "SIZE",
	  "how far the fastest may lead (default: the ring)" },
	{ "sparse", required_argument, OPT_SPARSE, "WHEN",
	  "make holes: auto (default), always or never" },
	{ "reflink", required_argument, OPT_REFLINK, "WHEN",
	  "clone: auto (default), always or never" },
	{ "direct", required_argument, OPT_DIRECT, "WHEN",
	  "O_DIRECT: auto (default), always or never" },
	{ "listen", required_argument, OPT_LISTEN, "ADDRESS",
	  "receive SOURCE on HOST:PORT, :PORT, '*:PORT', unix:PATH" },
	{ "raw", no_argument, OPT_RAW, NULL,
	  "sockets carry bare data (nc, socat), no zccp stream" },
	{ "key-file", required_argument, OPT_KEY_FILE, "FILE",
	  "the streams' shared secret (mode 600, 32+ bytes)" },
	{ "insecure", no_argument, OPT_INSECURE, NULL,
	  "TCP without a key: anyone may send or listen" },
	{ "encrypt", no_argument, OPT_ENCRYPT, NULL,
	  "streams in TLS 1.3 under the key: nobody reads them" },
	{ "rsh", required_argument, OPT_RSH, "COMMAND",
	  "ssh:// starts the receiver with this (default ssh)" },
	{ "fanout", required_argument, OPT_FANOUT, "SHAPE",
	  "ssh:// hosts: chain (auto from 2), star or tree=K" },
	/* rare enough to leave --help to a screen: zccp.1 has it */
	{ "remote-zccp", required_argument, OPT_REMOTE_ZCCP, "PATH",
	  "ssh://: zccp's path on the other host", false, true },
	/* what an ssh:// sender starts on the other host (remote.h) */
	{ "serve", no_argument, OPT_SERVE, NULL, "", false, true },
	/* ... and what it says on stdout while it copies, for -g */
	{ "report-progress", no_argument, OPT_REPORT_PROGRESS, NULL, "", false,
	  true },
	{ "timeout", required_argument, OPT_TIMEOUT, "SECONDS",
	  "network connect, stall or wait limit (default 30)" },
	{ "verbose", no_argument, 'v', NULL,
	  "say what is copied, as cp -v; -vv: how, and why" },
	{ "quiet", no_argument, 'q', NULL, "print only errors" },
	{ "help", no_argument, 'h', NULL, "show this help and exit" },
	{ "version", no_argument, 'V', NULL,
	  "show the version and the kernel features found" },
};

#define NOPTIONS (sizeof(cli_options) / sizeof(cli_options[0]))

/* "uring, group, ... or rw", from the registry. */
static const char *engine_names(void)
{
	static char names[160];

	if (!names[0] && zccp_engine_names(names, sizeof(names), ", ", " or "))
		snprintf(names, sizeof(names), "see zccp --version");
	return names;
}

static void print_help(void)
{
	printf("Usage: zccp [OPTION]... SOURCE DEST...\n"
	       "  or:  zccp [OPTION]... --listen=ADDRESS DEST...\n"
	       "Copy SOURCE (file, device, FIFO, -) to every DEST at once: a "
	       "file (replaced\nwhole), device, FIFO, DIR/, -, tcp://HOST:PORT, "
	       "unix:PATH or ssh://HOST/PATH.\n\n");
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct cli_option *o = &cli_options[i];
		char left[40];

		if (o->hidden)
			continue;
		if (!o->name)
			snprintf(left, sizeof(left), "-%c", o->key);
		else
			snprintf(left, sizeof(left), "%c%c%c --%s%s%s%s",
				 o->key < 256 ? '-' : ' ',
				 o->key < 256 ? o->key : ' ',
				 o->key < 256 ? ',' : ' ', o->name,
				 o->has_arg == optional_argument ? "[=" :
				 o->arg ? "=" : "", o->arg ? o->arg : "",
				 o->has_arg == optional_argument ? "]" : "");
		printf("  %-22s %s%s\n", left, o->help,
		       o->engines ? engine_names() : "");
	}
	printf("\nExit: 0 all done, 1 a DEST failed, 2 usage, source or refused "
	       "DEST.  zccp(1)\n");
}

/* "  LABEL  yes" or "  LABEL  no: why": a kernel feature line. */
static void say_feature(const char *label, const char *value)
{
	printf("  %-26s %s\n", label, value);
}

/* Each engine's probe, once: its feature lines, then the engines line. */
static void print_version(void)
{
	int probed[ZCCP_MAX_ENGINES];
	struct utsname uts;

	printf("zccp %s\n", ZCCP_VERSION);
	if (!uname(&uts))
		printf("kernel features (Linux %s):\n", uts.release);
	for (unsigned i = 0; i < zccp_nengines; i++) {
		const struct zccp_engine_ops *ops = zccp_engines[i];
		const char *why = "";

		probed[i] = ops->probe(&why);
		if (ops->feature)
			printf("  %-26s %s%s\n", ops->feature,
			       probed[i] ? "no: " : "yes", probed[i] ? why : "");
		if (ops->features)
			ops->features(probed[i], say_feature);
	}
	printf("engines:");
	for (unsigned i = 0; i < zccp_nengines; i++)
		printf(" %s%s", zccp_engines[i]->name,
		       probed[i] ? "(unavailable)" : "");
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

/* --exclude and --exclude-from in order, for the whole run (a global:
 * opts points at it, and it is still reachable at exit). */
static struct zccp_exclude_arg *exclude_args;

static int add_exclude(struct zccp_opts *opts, const char *arg, bool file)
{
	struct zccp_exclude_arg *more =
		realloc(exclude_args, (opts->nexcludes + 1) * sizeof(*more));

	if (!more) {
		zccp_error("out of memory");
		return -ENOMEM;
	}
	exclude_args = more;
	more[opts->nexcludes++] = (struct zccp_exclude_arg){ arg, file };
	opts->excludes = more;
	return 0;
}

static int parse_option(int key, const char *arg, struct zccp_opts *opts)
{
	static const char *const when[] = { "auto", "always", "never" };
	static const char *const on_error[] = { "continue", "abort" };
	enum zccp_digest_algo algo = ZCCP_DIGEST_SHA256;
	enum zccp_progress_mode progress = ZCCP_PROGRESS_AUTO;
	unsigned bits, required;
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
		if (strcmp(arg, "auto") && !zccp_engine_find(arg)) {
			char want[200];

			snprintf(want, sizeof(want), "want auto, %s",
				 engine_names());
			return bad_value("engine", arg, want);
		}
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
	case OPT_KEY_FILE: opts->key_file = arg; return 0;
	case OPT_INSECURE: opts->insecure = true; return 0;
	case OPT_ENCRYPT: opts->encrypt = true; return 0;
	case OPT_RSH: opts->rsh = arg; return 0;
	case OPT_REMOTE_ZCCP: opts->remote_zccp = arg; return 0;
	case OPT_SERVE: opts->serve = true; return 0;
	case OPT_REPORT_PROGRESS: opts->progress = ZCCP_PROGRESS_SERVE; return 0;
	case OPT_FANOUT:
		if (zccp_fanout_parse(arg, &opts->fanout))
			return bad_value("fanout", arg,
					 "want chain, star, tree=K (K 1..64) "
					 "or auto");
		return 0;
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
	case 'r': opts->recursive = true; return 0;
	case 'a': /* cp -a, as far as it applies: -r, --preserve=all */
		opts->recursive = true;
		opts->preserve |= ZCCP_PRESERVE_ALL;
		opts->preserve_required |= ZCCP_PRESERVE_MODE |
					   ZCCP_PRESERVE_TIMESTAMPS;
		return 0;
	case OPT_ONE_FS: opts->one_file_system = true; return 0;
	case OPT_EXCLUDE:
	case OPT_EXCLUDE_FROM:
		return add_exclude(opts, arg, key == OPT_EXCLUDE_FROM);
	case 'u':
		if (zccp_update_parse(arg, &opts->update))
			return bad_value("update", arg,
					 "want " ZCCP_UPDATE_NAMES);
		return 0;
	case 'p':
		if (!arg) {
			opts->preserve |= ZCCP_PRESERVE_DEFAULT;
			return 0;
		}
		if (zccp_preserve_parse(arg, &bits, &required))
			return bad_value("preserve", arg,
					 "want " ZCCP_PRESERVE_NAMES);
		opts->preserve |= bits;
		opts->preserve_required |= required;
		return 0;
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

	struct option *l = longs;

	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct cli_option *o = &cli_options[i];

		if (o->name) /* NULL: a short option only (-p) */
			*l++ = (struct option){ o->name, o->has_arg, NULL,
						o->key };
		if (o->key < 256) {
			*s++ = (char)o->key;
			if (o->has_arg && !o->bare)
				*s++ = ':';
			if (o->has_arg == optional_argument && !o->bare)
				*s++ = ':'; /* -gplain, as getopt wants */
		}
	}
	*l = (struct option){ 0 };
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

/*
 * ssh:// makes a fresh key per transfer unless --key-file gives one; no
 * other socket destination can know it.  0, or -1 said.
 */
static int check_ssh(const struct zccp_opts *o)
{
	const char *ssh = NULL, *other = NULL;

	for (unsigned i = 0; i < o->ndests; i++) {
		if (zccp_remote_is_ssh(o->dests[i]))
			ssh = o->dests[i];
		else if (zccp_net_is_address(o->dests[i]))
			other = o->dests[i];
	}
	if (ssh && o->raw) {
		zccp_error("%s: ssh:// sends a zccp stream: it cannot be used "
			   "with --raw", ssh);
		return -1;
	}
	if (ssh && other && !o->key_file) {
		zccp_error("%s: beside ssh:// destinations, needs "
			   "--key-file=FILE (one key serves the transfer)",
			   other);
		return -1;
	}
	return 0;
}

/* --encrypt's pre-shared key is made from the transfer's key. */
static int check_encrypt(const struct zccp_opts *o)
{
	bool streams = o->listen;

	for (unsigned i = 0; i < o->ndests; i++)
		streams |= zccp_net_is_address(o->dests[i]);
	if (!o->encrypt || o->key_file || o->serve || !streams)
		return 0;
	zccp_error("--encrypt needs --key-file=FILE: its TLS key is made from "
		   "it (ssh:// makes its own)");
	return -1;
}

/* TCP without a key lets anyone in: only when the user says so. */
static int check_keys(const struct zccp_opts *o)
{
	const char *open = NULL;

	if ((o->serve && (o->listen || o->key_file || o->raw ||
			  o->ndests != 1)) ||
	    (!o->serve && o->progress == ZCCP_PROGRESS_SERVE)) {
		zccp_error("--serve is for ssh:// senders only");
		return -1;
	}
	if ((o->key_file || o->encrypt) && (o->insecure || o->raw)) {
		zccp_error("--%s cannot be used with --%s",
			   o->key_file ? "key-file" : "encrypt",
			   o->raw ? "raw (it carries no key)" : "insecure");
		return -1;
	}
	if (check_ssh(o) || check_encrypt(o))
		return -1;
	if (o->key_file || o->insecure)
		return 0;
	if (o->listen && !zccp_net_is_unix(o->listen))
		open = o->listen;
	for (unsigned i = 0; !open && i < o->ndests; i++)
		if (zccp_net_is_address(o->dests[i]) &&
		    !zccp_net_is_unix(o->dests[i]))
			open = o->dests[i];
	if (!open)
		return 0;
	zccp_error("%s%s: TCP needs --key-file=FILE (the same secret at both "
		   "ends), or --insecure to let anyone %s",
		   o->listen == open ? "--listen=" : "", open,
		   o->listen == open ? "send" : "receive");
	return -1;
}

static bool is_digest(const char *word)
{
	enum zccp_digest_algo algo;

	return !zccp_digest_parse(word, &algo);
}

static bool is_progress(const char *word)
{
	enum zccp_progress_mode mode;

	return !zccp_progress_parse(word, &mode);
}

static bool is_preserve(const char *word)
{
	unsigned what, required;

	return !zccp_preserve_parse(word, &what, &required);
}

static bool is_update(const char *word)
{
	enum zccp_update u;

	return !zccp_update_parse(word, &u);
}

/* An option whose value is optional takes it only after '=': the word
 * after it is an operand.  One the option would take is a slip. */
static const struct {
	const char *name;
	bool (*takes)(const char *word);
} optional_values[] = {
	{ "checksum", is_digest },
	{ "progress", is_progress },
	{ "preserve", is_preserve },
	{ "update", is_update },
};

/* The letter of the option called name, or 0. */
static int short_letter(const char *name)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (cli_options[i].name && !strcmp(cli_options[i].name, name))
			return cli_options[i].key < 256 ? cli_options[i].key : 0;
	return 0;
}

/* "--progress plain" (or "-g plain") where there is no file named plain:
 * say what was meant (a file of that name is ./plain). */
static bool slipped_value(int argc, char *const *argv)
{
	for (int i = 1; i + 1 < argc && strcmp(argv[i], "--"); i++) {
		const char *word = argv[i + 1];
		struct stat st;

		for (size_t k = 0; k < sizeof(optional_values) /
					   sizeof(optional_values[0]); k++) {
			const char *name = optional_values[k].name;
			bool named = !strncmp(argv[i], "--", 2) &&
				     !strcmp(argv[i] + 2, name);
			int key = short_letter(name);
			bool letter = key && argv[i][0] == '-' &&
				      argv[i][1] == key && !argv[i][2];

			if ((!named && !letter) || !optional_values[k].takes(word) ||
			    !lstat(word, &st))
				continue;
			zccp_error("%s: taken as a file, and there is none; "
				   "for the value write --%s=%s (a file of "
				   "that name: ./%s)", word, name, word, word);
			return true;
		}
	}
	return false;
}

/* The long options whose names start with arg's (up to any '='); the
 * last in *found. */
static unsigned long_matches(const struct option *longs, const char *arg,
			     const struct option **found)
{
	size_t len = strcspn(arg + 2, "=");
	unsigned n = 0;

	for (const struct option *o = longs; o->name; o++) {
		if (strncmp(o->name, arg + 2, len))
			continue;
		*found = o;
		if (strlen(o->name) == len)
			return 1; /* exact: never ambiguous */
		n++;
	}
	return n;
}

/*
 * What getopt would say (opterr is 0: ours go through zccp_error), in
 * its words.  argv[optind - 1] is the word at fault for a long option
 * only: inside "-xv" getopt has not moved on yet.
 */
static void say_bad_option(char **argv, const struct option *longs, int key)
{
	const char *arg = optind > 1 ? argv[optind - 1] : "";
	const struct option *o = NULL;
	unsigned n = strncmp(arg, "--", 2) ? 0 : long_matches(longs, arg, &o);

	if (key == ':' && n)
		zccp_error("option '--%s' requires an argument", o->name);
	else if (key == ':')
		zccp_error("option requires an argument -- '%c'", optopt);
	else if (!optopt && n > 1)
		zccp_error("option '%s' is ambiguous", arg);
	else if (!optopt)
		zccp_error("unrecognized option '%s'", arg);
	else if (n == 1 && o->val == optopt && strchr(arg, '='))
		zccp_error("option '--%s' doesn't allow an argument", o->name);
	else
		zccp_error("invalid option -- '%c'", optopt);
}

enum zccp_cli_result zccp_cli_parse(int argc, char **argv,
				    struct zccp_opts *opts)
{
	struct option longs[NOPTIONS + 1];
	char shorts[3 * NOPTIONS + 2] = ":"; /* ':' reports a missing value */
	int key;

	set_defaults(opts);
	build_getopt_tables(longs, shorts + 1);
	if (slipped_value(argc, argv)) /* before getopt reorders argv */
		return ZCCP_CLI_ERROR;
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
			say_bad_option(argv, longs, key);
			return ZCCP_CLI_ERROR;
		}
		if (parse_option(key, optarg, opts))
			return ZCCP_CLI_ERROR;
	}
	/* cp: -n wins over -u; --update=none is -n */
	opts->no_clobber |= opts->update == ZCCP_UPDATE_NONE;
	if (opts->no_clobber)
		opts->update = ZCCP_UPDATE_NONE;
	/* --listen: the connection is the source; all operands are DESTs. */
	if (argc - optind < (opts->listen || opts->serve ? 1 : 2)) {
		zccp_error("%s",
			   argc == optind && !opts->listen && !opts->serve ?
			   "missing SOURCE and DEST" : "missing DEST");
		return ZCCP_CLI_ERROR;
	}
	if (opts->lag > (uint64_t)opts->block_size * opts->queue_depth) {
		zccp_error("invalid --lag: larger than block size x queue "
			   "depth (%" PRIu64 " bytes)",
			   (uint64_t)opts->block_size * opts->queue_depth);
		return ZCCP_CLI_ERROR;
	}
	if (opts->recursive && (opts->listen || opts->checksum)) {
		zccp_error("-r cannot be used with --%s",
			   opts->listen ? "listen" :
			   "checksum (one digest per file: use sha256sum)");
		return ZCCP_CLI_ERROR;
	}
	if (opts->nexcludes && !opts->recursive) {
		zccp_error("--exclude%s applies to a tree: add -r",
			   opts->excludes[0].from_file ? "-from" : "");
		return ZCCP_CLI_ERROR;
	}
	/* -r --dry-run --json: the tree's plan is one object (treeplan.h) */
	if (opts->dry_run && (opts->listen ||
			      (opts->json && !opts->recursive))) {
		zccp_error("--dry-run cannot be used with --%s",
			   opts->listen ? "listen (nothing to plan before a "
			   "sender comes)" : "json but with -r");
		return ZCCP_CLI_ERROR;
	}
	if (!opts->listen && !opts->serve)
		opts->source = argv[optind++];
	opts->dests = (const char **)&argv[optind];
	opts->ndests = (unsigned)(argc - optind);
	return check_keys(opts) ? ZCCP_CLI_ERROR : ZCCP_CLI_RUN;
}
