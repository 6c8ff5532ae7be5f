// SPDX-License-Identifier: MIT
/* The zccp stream's header, trailer and reply (see zccp/stream.h). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <xxhash.h>

#include "zccp/report.h"
#include "zccp/stream.h"

#define HASH_XXH3_128 1
#define FLAG_SIZE_KNOWN 1u

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

int zccp_stream_hash_init(struct zccp_stream_hash *h)
{
	h->bytes = 0;
	h->state = XXH3_createState();
	if (!h->state)
		return -ENOMEM;
	XXH3_128bits_reset(h->state);
	return 0;
}

void zccp_stream_hash_update(struct zccp_stream_hash *h, const void *data,
			     uint64_t len)
{
	XXH3_128bits_update(h->state, data, len);
	h->bytes += len;
}

void zccp_stream_hash_free(struct zccp_stream_hash *h)
{
	XXH3_freeState(h->state);
	h->state = NULL;
}

static void digest(const struct zccp_stream_hash *h, uint8_t *out)
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h->state));
	memcpy(out, c.digest, sizeof(c.digest));
}

void zccp_stream_header_encode(uint8_t *out, bool size_known, uint64_t size)
{
	memset(out, 0, ZCCP_STREAM_HEADER_LEN);
	memcpy(out, "ZCCP", 4);
	out[4] = ZCCP_STREAM_VERSION;
	out[5] = HASH_XXH3_128;
	put_be(out + 6, size_known ? FLAG_SIZE_KNOWN : 0, 2);
	put_be(out + 8, size_known ? size : UINT64_MAX, 8);
}

int zccp_stream_header_decode(const uint8_t *in,
			      struct zccp_stream_header *header)
{
	if (memcmp(in, "ZCCP", 4))
		return -ZCCP_ENOTSTREAM;
	/* A new version or hash would be a new version number. */
	if (in[4] != ZCCP_STREAM_VERSION || in[5] != HASH_XXH3_128)
		return in[4] > ZCCP_STREAM_VERSION ? -ZCCP_EVERSION :
						     -ZCCP_ENOTSTREAM;
	header->version = in[4];
	header->size_known = get_be(in + 6, 2) & FLAG_SIZE_KNOWN;
	header->size = get_be(in + 8, 8);
	return 0;
}

void zccp_stream_trailer_encode(uint8_t *out, const struct zccp_stream_hash *h)
{
	memset(out, 0, ZCCP_STREAM_TRAILER_LEN);
	memcpy(out, "ZEND", 4);
	put_be(out + 8, h->bytes, 8);
	digest(h, out + 16);
}

int zccp_stream_trailer_check(const uint8_t *in,
			      const struct zccp_stream_hash *h,
			      const struct zccp_stream_header *header)
{
	uint8_t mine[ZCCP_STREAM_TRAILER_LEN];
	uint64_t sent = get_be(in + 8, 8);

	/* The last bytes of a stream cut short are payload, not "ZEND". */
	if (header->size_known && h->bytes < header->size)
		return -ZCCP_ESHORT;
	if (memcmp(in, "ZEND", 4))
		return -ZCCP_ESHORT;
	if (sent != h->bytes)
		return sent > h->bytes ? -ZCCP_ESHORT : -ZCCP_ECORRUPT;
	if (header->size_known && sent != header->size)
		return -ZCCP_ECORRUPT;
	zccp_stream_trailer_encode(mine, h);
	return memcmp(in, mine, sizeof(mine)) ? -ZCCP_ECORRUPT : 0;
}

void zccp_stream_reply_encode(uint8_t *out, const struct zccp_stream_reply *r)
{
	memcpy(out, "ZACK", 4);
	put_be(out + 4, r->failed, 4);
	put_be(out + 8, r->bytes, 8);
}

int zccp_stream_reply_decode(const uint8_t *in, struct zccp_stream_reply *r)
{
	if (memcmp(in, "ZACK", 4))
		return -ZCCP_ENOREPLY;
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

int zccp_stream_begin(struct zccp_endpoint *dst,
		      const struct zccp_endpoint *src, unsigned timeout_ms)
{
	uint8_t header[ZCCP_STREAM_HEADER_LEN];

	zccp_stream_header_encode(header, src->size_known, src->size);
	return zccp_stream_send(dst->fd, header, sizeof(header), timeout_ms);
}

/* The trailer from byte dst->trailer_sent on (without wait, only what
 * the socket takes now), then no more data. */
static int send_trailer(struct zccp_endpoint *dst,
			const struct zccp_stream_hash *h, bool wait,
			unsigned timeout_ms)
{
	uint8_t trailer[ZCCP_STREAM_TRAILER_LEN];
	int ret;

	zccp_stream_trailer_encode(trailer, h);
	ret = transfer(dst->fd, true, trailer, sizeof(trailer),
		       &dst->trailer_sent, wait, timeout_ms);
	if (ret || dst->trailer_sent < sizeof(trailer))
		return ret;
	return shutdown(dst->fd, SHUT_WR) ? -errno : 0;
}

int zccp_stream_end(struct zccp_endpoint *dst,
		    const struct zccp_stream_hash *h)
{
	int ret = send_trailer(dst, h, false, 0);

	if (!ret)
		zccp_endpoint_set(dst, ZCCP_EP_SENT, 0);
	return ret;
}

int zccp_stream_await_reply(struct zccp_endpoint *dst,
			    const struct zccp_stream_hash *h,
			    unsigned timeout_ms)
{
	uint8_t buf[ZCCP_STREAM_REPLY_LEN];
	struct zccp_stream_reply reply;
	int ret;

	if (dst->trailer_sent < ZCCP_STREAM_TRAILER_LEN) {
		ret = send_trailer(dst, h, true, timeout_ms);
		if (ret)
			return ret;
	}
	/* No deadline: the receiver may be syncing a large file; a host
	 * that died is found by TCP keepalive (see net.c). */
	ret = zccp_stream_recv(dst->fd, buf, sizeof(buf), 0);
	if (ret == -ZCCP_ESHORT || ret == -ECONNRESET)
		ret = -ZCCP_ENOREPLY;
	if (!ret)
		ret = zccp_stream_reply_decode(buf, &reply);
	if (!ret && (reply.failed || reply.bytes != dst->bytes))
		ret = -ZCCP_EREMOTE;
	if (!ret) {
		zccp_endpoint_set(dst, ZCCP_EP_COMMITTED, 0);
		zccp_endpoint_close(dst);
	}
	return ret;
}

int zccp_stream_accept(struct zccp_endpoint *src,
		       struct zccp_stream_header *header, unsigned timeout_ms)
{
	uint8_t buf[ZCCP_STREAM_HEADER_LEN];
	int ret = zccp_stream_recv(src->fd, buf, sizeof(buf), timeout_ms);

	if (ret == -ZCCP_ESHORT)
		ret = -ZCCP_ENOTSTREAM;
	if (!ret)
		ret = zccp_stream_header_decode(buf, header);
	if (!ret) {
		src->size_known = header->size_known;
		src->size = header->size_known ? header->size : 0;
	}
	return ret;
}

int zccp_stream_reply(struct zccp_endpoint *src, uint32_t failed,
		      uint64_t bytes, unsigned timeout_ms)
{
	const struct zccp_stream_reply reply = { .failed = failed,
						 .bytes = bytes };
	uint8_t buf[ZCCP_STREAM_REPLY_LEN];

	zccp_stream_reply_encode(buf, &reply);
	return zccp_stream_send(src->fd, buf, sizeof(buf), timeout_ms);
}
