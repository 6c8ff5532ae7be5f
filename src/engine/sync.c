// SPDX-License-Identifier: MIT
/*
 * Plain-syscall transfers for the synchronous engines.  Pipes and
 * sockets are asked with RWF_NOWAIT so a full pipe or an empty stdin answers
 * -EAGAIN (the core then polls) instead of blocking every other
 * destination; fds that do not support it are written blocking.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "zccp/engine.h"

int zccp_sync_transfer(const struct zccp_layout *layout, struct zccp_io *io)
{
	struct iovec iov = { zccp_io_buf(layout, io), io->len };
	enum zccp_kind kind = io->ep->kind;
	/* Only pipes and sockets: a regular file may say EAGAIN and poll
	 * would report it ready forever. */
	int flags = kind == ZCCP_KIND_PIPE || kind == ZCCP_KIND_SOCKET ?
			    RWF_NOWAIT : 0;
	ssize_t n;

	for (;;) {
		if (io->op == ZCCP_IO_READ)
			n = preadv2(io->ep->fd, &iov, 1, io->offset, flags);
		else
			n = pwritev2(io->ep->fd, &iov, 1, io->offset, flags);
		if (n < 0 && errno == EOPNOTSUPP && flags) {
			flags = 0; /* a FIFO or tty: no RWF_NOWAIT there */
			continue;
		}
		if (n >= 0 || errno != EINTR)
			break;
	}
	io->result = n < 0 ? -errno : (int)n;
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
