// SPDX-License-Identifier: MIT
/*
 * O_DIRECT for the engines that move bytes through user memory.
 *
 * Chunk slots are page aligned and chunk reads start at multiples of
 * 4096, so nearly every transfer can bypass the page cache; the few
 * that cannot go through a buffered twin (a second open file without
 * O_DIRECT), opened on first use: most copies never need one.  Where
 * none can be opened (a temporary that already has the source's
 * read-only mode, for a user without CAP_DAC_OVERRIDE), O_DIRECT is
 * cleared around a synchronous transfer (aio, rw), or given up for the
 * rest of the copy (uring, which cannot hold back what it queued).
 *
 * Direct and buffered transfers never share a page at once: the
 * unaligned rest of a write is queued only when its aligned part is
 * done, and other chunks start on page boundaries.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "zccp/direct.h"

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

struct cachestat_range {
	uint64_t off;
	uint64_t len;
};

struct cachestat {
	uint64_t nr_cache;
	uint64_t nr_dirty;
	uint64_t nr_writeback;
	uint64_t nr_evicted;
	uint64_t nr_recently_evicted;
};

/* The kernel has no cachestat: read direct, never ask again. */
static bool no_cachestat;

/* ---- alignment ------------------------------------------------------ */

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
 * or 0 when the file cannot do O_DIRECT at all.  *real: the file
 * system or the device said so; tmpfs, for one, does not (its O_DIRECT
 * is the page cache under another name).
 */
