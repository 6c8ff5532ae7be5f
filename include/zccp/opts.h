/* SPDX-License-Identifier: MIT */
/* Command-line options, parsed by cli.c; nothing here touches a file. */
#ifndef ZCCP_OPTS_H
#define ZCCP_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "zccp/update.h"

struct zccp_exclude_arg;
struct zccp_key;
struct zccp_listener;

/* Exit statuses (documented in zccp.1 and --help). */
enum {
	ZCCP_EXIT_OK = 0,     /* every destination complete */
	ZCCP_EXIT_PARTIAL = 1, /* at least one destination failed */
	ZCCP_EXIT_USAGE = 2,  /* bad usage, or the source failed */
};

enum zccp_sparse { ZCCP_SPARSE_AUTO, ZCCP_SPARSE_ALWAYS, ZCCP_SPARSE_NEVER };
/* --reflink and --direct share cp's three words. */
enum zccp_when { ZCCP_WHEN_AUTO, ZCCP_WHEN_ALWAYS, ZCCP_WHEN_NEVER };
enum zccp_on_error { ZCCP_ON_ERROR_CONTINUE, ZCCP_ON_ERROR_ABORT };

#define ZCCP_DEFAULT_BLOCK_SIZE (1u << 20)
#define ZCCP_DEFAULT_QUEUE_DEPTH 8u
/* Connecting to a network destination: long enough for a slow link,
 * short of the kernel's ~2 minutes of SYN retries. */
#define ZCCP_DEFAULT_TIMEOUT_MS 30000u
#define ZCCP_MAX_TIMEOUT_S 86400u
#define ZCCP_MAX_BLOCK_SIZE (1u << 30)
#define ZCCP_MAX_QUEUE_DEPTH 1024u

struct zccp_opts {
	const char *engine; /* "auto" or a registered engine's name */
	uint32_t block_size;
	unsigned queue_depth;
	uint64_t lag;	/* bytes a destination may run ahead; 0: whole ring */
	enum zccp_sparse sparse;
	enum zccp_when reflink; /* clone extents instead of copying */
	enum zccp_when direct;	/* O_DIRECT reads and writes */
	enum zccp_on_error on_error;
	bool inplace;
	bool no_clobber;     /* -n: existing destinations are left alone */
	enum zccp_update update; /* -u: which existing ones are replaced */
	bool force;	     /* -f: replace even what we may not write */
	bool dry_run;	     /* print the plan, write nothing */
	bool recursive;	     /* -r: a directory tree (tree.h) */
	bool one_file_system; /* -r: stop at mount points */
	/* -r: --exclude and --exclude-from in order (exclude.h) */
	const struct zccp_exclude_arg *excludes;
	unsigned nexcludes;
	bool in_tree;	     /* a file of a -r tree: DEST is its exact path */
	/* With in_tree: each DEST's directory, opened beneath its root,
	 * and the source file, opened beneath the source's (tree.c). */
	const int *dest_dirfds;
	int source_fd;
	unsigned preserve;   /* ZCCP_PRESERVE_* (preserve.h) */
	unsigned preserve_required; /* ... that must succeed */
	bool fsync;
	unsigned timeout_ms; /* network destinations: connect, tcp stall; 0: none */
	bool raw;	     /* sockets carry bare data, no zccp stream */
	const char *key_file; /* streams' secret (auth.h); NULL: none */
	bool insecure;	     /* TCP streams without a key are allowed */
	bool encrypt;	     /* streams in TLS 1.3 (tls.h) */
	const char *rsh;     /* ssh:// is started through this; NULL: ssh */
	const char *remote_zccp; /* ssh://: zccp's path there; NULL: zccp */
	bool serve;	     /* the receiver an ssh:// started (remote.h) */
	unsigned fanout;     /* ssh:// hosts' shape: ZCCP_FANOUT_* (fanout.h) */
	const struct zccp_key *key; /* --serve: the key from the channel */
	const struct zccp_listener *serve_listener; /* --serve: bound */
	/* --serve in a chain: where its one target's stream goes on if
	 * that host goes (remote.h) */
	char *const *fallbacks;
	unsigned nfallbacks;
	bool checksum;	     /* print the source's digest */
	bool verify;	     /* read destinations back, compare digests */
	int checksum_algo;   /* enum zccp_digest_algo: --checksum, --verify */
	const char *listen;  /* receive the source on this address */
	bool stats;
	int progress;	     /* enum zccp_progress_mode */
	bool json;	     /* a summary object on stdout (summary.h) */
	int verbose;
	bool quiet;
	const char *source; /* NULL with --listen */
	const char **dests;
	unsigned ndests;
};

enum zccp_cli_result {
	ZCCP_CLI_RUN,	  /* copy */
	ZCCP_CLI_EXIT_OK, /* --help or --version printed */
	ZCCP_CLI_ERROR,	  /* message printed; exit ZCCP_EXIT_USAGE */
};

/* Fill opts from argv; argv must outlive opts. */
enum zccp_cli_result zccp_cli_parse(int argc, char **argv,
				    struct zccp_opts *opts);

/* "64K", "1M", "2G", "4096": bytes; -EINVAL or -ERANGE. */
int zccp_parse_size(const char *text, uint64_t *bytes);

#endif
