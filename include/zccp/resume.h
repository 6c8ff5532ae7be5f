/* SPDX-License-Identifier: MIT */
/*
 * A --serve receiver in a chain keeps its door open while it copies: a
 * thread admits (gate.h) the host that takes over when the one sending
 * to us goes (stream.h: resume).  One that comes while our source still
 * looks alive (it hangs, or its link is down: the host before it saw
 * first) cuts that source short, so the copy asks for the new one at
 * once instead of waiting out its idle timeout.
 */
#ifndef ZCCP_RESUME_H
#define ZCCP_RESUME_H

#include <pthread.h>
#include <stdbool.h>

#include "zccp/gate.h"
#include "zccp/stream.h"

struct zccp_resumer {
	struct zccp_gate gate;
	const struct zccp_stream_header *was; /* our transfer's hello */
	int src_fd;	  /* shut down when a resume comes */
	int stop_fd;	  /* eventfd: ends the thread */
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t came;
	int fd;		  /* an admitted resume not yet taken, or -1 */
	char *peer;
	struct zccp_stream_header h;
};

/* Watch g's (bound) listener for resumes of was's transfer; 0/-errno. */
int zccp_resumer_start(struct zccp_resumer *r, const struct zccp_gate *g,
		       const struct zccp_stream_header *was, int src_fd);

/* The admitted resume, waited for up to timeout_ms (0: no limit): its
 * socket, with *peer (malloc) and *h; or -ETIMEDOUT. */
int zccp_resumer_take(struct zccp_resumer *r, unsigned timeout_ms,
		      char **peer, struct zccp_stream_header *h);

void zccp_resumer_stop(struct zccp_resumer *r);

#endif
