// SPDX-License-Identifier: MIT
/* The static registry of engines (no constructors, no plugins). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "zccp/engine.h"
#include "zccp/report.h"

/*
 * The one list of engines.  Order breaks ties in auto's choice:
 * generally best first.  tests/CMakeLists.txt reads the X(...) lines.
 */
#define ZCCP_ENGINES(X) \
	X(uring)        \
	X(group)        \
	X(splice)       \
	X(aio)          \
	X(rw)

#define DECLARE(name) extern const struct zccp_engine_ops zccp_engine_##name;
ZCCP_ENGINES(DECLARE)
#undef DECLARE

#define ENTRY(name) &zccp_engine_##name,
const struct zccp_engine_ops *const zccp_engines[] = { ZCCP_ENGINES(ENTRY) };
#undef ENTRY

#define NENGINES (sizeof(zccp_engines) / sizeof(zccp_engines[0]))
_Static_assert(NENGINES <= ZCCP_MAX_ENGINES, "raise ZCCP_MAX_ENGINES");

const unsigned zccp_nengines = NENGINES;

const struct zccp_engine_ops *zccp_engine_find(const char *name)
{
	for (unsigned i = 0; i < zccp_nengines; i++)
		if (!strcmp(zccp_engines[i]->name, name))
			return zccp_engines[i];
	return NULL;
}

int zccp_engine_names(char *buf, size_t len, const char *sep, const char *last)
{
	size_t used = 0;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (unsigned i = 0; i < zccp_nengines; i++) {
		const char *join = !i ? "" : i + 1 < zccp_nengines ? sep : last;
		int n = snprintf(buf + used, len - used, "%s%s", join,
				 zccp_engines[i]->name);

		if (n < 0 || (size_t)n >= len - used)
			return -ENOSPC;
		used += (size_t)n;
	}
	return 0;
}

void zccp_engine_stop(struct zccp_engine *e)
{
	char line[512];

	if (!e->ops)
		return;
	if (e->ops->notes && e->ops->notes(e, line, sizeof(line)) > 0)
		zccp_detail("%s", line);
	e->ops->cleanup(e);
}

int zccp_probe(struct zccp_probes *p, unsigned i)
{
	const struct zccp_engine_ops *ops = zccp_engines[i];

	if (!p->asked[i]) {
		p->why[i] = "";
		p->result[i] = p->run ? p->run(ops, &p->why[i]) :
					ops->probe(&p->why[i]);
		p->asked[i] = true;
	}
	return p->result[i];
}

void zccp_probe_fail(struct zccp_probes *p, const struct zccp_engine_ops *ops,
		     int err, const char *why)
{
	for (unsigned i = 0; i < zccp_nengines; i++) {
		if (zccp_engines[i] != ops)
			continue;
		p->asked[i] = true;
		p->result[i] = err;
		p->why[i] = why;
	}
}
