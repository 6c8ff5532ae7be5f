/* SPDX-License-Identifier: MIT */
/*
 * --checksum: the source's digest, by a maintained library (nettle's
 * SHA-256, which uses the CPU's SHA instructions where it has them;
 * libxxhash's XXH3-128), printed as sha256sum and xxh128sum print it.
 */
#ifndef ZCCP_DIGEST_H
#define ZCCP_DIGEST_H

#include <stdint.h>

enum zccp_digest_algo { ZCCP_DIGEST_SHA256, ZCCP_DIGEST_XXH128 };

#define ZCCP_DIGEST_NAMES "sha256 or xxh128"
#define ZCCP_DIGEST_HEX_MAX 65 /* SHA-256 in hex, and its NUL */

struct zccp_digest {
	enum zccp_digest_algo algo;
	void *state;
};

/* "sha256" or "xxh128"; 0 or -EINVAL. */
int zccp_digest_parse(const char *name, enum zccp_digest_algo *algo);
const char *zccp_digest_name(enum zccp_digest_algo algo);
int zccp_digest_init(struct zccp_digest *d, enum zccp_digest_algo algo);
void zccp_digest_update(struct zccp_digest *d, const void *data,
			uint64_t len);
/* The digest in lower-case hex, as the *sum tools print it. */
void zccp_digest_hex(struct zccp_digest *d, char hex[ZCCP_DIGEST_HEX_MAX]);
void zccp_digest_free(struct zccp_digest *d);

#endif
