/* SPDX-License-Identifier: MIT */
/*
 * -u/--update[=WHEN], cp's (coreutils 9.1): which existing destinations
 * a copy replaces.  all (without it): every one; none: none (-n);
 * older (-u): those older than the source.  A regular file of another
 * size than the source is replaced whatever its time (rsync's quick
 * check): a copy cut short, or changed since, must not be kept as if
 * it were the source's.
 */
#ifndef ZCCP_UPDATE_H
#define ZCCP_UPDATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum zccp_update {
	ZCCP_UPDATE_ALL,
	ZCCP_UPDATE_NONE,
	ZCCP_UPDATE_OLDER,
};

#define ZCCP_UPDATE_NAMES "older, none or all"

/* What -v says of a destination left alone. */
#define ZCCP_KEPT_NO_CLOBBER "exists, not overwritten (-n)"
#define ZCCP_KEPT_UP_TO_DATE "up to date, not overwritten (-u)"

/* "all", "none" or "older" into *u; NULL: older.  0 or -EINVAL. */
int zccp_update_parse(const char *arg, enum zccp_update *u);

/* What a file looks like to --update. */
struct zccp_update_file {
	struct timespec mtime;
	uint64_t size;
	mode_t type; /* st_mode & S_IFMT */
};

/* Does --update=older leave dst (it exists) alone for src?  Not when
 * it is older, or of another type, or a file of another size. */
bool zccp_update_keeps(const struct zccp_update_file *src,
		       const struct zccp_update_file *dst);

#endif
