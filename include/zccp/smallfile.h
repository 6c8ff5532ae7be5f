/* SPDX-License-Identifier: MIT */
/*
 * A small regular file of a -r tree, copied without a job (job.h): read
 * once into memory with one read, and in each root written whole to an
 * unnamed temporary (O_TMPFILE) that becomes the file only when it is
 * complete: linked at a free name, or renamed over the old file (whose
 * owner and mode it takes, as a job's replacement does).  A job costs
 * a plan, a ring and an engine's start-up per file; this, about four
 * system calls per root.  tree.c runs these on a pool (pool.h) while
 * it walks on.
 *
 * What this does not handle is handed back (-EAGAIN) for a job to do:
 * a source that changed while it was read, a destination that became
 * something else meanwhile, a temporary that cannot be made (no
 * O_TMPFILE there, or no right: the job's message names it).
 *
 * A kill leaves nothing: an unnamed temporary goes with the process.
 * Only a replacement has a name of its own, held (stale.h) for the
 * instant between naming it and renaming it over the old file; one a
 * kill left there is the next zccp's to sweep.
 */
#ifndef ZCCP_SMALLFILE_H
#define ZCCP_SMALLFILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "zccp/opts.h"

/* Larger files go to a job: its engines win where there is much data to
 * move.  Measured (bench/run scenario 8, a copy of /usr/share on tmpfs,
 * 2 roots): 256 KiB left 350 files to jobs on the walk's thread, 1.78 s;
 * 4 MiB, 10 files, 1.54 s.  Each worker holds one file's bytes. */
#define ZCCP_SMALL_FILE_MAX (4u << 20)

/* What a root's file system cannot do, learnt once (shared by workers). */
struct zccp_small_root {
	atomic_bool no_clone;	/* FICLONE fails here: write */
	atomic_bool no_tmpfile; /* O_TMPFILE fails here: jobs only */
};

struct zccp_small_dest {
	int dirfd;		 /* its directory (the caller's) */
	const char *name;	 /* in dirfd */
	const char *path;	 /* for messages */
	struct stat old;	 /* what is at name: a regular file ... */
	bool existed;		 /* ... or nothing */
	struct zccp_small_root *root;
	int result; /* out: 0 written, 1 left alone (-n), -EAGAIN, -errno */
};

struct zccp_small_file {
	int dirfd;	  /* the source's directory */
	const char *name; /* in it */
	const char *path; /* for messages */
	struct stat st;	  /* as the walk saw it */
	struct zccp_small_dest *dests;
	unsigned n;
	int result;	/* out: 0, -EAGAIN (for a job), or -errno (none
			 * written): the source's */
	uint64_t bytes; /* out: read */
};

/* May small files go this way under opts?  Not with what only a job
 * honours: --verify, --fsync, --inplace, a chosen engine... */
bool zccp_small_allowed(const struct zccp_opts *opts);

/* Is a file the walk saw as st one of them?  (Not a hard link, nor
 * sparse.) */
bool zccp_small_fits(const struct stat *st);

/* ... to a root that has old there (existed: else nothing)? */
bool zccp_small_dest_fits(const struct zccp_small_root *root, bool existed,
			  const struct stat *old);

/* Copy f to every one of its dests; results in f and each dest. */
void zccp_small_copy(struct zccp_small_file *f, const struct zccp_opts *opts);

#endif
