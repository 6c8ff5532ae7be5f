/* SPDX-License-Identifier: MIT */
/*
 * -r/--recursive: a directory tree to every destination root, as cp -r
 * makes it: directories, symbolic links (as links), hard links (linked
 * again among the copies), FIFOs and device nodes (made anew), regular
 * files each read once for every root: small ones by worker threads
 * (smallfile.h), the others through the engines.
 * --one-file-system stops at mount points (their directories are made,
 * empty, as cp -x makes them).
 *
 * Files are replaced one by one, each atomically as without -r; a
 * root's existing directories are merged into, as cp -r does.
 */
#ifndef ZCCP_TREE_H
#define ZCCP_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include "zccp/opts.h"

/* Failures with where they happened: the first ZCCP_TREE_LISTED of
 * them, and a count of the rest (a tree may fail a million times). */
#define ZCCP_TREE_LISTED 100

struct zccp_tree_failure {
	char *path;
	int error; /* -errno */
};

struct zccp_tree_failures {
	struct zccp_tree_failure *list;
	unsigned n;
	unsigned unlisted;
};

struct zccp_tree_root {
	const char *arg; /* as the user named it */
	char *path;	 /* the tree's top: DEST, or DEST/basename(SOURCE) */
	bool failed;	 /* something in it failed */
	bool aborted;	 /* never walked: the copy was refused */
	int error;	 /* the first failure's -errno */
	uint64_t bytes;	 /* file bytes written, holes counted */
	uint64_t data_bytes; /* ... holes apart */
	unsigned files;	 /* regular files complete */
	unsigned skipped; /* regular files left alone (-n, -u) */
	unsigned excluded; /* entries of the source left out (--exclude) */
	struct zccp_tree_failures failures;
};

/* What the walk read. */
struct zccp_tree_source {
	unsigned files;	     /* regular files read whole */
	uint64_t bytes;	     /* their bytes, holes counted */
	uint64_t data_bytes; /* ... holes apart */
	int error;	     /* the first unreadable entry's -errno */
	struct zccp_tree_failures failures;
};

/*
 * Resolve every root (refusing a root inside the source), then walk
 * the source by descriptor, copying each regular file to every root
 * that is still live: small ones on a pool of workers without a job
 * (smallfile.h), the others as one job each (job.h); what --exclude names is left out (exclude.h),
 * -g shows one progress (treeprogress.h), and --dry-run only says what
 * would be done (treeplan.h: exit 1 if something would be refused).
 * Returns ZCCP_EXIT_*: 2 if nothing could start.
 */
int zccp_tree_copy(const char *src, struct zccp_tree_source *source,
		   struct zccp_tree_root *roots, unsigned n,
		   const struct zccp_opts *opts);

void zccp_tree_free(struct zccp_tree_source *source,
		    struct zccp_tree_root *roots, unsigned n);

#endif
