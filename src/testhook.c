// SPDX-License-Identifier: MIT
/* Pauses for tests (zccp/testhook.h). */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "zccp/testhook.h"

void zccp_test_pause(const char *knob)
{
	const char *fifo = getenv(knob);
	char c;
	int fd;

	if (!fifo)
		return;
	fd = open(fifo, O_WRONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	fd = open(fifo, O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && read(fd, &c, 1) > 0)
		;
	if (fd >= 0)
		close(fd);
}
