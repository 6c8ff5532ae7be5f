// SPDX-License-Identifier: MIT
/*
 * libaio: Linux native AIO (io_setup/io_submit/io_getevents), the
 * asynchronous engine for kernels without io_uring.
 *
 * Native AIO is only truly asynchronous for O_DIRECT: on a buffered
 * file io_submit itself does the copy, correct but not parallel.  So
 * --direct (src/direct.c) matters most here: where it turns O_DIRECT
 * on, aligned transfers run in parallel and the rest (the tail of an
 * odd-sized file, a resumed short transfer) go through the page cache
 * synchronously; --direct=never leaves every file buffered.  A source
 * range already in the page cache is copied from there (cachestat),
 * since reading it from the disk again costs as much as a destination.
 *
 * Streams have no O_DIRECT and AIO reads or writes on them would block
 * in io_submit, so they are tried with RWF_NOWAIT (or through an
 * O_NONBLOCK open file of our own) and, when not ready, waited for with
 * an IOCB_CMD_POLL; the transfer is retried when that fires.  Whatever
 * completes synchronously is queued on a done list and handed back by
 * reap like a kernel completion.
 */
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "zccp/direct.h"
#include "zccp/engine.h"

/* Per-endpoint decisions, in ep->engine_flags. */
enum {
	AIO_STREAM = 1u << 0,	/* RWF_NOWAIT, poll when not ready */
	AIO_BLOCKING = 1u << 1, /* a stream without RWF_NOWAIT support */
	AIO_PLAIN = 1u << 2,	/* a file without offsets: plain syscalls */
};

/* One transfer the core handed us, from queue() until reap(). */
struct aio_req {
	struct iocb cb;
	struct zccp_io *io;
	struct aio_req *next; /* free list or done list */
	bool poll;	      /* cb waits for readiness, not the transfer */
	bool direct;	      /* cb is an O_DIRECT transfer */
};

struct aio_priv {
	io_context_t ctx;
	struct aio_req *reqs;
	unsigned nreqs;
	struct aio_req *free;
	struct aio_req *done_head, **done_tail;
	struct iocb **pending; /* prepared, not yet accepted by io_submit */
	unsigned npending;
	unsigned inflight; /* iocbs the kernel holds */
	struct io_event *events;
	unsigned nevents;
	bool interrupted; /* a syscall saw EINTR: tell the core */
};

static int aio_probe(const char **why)
{
	io_context_t ctx = 0;
	int ret = io_setup(1, &ctx);

	if (ret == -EAGAIN)
		*why = "io_setup: fs.aio-max-nr exhausted";
	else if (ret == -ENOSYS)
		*why = "io_setup: kernel built without AIO";
	else if (ret)
		*why = "io_setup failed";
	else
		*why = "native AIO available";
	if (!ret)
		io_destroy(ctx);
	return ret;
}

/* A ring of nr events, halved while fs.aio-max-nr says no: the pending
 * queue absorbs what a smaller ring cannot take at once. */
static int ring_setup(struct aio_priv *p, unsigned nr)
{
	int ret;

	for (;;) {
		ret = io_setup((int)nr, &p->ctx);
		if (ret != -EAGAIN || nr == 1)
			break;
		nr /= 2;
	}
	if (ret)
		return ret;
	p->nevents = nr;
	p->events = calloc(nr, sizeof(*p->events));
	return p->events ? 0 : -ENOMEM;
}

static void aio_cleanup(struct zccp_engine *e);

static int aio_init(struct zccp_engine *e)
{
	unsigned nr = e->layout->max_inflight ? e->layout->max_inflight : 1;
	struct aio_priv *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	e->priv = p;
	p->done_tail = &p->done_head;
	p->nreqs = nr;
	p->reqs = calloc(nr, sizeof(*p->reqs));
	p->pending = calloc(nr, sizeof(*p->pending));
	if (!p->reqs || !p->pending) {
		aio_cleanup(e);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < nr; i++) {
		p->reqs[i].next = p->free;
		p->free = &p->reqs[i];
	}
	ret = ring_setup(p, nr);
	if (ret)
		aio_cleanup(e);
	return ret;
}

/* Regular files and block devices with offsets. */
static int setup_file(const struct zccp_layout *layout,
		      struct zccp_endpoint *ep)
{
	bool reading = ep == layout->source;
	const char *why;
	int ret = zccp_direct_setup(layout, ep, &why);

	if (ret < 0)
		return ret;
	if (ret)
		ep->method = zccp_direct_method(
			ep, reading, reading ? "libaio read" : "libaio write",
			why, "");
	else
		ep->method = zccp_method(
			"libaio buffered (%s): io_submit copies synchronously",
			why);
	return 0;
}

