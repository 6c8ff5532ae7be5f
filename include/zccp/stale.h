/* SPDX-License-Identifier: MIT */
/*
 * Temporaries a killed zccp left behind.  A replacement is written to a
 * temporary beside its destination: unnamed (O_TMPFILE) until the moment
 * it is renamed into place where the file system allows, else named
 * ".NAME.zccp-XXXXXXXXXXXX" for the whole copy.  kill -9 can leave a
 * named one.  Every zccp holds an exclusive flock on its temporaries
 * while it lives (the kernel drops it when the process dies, however),
 * so a later zccp can prove a temporary stale and remove it.
 */
#ifndef ZCCP_STALE_H
#define ZCCP_STALE_H

#include <stdbool.h>

/* A temporary's name: '.', the destination's, this, 12 hex digits. */
#define ZCCP_TEMPORARY_SUFFIX ".zccp-"

/* Hold fd's temporary as ours: 0, or -errno (it then cannot be told
 * from a stale one, so a sweep may remove it under us). */
int zccp_temporary_hold(int fd);

/* The regular file at name in dirfd, opened and held as a temporary is
 * (a user's old file that will wait at a temporary's name): fd, or
 * -errno (not a regular file, or a lock someone else holds). */
int zccp_hold_at(int dirfd, const char *name);

/* A fresh temporary's name for a destination called base, into buf
 * (NAME_MAX + 1 is room enough): 0, or -errno (no randomness). */
int zccp_temporary_name_for(char *buf, size_t size, const char *base);

/* Is name one of zccp's temporaries' names ('.', a name, ".zccp-",
 * twelve lowercase hex digits)? */
bool zccp_temporary_name(const char *name);

/*
 * Remove from dir (at, relative to dirfd) the temporaries of zccps that are gone: a name of
 * ours, a regular file with a single link, owned by us (root: by
 * anyone: root's replacements take the old file's owner), that nobody
 * holds, and not just made (empty and younger than a few seconds: a
 * live zccp between creating it and holding it).  Each directory is
 * swept once per process.  Best effort: what cannot be proved stale
 * stays; -v names what went.
 */
void zccp_stale_sweep(int dirfd, const char *at, const char *dir);

#endif
