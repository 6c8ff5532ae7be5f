// SPDX-License-Identifier: MIT
/*
 * auth.c: key files (what is refused, what a key is), tags (their exact
 * bytes, so that the stream protocol cannot drift unnoticed; what they
 * tell apart) and the payload MAC (chunking does not matter, any change
 * does).  The expected HMACs were computed with Python's hmac module.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "zccp/auth.h"

static char dir[] = "/tmp/zccp-test-auth.XXXXXX";

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* A file of len bytes 0, 1, 2, ... with mode; its path. */
static const char *key_file(const char *name, size_t len, mode_t mode)
{
	static char path[256];
	uint8_t data[ZCCP_KEY_FILE_MAX + 8];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)i;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchmod(fd, mode))
		perror(path);
	close(fd);
	return path;
}

static void test_key_files(void)
{
	struct zccp_key a, b;
	const char *why;
	char text[2 * ZCCP_KEY_LEN + 1];

	CHECK(zccp_key_load(&a, key_file("k40", 40, 0600), &why) == 0);
	hex(a.bytes, ZCCP_KEY_LEN, text);
	CHECK(!strcmp(text, "43bdbf77fcae326f09a0d2574ec9bbcaa05e0cfa57be10df"
			    "ae6764cf1174484d"));
	CHECK(zccp_key_load(&b, key_file("k400", 40, 0400), &why) == 0);
	CHECK(!memcmp(a.bytes, b.bytes, ZCCP_KEY_LEN));
	CHECK(zccp_key_load(&b, key_file("k41", 41, 0600), &why) == 0);
	CHECK(memcmp(a.bytes, b.bytes, ZCCP_KEY_LEN) != 0);
	CHECK(zccp_key_load(&b, key_file("k644", 40, 0644), &why) == -EPERM);
	CHECK(strstr(why, "chmod 600") != NULL);
	CHECK(zccp_key_load(&b, key_file("k640", 40, 0640), &why) == -EPERM);
	CHECK(zccp_key_load(&b, key_file("k602", 40, 0602), &why) == -EPERM);
	CHECK(zccp_key_load(&b, key_file("short", 31, 0600), &why) == -EINVAL);
	CHECK(strstr(why, "too short") != NULL);
	CHECK(zccp_key_load(&b, key_file("min", 32, 0600), &why) == 0);
	CHECK(zccp_key_load(&b, key_file("long", ZCCP_KEY_FILE_MAX + 1, 0600),
			    &why) == -EINVAL);
	CHECK(zccp_key_load(&b, dir, &why) == -EINVAL);
	CHECK(zccp_key_load(&b, "/nonexistent/key", &why) == -ENOENT);
}

/* The same key through a pipe: a channel needs no mode check. */
static void test_key_channel(void)
{
	struct zccp_key a, b;
	uint8_t secret[40];
	const char *why;
	int p[2];

	for (unsigned i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)i;
	CHECK(zccp_key_load(&a, key_file("k40", 40, 0600), &why) == 0);
	if (pipe(p) || write(p[1], secret, sizeof(secret)) != sizeof(secret))
		perror("pipe");
	close(p[1]);
	CHECK(zccp_key_read(&b, p[0], &why) == 0);
	close(p[0]);
	CHECK(!memcmp(a.bytes, b.bytes, ZCCP_KEY_LEN));
}

static void test_tags(void)
{
	struct zccp_key key, other;
	const struct zccp_auth_part abc[] = { { "abc", 3 }, { "", 0 } };
	const struct zccp_auth_part ab_c[] = { { "ab", 2 }, { "c", 1 } };
	const struct zccp_auth_part a_bc[] = { { "a", 1 }, { "bc", 2 } };
	uint8_t t1[ZCCP_TAG_LEN], t2[ZCCP_TAG_LEN];
	char text[2 * ZCCP_TAG_LEN + 1];

	for (unsigned i = 0; i < ZCCP_KEY_LEN; i++)
		key.bytes[i] = (uint8_t)i;
	zccp_auth_tag(&key, "hello", abc, 2, t1);
	hex(t1, ZCCP_TAG_LEN, text);
	CHECK(!strcmp(text, "9285ef426cccc442be3665b2e3fa1c3efcd3a9672bde4b69"
			    "34e9090895fe02cf"));
	CHECK(zccp_auth_equal(t1, t1));
	zccp_auth_tag(&key, "trailer", abc, 2, t2);
	CHECK(!zccp_auth_equal(t1, t2)); /* labels keep tags apart */
	zccp_auth_tag(&key, "hello", ab_c, 2, t1);
	zccp_auth_tag(&key, "hello", a_bc, 2, t2);
	CHECK(!zccp_auth_equal(t1, t2)); /* so do the parts' bounds */
	other = key;
	other.bytes[31] ^= 1;
	zccp_auth_tag(&other, "hello", ab_c, 2, t2);
	CHECK(!zccp_auth_equal(t1, t2));
	memcpy(t2, t1, ZCCP_TAG_LEN);
	t2[0] ^= 0x80;
	CHECK(!zccp_auth_equal(t1, t2));
	t2[0] ^= 0x80;
	t2[ZCCP_TAG_LEN - 1] ^= 1;
	CHECK(!zccp_auth_equal(t1, t2));
}

static void mac_of(const struct zccp_key *key, const uint8_t *nonce,
		   const uint8_t *data, size_t len, size_t piece,
		   uint8_t out[UMAC128_DIGEST_SIZE], uint64_t *bytes)
{
	struct zccp_payload_mac m;

	zccp_payload_mac_init(&m, key, nonce);
	for (size_t off = 0; off < len; off += piece)
		zccp_payload_mac_update(&m, data + off,
					len - off < piece ? len - off : piece);
	zccp_payload_mac_digest(&m, out, bytes);
}

static void test_payload_mac(void)
{
	enum { SIZE = 3 * 4096 + 5 };
	static uint8_t data[SIZE];
	struct zccp_key key;
	uint8_t nonce[ZCCP_NONCE_LEN], a[16], b[16];
	uint64_t n;

	CHECK(zccp_random(key.bytes, sizeof(key.bytes)) == 0);
	CHECK(zccp_random(nonce, sizeof(nonce)) == 0);
	CHECK(zccp_random(data, sizeof(data)) == 0);
	mac_of(&key, nonce, data, SIZE, SIZE, a, &n);
	CHECK(n == SIZE);
	mac_of(&key, nonce, data, SIZE, 1000, b, &n);
	CHECK(!memcmp(a, b, sizeof(a)) && n == SIZE);
	mac_of(&key, nonce, data, SIZE, 1, b, &n);
	CHECK(!memcmp(a, b, sizeof(a)));
	data[SIZE / 2] ^= 4;
	mac_of(&key, nonce, data, SIZE, SIZE, b, &n);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	data[SIZE / 2] ^= 4;
	mac_of(&key, nonce, data, SIZE - 1, SIZE, b, &n);
	CHECK(memcmp(a, b, sizeof(a)) != 0 && n == SIZE - 1);
	nonce[0] ^= 1; /* another transfer: another MAC */
	mac_of(&key, nonce, data, SIZE, SIZE, b, &n);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
}

int main(void)
{
	char cmd[64];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_key_files();
	test_key_channel();
	test_tags();
	test_payload_mac();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
	CHECK_EXIT();
}