static int aio_setup_endpoint(struct zccp_engine *e, struct zccp_endpoint *ep)
{
	bool reading = ep == e->layout->source || ep == e->layout->zero;

	ep->engine_flags = 0;
	ep->dio_align = 0;
	if (!ep->stream && !zccp_kind_is_stream(ep->kind))
		return setup_file(e->layout, ep);
	if (ep->kind == ZCCP_KIND_REGULAR || ep->kind == ZCCP_KIND_BLOCK) {
		/* e.g. stdin mid-file: poll would call it ready forever. */
		ep->engine_flags = AIO_PLAIN;
		ep->method = "read/write at the file position (a file)";
		return 0;
	}
	ep->engine_flags = AIO_STREAM;
	ep->method = reading ?
		"RWF_NOWAIT (or O_NONBLOCK) read, aio poll when empty" :
		"RWF_NOWAIT (or O_NONBLOCK) write, aio poll when full";
	return 0;
}

static void *req_buf(struct zccp_engine *e, const struct aio_req *req)
{
	return zccp_io_buf(e->layout, req->io);
}

static void finish(struct aio_priv *p, struct aio_req *req, long result)
{
	req->io->result = (int)result;
	req->next = NULL;
	*p->done_tail = req;
	p->done_tail = &req->next;
}

static void push(struct aio_priv *p, struct aio_req *req)
{
	req->cb.data = req;
	p->pending[p->npending++] = &req->cb;
}

static void arm_poll(struct aio_priv *p, struct aio_req *req)
{
	struct zccp_endpoint *ep = req->io->ep;
	int fd = ep->engine_flags & ZCCP_EP_TWIN ? ep->engine_fd : ep->fd;

	io_prep_poll(&req->cb, fd,
		     req->io->op == ZCCP_IO_READ ? POLLIN : POLLOUT);
	req->poll = true;
	req->direct = false;
	push(p, req);
}

/*
 * RWF_NOWAIT is refused (FIFOs, ttys): an O_NONBLOCK open file of our
 * own does the same.  Blocking is the last resort (sockets cannot be
 * reopened, but they take RWF_NOWAIT).
 */
static void without_nowait(struct zccp_endpoint *ep, enum zccp_io_op op)
{
	bool read = op == ZCCP_IO_READ;

	if (zccp_twin_open(ep, O_NONBLOCK) >= 0) {
		ep->method = read ? "O_NONBLOCK read, aio poll when empty" :
				    "O_NONBLOCK write, aio poll when full";
		return;
	}
	ep->engine_flags |= AIO_BLOCKING;
	ep->method = read ? "blocking read (no RWF_NOWAIT, no reopen)" :
			    "blocking write (no RWF_NOWAIT, no reopen)";
}

static int stream_transfer(struct zccp_engine *e, struct aio_req *req)
{
	struct zccp_endpoint *ep = req->io->ep;
	void *buf = req_buf(e, req);
	int ret;

	if (ep->engine_flags & ZCCP_EP_TWIN)
		return zccp_pio(ep->engine_fd, req->io, buf, req->io->len, 0);
	if (ep->engine_flags & (AIO_BLOCKING | AIO_PLAIN))
		return zccp_pio(ep->fd, req->io, buf, req->io->len, 0);
	ret = zccp_pio(ep->fd, req->io, buf, req->io->len, RWF_NOWAIT);
	if (ret != -EOPNOTSUPP)
		return ret;
	without_nowait(ep, req->io->op);
	return stream_transfer(e, req);
}

/* Try a stream transfer now; wait for readiness if it would block. */
static void stream_step(struct zccp_engine *e, struct aio_req *req)
{
	struct aio_priv *p = e->priv;
	int ret = stream_transfer(e, req);

	if (ret == -EINTR)
		p->interrupted = true;
	/* EAGAIN also from an fd its owner made O_NONBLOCK. */
	if (ret == -EAGAIN || ret == -EINTR)
		arm_poll(p, req);
	else
		finish(p, req, ret);
}

/* The fd cannot be waited for (aio poll said err): block instead. */
static void poll_failed(struct zccp_engine *e, struct aio_req *req, long err)
{
	int ret;

	do
		ret = zccp_pio(req->io->ep->fd, req->io, req_buf(e, req),
			       req->io->len, 0);
	while (ret == -EINTR);
	/* Never hand back -EAGAIN: report why we could not wait. */
	finish(e->priv, req, ret == -EAGAIN ? err : ret);
}

static void prep_rw(struct zccp_engine *e, struct aio_req *req, uint32_t len,
		    bool direct)
{
	struct zccp_io *io = req->io;
	void *buf = req_buf(e, req);

	if (io->op == ZCCP_IO_READ)
		io_prep_pread(&req->cb, io->ep->fd, buf, len, io->offset);
	else
		io_prep_pwrite(&req->cb, io->ep->fd, buf, len, io->offset);
	req->poll = false;
	req->direct = direct;
	push(e->priv, req);
}

static void start(struct zccp_engine *e, struct aio_req *req)
{
	struct zccp_io *io = req->io;
	unsigned flags = io->ep->engine_flags;
	uint32_t len;

	if (io->offset < 0 || (flags & (AIO_STREAM | AIO_PLAIN))) {
		stream_step(e, req);
		return;
	}
	if (!io->ep->dio_align) {
		prep_rw(e, req, io->len, false);
		return;
	}
	len = zccp_direct_len(e->layout, io);
	if (len && zccp_direct_cached(io))
		len = 0;
	if (len)
		prep_rw(e, req, len, true);
	else
		finish(e->priv, req, zccp_direct_buffered(e->layout, io));
}

