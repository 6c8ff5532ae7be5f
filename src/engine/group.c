// SPDX-License-Identifier: MIT
/*
 * io_uring with SQE groups (kernel/patches, docs/sqe-group.md): each
 * chunk is one group, a READ_FIXED leader into the chunk's registered
 * buffer and one WRITE_FIXED member per destination, all submitted
 * together.  The kernel issues the members when the read is done, so a
 * chunk costs no round trip between its read and its writes, and many
 * chunks go in one io_uring_enter.  Groups are not linked to each
 * other: the ring's slots bound what is in flight, and the next read
 * never waits for earlier writes beyond that.
 *
 * The core sees the read complete at once (ZCCP_CAP_ORDERED_FANOUT):
 * it then queues the chunk's writes, which become the group's members.
 * Writes that arrive once the group is in the kernel (a stream that had
 * a write in flight, the rest of a short write) wait for the leader and
 * then go as plain transfers.  A leader that fails or reads short (the
 * source shrank) ends the copy: its members were cancelled, or wrote
 * bytes that were never read.
 *
 * With kernel patch 5 the leader can lend instead of read: a
 * READ_PAGES leader takes references on the source's page cache pages
 * and its members (IOSQE_GROUP_KBUF) write from those, so the chunk's
 * bytes never enter our buffer: one copy less per chunk.  The probe
 * copies a memfd through such a group to know the kernel has it.  The
 * slot then stays empty, so a write that comes after the group (the
 * rest of a short write, a destination that lagged) makes the slot a
 * plain group again, which reads the chunk into the buffer.  Streams
 * take their chunks one write at a time, always after the group: with
 * a stream destination every chunk would be read twice, so the engine
 * lends pages only when every destination is seekable.
 *
 * Everything else (rings, buffers, io-wq, streams, O_DIRECT) is the
 * uring engine's (uring.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zccp/direct.h"
#include "zccp/errors.h"
#include "zccp/uring_group.h"
#include "uring.h"

enum slot_state {
	SLOT_IDLE,	/* no group: transfers go plain */
	SLOT_PENDING,	/* read accepted, group not yet submitted */
	SLOT_SUBMITTED, /* group in the kernel */
};

/* user_data of a leader: URING_LEADER | len << 2 | slot << 33 | gen << 56 */
#define LEADER_LEN_SHIFT 2
#define LEADER_SLOT_SHIFT 33
#define LEADER_GEN_SHIFT 56
#define LEADER_LEN_MASK ((1ull << 31) - 1)
#define LEADER_SLOT_MASK ((1ull << 23) - 1)

struct slot {
	enum slot_state state;
	uint8_t gen;  /* tells a late leader CQE from the slot's next group */
	bool filled;  /* the leader has read the chunk (or lent it, and the
		       * group is over) */
	bool pages;   /* the leader lends page cache pages: the buffer
		       * stays empty */
	/* The read, copied: the core recycles its zccp_io at once. */
	struct zccp_io read;
	struct zccp_io *members, **members_tail;
	unsigned nmembers;
	struct zccp_io *parked;	  /* writes waiting for the leader */
	struct zccp_io *canceled; /* members back with -ECANCELED */
};

struct group {
	struct slot *slots;
	unsigned nslots;
	unsigned *pending; /* slots to submit, in read order */
	unsigned npending;
	unsigned sq_entries;
	bool lend_pages; /* READ_PAGES leaders for the source's chunks */
	const char *why_not_lend; /* for -v, when !lend_pages */
	unsigned long refills;	  /* chunks read again after lending */
};

static void push(struct zccp_io **list, struct zccp_io *io)
{
	io->next = *list;
	*list = io;
}

/* Transfer io plainly at the next submit; it is counted in flight. */
static void backlog_add(struct uring *u, struct zccp_io *io)
{
	io->next = NULL;
	*u->backlog_tail = io;
	u->backlog_tail = &io->next;
}

/* A new group in slot s, for s->read, with these members, to submit. */
static void slot_open(struct group *g, struct slot *s, unsigned chunk,
		      struct zccp_io *members)
{
	s->state = SLOT_PENDING;
	s->gen++;
	s->filled = false;
	s->members = members;
	s->members_tail = &s->members;
	s->nmembers = 0;
	for (; *s->members_tail; s->members_tail = &(*s->members_tail)->next)
		s->nmembers++;
	g->pending[g->npending++] = chunk;
}

/*
 * Writes that need the chunk after its pages went back (they were
 * parked, cancelled by a failed neighbour, or came late): one plain
 * group reads it into the buffer again for them.
 */
