// SPDX-License-Identifier: MIT
/* Path strings: see zccp/path.h. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zccp/path.h"

char *zccp_path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n);

	if (path)
		snprintf(path, n, "%s%s%s", dir,
			 dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", name);
	return path;
}

/* dirname(3) and basename(3) may change their argument: a copy. */
static char *on_copy(const char *path, char *(*part)(char *))
{
	char *copy = strdup(path), *out;

	if (!copy)
		return NULL;
	out = strdup(part(copy));
	free(copy);
	return out;
}

char *zccp_path_dir(const char *path)
{
	return on_copy(path, dirname);
}

char *zccp_path_base(const char *path)
{
	return on_copy(path, basename);
}
