/* SPDX-License-Identifier: MIT */
/* Seconds for durations: the monotonic clock, which no date change moves. */
#ifndef ZCCP_CLOCK_H
#define ZCCP_CLOCK_H

#include <time.h>

static inline double zccp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
