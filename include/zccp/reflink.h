/* SPDX-License-Identifier: MIT */
/*
 * --reflink (FICLONE, as cp): a regular destination on the source's
 * file system shares the source's extents instead of receiving its
 * bytes.  It is complete at once and never enters the ring.
 */
#ifndef ZCCP_REFLINK_H
#define ZCCP_REFLINK_H

#include "zccp/endpoint.h"
#include "zccp/opts.h"

/*
 * Clone the whole source into dst's temporary (or --inplace file,
 * already truncated).  0: dst->cloned is set and dst->bytes is the
 * size cloned.  -errno: nothing cloned, the destination is as before.
 * Either way dst->reflink_why says why, for -v and for the failure
 * of --reflink=always; the caller applies the policy.
 */
int zccp_reflink_clone(struct zccp_endpoint *dst,
		       const struct zccp_endpoint *src,
		       const struct zccp_opts *opts);

/*
 * --dry-run: would a clone be tried?  Touches nothing: dst->reflink_why
 * says why or why not.  dir: the directory a new destination goes in.
 */
bool zccp_reflink_predict(struct zccp_endpoint *dst,
			  const struct zccp_endpoint *src,
			  const struct zccp_opts *opts, const char *dir);

#endif
