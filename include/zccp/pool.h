/* SPDX-License-Identifier: MIT */
/*
 * A few worker threads that run small tasks while the caller goes on
 * (a -r tree's small files, smallfile.h).  Tasks run in any order, on
 * any worker; the caller waits only when the queue is full.
 */
#ifndef ZCCP_POOL_H
#define ZCCP_POOL_H

struct zccp_pool;

/* workers threads, at most depth tasks waiting; 0 or -errno. */
int zccp_pool_start(struct zccp_pool **pool, unsigned workers,
		    unsigned depth);

/* Queue fn(arg), waiting while depth tasks wait already. */
void zccp_pool_run(struct zccp_pool *pool, void (*fn)(void *), void *arg);

/* Every task queued so far has run. */
void zccp_pool_drain(struct zccp_pool *pool);

/* Drain, end the workers, free (NULL: nothing). */
void zccp_pool_stop(struct zccp_pool *pool);

#endif