static void refill(struct group *g, struct slot *s, struct zccp_io *writes)
{
	g->refills++;
	s->pages = false;
	slot_open(g, s, (unsigned)(s - g->slots), writes);
}

/* Only reads whose length is certain can stand for their data now. */
static bool read_groupable(const struct zccp_layout *layout,
			   struct zccp_io *io)
{
	const struct zccp_endpoint *src = io->ep;
	uint32_t len;
	bool direct;

	if (src == layout->zero)
		return true;
	if (io->offset < 0 || !src->size_known ||
	    (uint64_t)io->offset + io->len > src->size)
		return false;
	/* O_DIRECT reads of an unaligned tail come back short by design. */
	uring_route(layout, io, &len, &direct);
	return len == io->len;
}

static int group_queue(struct zccp_engine *e, struct zccp_io *io)
{
	struct uring *u = e->priv;
	struct group *g = u->ext_priv;
	struct slot *s = &g->slots[io->chunk];

	if (io->op == ZCCP_IO_READ) {
		if (!read_groupable(e->layout, io)) {
			/* The slot's last group is done (the core released
			 * it): its late leader CQE must not fill this read. */
			s->state = SLOT_IDLE;
			s->gen++;
			s->pages = false;
			return uring_queue(e, io);
		}
		s->read = *io;
		s->pages = g->lend_pages && io->ep == e->layout->source &&
			   io->chunk_offset == 0;
		slot_open(g, s, io->chunk, NULL);
		io->result = (int)io->len;
		return ZCCP_DONE;
	}
	if (s->state == SLOT_PENDING) {
		io->next = NULL;
		*s->members_tail = io;
		s->members_tail = &io->next;
		s->nmembers++;
		u->inflight++;
		return ZCCP_QUEUED;
	}
	if (s->state == SLOT_SUBMITTED && !s->filled) {
		push(&s->parked, io);
		u->inflight++;
		return ZCCP_QUEUED;
	}
	if (s->state == SLOT_SUBMITTED && s->pages) {
		/* The pages went back with the group: read the chunk. */
		io->next = NULL;
		refill(g, s, io);
		u->inflight++;
		return ZCCP_QUEUED;
	}
	return uring_queue(e, io);
}

static uint64_t leader_data(unsigned chunk, const struct slot *s)
{
	return URING_LEADER |
	       ((uint64_t)s->read.len << LEADER_LEN_SHIFT) |
	       ((uint64_t)chunk << LEADER_SLOT_SHIFT) |
	       ((uint64_t)s->gen << LEADER_GEN_SHIFT);
}

/* The leader that lends the chunk's page cache pages to the group. */
static void prep_lend(const struct zccp_layout *layout,
		      struct io_uring_sqe *sqe, struct zccp_io *read)
{
	uint32_t len;
	bool direct;
	int fd = uring_route(layout, read, &len, &direct);

	zccp_prep_read_pages(sqe, fd, len, (uint64_t)read->offset);
}

/* A member that writes its part of the chunk from the lent pages. */
static void prep_write_lent(const struct zccp_layout *layout,
			    struct io_uring_sqe *sqe, struct zccp_io *io)
{
	uint64_t offset = io->offset < 0 ? (uint64_t)-1 : (uint64_t)io->offset;
	uint32_t len;
	bool direct;
	int fd = uring_route(layout, io, &len, &direct);

	zccp_prep_write_kbuf(sqe, fd, io->chunk_offset, len, offset);
	sqe->flags |= io->ep->engine_flags & URING_SQE_FLAGS;
	io_uring_sqe_set_data64(sqe,
				(uintptr_t)io | (direct ? URING_DIRECT : 0u));
}

/* One group: the leader and its members, contiguous in the SQ. */
static int submit_slot(struct uring *u, const struct zccp_layout *layout,
		       unsigned chunk)
{
	struct group *g = u->ext_priv;
	struct slot *s = &g->slots[chunk];
	/* A group must fit the SQ: members beyond that wait, parked. */
	unsigned members = s->nmembers < g->sq_entries - 1 ?
				   s->nmembers : g->sq_entries - 1;
	struct io_uring_sqe *sqe;
	struct zccp_io *io;
	int ret;

	ret = uring_sq_reserve(&u->ring, members + 1);
	if (ret)
		return ret;
	sqe = io_uring_get_sqe(&u->ring);
	if (s->pages)
		prep_lend(layout, sqe, &s->read);
	else
		uring_prep_transfer(u, layout, sqe, &s->read);
	/* Members run in io-wq as their endpoints ask; the leader reads
	 * inline, as uring reads do (READ_PAGES always goes to io-wq). */
	if (members)
		sqe->flags |= IOSQE_SQE_GROUP;
	io_uring_sqe_set_data64(sqe, leader_data(chunk, s));
	for (unsigned i = 0; i < members; i++) {
		io = s->members;
		s->members = io->next;
		sqe = io_uring_get_sqe(&u->ring);
		if (s->pages)
			prep_write_lent(layout, sqe, io);
		else
			uring_prep_transfer(u, layout, sqe, io);
		if (i + 1 < members)
			sqe->flags |= IOSQE_SQE_GROUP;
	}
	while ((io = s->members)) {
		s->members = io->next;
		push(&s->parked, io);
	}
	s->state = SLOT_SUBMITTED;
	return 0;
}

