// SPDX-License-Identifier: MIT
/* pread/pwrite: portable, one transfer at a time; the last resort. */
#include <errno.h>

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
	if (ep->stream && ep->fd != e->layout->zero->fd) {
		int ret = zccp_sync_setup_stream(ep);

		if (ret)
			return ret;
	}
	ep->method = ep->stream ? "read/write, non-blocking (RWF_NOWAIT + poll)"
				: "pread/pwrite, one at a time";
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
	(void)e;
}

const struct zccp_engine_ops zccp_engine_rw = {
	.name = "rw",
	.caps = ZCCP_CAP_USER_BUFFER,
	/* Always possible, never the best where another engine runs. */
	.rank = { 4, 4, 4, 4, 4 },
	.probe = rw_probe,
	.init = rw_init,
	.setup_endpoint = rw_setup_endpoint,
	.queue = rw_queue,
	.submit = rw_submit,
	.reap = rw_reap,
	.cleanup = rw_cleanup,
};
