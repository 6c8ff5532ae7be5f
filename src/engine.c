// SPDX-License-Identifier: MIT
/* The static registry of engines (no constructors, no plugins). */
#include <string.h>

#include "zccp/engine.h"

/* Order breaks ties in auto's choice: generally best first. */
const struct zccp_engine_ops *const zccp_engines[] = {
	&zccp_engine_uring,
	&zccp_engine_splice,
	&zccp_engine_aio,
	&zccp_engine_rw,
};

const unsigned zccp_nengines = sizeof(zccp_engines) / sizeof(zccp_engines[0]);

const struct zccp_engine_ops *zccp_engine_find(const char *name)
{
	for (unsigned i = 0; i < zccp_nengines; i++)
		if (!strcmp(zccp_engines[i]->name, name))
			return zccp_engines[i];
	return NULL;
}
