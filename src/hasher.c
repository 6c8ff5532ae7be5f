// SPDX-License-Identifier: MIT
/* The digest's own thread (see zccp/hasher.h). */
#include "zccp/hasher.h"
#include "zccp/thread.h"

static void *hash_chunks(void *arg)
{
	struct zccp_hasher *h = arg;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		uint64_t seq;
		int ret;

		while (!h->stop && h->hashed == h->ready)
			pthread_cond_wait(&h->work, &h->lock);
		if (h->stop)
			break;
		seq = h->hashed;
		/* The chunk is the core's until counted: hash unlocked. */
		pthread_mutex_unlock(&h->lock);
		ret = h->feed(h->ctx, seq);
		pthread_mutex_lock(&h->lock);
		if (ret) {
			h->error = ret;
			pthread_cond_signal(&h->progress);
			break;
		}
		h->hashed = seq + 1;
		pthread_cond_signal(&h->progress);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

int zccp_hasher_start(struct zccp_hasher *h, zccp_hasher_feed_fn feed,
		      void *ctx)
{
	int ret;

	*h = (struct zccp_hasher){ .feed = feed, .ctx = ctx };
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->work, NULL);
	pthread_cond_init(&h->progress, NULL);
	ret = zccp_thread_create(&h->thread, hash_chunks, h);
	if (ret) {
		pthread_cond_destroy(&h->progress);
		pthread_cond_destroy(&h->work);
		pthread_mutex_destroy(&h->lock);
		return ret;
	}
	return 0;
}

void zccp_hasher_ready(struct zccp_hasher *h, uint64_t seq)
{
	pthread_mutex_lock(&h->lock);
	if (seq > h->ready) {
		h->ready = seq;
		pthread_cond_signal(&h->work);
	}
	pthread_mutex_unlock(&h->lock);
}

uint64_t zccp_hasher_hashed(struct zccp_hasher *h, int *error)
{
	uint64_t n;

	pthread_mutex_lock(&h->lock);
	n = h->hashed;
	*error = h->error;
	pthread_mutex_unlock(&h->lock);
	return n;
}

void zccp_hasher_wait(struct zccp_hasher *h, uint64_t seq)
{
	pthread_mutex_lock(&h->lock);
	while (h->hashed < seq && !h->error)
		pthread_cond_wait(&h->progress, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

void zccp_hasher_stop(struct zccp_hasher *h)
{
	pthread_mutex_lock(&h->lock);
	h->stop = true;
	pthread_cond_signal(&h->work);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	pthread_cond_destroy(&h->progress);
	pthread_cond_destroy(&h->work);
	pthread_mutex_destroy(&h->lock);
}
