// SPDX-License-Identifier: MIT
/*
 * Plain-syscall transfers for the synchronous engines.  Pipes and
 * sockets are asked with RWF_NOWAIT so a full pipe or an empty stdin answers
 * -EAGAIN (the core then polls) instead of blocking every other
 * destination; fds that do not support it are written blocking.
 */
#include <errno.h>
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

	do {
		if (io->op == ZCCP_IO_READ)
			n = preadv2(io->ep->fd, &iov, 1, io->offset, flags);
		else
			n = pwritev2(io->ep->fd, &iov, 1, io->offset, flags);
		if (n < 0 && errno == EOPNOTSUPP && flags) {
			flags = 0; /* e.g. a tty: no NOWAIT support */
			continue;
		}
	} while (n < 0 && errno == EINTR);
	io->result = n < 0 ? -errno : (int)n;
	return ZCCP_DONE;
}