static int aio_queue(struct zccp_engine *e, struct zccp_io *io)
{
	struct aio_priv *p = e->priv;
	struct aio_req *req = p->free;

	if (!req)
		return -EBUSY; /* the core queued more than max_inflight */
	p->free = req->next;
	req->io = io;
	start(e, req);
	return ZCCP_QUEUED;
}

/* The filesystem took O_DIRECT at open but refuses it in I/O. */
static long demote(struct zccp_engine *e, struct aio_req *req)
{
	zccp_direct_refused(req->io->ep);
	return zccp_direct_buffered(e->layout, req->io);
}

static void complete(struct zccp_engine *e, struct aio_req *req, long res)
{
	if (req->poll && res < 0)
		poll_failed(e, req, res);
	else if (req->poll)
		stream_step(e, req); /* ready (or hung up): try again */
	else if (res == -EINVAL && req->direct)
		finish(e->priv, req, demote(e, req));
	else /* a read rounded up to the block may bring more than asked */
		finish(e->priv, req, res > req->io->len ? req->io->len : res);
}

static void drop_pending(struct aio_priv *p, unsigned n)
{
	p->npending -= n;
	memmove(p->pending, p->pending + n, p->npending * sizeof(*p->pending));
}

/* Hand the kernel what queue() prepared (reap calls it too). */
static int aio_submit(struct zccp_engine *e)
{
	struct aio_priv *p = e->priv;

	while (p->npending) {
		int n = io_submit(p->ctx, p->npending, p->pending);
		struct aio_req *req;

		if (n == -EAGAIN && p->inflight)
			return 0; /* ring full: reap makes room */
		if (n == -EAGAIN || n == 0)
			return -EAGAIN;
		if (n > 0) {
			p->inflight += (unsigned)n;
			drop_pending(p, (unsigned)n);
			continue;
		}
		/* The first iocb was refused; the rest may go. */
		req = p->pending[0]->data;
		drop_pending(p, 1);
		complete(e, req, n);
	}
	return 0;
}

static int harvest(struct zccp_engine *e, bool block)
{
	struct aio_priv *p = e->priv;
	int n;

	if (!p->inflight)
		return 0;
	n = io_getevents(p->ctx, block ? 1 : 0, p->nevents, p->events, NULL);
	if (n < 0)
		return n; /* -EINTR: the core checks for SIGINT */
	p->inflight -= (unsigned)n;
	for (int i = 0; i < n; i++)
		complete(e, p->events[i].data, p->events[i].res);
	return 0;
}

static unsigned pop_done(struct aio_priv *p, struct zccp_io **done,
			 unsigned max)
{
	unsigned n = 0;

	while (n < max && p->done_head) {
		struct aio_req *req = p->done_head;

		p->done_head = req->next;
		if (!p->done_head)
			p->done_tail = &p->done_head;
		done[n++] = req->io;
		req->next = p->free;
		p->free = req;
	}
	return n;
}

static int aio_reap(struct zccp_engine *e, struct zccp_io **done, unsigned max,
		    bool wait)
{
	struct aio_priv *p = e->priv;
	unsigned n;
	int ret;

	for (;;) {
		ret = aio_submit(e);
		if (!ret)
			ret = harvest(e, wait && !p->done_head);
		if (!ret && p->interrupted) {
			p->interrupted = false;
			ret = -EINTR;
		}
		if (ret)
			return ret;
		n = pop_done(p, done, max);
		/* A poll that fired into another EAGAIN completes nothing. */
		if (n || !wait || !(p->inflight || p->npending))
			return (int)n;
	}
}

static void aio_cleanup(struct zccp_engine *e)
{
	const struct zccp_layout *layout = e->layout;
	struct aio_priv *p = e->priv;

	if (!p)
		return;
	/* Waits for what is in flight: the chunks must outlive it. */
	if (p->ctx)
		io_destroy(p->ctx);
	zccp_twins_close(layout);
	free(p->events);
	free(p->pending);
	free(p->reqs);
	free(p);
	e->priv = NULL;
}

const struct zccp_engine_ops zccp_engine_aio = {
	.name = "aio",
	.feature = "libaio",
	.caps = ZCCP_CAP_ASYNC | ZCCP_CAP_USER_BUFFER | ZCCP_CAP_PARALLEL |
		ZCCP_CAP_DIRECT | ZCCP_CAP_PLAIN_SOURCE_READS,
	/* From measurement; uring is preferred where available. */
	.setup_us = 64000, /* io_destroy waits for the kernel */
	.rank = {
		[ZCCP_KIND_REGULAR] = 2,
		[ZCCP_KIND_BLOCK] = 2,
		[ZCCP_KIND_PIPE] = 3,
		[ZCCP_KIND_SOCKET] = 3,
		[ZCCP_KIND_CHAR] = 3,
	},
	.probe = aio_probe,
	.init = aio_init,
	.setup_endpoint = aio_setup_endpoint,
	.queue = aio_queue,
	.submit = aio_submit,
	.reap = aio_reap,
	.cleanup = aio_cleanup,
};
