// SPDX-License-Identifier: MIT
/*
 * io_uring with registered buffers: every chunk slot is a fixed buffer,
 * the source is read once with READ_FIXED and each destination written
 * with WRITE_FIXED from the same slot.
 *
 * Parallelism comes from io-wq.  Without IOSQE_ASYNC a buffered write
 * is first tried without blocking in the submitting task: filesystems
 * that can (XFS) then write inline, one destination after the other;
 * those that cannot (tmpfs and ext4 on 6.18) punt it to io-wq hashed
 * per file, where they ran no better (1.62 s, once 3.9 s, against
 * 0.86 s forced, for 1 GiB to 4 tmpfs files on 2 cores; ext4 alike).
 * So buffered writes to files and block devices are forced async, and
 * io-wq is sized for them.
 *
 * With O_DIRECT (--direct, src/direct.c) aligned transfers bypass the
 * page cache and the rest, or source ranges the cache already holds,
 * go through the endpoint's buffered twin, still through the ring.
 * IOSQE_ASYNC on O_DIRECT writes measured no faster (1 GiB to 4 ext4
 * files with --fsync, medians of 12: 2.48 s against 2.42 s without;
 * to 4 loop devices 1.04 against 1.12), so they go without.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <liburing.h>

#include "zccp/direct.h"
#include "zccp/engine.h"
#include "zccp/net.h"
#include "uring.h"

/* ---- probe ---------------------------------------------------------- */

static const char *setup_failure(int err)
{
	switch (err) {
	case -ENOSYS:
		return "io_uring_setup: Function not implemented "
		       "(seccomp or old kernel)";
	case -EPERM:
		return "io_uring_setup: Operation not permitted "
		       "(sysctl kernel.io_uring_disabled or seccomp)";
	case -EACCES:
		return "io_uring_setup: Permission denied (LSM or seccomp)";
	case -ENOMEM:
		return "io_uring_setup: Cannot allocate memory";
	default:
		return "io_uring_setup failed";
	}
}

/* offset -1 must mean "the file position" (streams, /dev/zero). */
static int check_features(const struct io_uring *ring, const char **why)
{
	if (!(ring->features & IORING_FEAT_RW_CUR_POS)) {
		*why = "io_uring: no IORING_FEAT_RW_CUR_POS (kernel < 5.6)";
		return -EOPNOTSUPP;
	}
	return 0;
}

static int check_opcodes(struct io_uring *ring, const char **why)
{
	struct io_uring_probe *probe = io_uring_get_probe_ring(ring);
	int ret = 0;

	if (!probe) {
		*why = "io_uring: no opcode probe (kernel < 5.6)";
		return -EOPNOTSUPP;
	}
	if (!io_uring_opcode_supported(probe, IORING_OP_READ_FIXED) ||
	    !io_uring_opcode_supported(probe, IORING_OP_WRITE_FIXED)) {
		*why = "io_uring: READ_FIXED/WRITE_FIXED not supported";
		ret = -EOPNOTSUPP;
	}
	io_uring_free_probe(probe);
	return ret;
}

static bool opcode_supported(struct io_uring *ring, int op)
{
	struct io_uring_probe *probe = io_uring_get_probe_ring(ring);
	bool ok = probe && io_uring_opcode_supported(probe, op);

	io_uring_free_probe(probe);
	return ok;
}

/* A filter may allow io_uring_setup but refuse io_uring_enter. */
static int check_enter(struct io_uring *ring, const char **why)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	io_uring_prep_nop(sqe);
	do
		ret = io_uring_submit_and_wait(ring, 1);
	while (ret == -EINTR);
	if (ret >= 0)
		ret = io_uring_peek_cqe(ring, &cqe);
	if (ret < 0) {
		*why = "io_uring_enter failed (seccomp?)";
		return ret;
	}
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

