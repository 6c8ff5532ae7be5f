// SPDX-License-Identifier: MIT
/* --checksum's digests (see zccp/digest.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nettle/sha2.h>
#include <xxhash.h>

#include "zccp/digest.h"

int zccp_digest_parse(const char *name, enum zccp_digest_algo *algo)
{
	if (!strcmp(name, "sha256"))
		*algo = ZCCP_DIGEST_SHA256;
	else if (!strcmp(name, "xxh128"))
		*algo = ZCCP_DIGEST_XXH128;
	else
		return -EINVAL;
	return 0;
}

const char *zccp_digest_name(enum zccp_digest_algo algo)
{
	return algo == ZCCP_DIGEST_XXH128 ? "xxh128" : "sha256";
}

int zccp_digest_init(struct zccp_digest *d, enum zccp_digest_algo algo)
{
	d->algo = algo;
	if (algo == ZCCP_DIGEST_XXH128) {
		d->state = XXH3_createState();
		if (d->state)
			XXH3_128bits_reset(d->state);
	} else {
		d->state = malloc(sizeof(struct sha256_ctx));
		if (d->state)
			sha256_init(d->state);
	}
	return d->state ? 0 : -ENOMEM;
}

void zccp_digest_update(struct zccp_digest *d, const void *data, uint64_t len)
{
	if (d->algo == ZCCP_DIGEST_XXH128)
		XXH3_128bits_update(d->state, data, len);
	else
		sha256_update(d->state, len, data);
}

static void to_hex(const uint8_t *bytes, size_t n, char *hex)
{
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
}

void zccp_digest_hex(struct zccp_digest *d, char hex[ZCCP_DIGEST_HEX_MAX])
{
	uint8_t sum[SHA256_DIGEST_SIZE];
	XXH128_canonical_t c;

	if (d->algo == ZCCP_DIGEST_XXH128) {
		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(d->state));
		to_hex(c.digest, sizeof(c.digest), hex);
	} else {
		sha256_digest(d->state, sizeof(sum), sum);
		to_hex(sum, sizeof(sum), hex);
	}
}

void zccp_digest_free(struct zccp_digest *d)
{
	if (d->algo == ZCCP_DIGEST_XXH128)
		XXH3_freeState(d->state);
	else
		free(d->state);
	d->state = NULL;
}
