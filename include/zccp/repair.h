/* SPDX-License-Identifier: MIT */
/*
 * A tree's orphans (--fanout=tree=K, K > 1): a relay that dies cuts the
 * hosts it fed off the stream.  Each says what it holds (remote.h: LOST)
 * and waits to be resumed.  In a chain the host before the dead one
 * does that; a tree has no next host to go on to, so the sender resumes
 * each orphan itself over a new connection (stream.h: resume) and sends
 * it the rest from its own source, read again from there: a file or a
 * block device (a pipe's bytes are gone: then the orphan fails).  The
 * hosts behind an orphan carry on through it.
 */
#ifndef ZCCP_REPAIR_H
#define ZCCP_REPAIR_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct zccp_wire;
struct zccp_endpoint;

/* One host's repair, in w->repairs (per destination, like remotes). */
struct zccp_repair {
	pthread_t thread;
	bool asked;   /* the host said LOST */
	bool running; /* a thread sends; join it */
	int err;      /* 0 once the payload went out */
};

/* While the copy runs: host d said it holds held; resume it in a thread
 * (once per host; what cannot be done is said, and d fails at the end). */
void zccp_repair_start(struct zccp_wire *w, struct zccp_endpoint *d,
		       uint64_t held);

/* After the copy, the MAC final: d's repair done (its trailer sent, its
 * reply awaited by zccp_wire_await_replies as for any stream).  0, 1 if
 * d was never repaired, or -errno: it failed. */
int zccp_repair_finish(struct zccp_wire *w, struct zccp_endpoint *d);

/* Every repair thread joined (a job that ends early).  Nothing if none. */
void zccp_repair_stop(struct zccp_wire *w);

#endif
