// SPDX-License-Identifier: MIT
/* The zccp stream's header, trailer and reply (see zccp/stream.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zccp/report.h"
#include "zccp/stream.h"
#include "zccp/tls.h"

#define MAC_UMAC128_HMAC_SHA256 2
#define FLAG_SIZE_KNOWN 1u
#define FLAG_KEYED 2u
#define FLAG_ENCRYPT 4u /* TLS follows the welcome (tls.h) */
#define FLAG_RESUME 8u	/* the transfer goes on from what the receiver holds */
#define HEADER_LEN 64u /* the hello before its tag */

/* What no key means: tags anyone can make, so they catch accidents. */
static const struct zccp_key no_key;

static const struct zccp_key *key_or_none(const struct zccp_key *key)
{
	return key ? key : &no_key;
}

static void put_be(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

void zccp_stream_mac_init(struct zccp_stream_mac *m,
			  const struct zccp_key *key,
			  const uint8_t transfer[ZCCP_NONCE_LEN])
{
	*m = (struct zccp_stream_mac){ .key = key };
	memcpy(m->transfer, transfer, ZCCP_NONCE_LEN);
	zccp_payload_mac_init(&m->payload, key_or_none(key), transfer);
}

void zccp_stream_mac_update(struct zccp_stream_mac *m, const void *data,
			    uint64_t len)
{
	zccp_payload_mac_update(&m->payload, data, len);
	m->bytes += len;
}

/* UMAC's digest resets it: take it once, when the payload is whole. */
static const uint8_t *payload_digest(struct zccp_stream_mac *m)
{
	uint64_t bytes;

	if (!m->final)
		zccp_payload_mac_digest(&m->payload, m->digest, &bytes);
	m->final = true;
	return m->digest;
}

void zccp_stream_challenge_encode(uint8_t *out, bool keyed,
				  const uint8_t challenge[ZCCP_NONCE_LEN])
{
	memcpy(out, "ZCHL", 4);
	out[4] = ZCCP_STREAM_VERSION;
	out[5] = keyed ? FLAG_KEYED : 0;
	out[6] = out[7] = 0;
	memcpy(out + 8, challenge, ZCCP_NONCE_LEN);
}

/* The magic and version every message of ours starts with. */
static int check_magic(const uint8_t *in, const char *magic)
{
	if (memcmp(in, magic, 4))
		return -ZCCP_ENOTSTREAM;
	if (in[4] != ZCCP_STREAM_VERSION)
		return in[4] > ZCCP_STREAM_VERSION ? -ZCCP_EVERSION :
						     -ZCCP_ENOTSTREAM;
	return 0;
}

int zccp_stream_challenge_decode(const uint8_t *in, bool *keyed,
				 uint8_t challenge[ZCCP_NONCE_LEN])
{
	int ret = check_magic(in, "ZCHL");

	if (ret)
		return ret;
	*keyed = in[5] & FLAG_KEYED;
	memcpy(challenge, in + 8, ZCCP_NONCE_LEN);
	return 0;
}

/* tag(label, R, parts...): every tag names the connection's challenge. */
static void tag(const struct zccp_key *key, const char *label,
		const uint8_t challenge[ZCCP_NONCE_LEN],
		const struct zccp_auth_part *parts, unsigned nparts,
		uint8_t out[ZCCP_TAG_LEN])
{
	struct zccp_auth_part all[4] = { { challenge, ZCCP_NONCE_LEN } };

	memcpy(all + 1, parts, nparts * sizeof(*parts));
	zccp_auth_tag(key_or_none(key), label, all, nparts + 1, out);
}

void zccp_stream_hello_encode(uint8_t *out, const struct zccp_key *key,
			      const struct zccp_stream_header *h)
{
	const struct zccp_auth_part part = { out, HEADER_LEN };
	unsigned flags = (h->size_known ? FLAG_SIZE_KNOWN : 0) |
			 (key ? FLAG_KEYED : 0) |
			 (h->encrypt ? FLAG_ENCRYPT : 0) |
			 (h->resume ? FLAG_RESUME : 0);

	memset(out, 0, ZCCP_STREAM_HELLO_LEN);
	memcpy(out, "ZCCP", 4);
	out[4] = ZCCP_STREAM_VERSION;
	out[5] = MAC_UMAC128_HMAC_SHA256;
	put_be(out + 6, flags, 2);
	put_be(out + 8, h->size_known ? h->size : UINT64_MAX, 8);
	memcpy(out + 32, h->transfer, ZCCP_NONCE_LEN);
	tag(key, "hello", h->challenge, &part, 1, out + HEADER_LEN);
}

int zccp_stream_hello_decode(const uint8_t *in, const struct zccp_key *key,
			     struct zccp_stream_header *h)
{
	const struct zccp_auth_part part = { in, HEADER_LEN };
	uint8_t mine[ZCCP_TAG_LEN];
	unsigned flags;
	int ret = check_magic(in, "ZCCP");

	/* Another MAC would be another version. */
	if (!ret && in[5] != MAC_UMAC128_HMAC_SHA256)
		ret = -ZCCP_ENOTSTREAM;
	if (ret)
		return ret;
	flags = (unsigned)get_be(in + 6, 2);
	if (!(flags & FLAG_KEYED) != !key)
		return -ZCCP_EKEYS;
	tag(key, "hello", h->challenge, &part, 1, mine);
	if (!zccp_auth_equal(mine, in + HEADER_LEN))
		return -ZCCP_EAUTH;
	h->version = in[4];
	h->keyed = flags & FLAG_KEYED;
	h->size_known = flags & FLAG_SIZE_KNOWN;
	h->encrypt = flags & FLAG_ENCRYPT;
	h->resume = flags & FLAG_RESUME;
	h->size = get_be(in + 8, 8);
	memcpy(h->transfer, in + 32, ZCCP_NONCE_LEN);
	return 0;
}

/* A verdict on the wire: 0 in, else why not. */
enum { IN, NOT_OUR_KEY, KEYS_DIFFER, NOT_ENCRYPTED };

static unsigned verdict_code(int verdict)
{
	switch (verdict) {
	case 0: return IN;
	case -ZCCP_EKEYS: return KEYS_DIFFER;
	case -ZCCP_EPLAIN: return NOT_ENCRYPTED;
	default: return NOT_OUR_KEY;
	}
}

/* A receiver's answer to h (welcome, held): tag(label, R, S, field). */
static void answer_tag(const struct zccp_key *key, const char *label,
		       const struct zccp_stream_header *h,
		       const uint8_t *field, size_t len,
		       uint8_t out[ZCCP_TAG_LEN])
{
	const struct zccp_auth_part parts[] = {
		{ h->transfer, ZCCP_NONCE_LEN },
		{ field, len },
	};

	tag(key, label, h->challenge, parts, 2, out);
}

void zccp_stream_welcome_encode(uint8_t *out, const struct zccp_key *key,
				const struct zccp_stream_header *h, int verdict)
{
	memset(out, 0, ZCCP_STREAM_WELCOME_LEN);
	memcpy(out, "ZWEL", 4);
	put_be(out + 4, verdict_code(verdict), 4);
	/* a refused hello told us no transfer nonce worth binding */
	if (!verdict)
		answer_tag(key, "welcome", h, out + 4, 4, out + 8);
}

int zccp_stream_welcome_decode(const uint8_t *in, const struct zccp_key *key,
			       const struct zccp_stream_header *h)
{
	static const int refusals[] = { [NOT_OUR_KEY] = -ZCCP_EREFUSED,
					[KEYS_DIFFER] = -ZCCP_EKEYS,
					[NOT_ENCRYPTED] = -ZCCP_EPLAIN };
	uint64_t code = get_be(in + 4, 4);
	uint8_t mine[ZCCP_TAG_LEN];

	if (memcmp(in, "ZWEL", 4))
		return -ZCCP_ENOTSTREAM;
	if (code != IN)
		return code < sizeof(refusals) / sizeof(*refusals) ?
			       refusals[code] : -ZCCP_EREFUSED;
	answer_tag(key, "welcome", h, in + 4, 4, mine);
	return zccp_auth_equal(mine, in + 8) ? 0 : -ZCCP_EAUTH;
}

void zccp_stream_held_encode(uint8_t *out, const struct zccp_key *key,
			     const struct zccp_stream_header *h, uint64_t held)
{
	memset(out, 0, ZCCP_STREAM_HELD_LEN);
	memcpy(out, "ZHLD", 4);
	put_be(out + 8, held, 8);
	answer_tag(key, "held", h, out + 8, 8, out + 16);
}

int zccp_stream_held_decode(const uint8_t *in, const struct zccp_key *key,
			    const struct zccp_stream_header *h, uint64_t *held)
{
	uint8_t mine[ZCCP_TAG_LEN];

	if (memcmp(in, "ZHLD", 4))
		return -ZCCP_ENOTSTREAM;
	answer_tag(key, "held", h, in + 8, 8, mine);
	if (!zccp_auth_equal(mine, in + 16))
		return -ZCCP_EAUTH;
	*held = get_be(in + 8, 8);
	return 0;
}

void zccp_stream_trailer_encode(uint8_t *out, struct zccp_stream_mac *m,
				const uint8_t challenge[ZCCP_NONCE_LEN])
{
	const struct zccp_auth_part parts[] = {
		{ m->transfer, ZCCP_NONCE_LEN },
		{ out + 8, 8 },
		{ payload_digest(m), UMAC128_DIGEST_SIZE },
	};

	memset(out, 0, ZCCP_STREAM_TRAILER_LEN);
	memcpy(out, "ZEND", 4);
	put_be(out + 8, m->bytes, 8);
	tag(m->key, "trailer", challenge, parts, 3, out + 16);
}

int zccp_stream_trailer_check(const uint8_t *in, struct zccp_stream_mac *m,
			      const struct zccp_stream_header *header)
{
	uint8_t mine[ZCCP_STREAM_TRAILER_LEN];
	uint64_t sent = get_be(in + 8, 8);

	/* The last bytes of a stream cut short are payload, not "ZEND". */
	if (header->size_known && m->bytes < header->size)
		return -ZCCP_ESHORT;
	if (memcmp(in, "ZEND", 4))
		return -ZCCP_ESHORT;
	if (sent != m->bytes)
		return sent > m->bytes ? -ZCCP_ESHORT : -ZCCP_ECORRUPT;
	if (header->size_known && sent != header->size)
		return -ZCCP_ECORRUPT;
	zccp_stream_trailer_encode(mine, m, header->challenge);
	return zccp_auth_equal(mine + 16, in + 16) && !memcmp(in, mine, 16) ?
		       0 : -ZCCP_ECORRUPT;
}

static void reply_tag(const uint8_t *reply, const struct zccp_stream_mac *m,
		      const uint8_t challenge[ZCCP_NONCE_LEN],
		      uint8_t out[ZCCP_TAG_LEN])
{
	const struct zccp_auth_part parts[] = {
		{ m->transfer, ZCCP_NONCE_LEN },
		{ reply, 16 },
	};

	tag(m->key, "reply", challenge, parts, 2, out);
}

void zccp_stream_reply_encode(uint8_t *out, const struct zccp_stream_reply *r,
			      const struct zccp_stream_mac *m,
			      const uint8_t challenge[ZCCP_NONCE_LEN])
{
	memcpy(out, "ZACK", 4);
	put_be(out + 4, r->failed, 4);
	put_be(out + 8, r->bytes, 8);
	reply_tag(out, m, challenge, out + 16);
}

int zccp_stream_reply_decode(const uint8_t *in, struct zccp_stream_reply *r,
			     const struct zccp_stream_mac *m,
			     const uint8_t challenge[ZCCP_NONCE_LEN])
{
	uint8_t mine[ZCCP_TAG_LEN];

	if (memcmp(in, "ZACK", 4))
		return -ZCCP_ENOREPLY;
	reply_tag(in, m, challenge, mine);
	if (!zccp_auth_equal(mine, in + 16))
		return -ZCCP_EAUTH;
	r->failed = (uint32_t)get_be(in + 4, 4);
	r->bytes = get_be(in + 8, 8);
	return 0;
}

static int wait_for(int fd, short events, unsigned timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ret;

	do
		ret = poll(&pfd, 1, timeout_ms ? (int)timeout_ms : -1);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	return ret ? 0 : -ETIMEDOUT;
}

/*
 * Move buf[*done, len) through a socket (out: send, else recv) without
 * blocking in the call.  Where it takes nothing now: wait, each wait
 * bounded by timeout_ms (0: none), or without wait return 0 with *done
 * short.  recv: -ZCCP_ESHORT at end of file.
 */
static int transfer(int fd, bool out, uint8_t *buf, uint32_t len,
		    uint32_t *done, bool wait, unsigned timeout_ms)
{
	while (*done < len) {
		ssize_t n = out ? send(fd, buf + *done, len - *done,
				       MSG_DONTWAIT | MSG_NOSIGNAL) :
				  recv(fd, buf + *done, len - *done,
				       MSG_DONTWAIT);
		int ret;

		if (n > 0) {
			*done += (uint32_t)n;
			continue;
		}
		if (n == 0 && !out)
			return -ZCCP_ESHORT;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (!wait)
			return 0;
		ret = wait_for(fd, out ? POLLOUT : POLLIN, timeout_ms);
		if (ret)
			return ret;
	}
	return 0;
}

int zccp_stream_send(int fd, const void *buf, uint32_t len,
		     unsigned timeout_ms)
{
	uint32_t done = 0;

	return transfer(fd, true, (uint8_t *)buf, len, &done, true,
			timeout_ms);
}

int zccp_stream_recv(int fd, void *buf, uint32_t len, unsigned timeout_ms)
{
	uint32_t done = 0;

	return transfer(fd, false, buf, len, &done, true, timeout_ms);
}

/* Challenge, hello, welcome; resume: and what the receiver holds. */
static int begin(struct zccp_endpoint *dst, const struct zccp_endpoint *src,
		 const struct zccp_stream_mac *m, struct zccp_stream_header *h,
		 unsigned timeout_ms)
{
	uint8_t buf[ZCCP_STREAM_HELLO_LEN];
	bool keyed;
	int ret = zccp_stream_recv(dst->fd, buf, ZCCP_STREAM_CHALLENGE_LEN,
				   timeout_ms);

	/* Closed before a challenge: not a zccp receiver, or it refused;
	 * silent: nc or socat, or a zccp before version 2. */
	if (ret == -ZCCP_ESHORT || ret == -ECONNRESET)
		ret = -ZCCP_ENOREPLY;
	else if (ret == -ETIMEDOUT)
		ret = -ZCCP_ESILENT;
	if (!ret)
		ret = zccp_stream_challenge_decode(buf, &keyed, h->challenge);
	if (!ret && keyed != !!m->key)
		ret = -ZCCP_EKEYS;
	if (ret)
		return ret;
	h->size_known = src->size_known;
	h->size = src->size;
	memcpy(dst->challenge, h->challenge, ZCCP_NONCE_LEN);
	memcpy(h->transfer, m->transfer, ZCCP_NONCE_LEN);
	zccp_stream_hello_encode(buf, m->key, h);
	ret = zccp_stream_send(dst->fd, buf, sizeof(buf), timeout_ms);
	if (!ret)
		ret = zccp_stream_recv(dst->fd, buf, ZCCP_STREAM_WELCOME_LEN,
				       timeout_ms);
	if (ret == -ZCCP_ESHORT || ret == -ECONNRESET)
		ret = -ZCCP_ENOREPLY;
	return ret ? ret : zccp_stream_welcome_decode(buf, m->key, h);
}

int zccp_stream_begin(struct zccp_endpoint *dst,
		      const struct zccp_endpoint *src,
		      const struct zccp_stream_mac *m, bool encrypt,
		      unsigned timeout_ms)
{
	struct zccp_stream_header h = { .encrypt = encrypt };

	return begin(dst, src, m, &h, timeout_ms);
}

int zccp_stream_resume(struct zccp_endpoint *dst,
		       const struct zccp_endpoint *src,
		       const struct zccp_stream_mac *m, bool encrypt,
		       unsigned timeout_ms, uint64_t *held)
{
	struct zccp_stream_header h = { .resume = true, .encrypt = encrypt };
	uint8_t buf[ZCCP_STREAM_HELD_LEN];
	int ret = begin(dst, src, m, &h, timeout_ms);

	if (!ret)
		ret = zccp_stream_recv(dst->fd, buf, sizeof(buf), timeout_ms);
	if (ret == -ZCCP_ESHORT || ret == -ECONNRESET)
		ret = -ZCCP_ENOREPLY;
	return ret ? ret : zccp_stream_held_decode(buf, m->key, &h, held);
}

int zccp_stream_send_range(int sock, int file, uint64_t from, uint64_t to,
			   unsigned timeout_ms)
{
	size_t size = 1u << 20;
	uint8_t *buf = malloc(size);
	int ret = buf ? 0 : -ENODATA;

	while (!ret && from < to) {
		size_t n = to - from < size ? (size_t)(to - from) : size;
		ssize_t got = pread(file, buf, n, (off_t)from);

		if (got <= 0)
			ret = -ENODATA; /* ours, whatever the cause */
		else
			ret = zccp_stream_send(sock, buf, (uint32_t)got,
					       timeout_ms);
		from += got > 0 ? (uint64_t)got : 0;
	}
	free(buf);
	return ret;
}

/* The trailer from byte dst->trailer_sent on (without wait, only what
 * the socket takes now), then no more data. */
static int send_trailer(struct zccp_endpoint *dst, struct zccp_stream_mac *m,
			bool wait, unsigned timeout_ms)
{
	uint8_t trailer[ZCCP_STREAM_TRAILER_LEN];
	int ret;

	zccp_stream_trailer_encode(trailer, m, dst->challenge);
	ret = transfer(dst->fd, true, trailer, sizeof(trailer),
		       &dst->trailer_sent, wait, timeout_ms);
	if (ret || dst->trailer_sent < sizeof(trailer))
		return ret;
	return shutdown(dst->fd, SHUT_WR) ? -errno : 0;
}

int zccp_stream_end(struct zccp_endpoint *dst, struct zccp_stream_mac *m)
{
	int ret = send_trailer(dst, m, false, 0);

	if (!ret)
		zccp_endpoint_set(dst, ZCCP_EP_SENT, 0);
	return ret;
}

int zccp_stream_await_reply(struct zccp_endpoint *dst,
			    struct zccp_stream_mac *m, unsigned timeout_ms)
{
	uint8_t buf[ZCCP_STREAM_REPLY_LEN];
	struct zccp_stream_reply reply;
	int ret;

	if (dst->trailer_sent < ZCCP_STREAM_TRAILER_LEN) {
		ret = send_trailer(dst, m, true, timeout_ms);
		if (ret)
			return ret;
	}
	/* No deadline: the receiver may be syncing a large file; a host
	 * that died is found by TCP keepalive (see net.c). */
	ret = dst->tls && zccp_tls_in_kernel(dst->tls) ?
		      zccp_tls_recv(dst->tls, buf, sizeof(buf)) :
		      zccp_stream_recv(dst->fd, buf, sizeof(buf), 0);
	if (ret == -ZCCP_ESHORT || ret == -ECONNRESET)
		ret = -ZCCP_ENOREPLY;
	if (!ret)
		ret = zccp_stream_reply_decode(buf, &reply, m, dst->challenge);
	if (!ret && (reply.failed || reply.bytes != dst->bytes))
		ret = -ZCCP_EREMOTE;
	return ret;
}

int zccp_stream_reply(struct zccp_endpoint *src, uint32_t failed,
		      uint64_t bytes, const struct zccp_stream_mac *m,
		      const uint8_t challenge[ZCCP_NONCE_LEN],
		      unsigned timeout_ms)
{
	const struct zccp_stream_reply reply = { .failed = failed,
						 .bytes = bytes };
	uint8_t buf[ZCCP_STREAM_REPLY_LEN];

	zccp_stream_reply_encode(buf, &reply, m, challenge);
	return zccp_stream_send(src->fd, buf, sizeof(buf), timeout_ms);
}
