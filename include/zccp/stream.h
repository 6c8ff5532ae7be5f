/* SPDX-License-Identifier: MIT */
/*
 * A zccp stream: what goes over tcp:// and unix: unless --raw.  Every
 * part is bound to the transfer's key (auth.h); without one (--insecure,
 * or a unix: socket only its owner can reach) the key is all zeros and
 * the tags catch accidents only, as a checksum would.
 *
 *   challenge 40 bytes  receiver to sender, first: "ZCHL", version 2,
 *                       flags (bit 1: keyed), 2 zero, a fresh nonce R
 *   hello     96 bytes  "ZCCP", version 2, MAC 2 (UMAC-128 and
 *                       HMAC-SHA256), flags (bit 0: size known, bit 1:
 *                       keyed, bit 2: encrypted, bit 3: resume),
 *                       payload size, 16 zero; the transfer's nonce S;
 *                       tag("hello", R, the 64 bytes before)
 *   welcome   40 bytes  receiver to sender: "ZWEL", a verdict (0: in;
 *                       else why not, and the tag is zero),
 *                       tag("welcome", R, S, verdict): the sender sends
 *                       no byte of payload before a receiver proves it
 *                       holds the key.  --encrypt: from here on all
 *                       is in TLS 1.3 (tls.h), the sender the client
 *   held      48 bytes  resume only, receiver to sender: "ZHLD", 4 zero,
 *                       payload bytes it holds, tag("held", R, S, those
 *                       8 bytes): the payload goes on from there
 *   payload             the source's bytes
 *   trailer   48 bytes  "ZEND", 0, payload bytes, tag("trailer", R, S,
 *                       payload bytes, UMAC of the payload under S)
 *   reply     48 bytes  receiver to sender, once its destinations are
 *                       done: "ZACK", destinations that failed, bytes,
 *                       tag("reply", R, S, the 16 bytes before)
 *
 * Integers are big-endian.  R makes every tag good for one connection
 * only (a replay meets another R); S makes one payload MAC serve all of
 * a transfer's destinations.  The receiver only commits what the
 * trailer vouches for, and the sender counts a destination complete
 * only when the reply says so: a relay chain answers end to end.
 *
 * Resume (--fanout's chain, fanout.h): when a receiver's upstream dies,
 * the host before that one connects to it with a hello of the same S
 * that says resume; it answers with the bytes it holds, and the stream
 * goes on from there under the same payload MAC (the trailer and the
 * reply are then bound to the new connection's R).
 */
#ifndef ZCCP_STREAM_H
#define ZCCP_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "zccp/auth.h"
#include "zccp/endpoint.h"

#define ZCCP_STREAM_VERSION 2
#define ZCCP_STREAM_CHALLENGE_LEN 40u
#define ZCCP_STREAM_HELLO_LEN 96u
#define ZCCP_STREAM_WELCOME_LEN 40u
#define ZCCP_STREAM_TRAILER_LEN 48u
#define ZCCP_STREAM_REPLY_LEN 48u
#define ZCCP_STREAM_HELD_LEN 48u

/* What a hello says, and the challenge it answered. */
struct zccp_stream_header {
	unsigned version;
	bool size_known;
	bool keyed;
	bool encrypt; /* TLS follows the welcome */
	bool resume;  /* a transfer under way goes on (held follows) */
	uint64_t size;
	uint8_t transfer[ZCCP_NONCE_LEN];  /* S */
	uint8_t challenge[ZCCP_NONCE_LEN]; /* R */
};

struct zccp_stream_reply {
	uint32_t failed; /* the receiver's destinations that failed */
	uint64_t bytes;	 /* payload bytes it received */
};

/* The payload's MAC, fed in order, and what the tags are made with. */
struct zccp_stream_mac {
	const struct zccp_key *key;
	uint8_t transfer[ZCCP_NONCE_LEN];
	struct zccp_payload_mac payload;
	uint64_t bytes;
	bool final; /* digest taken: no more updates */
	uint8_t digest[UMAC128_DIGEST_SIZE];
};

/* key (NULL: none) must outlive m; transfer is S, fresh per transfer. */
void zccp_stream_mac_init(struct zccp_stream_mac *m,
			  const struct zccp_key *key,
			  const uint8_t transfer[ZCCP_NONCE_LEN]);
void zccp_stream_mac_update(struct zccp_stream_mac *m, const void *data,
			    uint64_t len);

void zccp_stream_challenge_encode(uint8_t *out, bool keyed,
				  const uint8_t challenge[ZCCP_NONCE_LEN]);
/* 0, -ZCCP_ENOTSTREAM or -ZCCP_EVERSION. */
int zccp_stream_challenge_decode(const uint8_t *in, bool *keyed,
				 uint8_t challenge[ZCCP_NONCE_LEN]);

/* h's fields, challenge included, tagged under key. */
void zccp_stream_hello_encode(uint8_t *out, const struct zccp_key *key,
			      const struct zccp_stream_header *h);
