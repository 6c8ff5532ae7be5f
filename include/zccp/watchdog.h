/* SPDX-License-Identifier: MIT */
/*
 * Stall timeouts for sockets whose transfers sit in an engine's queue,
 * where no deadline can be put on them: a thread that shuts a socket
 * down when its transfers made no progress for timeout_ms while some
 * were due.  The transfer then ends, and the core asks
 * zccp_watch_fired() whether that end was ours.  Watched: a --listen
 * source (the sender went idle) and unix: destinations (the receiver
 * stopped reading; TCP has TCP_USER_TIMEOUT for that).
 */
#ifndef ZCCP_WATCHDOG_H
#define ZCCP_WATCHDOG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct zccp_watch {
	int fd;
	atomic_ulong beats; /* transfers completed */
	atomic_bool busy;   /* idle time counts only while one is due */
	atomic_bool fired;
};

struct zccp_watchdog {
	struct zccp_watch *watches;
	unsigned n;
	unsigned timeout_ms;
	int stop_fd; /* eventfd: tells the thread to end */
	pthread_t thread;
	bool running;
};

static inline void zccp_watch_init(struct zccp_watch *w, int fd, bool busy)
{
	w->fd = fd;
	atomic_init(&w->beats, 0);
	atomic_init(&w->busy, busy);
	atomic_init(&w->fired, false);
}

static inline void zccp_watch_beat(struct zccp_watch *w)
{
	if (w)
		atomic_fetch_add_explicit(&w->beats, 1, memory_order_relaxed);
}

static inline void zccp_watch_busy(struct zccp_watch *w, bool busy)
{
	if (w)
		atomic_store_explicit(&w->busy, busy, memory_order_relaxed);
}

/* Watch again: its socket is a new connection (a resumed stream). */
static inline void zccp_watch_rearm(struct zccp_watch *w)
{
	if (!w)
		return;
	zccp_watch_beat(w);
	atomic_store(&w->fired, false);
}

static inline bool zccp_watch_fired(struct zccp_watch *w)
{
	return w && atomic_load(&w->fired);
}

/* Watch n initialised watches; 0 or -errno.  timeout_ms 0 or n 0
 * start nothing. */
int zccp_watchdog_start(struct zccp_watchdog *d, struct zccp_watch *watches,
			unsigned n, unsigned timeout_ms);
void zccp_watchdog_stop(struct zccp_watchdog *d);

#endif
