/* SPDX-License-Identifier: MIT */
/*
 * The digest off the copy path: a thread that feeds a zccp stream's
 * digest with the ring's chunks, in order, while the copy goes on.
 *
 * The core says how far chunks are ready; the thread calls feed() for
 * each, in order, and counts them hashed; the core then lets the chunk
 * go.  feed() runs on the hasher's thread: it may only read the chunk
 * (the core holds the chunk until it is counted).
 */
#ifndef ZCCP_HASHER_H
#define ZCCP_HASHER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Hash chunk number seq; 0 or -errno. */
typedef int (*zccp_hasher_feed_fn)(void *ctx, uint64_t seq);

struct zccp_hasher {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work;	 /* to the thread: more ready, or stop */
	pthread_cond_t progress; /* to the core: a chunk hashed */
	uint64_t ready;		 /* chunks below this are ready */
	uint64_t hashed;	 /* ... and below this in the digest */
	int error;		 /* feed()'s, which stops the thread */
	bool stop;
	zccp_hasher_feed_fn feed;
	void *ctx;
};

int zccp_hasher_start(struct zccp_hasher *h, zccp_hasher_feed_fn feed,
		      void *ctx);
/* Chunks below seq are ready to hash. */
void zccp_hasher_ready(struct zccp_hasher *h, uint64_t seq);
/* How many chunks are hashed; *error gets feed()'s failure, if any. */
uint64_t zccp_hasher_hashed(struct zccp_hasher *h, int *error);
/* Wait until chunks below seq are hashed (or hashing failed). */
void zccp_hasher_wait(struct zccp_hasher *h, uint64_t seq);
/* Finish the chunk in hand, then end the thread. */
void zccp_hasher_stop(struct zccp_hasher *h);

#endif
