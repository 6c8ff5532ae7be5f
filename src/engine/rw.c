// SPDX-License-Identifier: MIT
/*
 * pread/pwrite: portable, one transfer at a time; the last resort.
 * --direct applies as for the asynchronous engines (src/direct.c).
 */
#include <errno.h>

#include "zccp/direct.h"
#include "zccp/engine.h"

static int rw_probe(const char **why)
{
	*why = "plain system calls always work";
	return 0;
}

static int rw_init(struct zccp_engine *e)
{
	(void)e;
	return 0;
}

static int rw_setup_endpoint(struct zccp_engine *e, struct zccp_endpoint *ep)
{
	bool reading = ep == e->layout->source;
	const char *why;
	int ret;

	ep->engine_flags = 0;
	if (ep->stream && ep->fd != e->layout->zero->fd) {
		ret = zccp_sync_setup_stream(ep);
		if (ret)
			return ret;
	}
	ret = zccp_direct_setup(e->layout, ep, &why);
	if (ret < 0)
		return ret;
	if (ret)
		ep->method = zccp_direct_method(
			ep, reading, reading ? "pread" : "pwrite", why, "");
	else if (why)
		ep->method = zccp_method("pread/pwrite, one at a time, "
					 "buffered (%s)", why);
	else if (ep->kind == ZCCP_KIND_PIPE || ep->kind == ZCCP_KIND_SOCKET)
		ep->method = "read/write, non-blocking (RWF_NOWAIT + poll)";
	else
		ep->method = ep->stream ? "read/write, in order" :
					  "pread/pwrite, one at a time";
	return 0;
}

static int rw_queue(struct zccp_engine *e, struct zccp_io *io)
{
	return zccp_sync_transfer(e->layout, io);
}

static int rw_submit(struct zccp_engine *e)
{
	(void)e;
	return 0;
}

static int rw_reap(struct zccp_engine *e, struct zccp_io **done, unsigned max,
		   bool wait)
{
	(void)e, (void)done, (void)max, (void)wait;
	return 0; /* everything completed in queue() */
}

static void rw_cleanup(struct zccp_engine *e)
{
	zccp_twins_close(e->layout);
}

const struct zccp_engine_ops zccp_engine_rw = {
	.name = "rw",
	.caps = ZCCP_CAP_USER_BUFFER | ZCCP_CAP_DIRECT |
		ZCCP_CAP_PLAIN_SOURCE_READS | ZCCP_CAP_PLAIN_WRITES,
	/* Always possible, never the best where another engine runs. */
	.setup_us = 180,
	.rank = { 4, 4, 4, 4, 4 },
	.probe = rw_probe,
	.init = rw_init,
	.setup_endpoint = rw_setup_endpoint,
	.queue = rw_queue,
	.submit = rw_submit,
	.reap = rw_reap,
	.cleanup = rw_cleanup,
};