/* Groups wait for group_flush(): an empty submit would still enter. */
static bool group_pending(const struct uring *u)
{
	const struct group *g = u->ext_priv;

	return g->npending != 0;
}

/* Queue the groups assembled since the last submit. */
static int group_flush(struct uring *u, const struct zccp_layout *layout)
{
	struct group *g = u->ext_priv;
	unsigned done = 0;
	int ret = 0;

	while (done < g->npending) {
		ret = submit_slot(u, layout, g->pending[done]);
		if (ret)
			break;
		done++;
	}
	g->npending -= done;
	for (unsigned i = 0; i < g->npending; i++)
		g->pending[i] = g->pending[done + i];
	/* A full ring says so again on the next submit. */
	return ret == -EBUSY || ret == -EAGAIN ? 0 : ret;
}

/* The chunk is in its buffer: writes that waited for it may go. */
static void slot_filled(struct uring *u, struct slot *s)
{
	struct zccp_io *io;

	s->filled = true;
	while ((io = s->parked)) {
		s->parked = io->next;
		backlog_add(u, io);
	}
}

/* A leader failed or read short: what its members did is void. */
static void leader_failed(struct uring *u, struct slot *s, int res)
{
	struct zccp_io *io;

	/* short: the source ended before its size, as copy.c says it */
	u->fatal = res < 0 ? res : -ZCCP_ESHRANK;
	u->fatal_read = true;
	while ((io = s->canceled)) {
		s->canceled = io->next;
		u->inflight--;
	}
}

static void pages_returned(struct group *g, struct slot *s)
{
	struct zccp_io *writes = s->parked, *io;

	s->parked = NULL;
	while ((io = s->canceled)) {
		s->canceled = io->next;
		push(&writes, io);
	}
	s->filled = true;
	if (writes)
		refill(g, s, writes);
}

static bool leader_cqe(struct uring *u, uint64_t data, int res)
{
	unsigned chunk = (unsigned)((data >> LEADER_SLOT_SHIFT) &
				    LEADER_SLOT_MASK);
	uint32_t len = (uint32_t)((data >> LEADER_LEN_SHIFT) & LEADER_LEN_MASK);
	struct group *g = u->ext_priv;
	struct zccp_io *io;
	struct slot *s;

	if (chunk >= g->nslots)
		return true;
	s = &g->slots[chunk];
	if (res != (int)len) {
		leader_failed(u, s, res);
		return true;
	}
	if ((uint8_t)(data >> LEADER_GEN_SHIFT) != s->gen)
		return true; /* the slot holds a newer group already */
	if (s->pages) {
		/* The group is over and its pages gone: writes still
		 * waiting need the chunk in the buffer. */
		pages_returned(g, s);
		return true;
	}
	if (!s->filled)
		slot_filled(u, s);
	/* Cancelled although the leader read well: not by the group, so
	 * transfer them again, plainly (still counted in flight). */
	while ((io = s->canceled)) {
		s->canceled = io->next;
		backlog_add(u, io);
	}
	return true;
}

/*
 * A completion that belongs to a group: true if it consumed the CQE (a
 * leader's, or a member held back), false to let uring.c complete it.
 */
static bool group_cqe(struct uring *u, uint64_t data, int res)
{
	struct group *g = u->ext_priv;
	struct zccp_io *io;
	struct slot *s;

	if (data & URING_LEADER)
		return leader_cqe(u, data, res);
	io = (void *)(uintptr_t)(data & ~(uint64_t)URING_DIRECT);
	if (!io || io->op != ZCCP_IO_WRITE)
		return false;
	s = &g->slots[io->chunk];
	if (s->state != SLOT_SUBMITTED || s->filled)
		return false;
	if (res == -ECANCELED) {
		/* Until the leader says why. */
		push(&s->canceled, io);
		return true;
	}
	/* A member ran: its leader had read the chunk (pages: had lent
	 * it, which helps no write outside the group). */
	if (!s->pages)
		slot_filled(u, s);
	return false;
}