int uring_probe(const char **why)
{
	struct io_uring ring;
	int ret;

	ret = io_uring_queue_init(2, &ring, 0);
	if (ret < 0) {
		*why = setup_failure(ret);
		return ret;
	}
	ret = check_features(&ring, why);
	if (!ret)
		ret = check_opcodes(&ring, why);
	if (!ret)
		ret = check_enter(&ring, why);
	io_uring_queue_exit(&ring);
	if (!ret)
		*why = "io_uring with READ_FIXED/WRITE_FIXED";
	return ret;
}

/* ---- init ----------------------------------------------------------- */

static unsigned clamp_entries(unsigned n, unsigned max)
{
	return n < 1 ? 1 : n > max ? max : n;
}

/*
 * SUBMIT_ALL: one bad SQE must not strand the ones after it.
 * COOP_TASKRUN: completions wait for our next io_uring_enter instead
 * of interrupting us with an IPI; TASKRUN_FLAG tells liburing's peek
 * to enter when such work is pending, so a non-blocking reap never
 * misses it.  SINGLE_ISSUER: one thread submits, the kernel may skip
 * locking.  Older kernels refuse unknown flags with EINVAL: drop the
 * newest first.
 */
static const unsigned ring_flag_sets[] = {
	IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
		IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SINGLE_ISSUER,
	IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
		IORING_SETUP_TASKRUN_FLAG,
	IORING_SETUP_SUBMIT_ALL,
	0,
};

