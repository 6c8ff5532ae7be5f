/* SPDX-License-Identifier: MIT */
/*
 * --exclude=PATTERN and --exclude-from=FILE (-r): what of the source's
 * tree is left out, as rsync and tar users write it.  Shell patterns
 * (fnmatch: * ? [...]), matched against an entry's path relative to the
 * source's root:
 *   - without a '/' (but for a trailing one): its name, at any depth
 *     ("*.o", ".git");
 *   - with one: the end of the path, whole components ("build/tmp"
 *     matches a/build/tmp); with a leading '/', the path from the root
 *     ("/build" only the top's);
 *   - '*' stops at '/', but in a pattern with "**" every '*' crosses it;
 *   - a trailing '/': directories only.
 * A directory left out is not walked.  An --exclude-from FILE holds one
 * pattern a line; blank lines and lines starting with '#' are skipped.
 */
#ifndef ZCCP_EXCLUDE_H
#define ZCCP_EXCLUDE_H

#include <stdbool.h>

/* One option as given: a pattern, or a file of them. */
struct zccp_exclude_arg {
	const char *text;
	bool from_file;
};

struct zccp_pattern {
	char *text;    /* without its trailing '/' */
	bool dir_only; /* it had one */
};

struct zccp_excludes {
	struct zccp_pattern *patterns;
	unsigned n;
};

/*
 * Every --exclude, and every line of every --exclude-from, in order:
 * 0, or -errno with *culprit naming the file that could not be read.
 */
int zccp_excludes_load(struct zccp_excludes *x,
		       const struct zccp_exclude_arg *args, unsigned n,
		       const char **culprit);
void zccp_excludes_free(struct zccp_excludes *x);

/* Is rel (relative to the source's root, no leading '/') left out?
 * dir: it is a directory. */
bool zccp_excluded(const struct zccp_excludes *x, const char *rel, bool dir);

#endif
