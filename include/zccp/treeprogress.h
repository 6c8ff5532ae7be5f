/* SPDX-License-Identifier: MIT */
/*
 * -g with -r: one progress for the whole tree, not one per file.  A
 * thread counts the source ahead of the copy (the same --exclude and
 * --one-file-system rules): files and bytes of regular files, "at
 * least" until it has seen everything.  Another shows, as -g does for
 * one file (progress.h: bar, plain lines, or JSON lines):
 *   files done of the total, bytes done of the total (a file's bytes
 *   count once it is complete), rate, ETA (once counted), current file.
 * JSON lines (schema 1): {"schema":1,"elapsed":S,"files":N,
 *   "files_total":N,"bytes":N,"bytes_total":N,"counted":BOOL,
 *   "percent":P|null,"rate":B,"eta":S|null,"current":PATH|null,
 *   "done":BOOL}; percent and eta are null until counted.
 */
#ifndef ZCCP_TREEPROGRESS_H
#define ZCCP_TREEPROGRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "zccp/exclude.h"
#include "zccp/progress.h"

/* The current file's path, as long as a path may be (a deeper one is
 * cut: JSON's "current" then holds its first bytes). */
#define ZCCP_TREE_CURRENT_MAX 4096

struct zccp_tree_progress {
	enum zccp_progress_mode mode; /* resolved: NONE shows nothing */
	double started;
	/* the count ahead (counter thread) */
	atomic_ulong files_total;
	_Atomic uint64_t bytes_total;
	atomic_bool counted;
	/* the copy's (the walk's thread) */
	atomic_ulong files_done;
	_Atomic uint64_t bytes_done;
	char current[ZCCP_TREE_CURRENT_MAX];
	pthread_mutex_t lock; /* current, and the shower's wake-up */
	pthread_cond_t wake;
	bool stop;	  /* the shower's, under lock */
	atomic_bool quit; /* the counter's */
	/* what the counter walks */
	char *src;
	const struct zccp_excludes *excludes;
	bool one_file_system;
	pthread_t counter, shower;
	bool counting, showing;
};

/* Start counting and showing (mode as -g gave it: nothing when it
 * resolves to none).  0 or -errno. */
int zccp_tree_progress_start(struct zccp_tree_progress *p,
			     enum zccp_progress_mode mode, const char *src,
			     const struct zccp_excludes *excludes,
			     bool one_file_system);
/* Is anything shown (the per-file jobs then show nothing)? */
bool zccp_tree_progress_on(const struct zccp_tree_progress *p);
/* The walk starts on path; a file of bytes is complete. */
void zccp_tree_progress_file(struct zccp_tree_progress *p, const char *path);
void zccp_tree_progress_done(struct zccp_tree_progress *p, uint64_t bytes);
/* The last line (a bar's stays, as pv leaves it), threads joined. */
void zccp_tree_progress_stop(struct zccp_tree_progress *p);

#endif
