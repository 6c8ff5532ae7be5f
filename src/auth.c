// SPDX-License-Identifier: MIT
/* Keys, tags and the payload MAC of authenticated streams: see auth.h. */
#include <errno.h>
#include <fcntl.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zccp/auth.h"

int zccp_random(void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = getrandom((char *)buf + done, len - done, 0);

		if (n < 0 && errno != EINTR)
			return -errno;
		done += n > 0 ? (size_t)n : 0;
	}
	return 0;
}

/* Whatever the file holds, hashed into a key of fixed size. */
static void derive(struct zccp_key *key, const uint8_t *secret, size_t len)
{
	static const char label[] = "zccp key file v1";
	struct hmac_sha256_ctx h;

	hmac_sha256_set_key(&h, sizeof(label) - 1, (const uint8_t *)label);
	hmac_sha256_update(&h, len, secret);
	hmac_sha256_digest(&h, ZCCP_KEY_LEN, key->bytes);
}

int zccp_key_read(struct zccp_key *key, int fd, const char **why)
{
	uint8_t secret[ZCCP_KEY_FILE_MAX + 1];
	size_t len = 0;
	int ret = 0;

	*why = "";
	while (len < sizeof(secret)) {
		ssize_t n = read(fd, secret + len, sizeof(secret) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : 0;
			break;
		}
		len += (size_t)n;
	}
	if (!ret && len < ZCCP_KEY_FILE_MIN) {
		*why = "key too short: want at least 32 bytes of secret "
		       "(head -c 32 /dev/urandom > FILE)";
		ret = -EINVAL;
	} else if (!ret && len > ZCCP_KEY_FILE_MAX) {
		*why = "key too long: at most 4096 bytes (is it the key?)";
		ret = -EINVAL;
	}
	if (!ret)
		derive(key, secret, len);
	explicit_bzero(secret, sizeof(secret));
	return ret;
}

/* As ssh for a private key: ours alone, or we refuse to use it. */
static int check_private(const struct stat *st, const char **why)
{
	if (!S_ISREG(st->st_mode)) {
		*why = "not a regular file";
		return -EINVAL;
	}
	if (st->st_uid != geteuid() && geteuid() != 0) {
		*why = "belongs to another user";
		return -EPERM;
	}
	if (st->st_mode & 077) {
		*why = "readable or writable by others than its owner "
		       "(chmod 600 it)";
		return -EPERM;
	}
	return 0;
}

int zccp_key_load(struct zccp_key *key, const char *path, const char **why)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO must be refused, not waited on. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int ret;

	*why = "";
	if (fd < 0)
		return -errno;
	ret = fstat(fd, &st) ? -errno : check_private(&st, why);
	if (!ret)
		ret = zccp_key_read(key, fd, why);
	close(fd);
	return ret;
}

void zccp_auth_tag(const struct zccp_key *key, const char *label,
		   const struct zccp_auth_part *parts, unsigned nparts,
		   uint8_t tag[ZCCP_TAG_LEN])
{
	struct hmac_sha256_ctx h;
	uint8_t len[8];

	hmac_sha256_set_key(&h, ZCCP_KEY_LEN, key->bytes);
	hmac_sha256_update(&h, strlen(label) + 1, (const uint8_t *)label);
	for (unsigned i = 0; i < nparts; i++) {
		uint64_t n = parts[i].len;

		for (unsigned b = 0; b < 8; b++) /* big-endian, fixed size */
			len[b] = (uint8_t)(n >> (56 - 8 * b));
		hmac_sha256_update(&h, sizeof(len), len);
		hmac_sha256_update(&h, parts[i].len, parts[i].data);
	}
	hmac_sha256_digest(&h, ZCCP_TAG_LEN, tag);
}

bool zccp_auth_equal(const uint8_t a[ZCCP_TAG_LEN],
		     const uint8_t b[ZCCP_TAG_LEN])
{
	return memeql_sec(a, b, ZCCP_TAG_LEN);
}

/*
 * UMAC wants a key used for one message (or a nonce never repeated):
 * each transfer's nonce is fresh, so is the key derived from it.
 */
void zccp_payload_mac_init(struct zccp_payload_mac *m,
			   const struct zccp_key *key,
			   const uint8_t transfer[ZCCP_NONCE_LEN])
{
	const struct zccp_auth_part part = { transfer, ZCCP_NONCE_LEN };
	uint8_t umac_key[ZCCP_TAG_LEN];

	zccp_auth_tag(key, "payload key", &part, 1, umac_key);
	umac128_set_key(&m->umac, umac_key);
	umac128_set_nonce(&m->umac, UMAC_KEY_SIZE, transfer);
	m->bytes = 0;
	explicit_bzero(umac_key, sizeof(umac_key));
}

void zccp_payload_mac_update(struct zccp_payload_mac *m, const void *data,
			     size_t len)
{
	umac128_update(&m->umac, len, data);
	m->bytes += len;
}

void zccp_payload_mac_digest(struct zccp_payload_mac *m,
			     uint8_t out[UMAC128_DIGEST_SIZE],
			     uint64_t *bytes)
{
	umac128_digest(&m->umac, UMAC128_DIGEST_SIZE, out);
	*bytes = m->bytes;
}
