/* SPDX-License-Identifier: MIT */
/*
 * A zccp stream: what goes over tcp:// and unix: unless --raw.
 *
 *   header  32 bytes  "ZCCP", version 1, hash 1 (XXH3-128), flags
 *                     (bit 0: size known), payload size, 16 zero bytes
 *   payload           the source's bytes
 *   trailer 32 bytes  "ZEND", 0, payload bytes, XXH3-128 of the payload
 *   reply   16 bytes  receiver to sender, once its destinations are
 *                     done: "ZACK", destinations that failed, bytes
 *
 * Integers are big-endian.  The receiver only commits what the trailer
 * vouches for, and the sender counts a destination complete only when
 * the reply says so: a relay chain answers end to end.
 */
#ifndef ZCCP_STREAM_H
#define ZCCP_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "zccp/endpoint.h"

#define ZCCP_STREAM_VERSION 1
#define ZCCP_STREAM_HEADER_LEN 32u
#define ZCCP_STREAM_TRAILER_LEN 32u
#define ZCCP_STREAM_REPLY_LEN 16u

struct zccp_stream_header {
	unsigned version;
	bool size_known;
	uint64_t size;
};

struct zccp_stream_reply {
	uint32_t failed; /* the receiver's destinations that failed */
	uint64_t bytes;	 /* payload bytes it received */
};

/* The payload's running digest, fed in order. */
struct zccp_stream_hash {
	void *state; /* XXH3_state_t */
	uint64_t bytes;
};

int zccp_stream_hash_init(struct zccp_stream_hash *h);
void zccp_stream_hash_update(struct zccp_stream_hash *h, const void *data,
			     uint64_t len);
void zccp_stream_hash_free(struct zccp_stream_hash *h);

void zccp_stream_header_encode(uint8_t *out, bool size_known, uint64_t size);
/* 0, -ZCCP_ENOTSTREAM or -ZCCP_EVERSION. */
int zccp_stream_header_decode(const uint8_t *in,
			      struct zccp_stream_header *header);

void zccp_stream_trailer_encode(uint8_t *out, const struct zccp_stream_hash *h);
/*
 * Does the trailer vouch for what was received (h)?  0, -ZCCP_ESHORT
 * (fewer bytes than the header or trailer promised: cut short) or
 * -ZCCP_ECORRUPT (not a trailer, or the digest differs).
 */
int zccp_stream_trailer_check(const uint8_t *in,
			      const struct zccp_stream_hash *h,
			      const struct zccp_stream_header *header);

void zccp_stream_reply_encode(uint8_t *out, const struct zccp_stream_reply *r);
/* 0 or -ZCCP_ENOREPLY. */
int zccp_stream_reply_decode(const uint8_t *in, struct zccp_stream_reply *r);

/*
 * Blocking transfers of a few bytes, each wait bounded by timeout_ms
 * (0: none).  recv: -ZCCP_ESHORT at end of file before len bytes.
 */
int zccp_stream_send(int fd, const void *buf, uint32_t len,
		     unsigned timeout_ms);
int zccp_stream_recv(int fd, void *buf, uint32_t len, unsigned timeout_ms);

/* The protocol on endpoints; each returns 0 or -errno. */
/* Sender: the header, right after connecting to dst. */
int zccp_stream_begin(struct zccp_endpoint *dst,
		      const struct zccp_endpoint *src, unsigned timeout_ms);
/*
 * Sender: the trailer, then no more data; dst then awaits its reply.
 * Never waits: what a full socket does not take now goes out in
 * zccp_stream_await_reply(), so a slow receiver holds up nobody else.
 */
int zccp_stream_end(struct zccp_endpoint *dst,
		    const struct zccp_stream_hash *h);
/* Sender: the rest of the trailer, then the receiver's reply; 0 (dst is
 * then committed) or -ZCCP_EREMOTE, -ZCCP_ENOREPLY, -errno. */
int zccp_stream_await_reply(struct zccp_endpoint *dst,
			    const struct zccp_stream_hash *h,
			    unsigned timeout_ms);
/* Receiver: the header; sets the source's size when the sender knew it. */
int zccp_stream_accept(struct zccp_endpoint *src,
		       struct zccp_stream_header *header, unsigned timeout_ms);
/* Receiver: tell the sender how its destinations went. */
int zccp_stream_reply(struct zccp_endpoint *src, uint32_t failed,
		      uint64_t bytes, unsigned timeout_ms);

#endif
