// SPDX-License-Identifier: MIT
/*
 * libaio: Linux native AIO (io_setup/io_submit/io_getevents), the
 * asynchronous engine for kernels without io_uring.
 *
 * Native AIO is only truly asynchronous for O_DIRECT, so regular files
 * and block devices are switched to O_DIRECT where the filesystem takes
 * it; transfers that are not aligned (the tail of an odd-sized file, a
 * resumed short transfer) go through the page cache synchronously.  On
 * a buffered file io_submit itself does the copy: still correct, just
 * not parallel.
 *
 * Two measured exceptions: a source range already in the page cache is
 * copied from there (cachestat), since reading it from the disk again
 * costs as much as a destination; and temporaries are sized up front,
 * since ext4 runs direct writes that extend a file inside io_submit.
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
#include <linux/fs.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "zccp/engine.h"

/*
 * statx's direct I/O alignment (Linux 6.1).  Headers older than that
 * lack the mask bit and the fields; the fields sit at fixed offsets of
 * the kernel's struct statx, which is ABI, so read them from there.
 */
#ifndef STATX_DIOALIGN
#define STATX_DIOALIGN 0x00002000U
#define ZCCP_STATX_DIO_MEM_OFFSET 0x98
#define ZCCP_STATX_DIO_OFFSET_OFFSET 0x9c
#endif

/* cachestat(2), Linux 6.5: older headers lack it.  The number is the
 * same on every architecture (the unified table). */
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif

struct aio_cachestat_range {
	uint64_t off;
	uint64_t len;
};

struct aio_cachestat {
	uint64_t nr_cache;
	uint64_t nr_dirty;
	uint64_t nr_writeback;
	uint64_t nr_evicted;
	uint64_t nr_recently_evicted;
};

/* Per-endpoint decisions, in ep->engine_flags. */
enum {
	AIO_DIRECT = 1u << 0,	/* O_DIRECT is set on ep->fd */
	AIO_TWIN = 1u << 1,	/* ep->engine_fd is our buffered twin */
	AIO_STREAM = 1u << 2,	/* RWF_NOWAIT, poll when not ready */
	AIO_BLOCKING = 1u << 3, /* a stream without RWF_NOWAIT support */
	AIO_PLAIN = 1u << 4,	/* a file without offsets: plain syscalls */
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
	bool interrupted;  /* a syscall saw EINTR: tell the core */
	bool no_cachestat; /* kernel without cachestat: read direct */
	uint64_t page;
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
	p->page = (uint64_t)sysconf(_SC_PAGESIZE);
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

/* 0 and the alignments, -EOPNOTSUPP when statx does not say. */
static int statx_dio(int fd, uint32_t *mem, uint32_t *offset)
{
	union {
		struct statx st;
		unsigned char raw[256];
	} u;

	memset(&u, 0, sizeof(u));
	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &u.st))
		return -errno;
	if (!(u.st.stx_mask & STATX_DIOALIGN))
		return -EOPNOTSUPP;
#ifdef ZCCP_STATX_DIO_MEM_OFFSET
	memcpy(mem, u.raw + ZCCP_STATX_DIO_MEM_OFFSET, sizeof(*mem));
	memcpy(offset, u.raw + ZCCP_STATX_DIO_OFFSET_OFFSET, sizeof(*offset));
#else
	*mem = u.st.stx_dio_mem_align;
	*offset = u.st.stx_dio_offset_align;
#endif
	return 0;
}

/*
 * The alignment O_DIRECT needs for buffers, offsets and lengths alike
 * (one number keeps the check simple; chunks are page aligned anyway),
 * or 0 when the file cannot do O_DIRECT at all.
 */
static uint32_t dio_alignment(const struct zccp_endpoint *ep)
{
	uint32_t mem, offset;
	int sector;

	if (!statx_dio(ep->fd, &mem, &offset))
		return offset ? (mem > offset ? mem : offset) : 0;
	if (ep->kind == ZCCP_KIND_BLOCK && !ioctl(ep->fd, BLKSSZGET, &sector) &&
	    sector > 0)
		return (uint32_t)sector;
	return 4096; /* what every O_DIRECT filesystem accepts */
}

static int set_direct(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -errno;
	flags = on ? flags | O_DIRECT : flags & ~O_DIRECT;
	return fcntl(fd, F_SETFL, flags) ? -errno : 0;
}

/*
 * A second open file for the same file, in ep->engine_fd: without
 * O_DIRECT for transfers that are not aligned, or O_NONBLOCK for a
 * stream without RWF_NOWAIT.  A new open file, so the flags never
 * reach whoever shares ours (a shell's stdout).  Never O_TRUNC.
 */
