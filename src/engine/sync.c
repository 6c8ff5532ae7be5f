// SPDX-License-Identifier: MIT
/*
 * Plain-syscall transfers for the synchronous engines.  Pipes and
 * sockets are asked with RWF_NOWAIT so a full pipe or an empty stdin answers
 * -EAGAIN (the core then polls) instead of blocking every other
 * destination; fds that do not support it are written blocking.
 * Files with O_DIRECT (src/direct.c) move what is aligned directly and
 * the rest through the page cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "zccp/direct.h"
#include "zccp/engine.h"

static int direct_transfer(const struct zccp_layout *layout,
			   struct zccp_io *io)
{
	uint32_t len = zccp_direct_len(layout, io);
	int ret;

	if (!len || zccp_direct_cached(io))
		return zccp_direct_buffered(layout, io);
	do
		ret = zccp_pio(io->ep->fd, io, zccp_io_buf(layout, io), len, 0);
	while (ret == -EINTR);
	if (ret == -EINVAL) {
		zccp_direct_refused(io->ep);
		return zccp_direct_buffered(layout, io);
	}
	/* A read rounded up to the block may bring more than asked. */
	return ret > (int)io->len ? (int)io->len : ret;
}

int zccp_sync_transfer(const struct zccp_layout *layout, struct zccp_io *io)
{
	enum zccp_kind kind = io->ep->kind;
	/* Only pipes and sockets: a regular file may say EAGAIN and poll
	 * would report it ready forever. */
	int flags = kind == ZCCP_KIND_PIPE || kind == ZCCP_KIND_SOCKET ?
			    RWF_NOWAIT : 0;
	int ret;

	if (io->ep->dio_align) {
		io->result = direct_transfer(layout, io);
		return ZCCP_DONE;
	}
	for (;;) {
		ret = zccp_pio(io->ep->fd, io, zccp_io_buf(layout, io),
			       io->len, flags);
		if (ret == -EOPNOTSUPP && flags) {
			flags = 0; /* a FIFO or tty: no RWF_NOWAIT there */
			continue;
		}
		if (ret != -EINTR)
			break;
	}
	io->result = ret;
	return ZCCP_DONE;
}

int zccp_sync_setup_stream(struct zccp_endpoint *ep)
{
	int flags;

	/*
	 * A FIFO opened by path does not take RWF_NOWAIT; its open file
	 * description is ours alone, so make the descriptor non-blocking.
	 * Never stdin/stdout: their description is shared with others.
	 */
	if (ep->std || ep->kind != ZCCP_KIND_PIPE)
		return 0;
	flags = fcntl(ep->fd, F_GETFL);
	if (flags < 0 || fcntl(ep->fd, F_SETFL, flags | O_NONBLOCK))
		return -errno;
	return 0;
}