static void group_free(struct uring *u)
{
	struct group *g = u->ext_priv;

	if (!g)
		return;
	free(g->slots);
	free(g->pending);
	free(g);
	u->ext_priv = NULL;
}

/* What uring.c calls: the ring runs groups only through these. */
static const struct uring_ext group_ext = {
	.cqe = group_cqe,
	.flush = group_flush,
	.pending = group_pending,
	.free = group_free,
};

/* ---- ops ------------------------------------------------------------ */

static int group_probe(const char **why)
{
	struct io_uring ring;
	int ret = uring_probe(why);

	if (ret)
		return ret;
	ret = io_uring_queue_init(4, &ring, 0);
	if (ret) {
		*why = "io_uring_setup failed";
		return ret;
	}
	/* Never the feature bit alone: 6.13+ gave bit 16 to RW_ATTR. */
	ret = zccp_uring_group_probe(&ring);
	io_uring_queue_exit(&ring);
	if (ret == -EOPNOTSUPP)
		*why = "io_uring without SQE groups (kernel/ has the series)";
	else if (ret)
		*why = "io_uring SQE group probe failed";
	else
		*why = "io_uring SQE groups: one group per chunk, a leader "
		       "and a write per destination";
	return ret;
}

/*
 * Does this kernel lend page cache pages to a group (an
 * IORING_OP_READ_PAGES leader, a kernel buffer its members write
 * from)?  Copy a memfd through one such group to know.
 */