static bool open_twin(struct zccp_endpoint *ep, int flags)
{
	int accmode = fcntl(ep->fd, F_GETFL);
	char proc[64];

	if (accmode < 0)
		return false;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", ep->fd);
	ep->engine_fd = open(proc, (accmode & O_ACCMODE) | flags | O_CLOEXEC);
	if (ep->engine_fd < 0)
		return false;
	ep->engine_flags |= AIO_TWIN;
	return true;
}

#define DIRECT_READ(n) \
	"libaio O_DIRECT (aligned " n ") unless cached, buffered tail"
#define DIRECT_WRITE(n) "libaio O_DIRECT (aligned " n "), buffered tail"

static const char *direct_method(uint32_t align, bool reading)
{
	switch (align) {
	case 512:
		return reading ? DIRECT_READ("512") : DIRECT_WRITE("512");
	case 1024:
		return reading ? DIRECT_READ("1024") : DIRECT_WRITE("1024");
	case 2048:
		return reading ? DIRECT_READ("2048") : DIRECT_WRITE("2048");
	case 4096:
		return reading ? DIRECT_READ("4096") : DIRECT_WRITE("4096");
	default:
		return "libaio O_DIRECT, buffered unaligned transfers";
	}
}

/*
 * ext4 runs a direct write that extends the file synchronously inside
 * io_submit (i_size must not pass the data), which serializes all the
 * destinations.  A temporary gets the source's size up front, as a hole
 * (sparse stays sparse), so writes land inside it: commit truncates to
 * the final size anyway and a failed temporary is removed.  Failure
 * only costs speed.
 */
static void presize(const struct zccp_layout *layout, struct zccp_endpoint *ep)
{
	const struct zccp_endpoint *src = layout->source;

	if (ep == src || ep->kind != ZCCP_KIND_REGULAR || !src->size_known ||
	    !(ep->tmp_unnamed || ep->tmp_name))
		return;
	if (ftruncate(ep->fd, (off_t)src->size))
		return; /* then writes extend the file, only slower */
}

/* Regular files and block devices with offsets. */
static int setup_file(const struct zccp_layout *layout,
		      struct zccp_endpoint *ep)
{
	uint32_t align;
	int ret;

