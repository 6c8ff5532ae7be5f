/* SPDX-License-Identifier: MIT */
/*
 * The SQE group ABI of kernel/patches (docs/sqe-group.md), for programs
 * built against Debian's liburing 2.3, which predates it; and the
 * functional probe that tells whether the running kernel has groups
 * (engine/group.c probes the page cache leader, IORING_OP_READ_PAGES).
 */
#ifndef ZCCP_URING_GROUP_H
#define ZCCP_URING_GROUP_H

#include <errno.h>
#include <stdbool.h>
#include <liburing.h>

#ifndef IOSQE_SQE_GROUP_BIT
#define IOSQE_SQE_GROUP_BIT 7
#endif
#ifndef IOSQE_SQE_GROUP
#define IOSQE_SQE_GROUP (1U << IOSQE_SQE_GROUP_BIT)
#endif
#ifndef IOSQE_GROUP_LINK
#define IOSQE_GROUP_LINK IOSQE_SQE_GROUP
#endif
/* Only a hint: mainline 6.13+ uses bit 16 for IORING_FEAT_RW_ATTR. */
#ifndef IORING_FEAT_SQE_GROUP
#define IORING_FEAT_SQE_GROUP (1U << 16)
#endif
/* On a group member: addr and len are a slice of the leader's kernel buffer. */
#ifndef IOSQE_GROUP_KBUF
#define IOSQE_GROUP_KBUF IOSQE_IO_DRAIN
#endif
/*
 * A group leader that lends a file's page cache pages to its members
 * (kernel patch 5).  Outside mainline's numbering: only the functional
 * probe below says whether a kernel has it.
 */
#ifndef IORING_OP_READ_PAGES
#define IORING_OP_READ_PAGES 0xf0
#endif
#ifndef IORING_NOP_INJECT_RESULT
#define IORING_NOP_INJECT_RESULT (1U << 0)
#endif

#define ZCCP_GROUP_PROBE_LEADER 0x6c656164ULL /* user_data "lead" */
#define ZCCP_GROUP_PROBE_MEMBER 0x6d656d62ULL /* user_data "memb" */

/*
 * Submit a NOP leader and a NOP member as one group on a fresh ring and
 * check what only a group kernel does: both succeed and the member's CQE
 * comes first.  A stock kernel fails the flagged SQE with -EINVAL and
 * leaves the member unsubmitted, so throw the ring away afterwards.
 * Returns 0 if groups work, -EOPNOTSUPP if not, or another -errno if
 * the ring itself failed.
 */
static inline int zccp_uring_group_probe(struct io_uring *ring)
{
	unsigned long long order[2] = { 0, 0 };
	int res[2] = { -1, -1 };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int submitted, ret;

	for (int i = 0; i < 2; i++) {
		sqe = io_uring_get_sqe(ring);
		if (!sqe)
			return -EBUSY;
		io_uring_prep_nop(sqe);
		sqe->user_data = i ? ZCCP_GROUP_PROBE_MEMBER :
				     ZCCP_GROUP_PROBE_LEADER;
		if (!i)
			sqe->flags |= IOSQE_SQE_GROUP;
	}
	submitted = io_uring_submit(ring);
	if (submitted < 0)
		return submitted;
	/* A stock kernel stops at the leader's -EINVAL: one CQE only. */
	for (int i = 0; i < submitted && i < 2; i++) {
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret < 0)
			return ret;
		order[i] = cqe->user_data;
		res[i] = cqe->res;
		io_uring_cqe_seen(ring, cqe);
	}
	if (res[0] == 0 && res[1] == 0 &&
	    order[0] == ZCCP_GROUP_PROBE_MEMBER &&
	    order[1] == ZCCP_GROUP_PROBE_LEADER)
		return 0;
	return -EOPNOTSUPP;
}

/* Lend [off, off + len) of fd's page cache pages to the group it leads. */
static inline void zccp_prep_read_pages(struct io_uring_sqe *sqe, int fd,
					unsigned int len, unsigned long long off)
{
	io_uring_prep_rw(IORING_OP_READ_PAGES, sqe, fd, NULL, len, off);
}

/* A member that writes len bytes from offset koff of the leader's pages. */
static inline void zccp_prep_write_kbuf(struct io_uring_sqe *sqe, int fd,
					unsigned int koff, unsigned int len,
					unsigned long long off)
{
	io_uring_prep_rw(IORING_OP_WRITE, sqe, fd,
			 (void *)(unsigned long)koff, len, off);
	sqe->flags |= IOSQE_GROUP_KBUF;
}

#endif
