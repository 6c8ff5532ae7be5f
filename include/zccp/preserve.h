/* SPDX-License-Identifier: MIT */
/*
 * -p/--preserve: the source's mode, owner, times and extended
 * attributes on a regular destination, as cp gives them: applied to the
 * replacement once its data is final (times last), before it is
 * renamed into place.
 */
#ifndef ZCCP_PRESERVE_H
#define ZCCP_PRESERVE_H

#include "zccp/endpoint.h"

enum {
	ZCCP_PRESERVE_MODE = 1u << 0,
	ZCCP_PRESERVE_OWNERSHIP = 1u << 1,
	ZCCP_PRESERVE_TIMESTAMPS = 1u << 2,
	ZCCP_PRESERVE_XATTR = 1u << 3,
	ZCCP_PRESERVE_ALL = (1u << 4) - 1,
	/* -p, as cp -p */
	ZCCP_PRESERVE_DEFAULT = ZCCP_PRESERVE_MODE | ZCCP_PRESERVE_OWNERSHIP |
				ZCCP_PRESERVE_TIMESTAMPS,
};

#define ZCCP_PRESERVE_NAMES "mode, ownership, timestamps, xattr or all"

/*
 * "mode,timestamps", "all": *what gets the bits, *required those that
 * must succeed (named ones; "all", like cp -a, lets ownership fail
 * without privilege and xattrs fail where the file system has none).
 * 0 or -EINVAL.
 */
int zccp_preserve_parse(const char *list, unsigned *what, unsigned *required);

/*
 * Give fd (a regular destination) src's attributes.  What cannot be
 * kept and is not required is left, as cp leaves it; a failure of a
 * required one returns -ZCCP_EKEEPOWNER, -ZCCP_EXATTR or -errno.
 */
int zccp_preserve(int fd, const struct zccp_endpoint *src, unsigned what,
		  unsigned required);

#endif
