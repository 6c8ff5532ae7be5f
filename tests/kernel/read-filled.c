/* SPDX-License-Identifier: MIT */
/*
 * read-filled: an O_DIRECT read into a buffer that holds a pattern
 * first, for tests/kernel/ublk-loop.sh.  Bytes a server (or a kernel
 * zero-filling on its behalf) failed to write keep the pattern, where a
 * fresh buffer would read as zeros and hide them.
 *
 *   read-filled DEVICE OFFSET LENGTH   (both multiples of 512)
 *
 * Writes the LENGTH bytes read to stdout; exit 1 on any error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ALIGN 4096  /* the buffer's; enough for any logical block size */
#define SECTOR 512  /* OFFSET's and LENGTH's */
#define PATTERN 0xa5

int main(int argc, char **argv)
{
	unsigned long long off, len;
	ssize_t n, put;
	void *buf;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: read-filled DEVICE OFFSET LENGTH\n");
		return 2;
	}
	off = strtoull(argv[2], NULL, 0);
	len = strtoull(argv[3], NULL, 0);
	if (!len || off % SECTOR || len % SECTOR ||
	    posix_memalign(&buf, ALIGN, len))
		return 2;
	memset(buf, PATTERN, len);
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "read-filled: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	n = pread(fd, buf, len, (off_t)off);
	if (n != (ssize_t)len) {
		fprintf(stderr, "read-filled: pread: %zd of %llu: %s\n", n, len,
			n < 0 ? strerror(errno) : "short");
		return 1;
	}
	for (put = 0; put < n;) {
		ssize_t w = write(1, (char *)buf + put, (size_t)(n - put));

		if (w <= 0)
			return 1;
		put += w;
	}
	return 0;
}
