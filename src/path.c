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

char *zccp_path_dir(const char *path)
{
	char *copy = strdup(path), *dir;

	if (!copy)
		return NULL;
	dir = strdup(dirname(copy));
	free(copy);
	return dir;
}

char *zccp_path_base(const char *path)
{
	char *copy = strdup(path), *base;

	if (!copy)
		return NULL;
	base = strdup(basename(copy));
	free(copy);
	return base;
}
