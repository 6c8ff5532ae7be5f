/* SPDX-License-Identifier: MIT */
/*
 * O_DIRECT for the engines that move bytes through user memory (uring,
 * aio, rw): which endpoints get it under --direct, the alignment they
 * need, and the buffered path for the transfers that are not aligned.
 *
 * An endpoint with O_DIRECT on ep->fd has ep->dio_align set (0: none).
 * Its unaligned transfers (the tail of an odd-sized file, a resumed
 * short transfer) go through a "twin": a second open file of the same
 * file without O_DIRECT, in ep->engine_fd, opened on first use.
 */
#ifndef ZCCP_DIRECT_H
#define ZCCP_DIRECT_H

#include <stdbool.h>
#include <stdint.h>

#include "zccp/engine.h"

/* Bits of ep->engine_flags kept here; engines use the low 16 bits. */
enum {
	ZCCP_EP_TWIN = 1u << 16,    /* ep->engine_fd is ours: zccp_twin_open */
	ZCCP_EP_NO_TWIN = 1u << 17, /* opening a buffered twin failed */
};

/* auto, 1 GiB to 4 (medians of 5): loop devices 0.89 s direct against
 * 8.4 s buffered, ext4 files 2.6 against 6.0; but 64 MiB to 4 files 0.19
 * against 0.10, and --fsync moved no crossover: 1 GiB written. */
#define ZCCP_AUTO_DIRECT_BYTES (1ull << 30)

/*
 * What --direct=WHEN asks for a file or block device (bytes: what the
 * copy writes in all), before the file system has its say: O_DIRECT or
 * not, and *why.  zccp_direct_setup then checks the file; --dry-run
 * shows this much.
 */
bool zccp_direct_wanted(enum zccp_when when, const struct zccp_endpoint *ep,
			uint64_t bytes, const char **why);

/*
 * Decide O_DIRECT for one endpoint under layout->direct and set it.
 * 1: on (ep->dio_align set), 0: buffered, or -errno.  *why says why,
 * for ep->method; NULL when O_DIRECT does not apply (not a file).
 */
int zccp_direct_setup(const struct zccp_layout *layout,
		      struct zccp_endpoint *ep, const char **why);

/*
 * How much of io may go O_DIRECT from its start (0: none, go
 * buffered).  A read at the end of the file may be rounded up past
 * io->len, within the slot: clamp its result to io->len.  A write is
 * rounded down: its short result makes the core queue the rest.
 */
uint32_t zccp_direct_len(const struct zccp_layout *layout,
			 const struct zccp_io *io);

/* Is all of a read's range in the page cache?  Read it from there. */
bool zccp_direct_cached(const struct zccp_io *io);

/* The buffered twin of an O_DIRECT endpoint (opened once), or -errno. */
int zccp_direct_twin(struct zccp_endpoint *ep);

/*
 * A synchronous buffered transfer on an O_DIRECT endpoint: through its
 * twin, or with O_DIRECT cleared around it when there is none.  Bytes
 * moved, or -errno.
 */
int zccp_direct_buffered(const struct zccp_layout *layout,
			 struct zccp_io *io);

/* The file system took O_DIRECT at fcntl but refuses it in I/O. */
void zccp_direct_refused(struct zccp_endpoint *ep);

/* A second open file of ep's file in ep->engine_fd; fd or -errno. */
int zccp_twin_open(struct zccp_endpoint *ep, int flags);

/* Close every endpoint's twin (an engine's cleanup). */
void zccp_twins_close(const struct zccp_layout *layout);

/* pread/pwrite of len bytes for io (read/write at the file position
 * for offset -1): bytes moved, or -errno. */
int zccp_pio(int fd, const struct zccp_io *io, void *buf, uint32_t len,
	     int flags);

/* ep->method of an O_DIRECT endpoint, for -v: "OP O_DIRECT (WHY,
 * aligned N), buffered tail" and MORE. */
const char *zccp_direct_method(const struct zccp_endpoint *ep, bool reading,
			       const char *op, const char *why,
			       const char *more);

/* printf into a string that lives as long as the program, for
 * ep->method; equal texts share one copy. */
const char *zccp_method(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif
