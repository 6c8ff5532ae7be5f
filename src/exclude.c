// SPDX-License-Identifier: MIT
/* --exclude, --exclude-from: see zccp/exclude.h. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zccp/exclude.h"

static int add(struct zccp_excludes *x, const char *text, size_t len)
{
	struct zccp_pattern *more = realloc(x->patterns,
					    (x->n + 1) * sizeof(*more));
	bool dir_only = len > 1 && text[len - 1] == '/';

	if (!more)
		return -ENOMEM;
	x->patterns = more;
	more[x->n].dir_only = dir_only;
	more[x->n].text = strndup(text, len - dir_only);
	return more[x->n].text ? (x->n++, 0) : -ENOMEM;
}

/* FILE's lines ("-": standard input). */
static int read_file(struct zccp_excludes *x, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;

	if (!f)
		return -errno;
	while (!ret && (len = getline(&line, &cap, f)) >= 0) {
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len && line[0] != '#')
			ret = add(x, line, (size_t)len);
	}
	if (!ret && ferror(f))
		ret = -EIO;
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

int zccp_excludes_load(struct zccp_excludes *x,
		       const struct zccp_exclude_arg *args, unsigned n,
		       const char **culprit)
{
	int ret = 0;

	*x = (struct zccp_excludes){ 0 };
	for (unsigned i = 0; !ret && i < n; i++) {
		ret = args[i].from_file ? read_file(x, args[i].text) :
			add(x, args[i].text, strlen(args[i].text));
		if (ret)
			*culprit = args[i].text;
	}
	return ret;
}

void zccp_excludes_free(struct zccp_excludes *x)
{
	for (unsigned i = 0; i < x->n; i++)
		free(x->patterns[i].text);
	free(x->patterns);
	*x = (struct zccp_excludes){ 0 };
}

/* pattern against rel: see exclude.h. */
static bool matches(const char *pattern, const char *rel)
{
	int flags = strstr(pattern, "**") ? 0 : FNM_PATHNAME;
	const char *at = rel;

	if (pattern[0] == '/')
		return !fnmatch(pattern + 1, rel, flags);
	if (!strchr(pattern, '/')) {
		const char *slash = strrchr(rel, '/');

		return !fnmatch(pattern, slash ? slash + 1 : rel, 0);
	}
	for (;;) { /* rel, then each tail after a '/' */
		if (!fnmatch(pattern, at, flags))
			return true;
		at = strchr(at, '/');
		if (!at++)
			return false;
	}
}

bool zccp_excluded(const struct zccp_excludes *x, const char *rel, bool dir)
{
	for (unsigned i = 0; i < x->n; i++)
		if ((dir || !x->patterns[i].dir_only) &&
		    matches(x->patterns[i].text, rel))
			return true;
	return false;
}
