// SPDX-License-Identifier: MIT
/* Worker threads (see zccp/pool.h). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "zccp/pool.h"
#include "zccp/thread.h"

struct task {
	void (*fn)(void *);
	void *arg;
};

struct zccp_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;  /* a task queued, or stop */
	pthread_cond_t room;  /* a task taken */
	pthread_cond_t idle;  /* a task finished */
	struct task *queue;   /* a ring of depth */
	unsigned depth, head, count;
	unsigned running;     /* taken, not finished */
	bool stop;
	unsigned nthreads;
	pthread_t *threads;
};

static void *worker(void *arg)
{
	struct zccp_pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct task t;

		while (!p->count && !p->stop)
			pthread_cond_wait(&p->work, &p->lock);
		if (!p->count)
			break; /* stopped, and nothing is left */
		t = p->queue[p->head];
		p->head = (p->head + 1) % p->depth;
		p->count--;
		p->running++;
		pthread_cond_signal(&p->room);
		pthread_mutex_unlock(&p->lock);
		t.fn(t.arg);
		pthread_mutex_lock(&p->lock);
		p->running--;
		if (!p->count && !p->running)
			pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int zccp_pool_start(struct zccp_pool **pool, unsigned workers,
		    unsigned depth)
{
	struct zccp_pool *p = calloc(1, sizeof(*p));
	int ret = 0;

	*pool = NULL;
	if (!p || !workers || !depth)
		goto fail;
	p->depth = depth;
	p->queue = calloc(depth, sizeof(*p->queue));
	p->threads = calloc(workers, sizeof(*p->threads));
	if (!p->queue || !p->threads)
		goto fail;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->room, NULL);
	pthread_cond_init(&p->idle, NULL);
	for (; p->nthreads < workers; p->nthreads++) {
		ret = zccp_thread_create(&p->threads[p->nthreads], worker, p);
		if (ret)
			break;
	}
	if (!p->nthreads) {
		zccp_pool_stop(p);
		return ret;
	}
	*pool = p; /* fewer workers than asked still work */
	return 0;
fail:
	if (p) {
		free(p->queue);
		free(p->threads);
	}
	free(p);
	return -ENOMEM;
}

void zccp_pool_run(struct zccp_pool *p, void (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&p->lock);
	while (p->count == p->depth)
		pthread_cond_wait(&p->room, &p->lock);
	p->queue[(p->head + p->count) % p->depth] =
		(struct task){ .fn = fn, .arg = arg };
	p->count++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
}

void zccp_pool_drain(struct zccp_pool *p)
{
	pthread_mutex_lock(&p->lock);
	while (p->count || p->running)
		pthread_cond_wait(&p->idle, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void zccp_pool_stop(struct zccp_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->room);
	pthread_cond_destroy(&p->idle);
	free(p->queue);
	free(p->threads);
	free(p);
}
