// SPDX-License-Identifier: MIT
/* The receiver's idle timeout (see zccp/watchdog.h). */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zccp/watchdog.h"

static void *watch(void *arg)
{
	struct zccp_watchdog *w = arg;
	struct pollfd pfd = { .fd = w->stop_fd, .events = POLLIN };
	unsigned long seen = atomic_load(&w->beats);
	unsigned idle_ms = 0, step = w->timeout_ms / 4 ? w->timeout_ms / 4 : 1;

	/* Idle means no beat over a whole timeout, checked 4 times per. */
	while (poll(&pfd, 1, (int)step) <= 0) {
		unsigned long now = atomic_load(&w->beats);

		idle_ms = now == seen ? idle_ms + step : 0;
		seen = now;
		if (atomic_load(&w->disarmed))
			break;
		if (idle_ms >= w->timeout_ms) {
			atomic_store(&w->fired, true);
			shutdown(w->fd, SHUT_RDWR);
			break;
		}
	}
	return NULL;
}

int zccp_watchdog_start(struct zccp_watchdog *w, int fd, unsigned timeout_ms)
{
	int ret;

	w->fd = fd;
	w->timeout_ms = timeout_ms;
	atomic_init(&w->beats, 0);
	atomic_init(&w->fired, false);
	atomic_init(&w->disarmed, false);
	w->running = false;
	if (!timeout_ms)
		return 0;
	w->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (w->stop_fd < 0)
		return -errno;
	ret = pthread_create(&w->thread, NULL, watch, w);
	if (ret) {
		close(w->stop_fd);
		return -ret;
	}
	w->running = true;
	return 0;
}

void zccp_watchdog_stop(struct zccp_watchdog *w)
{
	uint64_t one = 1;

	if (!w->running)
		return;
	if (write(w->stop_fd, &one, sizeof(one)) < 0)
		pthread_cancel(w->thread); /* cannot happen on an eventfd */
	pthread_join(w->thread, NULL);
	close(w->stop_fd);
	w->running = false;
}
