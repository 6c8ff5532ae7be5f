/* SPDX-License-Identifier: MIT */
/*
 * -r/--recursive: a directory tree to every destination root, as cp -r
 * makes it: directories, symbolic links (as links), hard links (linked
 * again among the copies), FIFOs and device nodes (made anew), regular
 * files through the engines, each read once for every root.
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

struct zccp_tree_root {
	const char *arg; /* as the user named it */
	char *path;	 /* the tree's top: DEST, or DEST/basename(SOURCE) */
	bool failed;	 /* something in it failed */
	bool aborted;	 /* never walked: the copy was refused */
	int error;	 /* the first failure's -errno */
	uint64_t bytes;	 /* file bytes written */
	unsigned files;	 /* regular files complete */
};

/*
 * Copy one regular file to n destinations as zccp does without -r:
 * src is open at src_fd, and each dests[i]'s directory at dirfds[i]
 * (opened beneath the tops: names resolve there, not through the paths,
 * which are for messages); result[i] is 0 (copied), 1 (left alone, -n)
 * or the -errno that failed it; *bytes what was read; returns the exit
 * status (ZCCP_EXIT_*).  Messages are its own.
 */
typedef int (*zccp_tree_copy_fn)(void *ctx, const char *src, int src_fd,
				 const char *const *dests, const int *dirfds,
				 unsigned n, int *result, uint64_t *bytes);

/*
 * Resolve every root (refusing a root inside the source), then walk
 * the source.  Returns ZCCP_EXIT_*: 2 if nothing could start.
 */
int zccp_tree_copy(const char *src, struct zccp_tree_root *roots, unsigned n,
		   const struct zccp_opts *opts, zccp_tree_copy_fn copy_file,
		   void *ctx);

void zccp_tree_free(struct zccp_tree_root *roots, unsigned n);

#endif
