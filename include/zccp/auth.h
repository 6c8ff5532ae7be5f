/* SPDX-License-Identifier: MIT */
/*
 * The cryptography of authenticated zccp streams (issue 18), from
 * nettle: the transfer's key, tags that bind a stream's parts to it,
 * and the payload's MAC.  Only glue: every primitive is nettle's
 * (HMAC-SHA256, UMAC-128 of RFC 4418, getrandom for nonces).
 *
 * How the stream protocol uses it (stream.c, docs: zccp.1 SECURITY):
 *   receiver -> sender   a challenge: ZCCP_NONCE_LEN fresh random bytes
 *   sender -> receiver   the header with the transfer's nonce, tagged
 *                        zccp_auth_tag("hello", challenge, header)
 *   the payload          zccp_payload_mac over every byte, keyed from
 *                        (key, transfer nonce): computed once for all
 *                        destinations of a transfer
 *   the trailer          zccp_auth_tag("trailer", challenge, transfer
 *                        nonce, length, payload MAC)
 *   the reply            zccp_auth_tag("reply", challenge, reply)
 * A tag binds the receiver's challenge, so a recorded stream replayed
 * to any receiver is refused; only a holder of the key can tag.
 */
#ifndef ZCCP_AUTH_H
#define ZCCP_AUTH_H

#include <nettle/umac.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZCCP_KEY_LEN 32
#define ZCCP_NONCE_LEN 32
#define ZCCP_TAG_LEN 32
/* A key file holds at least this many bytes of secret, at most max. */
#define ZCCP_KEY_FILE_MIN 32
#define ZCCP_KEY_FILE_MAX 4096

struct zccp_key {
	uint8_t bytes[ZCCP_KEY_LEN];
};

/*
 * --key-file: the key derived from the file's contents (any bytes,
 * ZCCP_KEY_FILE_MIN to _MAX of them: `head -c 32 /dev/urandom > FILE`).
 * Refused, as ssh refuses a private key, when the file is not a
 * regular file, belongs to another user (root may use any), or grants
 * any permission to group or others.  0, or -errno with *why saying
 * what is wrong in words for the user ("" for a plain errno).
 */
int zccp_key_load(struct zccp_key *key, const char *path, const char **why);

/* The same from a descriptor read to its end (a channel, e.g. ssh's
 * stdin): no permission check, since nobody else can read it. */
int zccp_key_read(struct zccp_key *key, int fd, const char **why);

/* Fresh random bytes (getrandom): a new key, a challenge, a nonce. */
int zccp_random(void *buf, size_t len);

/* One part of what a tag covers. */
struct zccp_auth_part {
	const void *data;
	size_t len;
};

/*
 * HMAC-SHA256 under key over the label and the parts, each preceded by
 * its length (so that no two different lists of parts give the same
 * bytes).  Labels keep the stream's tags apart: a hello's tag is never
 * a valid trailer's.
 */
void zccp_auth_tag(const struct zccp_key *key, const char *label,
		   const struct zccp_auth_part *parts, unsigned nparts,
		   uint8_t tag[ZCCP_TAG_LEN]);

/* Equal tags, in time that does not depend on where they differ. */
bool zccp_auth_equal(const uint8_t a[ZCCP_TAG_LEN],
		     const uint8_t b[ZCCP_TAG_LEN]);

/* The payload's MAC: UMAC-128 under a key made for this transfer. */
struct zccp_payload_mac {
	struct umac128_ctx umac;
	uint64_t bytes;
};

void zccp_payload_mac_init(struct zccp_payload_mac *m,
			   const struct zccp_key *key,
			   const uint8_t transfer[ZCCP_NONCE_LEN]);
void zccp_payload_mac_update(struct zccp_payload_mac *m, const void *data,
			     size_t len);
/* The MAC of everything fed, and how many bytes that was. */
void zccp_payload_mac_digest(struct zccp_payload_mac *m,
			     uint8_t out[UMAC128_DIGEST_SIZE],
			     uint64_t *bytes);

#endif
