// SPDX-License-Identifier: MIT
/* -u/--update: see zccp/update.h. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "zccp/update.h"

int zccp_update_parse(const char *arg, enum zccp_update *u)
{
	if (!arg || !strcmp(arg, "older"))
		*u = ZCCP_UPDATE_OLDER;
	else if (!strcmp(arg, "none"))
		*u = ZCCP_UPDATE_NONE;
	else if (!strcmp(arg, "all"))
		*u = ZCCP_UPDATE_ALL;
	else
		return -EINVAL;
	return 0;
}

/* A file system that keeps whole seconds (nanoseconds 0) is not older
 * within its second: -p copied what it could keep. */
static bool older(struct timespec dst, struct timespec src)
{
	return dst.tv_sec < src.tv_sec ||
	       (dst.tv_sec == src.tv_sec && dst.tv_nsec &&
		dst.tv_nsec < src.tv_nsec);
}

bool zccp_update_keeps(const struct zccp_update_file *src,
		       const struct zccp_update_file *dst)
{
	if (older(dst->mtime, src->mtime))
		return false;
	return dst->type == src->type &&
	       (dst->type != S_IFREG || dst->size == src->size);
}
