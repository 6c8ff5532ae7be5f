/* SPDX-License-Identifier: MIT */
/*
 * fibmap: where on its device a file's byte lies, for
 * tests/kernel/zccp-faults.sh (dm-dust fails reads by device block, and
 * the guest has no filefrag).
 *
 *   fibmap FILE OFFSET
 *
 * Prints the device block (in the file system's block size) that holds
 * byte OFFSET of FILE, and that block size: "BLOCK SIZE".  Exit 1 on an
 * error or a hole; needs CAP_SYS_RAWIO (root in the guest).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/fs.h>

int main(int argc, char **argv)
{
	unsigned long long off;
	int fd, bsz, block;
	char *end;

	if (argc != 3) {
		fprintf(stderr, "usage: fibmap FILE OFFSET\n");
		return 2;
	}
	off = strtoull(argv[2], &end, 0);
	if (*end || end == argv[2])
		return 2;
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || ioctl(fd, FIGETBSZ, &bsz) || bsz <= 0) {
		fprintf(stderr, "fibmap: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	block = off / bsz;
	if (ioctl(fd, FIBMAP, &block)) {
		fprintf(stderr, "fibmap: %s: FIBMAP: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	if (!block) {
		fprintf(stderr, "fibmap: %s: byte %llu is in a hole\n",
			argv[1], off);
		return 1;
	}
	printf("%d %d\n", block, bsz);
	close(fd);
	return 0;
}
