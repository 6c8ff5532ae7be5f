// SPDX-License-Identifier: MIT
/* -p/--preserve (see zccp/preserve.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "zccp/preserve.h"
#include "zccp/report.h"

int zccp_preserve_parse(const char *list, unsigned *what, unsigned *required)
{
	static const struct {
		const char *name;
		unsigned bits;
	} words[] = {
		{ "mode", ZCCP_PRESERVE_MODE },
		{ "ownership", ZCCP_PRESERVE_OWNERSHIP },
		{ "timestamps", ZCCP_PRESERVE_TIMESTAMPS },
		{ "xattr", ZCCP_PRESERVE_XATTR },
		{ "all", ZCCP_PRESERVE_ALL },
	};
	const char *p = list;

	*what = *required = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		unsigned i;

		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strlen(words[i].name) == len &&
			    !strncmp(p, words[i].name, len))
				break;
		if (i == sizeof(words) / sizeof(words[0]))
			return -EINVAL;
		*what |= words[i].bits;
		*required |= words[i].bits == ZCCP_PRESERVE_ALL ?
			ZCCP_PRESERVE_MODE | ZCCP_PRESERVE_TIMESTAMPS :
			words[i].bits;
		p += len + (p[len] == ',');
	}
	return *what ? 0 : -EINVAL;
}

/* Every extended attribute the source has that we may read. */
static int copy_xattrs(int fd, int src_fd, bool required)
{
	ssize_t n = flistxattr(src_fd, NULL, 0);
	char *names, *value = NULL;
	int ret = 0;

	if (n <= 0)
		return n < 0 && required && errno != ENOTSUP ? -errno : 0;
	names = malloc((size_t)n);
	if (!names)
		return -ENOMEM;
	n = flistxattr(src_fd, names, (size_t)n);
	for (char *name = names; n > 0 && name < names + n && !ret;
	     name += strlen(name) + 1) {
		ssize_t len = fgetxattr(src_fd, name, NULL, 0);
		char *grown = len > 0 ? realloc(value, (size_t)len) : value;

		if (len < 0) /* gone meanwhile: fine */
			continue;
		if (len == 0) { /* an empty value: nothing to read */
			if (fsetxattr(fd, name, "", 0, 0) && required)
				ret = -ZCCP_EXATTR;
			continue;
		}
		if (!grown) {
			ret = -ENOMEM;
			continue;
		}
		value = grown;
		len = fgetxattr(src_fd, name, value, (size_t)len);
		if (len >= 0 && fsetxattr(fd, name, value, (size_t)len, 0) &&
		    required)
			ret = -ZCCP_EXATTR;
	}
	if (n < 0 && required)
		ret = -errno;
	free(value);
	free(names);
	return ret;
}

int zccp_preserve(int fd, const struct zccp_endpoint *src, unsigned what,
		  unsigned required)
{
	mode_t mode = src->mode & 07777;
	bool owned = true;
	int ret;

	if (what & ZCCP_PRESERVE_OWNERSHIP) {
		/* As cp: the group alone when the owner cannot be given. */
		owned = !fchown(fd, src->uid, src->gid);
		if (!owned && (required & ZCCP_PRESERVE_OWNERSHIP))
			return -ZCCP_EKEEPOWNER;
		if (!owned && fchown(fd, (uid_t)-1, src->gid)) {
			/* not in its group either: ours stays */
		}
	}
	/* Set-id bits only go with the owner they were given by. */
	if (!owned)
		mode &= ~(mode_t)(S_ISUID | S_ISGID);
	if ((what & ZCCP_PRESERVE_MODE) && fchmod(fd, mode))
		return -errno;
	if (what & ZCCP_PRESERVE_XATTR) {
		ret = copy_xattrs(fd, src->fd,
				  required & ZCCP_PRESERVE_XATTR);
		if (ret)
			return ret;
	}
	/* Last: everything before changes the times. */
	if (what & ZCCP_PRESERVE_TIMESTAMPS) {
		struct timespec times[2] = { src->atime, src->mtime };

		if (futimens(fd, times))
			return -errno;
	}
	return 0;
}