static bool lends_pages(void)
{
	static const char text[] = "zccp: page cache leader probe";
	struct __kernel_timespec limit = { .tv_sec = 2 };
	char back[sizeof(text)] = "";
	int src = memfd_create("zccp-probe", MFD_CLOEXEC);
	int dst = memfd_create("zccp-probe", MFD_CLOEXEC);
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int submitted = 0;
	bool ok = false;

	if (src < 0 || dst < 0 ||
	    pwrite(src, text, sizeof(text), 0) != (ssize_t)sizeof(text) ||
	    io_uring_queue_init(4, &ring, 0))
		goto out;
	sqe = io_uring_get_sqe(&ring);
	zccp_prep_read_pages(sqe, src, sizeof(text), 0);
	sqe->flags |= IOSQE_SQE_GROUP;
	sqe = io_uring_get_sqe(&ring);
	zccp_prep_write_kbuf(sqe, dst, 0, sizeof(text), 0);
	submitted = io_uring_submit(&ring);
	ok = submitted == 2;
	/* Without the opcode: the leader's -EINVAL, the member's
	 * -ECANCELED; every consumed SQE posts a CQE. */
	for (int i = 0; i < submitted; i++) {
		if (io_uring_wait_cqe_timeout(&ring, &cqe, &limit)) {
			ok = false;
			break;
		}
		ok = ok && cqe->res == (int)sizeof(text);
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
	ok = ok && pread(dst, back, sizeof(back), 0) == (ssize_t)sizeof(text) &&
	     !memcmp(back, text, sizeof(text));
out:
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	return ok;
}

/* --version: with groups, can their leaders lend pages? */
static void group_features(int probed,
			   void (*say)(const char *label, const char *value))
{
	const char *value = "no: needs SQE groups";

	if (!probed)
		value = lends_pages() ? "yes" :
			"no: no IORING_OP_READ_PAGES (kernel/ patch 5)";
	say("SQE group kernel buffers", value);
}

/* Whether to lend the source's pages, or why not (for -v). */
static const char *why_not_lend(const struct zccp_layout *layout)
{
	const char *knob = getenv("ZCCP_GROUP_PAGES");

	if (knob && !strcmp(knob, "0"))
		return "ZCCP_GROUP_PAGES=0";
	if (layout->source->kind != ZCCP_KIND_REGULAR)
		return "the source is not a regular file";
	for (unsigned i = 0; i < layout->ndests; i++)
		if (layout->dests[i]->stream)
			return "a destination is a stream (its writes "
			       "follow the group: chunks would be read twice)";
	if (!lends_pages())
		return "the kernel has no IORING_OP_READ_PAGES (kernel/ "
		       "patch 5)";
	return NULL;
}

static int group_init(struct zccp_engine *e)
{
	const struct zccp_layout *layout = e->layout;
	struct uring *u;
	struct group *g;
	int ret = uring_init(e);

	if (ret)
		return ret;
	u = e->priv;
	g = calloc(1, sizeof(*g));
	/* From here on the ring is ours: uring_cleanup() frees g too. */
	u->ext = &group_ext;
	u->ext_priv = g;
	if (g) {
		g->slots = calloc(layout->nchunks, sizeof(*g->slots));
		g->pending = calloc(layout->nchunks, sizeof(*g->pending));
	}
	if (!g || !g->slots || !g->pending || layout->nchunks >
						     LEADER_SLOT_MASK) {
		uring_cleanup(e);
		return -ENOMEM;
	}
	g->nslots = layout->nchunks;
	g->sq_entries = u->ring.sq.ring_entries;
	g->why_not_lend = why_not_lend(layout);
	g->lend_pages = !g->why_not_lend;
	/*
	 * The kernel starts a chunk's writes itself, so nothing waits for
	 * us to see a single CQE: wait for a quarter of the ring's groups
	 * (leader and members) at a time, one io_uring_enter for several
	 * chunks, with the rest of the ring still busy meanwhile.
	 */
	u->wait_batch = (layout->ndests + 1) *
			(layout->nchunks >= 4 ? layout->nchunks / 4 : 1);
	return 0;
}

/* -v says which variant runs: lent pages or registered buffers. */
static int group_setup_endpoint(struct zccp_engine *e,
				struct zccp_endpoint *ep)
{
	const struct uring *u = e->priv;
	const struct group *g = u->ext_priv;
	int ret = uring_setup_endpoint(e, ep);

	if (ret || ep == e->layout->zero)
		return ret;
	if (ep != e->layout->source)
		ep->method = g->lend_pages ?
			zccp_method("%s; from the leader's pages "
				    "(IOSQE_GROUP_KBUF)", ep->method) :
			zccp_method("%s; group member", ep->method);
	else if (g->lend_pages)
		ep->method = "group (page cache leader): IORING_OP_READ_PAGES "
			     "lends the chunk's page cache pages to the "
			     "writes, no copy into our buffers";
	else
		ep->method = zccp_method("group (registered buffers): %s "
					 "leader; pages not lent: %s",
					 u->fixed ? "READ_FIXED" : "read",
					 g->why_not_lend);
	return 0;
}

/* Lending cost a second read of some chunks: -v says how many. */
static int group_notes(struct zccp_engine *e, char *buf, size_t len)
{
	const struct uring *u = e->priv;
	const struct group *g = u ? u->ext_priv : NULL;

	if (!g || !g->refills)
		return 0;
	return snprintf(buf, len, "group: %lu chunk(s) read into the buffer "
			"again, for writes that came after their group had "
			"lent the pages", g->refills);
}

/* A failed copy may leave parked writes: they never reached the ring. */
static void group_cleanup(struct zccp_engine *e)
{
	struct uring *u = e->priv;
	struct group *g = u ? u->ext_priv : NULL;

	for (unsigned i = 0; g && i < g->nslots; i++) {
		struct slot *s = &g->slots[i];

		for (; s->parked; s->parked = s->parked->next)
			u->inflight--;
		for (; s->members && s->state == SLOT_PENDING;
		     s->members = s->members->next)
			u->inflight--;
	}
	uring_cleanup(e);
}

const struct zccp_engine_ops zccp_engine_group = {
	.name = "group",
	.feature = "io_uring SQE groups",
	.caps = ZCCP_CAP_ASYNC | ZCCP_CAP_USER_BUFFER | ZCCP_CAP_PARALLEL |
		ZCCP_CAP_DIRECT | ZCCP_CAP_ORDERED_FANOUT,
	/*
	 * First for files and block devices, where it lends the page
	 * cache: under QEMU (TCG), 256 MiB to 4 tmpfs files, medians of 9
	 * (bench/kernel/group-vs-uring), 147.5 MiB/s against uring's 122.1
	 * (1.21x) at 13.7 against 16.6 CPU s/GiB.  With registered buffers
	 * it is level with uring (123.3), so where it cannot lend (a
	 * stream among the destinations) choosing it costs nothing.  On a
	 * kernel without groups its probe fails in well under a
	 * millisecond and uring is next.  A stream source gets no groups
	 * (its reads are short by nature) but still works.
	 */
	.setup_us = 1000, /* as uring (not measured: QEMU only) */
	.rank = {
		[ZCCP_KIND_REGULAR] = 0, [ZCCP_KIND_BLOCK] = 0,
		[ZCCP_KIND_PIPE] = 2, [ZCCP_KIND_SOCKET] = 2,
		[ZCCP_KIND_CHAR] = 2,
	},
	.probe = group_probe,
	.init = group_init,
	.setup_endpoint = group_setup_endpoint,
	.queue = group_queue,
	/* reap() enters once to submit and wait */
	.submit = uring_prepare,
	.reap = uring_reap,
	.cleanup = group_cleanup,
	.notes = group_notes,
	.features = group_features,
};
