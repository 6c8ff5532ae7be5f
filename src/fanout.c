// SPDX-License-Identifier: MIT
/* --fanout's shapes: see zccp/fanout.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zccp/fanout.h"

int zccp_fanout_parse(const char *arg, unsigned *fanout)
{
	const char *k;
	char *end;
	unsigned long n;

	if (!strcmp(arg, "chain") || !strcmp(arg, "star") ||
	    !strcmp(arg, "auto")) {
		*fanout = *arg == 'c' ? ZCCP_FANOUT_CHAIN :
			  *arg == 's' ? ZCCP_FANOUT_STAR : ZCCP_FANOUT_AUTO;
		return 0;
	}
	if (strncmp(arg, "tree=", strlen("tree=")))
		return -EINVAL;
	k = arg + strlen("tree=");
	if (*k < '1' || *k > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(k, &end, 10);
	if (*end || errno || n > ZCCP_FANOUT_MAX_ARITY)
		return -EINVAL;
	*fanout = (unsigned)n;
	return 0;
}

unsigned zccp_fanout_resolve(unsigned fanout, unsigned n)
{
	if (fanout != ZCCP_FANOUT_AUTO)
		return fanout;
	return n < 2 ? ZCCP_FANOUT_STAR : ZCCP_FANOUT_CHAIN;
}

unsigned zccp_fanout_parent(unsigned fanout, unsigned i)
{
	return fanout == ZCCP_FANOUT_STAR ? 0 : (i - 1) / fanout;
}

const char *zccp_fanout_name(unsigned fanout, char *buf)
{
	if (fanout == ZCCP_FANOUT_CHAIN || fanout == ZCCP_FANOUT_STAR)
		return fanout == ZCCP_FANOUT_CHAIN ? "chain" : "star";
	if (fanout == ZCCP_FANOUT_AUTO)
		return "auto";
	snprintf(buf, 16, "tree=%u", fanout);
	return buf;
}