static int ring_create(struct io_uring *ring, unsigned max_inflight)
{
	unsigned sq = clamp_entries(max_inflight, URING_MAX_SQ);
	unsigned i;
	int ret = -EINVAL;

	for (i = 0; i < sizeof(ring_flag_sets) / sizeof(*ring_flag_sets); i++) {
		struct io_uring_params p = { 0 };

		/* A CQE for everything in flight, so none overflows. */
		p.flags = IORING_SETUP_CQSIZE | ring_flag_sets[i];
		p.cq_entries = clamp_entries(max_inflight, URING_MAX_CQ);
		if (p.cq_entries < sq)
			p.cq_entries = sq;
		ret = io_uring_queue_init_params(sq, ring, &p);
		if (ret != -EINVAL)
			break;
	}
	if (ret)
		return ret;
	/* Past URING_MAX_CQ, the kernel must keep overflowed CQEs. */
	if (max_inflight > ring->cq.ring_entries &&
	    !(ring->features & IORING_FEAT_NODROP)) {
		io_uring_queue_exit(ring);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* One fixed buffer per chunk slot: buf_index is the slot number. */
static int register_chunks(struct io_uring *ring,
			   const struct zccp_layout *layout)
{
	struct iovec *iov = calloc(layout->nchunks, sizeof(*iov));
	unsigned i;
	int ret;

	if (!iov)
		return -ENOMEM;
	for (i = 0; i < layout->nchunks; i++) {
		iov[i].iov_base = (char *)layout->chunk_mem +
				  (size_t)i * layout->chunk_size;
		iov[i].iov_len = layout->chunk_size;
	}
	ret = io_uring_register_buffers(ring, iov, layout->nchunks);
	free(iov);
	return ret;
}

static unsigned online_cpus(void)
{
	cpu_set_t set;
	long n;

	/* The affinity mask, not the machine: containers pin us. */
	if (!sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/*
 * io-wq limits, per kind of work (measured on 2 cores, 1 GiB to 4
 * tmpfs files, median of 5):
 * - IOSQE_ASYNC writes reach io-wq before their file is looked up, so
 *   the kernel files them as unbounded work, neither hashed per inode
 *   nor held to the bounded limit.  Left unlimited, 16 workers pile up
 *   on the files' i_rwsem: 1.05 s; 1 worker: 1.49 s; 2 (one per CPU):
 *   0.86 s; 3 or 4: 1.02 s.  To one destination: 1 worker 0.45 s,
 *   2 workers 0.49 s.  So: one per destination file, at most one per
 *   CPU, plus one per char device, whose transfers may hold a worker
 *   indefinitely (a tty).
 * - Bounded work is what the kernel punts itself (a tmpfs read that
 *   cannot be done without blocking): one per CPU.
 */
static void set_workers(struct uring *u)
{
	unsigned files = u->file_writers < u->cpus ? u->file_writers : u->cpus;
	unsigned values[2] = { u->cpus, 0 };

	values[1] = (files ? files : 1) + u->char_devices;
	if (values[1] == u->workers)
		return;
	u->workers = values[1];
	/* Before 5.15 the kernel's defaults stay: slower, still correct. */
	(void)io_uring_register_iowq_max_workers(&u->ring, values);
}

int uring_init(struct zccp_engine *e)
{
	const struct zccp_layout *layout = e->layout;
	struct uring *u;
	int ret;

	if (!layout->chunk_mem || !layout->nchunks)
		return -EINVAL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->backlog_tail = &u->backlog;
	/* A read's CQE must reach us at once: its writes wait for us. */
	u->wait_batch = 1;
	ret = ring_create(&u->ring, layout->max_inflight);
	if (ret)
		goto out_free;
	/*
	 * Pinning counts against RLIMIT_MEMLOCK (8 MiB by default, less
	 * than -Q 8 of 1 MiB chunks plus the rings for a non-root user).
	 * For buffered copies registration measured no faster (0.86 s
	 * against 0.85 s unregistered), so do without it rather than
	 * give up io-wq's parallel writes.
	 */
	ret = register_chunks(&u->ring, layout);
	u->fixed = !ret;
	if (ret && ret != -ENOMEM)
		goto out_exit;
	u->send_zc = opcode_supported(&u->ring, IORING_OP_SEND_ZC);
	u->cpus = online_cpus();
	set_workers(u);
	e->priv = u;
	return 0;

out_exit:
	io_uring_queue_exit(&u->ring);
out_free:
	free(u);
	return ret;
}

/* ---- endpoints ------------------------------------------------------ */

static const char *dest_method(enum zccp_kind kind)
{
	switch (kind) {
	case ZCCP_KIND_REGULAR:
		return "io-wq write (regular file: without IOSQE_ASYNC, "
		       "writes serialize)";
	case ZCCP_KIND_BLOCK:
		return "io-wq write (block device: without IOSQE_ASYNC, "
		       "writes serialize)";
	case ZCCP_KIND_CHAR:
		return "write (char device: inline, or io-wq if it cannot "
		       "wait)";
	default:
		return "poll-driven write (stream: waits without holding a "
		       "worker)";
	}
}

static const char *source_method(enum zccp_kind kind)
{
	switch (kind) {
	case ZCCP_KIND_REGULAR:
	case ZCCP_KIND_BLOCK:
		return "read (cache hits complete inline; IOSQE_ASYNC "
		       "measured no faster)";
	case ZCCP_KIND_CHAR:
		return "read (char device: inline, or io-wq if it cannot "
		       "wait)";
	default:
		return "poll-driven read (stream: waits without holding a "
		       "worker)";
	}
}

static const char *direct_method(const struct uring *u,
				 const struct zccp_endpoint *ep, bool reading,
				 const char *why)
{
	if (reading)
		return zccp_direct_method(ep, true,
					  u->fixed ? "READ_FIXED" : "read",
					  why, "");
	return zccp_direct_method(ep, false, u->fixed ? "WRITE_FIXED" : "write",
				  why, "; no IOSQE_ASYNC (measured no faster)");
}

static const char *buffered_method(const struct uring *u,
				   const struct zccp_endpoint *ep,
				   bool reading, const char *why)
{
	const char *method = dest_method(ep->kind);

	if (reading)
		method = u->fixed ? source_method(ep->kind)
				  : "read, buffers not registered "
				    "(RLIMIT_MEMLOCK too low to pin them)";
	return why ? zccp_method("%s; buffered: %s", method, why) : method;
}

/*
 * SEND_ZC to a TCP destination: the NIC reads the registered buffer and
 * the chunk stays ours until the kernel's notification.  A peer on this
 * host gets a copy on delivery anyway (skb_orphan_frags_rx), so there
 * it only adds the notification: measured in bench/run's net scenario.
 * ZCCP_SEND_ZC=1 forces it wherever the kernel allows, 0 never.
 */
static const char *send_zc_choice(const struct uring *u,
				  const struct zccp_endpoint *ep, bool *use)
{
	const char *force = getenv("ZCCP_SEND_ZC");

	*use = false;
	if (!ep->net || !zccp_net_is_tcp(ep->fd))
		return NULL;
	if (ep->tls)
		return "no SEND_ZC: kernel TLS takes none";
	if (!u->send_zc)
		return "no SEND_ZC: the kernel lacks it";
	if (!u->fixed)
		return "no SEND_ZC: buffers not registered";
	if (force && !strcmp(force, "0"))
		return "no SEND_ZC: ZCCP_SEND_ZC=0";
	*use = true;
	if (force && !strcmp(force, "1"))
		return "SEND_ZC from the registered buffer (ZCCP_SEND_ZC=1)";
	if (zccp_net_peer_is_local(ep->fd) == 0)
		return "SEND_ZC from the registered buffer (peer on another "
		       "host: no copy into the socket)";
	*use = false;
	return "no SEND_ZC: the peer is on this host, whose kernel copies "
	       "zero-copy data on delivery";
}

int uring_setup_endpoint(struct zccp_engine *e, struct zccp_endpoint *ep)
{
	struct uring *u = e->priv;
	bool reading = ep == e->layout->source;
	bool seekable = ep->kind == ZCCP_KIND_REGULAR ||
			ep->kind == ZCCP_KIND_BLOCK;
	const char *why;
	int direct;

	ep->engine_flags = 0;
	if (ep == e->layout->zero) {
		/* Filling a buffer with zeros never blocks. */
		ep->method = "read (/dev/zero: a memset, done inline)";
		return 0;
	}
	if (ep->kind == ZCCP_KIND_CHAR)
		u->char_devices++;
	direct = zccp_direct_setup(e->layout, ep, &why);
	if (direct < 0)
		return direct;
	/*
	 * Streams get no IOSQE_ASYNC: io_uring then arms a poll and
	 * retries when the pipe drains, where a forced worker would sit
	 * blocked in write().  Nor do O_DIRECT writes: the block layer
	 * runs them asynchronously already, and a file system that must
	 * block (ext4 allocating) punts them to io-wq itself.
	 */
	if (!reading && seekable && !direct) {
		ep->engine_flags = IOSQE_ASYNC;
		u->file_writers++;
	}
	ep->method = direct ? direct_method(u, ep, reading, why)
			    : buffered_method(u, ep, reading, why);
	/* No SEND_ZC under an extension: group members post one CQE each. */
	if (!reading && !u->ext) {
		bool zc;
		const char *zc_why = send_zc_choice(u, ep, &zc);

		if (zc)
			ep->engine_flags |= URING_SEND_ZC;
		if (zc)
			ep->method = zccp_method("%s, poll-driven", zc_why);
		else if (zc_why)
			ep->method = zccp_method("%s; %s", ep->method, zc_why);
	}
	set_workers(u);
	return 0;
}

/* ---- queue, submit, reap -------------------------------------------- */

int uring_sq_reserve(struct io_uring *ring, unsigned n)
{
	int ret;

	if (io_uring_sq_space_left(ring) >= n)
		return 0;
	ret = io_uring_submit(ring);
	if (ret < 0)
		return ret;
	return io_uring_sq_space_left(ring) >= n ? 0 : -EBUSY;
}

/*
 * Which file, and how many bytes: an O_DIRECT endpoint moves what is
 * aligned directly (*direct) and the rest, or a read the page cache
 * holds, through its buffered twin.
 */
int uring_route(const struct zccp_layout *layout, struct zccp_io *io,
		uint32_t *len, bool *direct)
{
	struct zccp_endpoint *ep = io->ep;
	int twin;

	*len = io->len;
	*direct = false;
	if (!ep->dio_align)
		return ep->fd;
	*len = zccp_direct_len(layout, io);
	*direct = *len > 0;
	if (*direct && !zccp_direct_cached(io))
		return ep->fd;
	twin = zccp_direct_twin(ep);
	if (twin >= 0) {
		*len = io->len;
		*direct = false;
		return twin;
	}
	if (*direct)
		return ep->fd; /* cached, but there is no other way */
	/*
	 * No twin (a read-only temporary for an unprivileged user): give
	 * up O_DIRECT on this file.  Transfers already queued still work:
	 * those issued from now on go buffered.
	 */
	zccp_direct_refused(ep);
	*len = io->len;
	return ep->fd;
}

void uring_prep_transfer(const struct uring *u,
			  const struct zccp_layout *layout,
			  struct io_uring_sqe *sqe, struct zccp_io *io)
{
	void *buf = zccp_io_buf(layout, io);
	/* (u64)-1: use and advance the file position (streams, zero). */
	uint64_t offset = io->offset < 0 ? (uint64_t)-1 : (uint64_t)io->offset;
	uint32_t len;
	bool direct;
	int fd = uring_route(layout, io, &len, &direct);

	if (io->op == ZCCP_IO_READ && u->fixed)
		io_uring_prep_read_fixed(sqe, fd, buf, len, offset,
					 (int)io->chunk);
	else if (io->op == ZCCP_IO_READ)
		io_uring_prep_read(sqe, fd, buf, len, offset);
	else if (io->ep->engine_flags & URING_SEND_ZC)
		io_uring_prep_send_zc_fixed(sqe, fd, buf, len, MSG_NOSIGNAL, 0,
					    io->chunk);
	else if (u->fixed)
		io_uring_prep_write_fixed(sqe, fd, buf, len, offset,
					  (int)io->chunk);
	else
		io_uring_prep_write(sqe, fd, buf, len, offset);
	io_uring_sqe_set_flags(sqe, io->ep->engine_flags & URING_SQE_FLAGS);
	io_uring_sqe_set_data64(sqe,
				(uintptr_t)io | (direct ? URING_DIRECT : 0u));
}

/* The kernel refused the batch for now; the SQEs stay for next time. */
static bool submit_transient(int err)
{
	return err == -EAGAIN || err == -EBUSY || err == -EINTR;
}

static void backlog_flush(struct uring *u, const struct zccp_layout *layout)
{
	while (u->backlog && io_uring_sq_space_left(&u->ring)) {
		struct zccp_io *io = u->backlog;

		u->backlog = io->next;
		if (!u->backlog)
			u->backlog_tail = &u->backlog;
		uring_prep_transfer(u, layout, io_uring_get_sqe(&u->ring), io);
	}
}

int uring_queue(struct zccp_engine *e, struct zccp_io *io)
{
	struct uring *u = e->priv;
	int ret;

	ret = u->backlog ? -EBUSY : uring_sq_reserve(&u->ring, 1);
	if (ret && !submit_transient(ret))
		return ret;
	u->inflight++;
	if (ret) {
		/* The engine owns io until reap: its link is ours to use. */
		io->next = NULL;
		*u->backlog_tail = io;
		u->backlog_tail = &io->next;
		return ZCCP_QUEUED;
	}
	uring_prep_transfer(u, e->layout, io_uring_get_sqe(&u->ring), io);
	return ZCCP_QUEUED;
}

/* Put what queue() gathered into the SQ, without entering the kernel. */
int uring_prepare(struct zccp_engine *e)
{
	struct uring *u = e->priv;
	int ret;

	if (u->ext) {
		ret = u->ext->flush(u, e->layout);
		if (ret)
			return ret;
	}
	backlog_flush(u, e->layout);
	return 0;
}

int uring_submit(struct zccp_engine *e)
{
	struct uring *u = e->priv;
	int ret = uring_prepare(e);

	if (ret)
		return ret;
	ret = io_uring_submit(&u->ring);
	if (ret < 0 && !submit_transient(ret))
		return ret;
	return 0;
}

/*
 * A file opened O_NONBLOCK that io_uring cannot poll itself (a tty, or
 * any stream on an older kernel) completes with -EAGAIN, which the
 * contract forbids us to hand back: wait for readiness with a linked
 * poll and transfer again.  The poll's CQE carries no io and is skipped.
 */
static int retry_after_poll(struct uring *u, const struct zccp_layout *layout,
			    struct zccp_io *io)
{
	struct io_uring_sqe *sqe;
	int ret;

	ret = uring_sq_reserve(&u->ring, 2);
	if (ret)
		return ret;
	sqe = io_uring_get_sqe(&u->ring);
	io_uring_prep_poll_add(sqe, io->ep->fd,
			       io->op == ZCCP_IO_READ ? POLLIN : POLLOUT);
	io_uring_sqe_set_flags(sqe, IOSQE_IO_LINK);
	io_uring_sqe_set_data(sqe, NULL);
	uring_prep_transfer(u, layout, io_uring_get_sqe(&u->ring), io);
	return 0;
}

/* The file system took O_DIRECT at fcntl but refuses it in I/O. */
static int retry_buffered(struct uring *u, const struct zccp_layout *layout,
			  struct zccp_io *io)
{
	int ret = uring_sq_reserve(&u->ring, 1);

	if (ret)
		return ret;
	zccp_direct_refused(io->ep);
	uring_prep_transfer(u, layout, io_uring_get_sqe(&u->ring), io);
	return 0;
}

/* Set what the core sees of a completion; 1 when the transfer was
 * queued again instead. */
static int completion(struct uring *u, const struct zccp_layout *layout,
		      struct zccp_io *io, int res, bool direct)
{
	int err;

	if (res == -EAGAIN) {
		err = retry_after_poll(u, layout, io);
	} else if (res == -EINVAL && direct) {
		err = retry_buffered(u, layout, io);
	} else {
		/* A direct read rounded up may bring more than asked. */
		io->result = res > (int)io->len ? (int)io->len : res;
		return 0;
	}
	if (!err)
		return 1;
	io->result = err;
	return 0;
}

/* Move ready CQEs to done[]; advance only past those consumed. */
static unsigned collect(struct uring *u, const struct zccp_layout *layout,
			struct zccp_io **done, unsigned max)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0, n = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe) {
		uint64_t data = io_uring_cqe_get_data64(cqe);
		struct zccp_io *io = (void *)(uintptr_t)(data & ~(uint64_t)
							 URING_DIRECT);

		if (n == max)
			break;
		seen++;
		if (u->ext && u->ext->cqe(u, data, cqe->res))
			continue;
		if (!io)
			continue; /* a retry's poll, or cleanup's cancel */
		/*
		 * SEND_ZC: the result comes first (F_MORE), the chunk is
		 * free only at the notification, which reports the io.
		 */
		if (cqe->flags & IORING_CQE_F_MORE) {
			io->result = cqe->res;
			continue;
		}
		if (!(cqe->flags & IORING_CQE_F_NOTIF) &&
		    completion(u, layout, io, cqe->res, data & URING_DIRECT))
			continue;
		done[n++] = io;
		u->inflight--;
	}
	io_uring_cq_advance(&u->ring, seen);
	return n;
}

/*
 * How many CQEs to wait for: u->wait_batch, but never more than the
 * kernel owes us, or the wait would never end.  Every SQE we prepare
 * posts exactly one CQE (no CQE_SKIP_SUCCESS, no multishot), so what
 * is owed is the SQEs prepared minus the CQEs consumed.
 */
static unsigned wait_target(const struct uring *u, unsigned max)
{
	unsigned owed = u->ring.sq.sqe_tail - *u->ring.cq.khead;
	unsigned want = u->wait_batch < max ? u->wait_batch : max;

	want = want < owed ? want : owed;
	return want ? want : 1;
}

/* Submit what is prepared and wait, in one io_uring_enter. */
static int submit_and_wait(struct zccp_engine *e, unsigned max)
{
	struct uring *u = e->priv;
	struct io_uring_cqe *cqe;
	int ret = uring_prepare(e);

	if (ret)
		return ret;
	if (io_uring_sq_ready(&u->ring)) {
		ret = io_uring_submit_and_wait(&u->ring, wait_target(u, max));
		if (ret >= 0 || !submit_transient(ret) || ret == -EINTR)
			return ret < 0 ? ret : 0;
		/* The kernel took nothing for now: some of what the target
		 * counted is not owed yet, so wait for one. */
		return io_uring_wait_cqe(&u->ring, &cqe);
	}
	/* Both also flush CQEs the kernel holds back (overflow, deferred
	 * task work). */
	return io_uring_wait_cqe_nr(&u->ring, &cqe, wait_target(u, max));
}

int uring_reap(struct zccp_engine *e, struct zccp_io **done,
		      unsigned max, bool wait)
{
	struct uring *u = e->priv;
	struct io_uring_cqe *cqe;
	unsigned n = 0;
	int ret;

	while (max && u->inflight && !u->fatal) {
		if (wait) {
			ret = submit_and_wait(e, max);
		} else {
			/* Left queued by a transient submit failure or a
			 * retry, or prepared by a deferred submit. */
			if (io_uring_sq_ready(&u->ring) || u->backlog ||
			    (u->ext && u->ext->pending(u))) {
				ret = uring_submit(e);
				if (ret)
					return ret;
			}
			ret = io_uring_peek_cqe(&u->ring, &cqe);
			if (ret == -EAGAIN)
				return 0;
		}
		if (ret < 0)
			return ret; /* -EINTR: the core checks for signals */
		n = collect(u, e->layout, done, max);
		if (n || !wait)
			break;
	}
	if (u->fatal_read)
		e->late_read_error = u->fatal;
	return u->fatal ? u->fatal : (int)n;
}

/* ---- cleanup -------------------------------------------------------- */

/*
 * After an abort, transfers may still be in flight: cancel them and
 * wait (bounded) so nothing touches the chunks or the destinations
 * once the core has moved on.  The ring's own teardown would cancel
 * them too, but asynchronously.
 */
static void cancel_and_drain(struct uring *u)
{
	struct __kernel_timespec tick = { 0, 100 * 1000 * 1000 };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int waited_ms = 0;

	if (!uring_sq_reserve(&u->ring, 1)) {
		sqe = io_uring_get_sqe(&u->ring);
		io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
		io_uring_sqe_set_data(sqe, NULL);
		(void)io_uring_submit(&u->ring);
	}
	while (u->inflight && waited_ms < URING_DRAIN_MS) {
		int ret = io_uring_wait_cqe_timeout(&u->ring, &cqe, &tick);

		if (ret == -ETIME || ret == -EINTR) {
			waited_ms += 100;
			continue;
		}
		if (ret < 0)
			break;
		/* Transfers only: not retry polls, cancels or leaders, nor
		 * a SEND_ZC's result, whose notification follows. */
		if (io_uring_cqe_get_data(cqe) &&
		    !(io_uring_cqe_get_data64(cqe) & URING_LEADER) &&
		    !(cqe->flags & IORING_CQE_F_MORE))
			u->inflight--;
		io_uring_cqe_seen(&u->ring, cqe);
	}
}

void uring_cleanup(struct zccp_engine *e)
{
	struct uring *u = e->priv;

	if (!u)
		return;
	if (u->inflight)
		cancel_and_drain(u);
	/* Also unregisters the buffers. */
	io_uring_queue_exit(&u->ring);
	if (u->ext)
		u->ext->free(u);
	zccp_twins_close(e->layout);
	free(u);
	e->priv = NULL;
}

const struct zccp_engine_ops zccp_engine_uring = {
	.name = "uring",
	.feature = "io_uring",
	.caps = ZCCP_CAP_ASYNC | ZCCP_CAP_USER_BUFFER | ZCCP_CAP_PARALLEL |
		ZCCP_CAP_DIRECT,
	.setup_us = 1000, /* ring, registered buffers and files */
	.rank = URING_RANKS,
	.probe = uring_probe,
	.init = uring_init,
	.setup_endpoint = uring_setup_endpoint,
	.queue = uring_queue,
	.submit = uring_submit,
	.reap = uring_reap,
	.cleanup = uring_cleanup,
};