/*
 * Into h, whose challenge the caller set: 0, -ZCCP_ENOTSTREAM,
 * -ZCCP_EVERSION, -ZCCP_EKEYS (one end has a key, the other not) or
 * -ZCCP_EAUTH (the tag is not ours: another key, a replay, a change on
 * the way).  key NULL: no key, here and in every call below.
 */
int zccp_stream_hello_decode(const uint8_t *in, const struct zccp_key *key,
			     struct zccp_stream_header *h);

/* The receiver's verdict on a hello: 0 (h decoded it: tagged under
 * key) or the -errno zccp_stream_hello_decode gave. */
void zccp_stream_welcome_encode(uint8_t *out, const struct zccp_key *key,
				const struct zccp_stream_header *h, int verdict);
/* Sender: 0 (in, and the receiver holds the key), the receiver's
 * refusal as -errno (-ZCCP_EREFUSED: not our key; -ZCCP_EKEYS...), or
 * -ZCCP_EAUTH: a welcome not made with our key. */
int zccp_stream_welcome_decode(const uint8_t *in, const struct zccp_key *key,
			       const struct zccp_stream_header *h);

/* Resume: what the receiver of h holds.  decode: 0, -ZCCP_ENOTSTREAM
 * or -ZCCP_EAUTH. */
void zccp_stream_held_encode(uint8_t *out, const struct zccp_key *key,
			     const struct zccp_stream_header *h, uint64_t held);
int zccp_stream_held_decode(const uint8_t *in, const struct zccp_key *key,
			    const struct zccp_stream_header *h, uint64_t *held);

/* The sender's trailer to the receiver that sent challenge. */
void zccp_stream_trailer_encode(uint8_t *out, struct zccp_stream_mac *m,
				const uint8_t challenge[ZCCP_NONCE_LEN]);
/*
 * Does the trailer vouch for what was received (m)?  0, -ZCCP_ESHORT
 * (fewer bytes than the header or trailer promised: cut short) or
 * -ZCCP_ECORRUPT (not a trailer, or its tag differs: changed on the way
 * or not from the key's holder).
 */
int zccp_stream_trailer_check(const uint8_t *in, struct zccp_stream_mac *m,
			      const struct zccp_stream_header *header);

void zccp_stream_reply_encode(uint8_t *out, const struct zccp_stream_reply *r,
			      const struct zccp_stream_mac *m,
			      const uint8_t challenge[ZCCP_NONCE_LEN]);
/* 0, -ZCCP_ENOREPLY (not a reply) or -ZCCP_EAUTH (not the receiver's). */
int zccp_stream_reply_decode(const uint8_t *in, struct zccp_stream_reply *r,
			     const struct zccp_stream_mac *m,
			     const uint8_t challenge[ZCCP_NONCE_LEN]);

/*
 * Blocking transfers of a few bytes, each wait bounded by timeout_ms
 * (0: none).  recv: -ZCCP_ESHORT at end of file before len bytes.
 */
int zccp_stream_send(int fd, const void *buf, uint32_t len,
		     unsigned timeout_ms);
int zccp_stream_recv(int fd, void *buf, uint32_t len, unsigned timeout_ms);
/* Payload bytes [from, to) of file (read with pread) to sock again, for
 * a resume: 0, -ENODATA (file could not give them) or the send's
 * -errno. */
int zccp_stream_send_range(int sock, int file, uint64_t from, uint64_t to,
			   unsigned timeout_ms);

/* The protocol on endpoints; each returns 0 or -errno. */
/*
 * Sender, right after connecting to dst: its challenge into
 * dst->challenge, then the hello for it (m: the key and S; encrypt: it
 * says TLS follows).
 */
int zccp_stream_begin(struct zccp_endpoint *dst,
		      const struct zccp_endpoint *src,
		      const struct zccp_stream_mac *m, bool encrypt,
		      unsigned timeout_ms);
/* Sender, connected to dst in place of a receiver that went: resume
 * (above; encrypt: TLS follows the held message); *held: the payload
 * bytes dst holds, where to go on from. */
int zccp_stream_resume(struct zccp_endpoint *dst,
		       const struct zccp_endpoint *src,
		       const struct zccp_stream_mac *m, bool encrypt,
		       unsigned timeout_ms, uint64_t *held);
/*
 * Sender: the trailer, then no more data; dst then awaits its reply.
 * Never waits: what a full socket does not take now goes out in
 * zccp_stream_await_reply(), so a slow receiver holds up nobody else.
 */
int zccp_stream_end(struct zccp_endpoint *dst,
		    struct zccp_stream_mac *m);
/* Sender: the rest of the trailer, then the receiver's reply: 0 (it
 * holds every byte, its destinations too), -ZCCP_EREMOTE,
 * -ZCCP_ENOREPLY, -errno; the caller commits dst. */
int zccp_stream_await_reply(struct zccp_endpoint *dst,
			    struct zccp_stream_mac *m, unsigned timeout_ms);
/* Receiver: tell the sender how its destinations went. */
int zccp_stream_reply(struct zccp_endpoint *src, uint32_t failed,
		      uint64_t bytes, const struct zccp_stream_mac *m,
		      const uint8_t challenge[ZCCP_NONCE_LEN],
		      unsigned timeout_ms);

#endif