static uint32_t dio_alignment(const struct zccp_endpoint *ep, bool *real)
{
	uint32_t mem, offset;
	int sector;

	*real = true;
	if (!statx_dio(ep->fd, &mem, &offset))
		return offset ? (mem > offset ? mem : offset) : 0;
	if (ep->kind == ZCCP_KIND_BLOCK && !ioctl(ep->fd, BLKSSZGET, &sector) &&
	    sector > 0)
		return (uint32_t)sector;
	*real = false;
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

/* ---- policy --------------------------------------------------------- */


bool zccp_direct_wanted(enum zccp_when when, const struct zccp_endpoint *ep,
			uint64_t bytes, const char **why)
{
	if (ep->stream) {
		/* stdin or stdout: O_DIRECT would stick to the shell's
		 * open file too. */
		*why = "standard stream: its open file is shared";
		return false;
	}
	if (when != ZCCP_WHEN_AUTO) {
		*why = when == ZCCP_WHEN_NEVER ? "--direct=never" :
						 "--direct=always";
		return when == ZCCP_WHEN_ALWAYS;
	}
	if (ep->kind == ZCCP_KIND_BLOCK) {
		*why = "auto: block device";
		return true;
	}
	if (bytes >= ZCCP_AUTO_DIRECT_BYTES) {
		*why = "auto: the copy writes 1 GiB or more";
		return true;
	}
	*why = "auto: the page cache is faster below 1 GiB written";
	return false;
}

/* The policy first, then what the file says (no statx when the policy
 * says no). */
static bool decide(const struct zccp_layout *layout,
		   const struct zccp_endpoint *ep, uint32_t *align,
		   const char **why)
{
	const struct zccp_endpoint *src = layout->source;
	uint64_t bytes = src->size_known ? src->size * layout->ndests : 0;
	bool real;

	*why = NULL;
	if (ep == layout->zero ||
	    (ep->kind != ZCCP_KIND_REGULAR && ep->kind != ZCCP_KIND_BLOCK))
		return false;
	if (!zccp_direct_wanted(layout->direct, ep, bytes, why))
		return false;
	*align = dio_alignment(ep, &real);
	if (!*align) {
		*why = "no O_DIRECT on this file";
		return false;
	}
	if (layout->direct == ZCCP_WHEN_AUTO && !real) {
		*why = "auto: no real O_DIRECT on this file system";
		return false;
	}
	return true;
}

/*
 * ext4 runs a direct write that extends the file synchronously, under
 * the exclusive inode lock (i_size must not pass the data): inside
 * io_submit for aio, in an io-wq worker for io_uring.  A temporary gets the source's
 * size up front, as a hole (sparse stays sparse), so writes land inside
 * it: commit truncates to the final size anyway and a failed temporary
 * is removed.  Failure only costs speed.
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

int zccp_direct_setup(const struct zccp_layout *layout,
		      struct zccp_endpoint *ep, const char **why)
{
	uint32_t align = 0;
	int ret;

	ep->dio_align = 0;
	if (!decide(layout, ep, &align, why))
		return 0;
	ret = set_direct(ep->fd, true);
	if (ret == -EINVAL) {
		*why = "O_DIRECT refused";
		return 0;
	}
	if (ret)
		return ret;
	ep->dio_align = align;
	presize(layout, ep);
	return 1;
}

/* ---- transfers ------------------------------------------------------ */

uint32_t zccp_direct_len(const struct zccp_layout *layout,
			 const struct zccp_io *io)
{
	const struct zccp_endpoint *ep = io->ep;
	uint32_t align = ep->dio_align;
	uint32_t room = layout->chunk_size - io->chunk_offset;
	uint64_t end = (uint64_t)io->offset + io->len;
	uint32_t up, down;

	if (!align || io->offset < 0 ||
	    (uintptr_t)zccp_io_buf(layout, io) % align ||
	    (uint64_t)io->offset % align)
		return 0;
	down = io->len - io->len % align;
	if (down == io->len || io->op == ZCCP_IO_WRITE)
		return down;
	/* The kernel stops at the end of the file; the slot has room. */
	up = down + align;
	if (ep->size_known && end >= ep->size && up <= room)
		return up;
	return down;
}

/*
 * O_DIRECT would read the disk again for what memory holds (and flush
 * it first if dirty), and the disk is what bounds a copy.  cachestat
 * (Linux 6.5) asks without touching the pages or starting readahead,
 * which a RWF_NOWAIT read would.
 */
bool zccp_direct_cached(const struct zccp_io *io)
{
	static uint64_t page;
	const struct zccp_endpoint *ep = io->ep;
	struct cachestat_range range = { (uint64_t)io->offset, io->len };
	struct cachestat stat;
	uint64_t end = range.off + range.len;

	if (no_cachestat || io->op != ZCCP_IO_READ || io->offset < 0)
		return false;
	if (!page)
		page = (uint64_t)sysconf(_SC_PAGESIZE);
	if (ep->size_known && end > ep->size)
		end = ep->size;
	if (end <= range.off)
		return false; /* at or past the end: let the kernel say */
	if (syscall(__NR_cachestat, ep->fd, &range, &stat, 0)) {
		no_cachestat = errno == ENOSYS;
		return false;
	}
	return stat.nr_cache >= (end - 1) / page - range.off / page + 1;
}

int zccp_pio(int fd, const struct zccp_io *io, void *buf, uint32_t len,
	     int flags)
{
	struct iovec iov = { buf, len };
	ssize_t n;

	/* A stream's position: read(2) and write(2), as cp writes a
	 * pseudo file (the same as the v2 calls at -1 without flags). */
	if (io->offset < 0 && !flags)
		n = io->op == ZCCP_IO_READ ? read(fd, buf, len) :
					     write(fd, buf, len);
	else if (io->op == ZCCP_IO_READ)
		n = preadv2(fd, &iov, 1, io->offset, flags);
	else
		n = pwritev2(fd, &iov, 1, io->offset, flags);
	return n < 0 ? -errno : (int)n;
}

/*
 * A new open file, so flags set on it never reach whoever shares ours
 * (a shell's stdout), and ours never reach it.  Never O_TRUNC.
 */
int zccp_twin_open(struct zccp_endpoint *ep, int flags)
{
	int accmode = fcntl(ep->fd, F_GETFL);
	char proc[64];
	int fd;

	if (accmode < 0)
		return -errno;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", ep->fd);
	fd = open(proc, (accmode & O_ACCMODE) | flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ep->engine_fd = fd;
	ep->engine_flags |= ZCCP_EP_TWIN;
	return fd;
}

int zccp_direct_twin(struct zccp_endpoint *ep)
{
	int fd;

	if (ep->engine_flags & ZCCP_EP_TWIN)
		return ep->engine_fd;
	if (ep->engine_flags & ZCCP_EP_NO_TWIN)
		return -EBADF;
	fd = zccp_twin_open(ep, 0);
	if (fd < 0)
		ep->engine_flags |= ZCCP_EP_NO_TWIN; /* EACCES: do not retry */
	return fd;
}

int zccp_direct_buffered(const struct zccp_layout *layout, struct zccp_io *io)
{
	struct zccp_endpoint *ep = io->ep;
	void *buf = zccp_io_buf(layout, io);
	int fd = ep->dio_align ? zccp_direct_twin(ep) : ep->fd;
	bool toggle = fd < 0;
	int ret;

	/* Transfers already submitted keep the flags they were submitted
	 * with; one issued meanwhile would only go buffered. */
	if (toggle) {
		fd = ep->fd;
		ret = set_direct(fd, false);
		if (ret)
			return ret;
	}
	do
		ret = zccp_pio(fd, io, buf, io->len, 0);
	while (ret == -EINTR); /* a file: the retry cannot hang */
	if (toggle && set_direct(fd, true))
		ep->dio_align = 0; /* buffered from now on: still correct */
	return ret;
}

void zccp_direct_refused(struct zccp_endpoint *ep)
{
	if (!ep->dio_align)
		return;
	ep->dio_align = 0;
	set_direct(ep->fd, false);
}

static void twin_close(struct zccp_endpoint *ep)
{
	if (!ep || !(ep->engine_flags & ZCCP_EP_TWIN))
		return;
	close(ep->engine_fd);
	ep->engine_fd = -1;
	ep->engine_flags &= ~ZCCP_EP_TWIN;
}

void zccp_twins_close(const struct zccp_layout *layout)
{
	twin_close(layout->source);
	twin_close(layout->zero);
	for (unsigned i = 0; i < layout->ndests; i++)
		twin_close(layout->dests[i]);
}

/* ---- -v ------------------------------------------------------------- */

#define METHODS 32
#define METHOD_LEN 192

/*
 * ep->method must outlive the copy and stay unfreed; a run has a few
 * distinct texts however many destinations, so keep each once here.
 */
const char *zccp_method(const char *fmt, ...)
{
	static char methods[METHODS][METHOD_LEN];
	static unsigned n;
	char text[METHOD_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(methods[i], text))
			return methods[i];
	if (n == METHODS)
		return "(more ways than -v keeps; see the lines above)";
	memcpy(methods[n], text, sizeof(text));
	return methods[n++];
}

const char *zccp_direct_method(const struct zccp_endpoint *ep, bool reading,
			       const char *op, const char *why,
			       const char *more)
{
	return zccp_method("%s O_DIRECT (%s, aligned %u)%s, buffered tail%s",
			   op, why, ep->dio_align,
			   reading ? " unless cached" : "", more);
}
