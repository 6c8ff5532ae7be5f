// SPDX-License-Identifier: MIT
/* A job's zccp streams: see zccp/wire.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "zccp/net.h"
#include "zccp/report.h"
#include "zccp/wire.h"

int zccp_wire_accept(struct zccp_wire *w, struct zccp_endpoint *src,
		     const struct zccp_opts *o)
{
	int ret = zccp_source_accept(src, o->timeout_ms);

	if (ret || o->raw)
		return ret;
	ret = zccp_stream_accept(src, &w->header, o->timeout_ms);
	if (ret)
		zccp_report_endpoint(src, ret);
	else if (w->header.size_known)
		zccp_info("%s: zccp stream of %" PRIu64 " bytes", src->path,
			  w->header.size);
	else
		zccp_info("%s: zccp stream of unknown size", src->path);
	return ret;
}

void zccp_wire_begin(struct zccp_endpoint *d, const struct zccp_endpoint *src,
		     unsigned timeout_ms)
{
	int ret = zccp_stream_begin(d, src, timeout_ms);

	if (ret) {
		zccp_endpoint_fail(d, ret);
		zccp_dest_discard(d);
	}
}

/* What only the kernel cannot time out: a --listen source that goes
 * idle, a unix: destination that stops reading (TCP_USER_TIMEOUT does
 * for tcp). */
static bool needs_watch(const struct zccp_endpoint *ep)
{
	return ep->net && !zccp_endpoint_failed(ep) && ep->fd >= 0 &&
	       !zccp_net_is_tcp(ep->fd);
}

static int start_watchdog(struct zccp_wire *w, struct zccp_endpoint *src,
			  struct zccp_endpoint **dests, unsigned ndests,
			  const struct zccp_opts *o)
{
	unsigned n = 0;

	if (!o->timeout_ms)
		return 0;
	w->watches = calloc(ndests + 1, sizeof(*w->watches));
	if (!w->watches)
		return -ENOMEM;
	if (o->listen) {
		src->watch = &w->watches[n++];
		zccp_watch_init(src->watch, src->fd, false);
	}
	for (unsigned i = 0; i < ndests; i++) {
		struct zccp_endpoint *d = dests[i];

		if (!needs_watch(d))
			continue;
		d->watch = &w->watches[n++];
		zccp_watch_init(d->watch, d->fd, false);
	}
	return zccp_watchdog_start(&w->watchdog, w->watches, n,
				   o->timeout_ms);
}

int zccp_wire_start(struct zccp_wire *w, struct zccp_endpoint *src,
		    struct zccp_endpoint **dests, unsigned n,
		    const struct zccp_opts *o)
{
	int ret = 0;

	if (w->hashing)
		ret = zccp_stream_hash_init(&w->hash);
	if (!ret)
		ret = start_watchdog(w, src, dests, n, o);
	return ret;
}

int zccp_wire_end(struct zccp_wire *w, struct zccp_endpoint *d)
{
	return zccp_stream_end(d, &w->hash);
}

void zccp_wire_stop(struct zccp_wire *w)
{
	zccp_watchdog_stop(&w->watchdog);
}

void zccp_wire_await_replies(struct zccp_wire *w, struct zccp_endpoint **dests,
			     unsigned n, unsigned timeout_ms)
{
	for (unsigned i = 0; i < n; i++) {
		struct zccp_endpoint *d = dests[i];
		int ret;

		if (zccp_endpoint_state(d) != ZCCP_EP_SENT)
			continue;
		ret = zccp_stream_await_reply(d, &w->hash, timeout_ms);
		if (ret) {
			zccp_endpoint_fail(d, ret);
			zccp_dest_discard(d);
		}
	}
}

void zccp_wire_reply(const struct zccp_wire *w, struct zccp_endpoint *src,
		     int status, unsigned ndests, uint64_t bytes,
		     unsigned timeout_ms)
{
	if (w->framed_source)
		zccp_stream_reply(src, status == ZCCP_EXIT_OK ? 0 : ndests,
				  bytes, timeout_ms);
}

void zccp_wire_free(struct zccp_wire *w)
{
	free(w->watches);
	w->watches = NULL;
	if (w->hash.state)
		zccp_stream_hash_free(&w->hash);
}
