// SPDX-License-Identifier: MIT
/* A tree's orphans, resumed by the sender: see zccp/repair.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "zccp/fanout.h"
#include "zccp/repair.h"
#include "zccp/report.h"
#include "zccp/tls.h"
#include "zccp/wire.h"

/* What the thread needs: its host and its wire. */
struct repair_job {
	struct zccp_wire *w;
	struct zccp_endpoint *d;
};

/* fd, a connection to d: d's stream resumed on it, in TLS under
 * --encrypt (a session of its own, as every connection has).  0 with
 * *held, where to go on from, or -errno. */
static int adopt(struct zccp_wire *w, struct zccp_endpoint *d, int fd,
		 uint64_t *held)
{
	const char *how = NULL;
	int ret;

	d->fd = fd; /* d's to close, whatever comes */
	ret = zccp_stream_resume(d, w->source, &w->mac, w->encrypt,
				 w->timeout_ms, held);
	if (!ret && w->encrypt)
		ret = zccp_tls_start(&d->fd, true, w->mac.key, d->challenge,
				     w->mac.transfer, w->timeout_ms, &d->tls,
				     &how);
	if (!ret)
		zccp_info("%s: resumed at byte %" PRIu64 " from this host%s%s",
			  d->arg, *held, how ? ", in TLS: " : "",
			  how ? how : "");
	return ret;
}

/* Connect to d, resume its stream, send it the rest of the source. */
static int repair(struct zccp_wire *w, struct zccp_endpoint *d)
{
	const struct zccp_endpoint *src = w->source;
	uint64_t held;
	int fd = zccp_remote_connect(&w->remotes[d->index - 1],
				     w->timeout_ms);
	int ret = fd < 0 ? fd : adopt(w, d, fd, &held);

	if (!ret)
		ret = held > src->size ? -ERANGE :
		      zccp_stream_send_range(d->fd, src->fd, held, src->size,
					     w->timeout_ms);
	if (ret)
		zccp_warn("%s: could not resume it from here: %s", d->arg,
			  zccp_strerror(-ret));
	return ret;
}

static void *repair_thread(void *arg)
{
	struct repair_job *job = arg;
	struct zccp_repair *r = &job->w->repairs[job->d->index - 1];

	r->err = repair(job->w, job->d);
	free(job);
	return NULL;
}

/* Why the sender cannot resume an orphan, or NULL. */
static const char *cannot(const struct zccp_wire *w)
{
	if (!w->source || w->source->stream || !w->source->size_known)
		return "the source cannot be read again (a pipe)";
	return NULL;
}

void zccp_repair_start(struct zccp_wire *w, struct zccp_endpoint *d,
		       uint64_t held)
{
	struct zccp_repair *r = &w->repairs[d->index - 1];
	struct repair_job *job;
	const char *why = cannot(w);

	if (r->asked || w->fanout == ZCCP_FANOUT_CHAIN)
		return; /* a chain's host before it resumes it */
	r->asked = true;
	r->err = -ZCCP_EHOSTGONE; /* its sender went; unless resumed */
	if (why) {
		zccp_warn("%s: its sender went at byte %" PRIu64 "; %s",
			  d->arg, held, why);
		return;
	}
	zccp_warn("%s: its sender went at byte %" PRIu64 "; sending it "
		  "the rest from here", d->arg, held);
	job = malloc(sizeof(*job));
	if (job) {
		*job = (struct repair_job){ .w = w, .d = d };
		r->running = !pthread_create(&r->thread, NULL, repair_thread,
					     job);
	}
	if (!r->running)
		free(job);
}

static void join(struct zccp_repair *r)
{
	if (r->running)
		pthread_join(r->thread, NULL);
	r->running = false;
}

int zccp_repair_finish(struct zccp_wire *w, struct zccp_endpoint *d)
{
	struct zccp_repair *r = &w->repairs[d->index - 1];

	if (!r->asked)
		return 1;
	join(r);
	return r->err ? r->err : zccp_stream_end(d, &w->mac);
}

void zccp_repair_stop(struct zccp_wire *w)
{
	for (unsigned i = 0; w->repairs && i < w->nremotes; i++)
		join(&w->repairs[i]);
}