	if (ep->std) {
		/* O_DIRECT would stick to the shell's open file too. */
		ep->method = "libaio buffered (standard stream: shared file)";
		return 0;
	}
	align = dio_alignment(ep);
	if (!align) {
		ep->method = "libaio buffered (no O_DIRECT on this file)";
		return 0;
	}
	ret = set_direct(ep->fd, true);
	if (ret == -EINVAL) {
		ep->method = "libaio buffered (O_DIRECT refused)";
		return 0;
	}
	if (ret)
		return ret;
	ep->dio_align = align;
	ep->engine_flags |= AIO_DIRECT;
	presize(layout, ep);
	/* Refused (the temporary may already have the source's read-only
	 * mode): unaligned transfers clear O_DIRECT around themselves. */
	open_twin(ep, 0);
	ep->method = direct_method(align, ep == layout->source);
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

/* pread/pwrite, or read/write at the file position for offset -1. */
static int plain_transfer(int fd, struct zccp_io *io, void *buf, int flags)
{
	struct iovec iov = { buf, io->len };
	ssize_t n;

	if (io->op == ZCCP_IO_READ)
		n = preadv2(fd, &iov, 1, io->offset, flags);
	else
		n = pwritev2(fd, &iov, 1, io->offset, flags);
	return n < 0 ? -errno : (int)n;
}

/* An O_DIRECT endpoint's transfer that is not aligned. */
static int buffered_transfer(struct zccp_endpoint *ep, struct zccp_io *io,
			     void *buf)
{
	bool toggle = !(ep->engine_flags & AIO_TWIN) &&
		      (ep->engine_flags & AIO_DIRECT);
	int fd = ep->engine_flags & AIO_TWIN ? ep->engine_fd : ep->fd;
	int ret;

	/* Submitted iocbs keep the flags they were submitted with, and
	 * nothing is submitted until O_DIRECT is back. */
	if (toggle) {
		ret = set_direct(ep->fd, false);
		if (ret)
			return ret;
	}
	do
		ret = plain_transfer(fd, io, buf, 0);
	while (ret == -EINTR); /* a file: the retry cannot hang */
	if (toggle && set_direct(ep->fd, true)) {
		ep->engine_flags &= ~AIO_DIRECT;
		ep->dio_align = 0;
		ep->method = "libaio buffered (O_DIRECT lost)";
	}
	return ret;
}

static void arm_poll(struct aio_priv *p, struct aio_req *req)
{
	struct zccp_endpoint *ep = req->io->ep;
	int fd = ep->engine_flags & AIO_TWIN ? ep->engine_fd : ep->fd;

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

	if (open_twin(ep, O_NONBLOCK)) {
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

	if (ep->engine_flags & AIO_TWIN)
		return plain_transfer(ep->engine_fd, req->io, buf, 0);
	if (ep->engine_flags & (AIO_BLOCKING | AIO_PLAIN))
		return plain_transfer(ep->fd, req->io, buf, 0);
	ret = plain_transfer(ep->fd, req->io, buf, RWF_NOWAIT);
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
		ret = plain_transfer(req->io->ep->fd, req->io,
				     req_buf(e, req), 0);
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

/*
 * How much of the transfer can go O_DIRECT (0: none).  The buffer and
 * the offset must be aligned.  A read that ends at the end of the file
 * is rounded up: the kernel stops at EOF, and the slot has room since
 * chunks are whole pages.  A write is rounded down: the result is short
 * and the core queues the unaligned rest, which goes buffered.
 */
static uint32_t direct_len(const struct zccp_endpoint *ep, const void *buf,
			   const struct zccp_io *io, uint32_t room)
{
	uint32_t align = ep->dio_align;
	uint64_t end = (uint64_t)io->offset + io->len;
	uint32_t up, down;

	if (!align || (uintptr_t)buf % align || (uint64_t)io->offset % align)
		return 0;
	down = io->len - io->len % align;
	if (down == io->len || io->op == ZCCP_IO_WRITE)
		return down;
	up = down + align;
	if (ep->size_known && end >= ep->size && up <= room)
		return up;
	return down;
}

/*
 * Is the whole range of a read in the page cache?  Then copy it from
 * there: O_DIRECT would read the disk again for what memory holds (and
 * flush it first if dirty), and the disk is what bounds a copy.
 * cachestat (Linux 6.5) asks without touching the pages or starting
 * readahead, which a RWF_NOWAIT read would.
 */
static bool cached(struct aio_priv *p, const struct zccp_endpoint *ep,
		   const struct zccp_io *io)
{
	struct aio_cachestat_range range = { (uint64_t)io->offset, io->len };
	struct aio_cachestat stat;
	uint64_t end = range.off + range.len;

	if (p->no_cachestat)
		return false;
	if (ep->size_known && end > ep->size)
		end = ep->size;
	if (end <= range.off)
		return false; /* at or past the end: let the kernel say */
	if (syscall(__NR_cachestat, ep->fd, &range, &stat, 0)) {
		p->no_cachestat = errno == ENOSYS;
		return false;
	}
	return stat.nr_cache >= (end - 1) / p->page - range.off / p->page + 1;
}

static void start(struct zccp_engine *e, struct aio_req *req)
{
	struct zccp_endpoint *ep = req->io->ep;
	unsigned flags = ep->engine_flags;
	uint32_t room = e->layout->chunk_size - req->io->chunk_offset;
	uint32_t len;

	if (req->io->offset < 0 || (flags & (AIO_STREAM | AIO_PLAIN))) {
		stream_step(e, req);
		return;
	}
	if (!(flags & AIO_DIRECT)) {
		prep_rw(e, req, req->io->len, false);
		return;
	}
	len = direct_len(ep, req_buf(e, req), req->io, room);
	if (len && req->io->op == ZCCP_IO_READ && cached(e->priv, ep, req->io))
		len = 0;
	if (len)
		prep_rw(e, req, len, true);
	else
		finish(e->priv, req,
		       buffered_transfer(ep, req->io, req_buf(e, req)));
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
	struct zccp_endpoint *ep = req->io->ep;

	if (ep->engine_flags & AIO_DIRECT) {
		ep->engine_flags &= ~AIO_DIRECT;
		ep->dio_align = 0;
		ep->method = "libaio buffered (O_DIRECT I/O refused)";
		set_direct(ep->fd, false);
	}
	return buffered_transfer(ep, req->io, req_buf(e, req));
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

static void close_twin(struct zccp_endpoint *ep)
{
	if (!ep || !(ep->engine_flags & AIO_TWIN))
		return;
	close(ep->engine_fd);
	ep->engine_fd = -1;
	ep->engine_flags &= ~AIO_TWIN;
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
	close_twin(layout->source);
	close_twin(layout->zero);
	for (unsigned i = 0; i < layout->ndests; i++)
		close_twin(layout->dests[i]);
	free(p->events);
	free(p->pending);
	free(p->reqs);
	free(p);
	e->priv = NULL;
}

const struct zccp_engine_ops zccp_engine_aio = {
	.name = "aio",
	.caps = ZCCP_CAP_ASYNC | ZCCP_CAP_USER_BUFFER | ZCCP_CAP_PARALLEL |
		ZCCP_CAP_DIRECT,
	/* From measurement; uring is preferred where available. */
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
