// SPDX-License-Identifier: MIT
/* Stall timeouts for queued socket transfers (see zccp/watchdog.h). */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zccp/thread.h"
#include "zccp/watchdog.h"

struct seen {
	unsigned long beats;
	unsigned idle_ms;
};

static void *watch(void *arg)
{
	struct zccp_watchdog *d = arg;
	struct pollfd pfd = { .fd = d->stop_fd, .events = POLLIN };
	unsigned step = d->timeout_ms / 4 ? d->timeout_ms / 4 : 1;
	struct seen *seen = calloc(d->n, sizeof(*seen));

	if (!seen)
		return NULL; /* no stall detection, as with --timeout=0 */
	/* Stalled: no beat over a whole timeout while busy, 4 looks each. */
	while (poll(&pfd, 1, (int)step) <= 0) {
		for (unsigned i = 0; i < d->n; i++) {
			struct zccp_watch *w = &d->watches[i];
			unsigned long now = atomic_load(&w->beats);

			if (now != seen[i].beats || !atomic_load(&w->busy))
				seen[i].idle_ms = 0;
			else
				seen[i].idle_ms += step;
			seen[i].beats = now;
			if (seen[i].idle_ms >= d->timeout_ms &&
			    !atomic_exchange(&w->fired, true))
				shutdown(w->fd, SHUT_RDWR);
		}
	}
	free(seen);
	return NULL;
}

int zccp_watchdog_start(struct zccp_watchdog *d, struct zccp_watch *watches,
			unsigned n, unsigned timeout_ms)
{
	int ret;

	*d = (struct zccp_watchdog){ .watches = watches, .n = n,
				     .timeout_ms = timeout_ms, .stop_fd = -1 };
	if (!timeout_ms || !n)
		return 0;
	d->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (d->stop_fd < 0)
		return -errno;
	ret = zccp_thread_create(&d->thread, watch, d);
	if (ret) {
		close(d->stop_fd);
		return ret;
	}
	d->running = true;
	return 0;
}

void zccp_watchdog_stop(struct zccp_watchdog *d)
{
	uint64_t one = 1;

	if (!d->running)
		return;
	if (write(d->stop_fd, &one, sizeof(one)) < 0)
		pthread_cancel(d->thread); /* cannot happen on an eventfd */
	pthread_join(d->thread, NULL);
	close(d->stop_fd);
	d->running = false;
}
