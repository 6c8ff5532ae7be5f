/* SPDX-License-Identifier: MIT */
/*
 * An idle timeout for a source we cannot poll with a deadline (its
 * reads sit in an engine's queue): a thread that shuts the socket down
 * when the copy made no progress for timeout_ms.  The read then ends,
 * and the core asks zccp_watchdog_fired() whether that end was ours.
 */
#ifndef ZCCP_WATCHDOG_H
#define ZCCP_WATCHDOG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct zccp_watchdog {
	int fd;
	unsigned timeout_ms;
	atomic_ulong beats; /* progress the copy made */
	atomic_bool fired;
	atomic_bool disarmed; /* the source ended: nothing left to watch */
	int stop_fd;	    /* eventfd: tells the thread to end */
	pthread_t thread;
	bool running;
};

/* 0 or -errno; timeout_ms 0 starts nothing. */
int zccp_watchdog_start(struct zccp_watchdog *w, int fd, unsigned timeout_ms);
static inline void zccp_watchdog_beat(struct zccp_watchdog *w)
{
	if (w)
		atomic_fetch_add_explicit(&w->beats, 1, memory_order_relaxed);
}
static inline bool zccp_watchdog_fired(struct zccp_watchdog *w)
{
	return w && atomic_load(&w->fired);
}
/* From the source's end on, slow destinations (an fsync) are no idle
 * sender: the reply still needs the socket. */
static inline void zccp_watchdog_disarm(struct zccp_watchdog *w)
{
	if (w)
		atomic_store(&w->disarmed, true);
}
void zccp_watchdog_stop(struct zccp_watchdog *w);

#endif
