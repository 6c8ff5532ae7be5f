/* SPDX-License-Identifier: MIT */
/* Data and holes of a sparse source, through SEEK_DATA / SEEK_HOLE. */
#ifndef ZCCP_EXTENTS_H
#define ZCCP_EXTENTS_H

#include <stdbool.h>
#include <stdint.h>

struct zccp_extents {
	int fd;
	bool enabled;	     /* false: everything is data */
	uint64_t data_start; /* the data segment last found */
	uint64_t data_end;
};

void zccp_extents_init(struct zccp_extents *x, int fd, bool enabled);

/*
 * Classify [pos, pos + max): *hole says whether it starts in a hole;
 * returns the length of that run, at most max.
 */
uint64_t zccp_extents_next(struct zccp_extents *x, uint64_t pos, uint64_t max,
			   bool *hole);

/* The bytes of [0, size) of fd that are data, not holes (all of them
 * where the file system cannot tell). */
uint64_t zccp_extents_data(int fd, uint64_t size);

#endif
