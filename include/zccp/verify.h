/* SPDX-License-Identifier: MIT */
/*
 * --verify: every destination that can be read back (files, block
 * devices) is read back once written, with O_DIRECT where the file
 * system allows it so the page cache cannot answer for the disk, and
 * its digest compared with the source's.
 */
#ifndef ZCCP_VERIFY_H
#define ZCCP_VERIFY_H

#include "zccp/digest.h"
#include "zccp/endpoint.h"

/*
 * Read back the first size bytes of every live destination that can be
 * (in parallel, one thread each), hash them with algo and compare with
 * want (hex).  A destination that differs or cannot be read fails
 * (-ZCCP_EVERIFY or -errno), reported; its temporary stays for the
 * caller to discard.  Returns how many failed.
 */
unsigned zccp_verify_dests(struct zccp_endpoint **dests, unsigned ndests,
			   uint64_t size, enum zccp_digest_algo algo,
			   const char *want);

#endif
