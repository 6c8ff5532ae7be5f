// SPDX-License-Identifier: MIT
/* Holes in the source, found by SEEK_DATA/SEEK_HOLE: never read them. */
#include <errno.h>
#include <unistd.h>

#include "zccp/extents.h"

void zccp_extents_init(struct zccp_extents *x, int fd, bool enabled)
{
	*x = (struct zccp_extents){ .fd = fd, .enabled = enabled };
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t zccp_extents_next(struct zccp_extents *x, uint64_t pos, uint64_t max,
			   bool *hole)
{
	off_t data, end;

	*hole = false;
	if (!x->enabled)
		return max;
	if (pos >= x->data_start && pos < x->data_end)
		return min_u64(max, x->data_end - pos);
	data = lseek(x->fd, (off_t)pos, SEEK_DATA);
	if (data < 0) {
		if (errno == ENXIO) { /* a hole up to the end of the file */
			*hole = true;
			return max;
		}
		x->enabled = false; /* no SEEK_DATA here: read it all */
		return max;
	}
	if ((uint64_t)data > pos) {
		*hole = true;
		return min_u64(max, (uint64_t)data - pos);
	}
	end = lseek(x->fd, (off_t)pos, SEEK_HOLE);
	if (end < 0 || (uint64_t)end <= pos) {
		x->enabled = false;
		return max;
	}
	x->data_start = pos;
	x->data_end = (uint64_t)end;
	return min_u64(max, x->data_end - pos);
}

uint64_t zccp_extents_data(int fd, uint64_t size)
{
	struct zccp_extents x;
	uint64_t data = 0;

	zccp_extents_init(&x, fd, true);
	for (uint64_t pos = 0; pos < size;) {
		bool hole;
		uint64_t run = zccp_extents_next(&x, pos, size - pos, &hole);

		data += hole ? 0 : run;
		pos += run;
	}
	return data;
}
