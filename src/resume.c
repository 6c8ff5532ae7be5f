// SPDX-License-Identifier: MIT
/* A chain's open door during the copy: see zccp/resume.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "zccp/report.h"
#include "zccp/resume.h"

/* A resume hello for our transfer, with nothing changed but R. */
static bool same_transfer(const struct zccp_stream_header *was,
			  const struct zccp_stream_header *h)
{
	return h->resume && h->size_known == was->size_known &&
	       h->size == was->size && h->encrypt == was->encrypt &&
	       !memcmp(h->transfer, was->transfer, ZCCP_NONCE_LEN);
}

/* Keep the newest: the host that sent it saw last. */
static void offer(struct zccp_resumer *r, int fd, char *peer,
		  const struct zccp_stream_header *h)
{
	/* A source that only looks alive: its read ends now.  Before the
	 * offer, which the copy may put under src_fd at once. */
	shutdown(r->src_fd, SHUT_RDWR);
	pthread_mutex_lock(&r->lock);
	if (r->fd >= 0) {
		close(r->fd);
		free(r->peer);
	}
	r->fd = fd;
	r->peer = peer;
	r->h = *h;
	pthread_cond_signal(&r->came);
	pthread_mutex_unlock(&r->lock);
}

static void *watch(void *arg)
{
	struct zccp_resumer *r = arg;

	for (;;) {
		struct zccp_stream_header h;
		char *peer;
		int fd = zccp_gate_admit(&r->gate, &peer, &h);

		if (fd < 0)
			break; /* stopped, or the listener failed */
		if (same_transfer(r->was, &h)) {
			offer(r, fd, peer, &h);
			continue;
		}
		zccp_warn("--listen %s: refused %s: not a resume of this "
			  "transfer", r->gate.spec, peer);
		close(fd);
		free(peer);
	}
	return NULL;
}

int zccp_resumer_start(struct zccp_resumer *r, const struct zccp_gate *g,
		       const struct zccp_stream_header *was, int src_fd)
{
	int ret;

	*r = (struct zccp_resumer){ .gate = *g, .was = was, .src_fd = src_fd,
				    .fd = -1 };
	r->gate.timeout_ms = 0;
	r->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (r->stop_fd < 0)
		return -errno;
	r->gate.stop_fd = &r->stop_fd;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->came, NULL);
	ret = -pthread_create(&r->thread, NULL, watch, r);
	r->running = !ret;
	return ret;
}

int zccp_resumer_take(struct zccp_resumer *r, unsigned timeout_ms,
		      char **peer, struct zccp_stream_header *h)
{
	struct timespec until;
	int fd, ret = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&r->lock);
	while (r->fd < 0 && ret != ETIMEDOUT)
		ret = timeout_ms ? pthread_cond_timedwait(&r->came, &r->lock,
							  &until) :
				   pthread_cond_wait(&r->came, &r->lock);
	fd = r->fd;
	*peer = r->peer;
	*h = r->h;
	r->fd = -1;
	r->peer = NULL;
	pthread_mutex_unlock(&r->lock);
	return fd >= 0 ? fd : -ETIMEDOUT;
}

void zccp_resumer_stop(struct zccp_resumer *r)
{
	uint64_t one = 1;

	if (!r->running)
		return;
	if (write(r->stop_fd, &one, sizeof(one)) != sizeof(one))
		pthread_cancel(r->thread); /* cannot happen: eventfd */
	pthread_join(r->thread, NULL);
	r->running = false;
	close(r->stop_fd);
	if (r->fd >= 0)
		close(r->fd);
	free(r->peer);
	r->fd = -1;
	r->peer = NULL;
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->came);
}
