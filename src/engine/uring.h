/* SPDX-License-Identifier: MIT */
/*
 * Inside the io_uring engines: uring.c's ring, shared with group.c,
 * which runs the same ring with SQE groups through struct uring_ext.
 */
#ifndef ZCCP_ENGINE_URING_H
#define ZCCP_ENGINE_URING_H

#include <liburing.h>

#include "zccp/engine.h"

/* Newer than some liburing headers we may be built against. */
#ifndef IORING_SETUP_SUBMIT_ALL
#define IORING_SETUP_SUBMIT_ALL (1U << 7) /* 5.18 */
#endif
#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN (1U << 8) /* 5.19 */
#endif
#ifndef IORING_SETUP_TASKRUN_FLAG
#define IORING_SETUP_TASKRUN_FLAG (1U << 9) /* 5.19 */
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12) /* 6.0 */
#endif
#ifndef IORING_ASYNC_CANCEL_ANY
#define IORING_ASYNC_CANCEL_ANY (1U << 2) /* 5.19 */
#endif

/* More SQ slots than this buy nothing: queue() submits when full. */
#define URING_MAX_SQ 4096u
/* The kernel's IORING_MAX_CQ_ENTRIES; beyond it IORING_FEAT_NODROP. */
#define URING_MAX_CQ 65536u
/* How long cleanup waits for cancelled transfers to come back. */
#define URING_DRAIN_MS 2000
/* ep->engine_flags: the low byte is the SQE flags of its transfers. */
#define URING_SQE_FLAGS 0xffu
/* ... and this bit: write it with SEND_ZC (a TCP destination). */
#define URING_SEND_ZC 0x100u
/*
 * user_data: the zccp_io, tagged when the transfer went O_DIRECT; or,
 * tagged URING_LEADER, a group leader's read (group.c encodes it).
 */
#define URING_DIRECT 1u
#define URING_LEADER 2u

struct uring;

/*
 * An engine built on this ring (group.c) hooks into it here, so that
 * uring.c calls its extension without knowing it: uring.c -> table,
 * group.c -> uring.c, no cycle.  Set by the extension's init, before
 * setup_endpoint; with an extension every hook is required.
 */
struct uring_ext {
	/* A completion the extension may own (a group's leader, or a
	 * member held back): true if it consumed the CQE, false to let
	 * uring.c complete it as usual. */
	bool (*cqe)(struct uring *u, uint64_t data, int res);
	/* Queue what the extension assembled since the last submit;
	 * 0 or -errno. */
	int (*flush)(struct uring *u, const struct zccp_layout *layout);
	/* Something waits for flush(): an empty SQ must still submit. */
	bool (*pending)(const struct uring *u);
	/* Free ext_priv; the ring is gone already. */
	void (*free)(struct uring *u);
};

struct uring {
	struct io_uring ring;
	unsigned inflight; /* queued and not yet handed back by reap */
	bool fixed;	   /* chunks registered: READ_FIXED/WRITE_FIXED */
	bool send_zc;	   /* the kernel has IORING_OP_SEND_ZC */
	unsigned cpus;
	unsigned file_writers; /* destinations written with IOSQE_ASYNC */
	unsigned char_devices; /* endpoints that may block in a worker */
	unsigned workers;      /* io-wq's unbounded limit, as registered */
	/* Transfers that found the SQ full while the kernel would take no
	 * more for now (CQ backpressure); prepared when room frees up. */
	struct zccp_io *backlog, **backlog_tail;
	/* NULL: plain uring engine; else the extension and its state. */
	const struct uring_ext *ext;
	void *ext_priv;
	unsigned wait_batch; /* CQEs reap() waits for at once, if owed */
	int fatal;	     /* an error that ends the copy, from reap */
	bool fatal_read;     /* ... a read's (a group leader's) */
};

/*
 * Preference by endpoint kind (engine.h), from measurements (1 GiB to 4
 * destinations, 2 cores, shared/design/measurements.md and our own):
 * best for files and block devices, where io-wq writes run in parallel
 * (0.86 s against 1.2 to 2.6 s for other tools); second for streams,
 * where splice moves pages instead (4 FIFOs: splice 0.70 s, uring
 * 1.18 s).
 */
#define URING_RANKS                                                    \
	{                                                              \
		[ZCCP_KIND_REGULAR] = 1, [ZCCP_KIND_BLOCK] = 1,        \
		[ZCCP_KIND_PIPE] = 2, [ZCCP_KIND_SOCKET] = 2,          \
		[ZCCP_KIND_CHAR] = 2,                                  \
	}

/* The uring engine's ops, as engine.h describes them, for group.c to
 * build on. */
int uring_probe(const char **why);
int uring_init(struct zccp_engine *e);
int uring_setup_endpoint(struct zccp_engine *e, struct zccp_endpoint *ep);
int uring_queue(struct zccp_engine *e, struct zccp_io *io);
int uring_submit(struct zccp_engine *e);
/* uring_submit() without the system call: reap() makes it. */
int uring_prepare(struct zccp_engine *e);
int uring_reap(struct zccp_engine *e, struct zccp_io **done, unsigned max,
	       bool wait);
void uring_cleanup(struct zccp_engine *e);

/* Ensure n free SQ slots, submitting what is queued if need be. */
int uring_sq_reserve(struct io_uring *ring, unsigned n);
/* Fill sqe with io's transfer (fixed buffers when registered). */
void uring_prep_transfer(const struct uring *u,
			 const struct zccp_layout *layout,
			 struct io_uring_sqe *sqe, struct zccp_io *io);
/* Which fd serves io, and how many of its bytes (O_DIRECT routing). */
int uring_route(const struct zccp_layout *layout, struct zccp_io *io,
		uint32_t *len, bool *direct);

#endif
