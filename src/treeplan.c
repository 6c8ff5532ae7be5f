// SPDX-License-Identifier: MIT
/* --dry-run -r: see zccp/treeplan.h. */
#include <stdlib.h>

#include "zccp/summary.h"
#include "zccp/treeplan.h"

static const char *const action_names[ZCCP_PLAN_ACTIONS] = {
	[ZCCP_PLAN_CREATE] = "create",	 [ZCCP_PLAN_REPLACE] = "replace",
	[ZCCP_PLAN_SKIP] = "skip",	 [ZCCP_PLAN_EXCLUDE] = "exclude",
	[ZCCP_PLAN_REFUSE] = "refuse",
};

void zccp_treeplan_begin(struct zccp_treeplan *p, FILE *out, bool json,
			 const char *src)
{
	*p = (struct zccp_treeplan){ .out = out, .json = json };
	if (!json) {
		fputs("dry run: nothing is written\n", out);
		return;
	}
	fputs("{\"dry_run\":true,", out);
	zccp_json_name(out, "source", src);
	fputs(",\"entries\":[", out);
}

void zccp_treeplan_say(struct zccp_treeplan *p, enum zccp_plan_action a,
		       const char *path, const char *why)
{
	unsigned long n = 0;

	for (int i = 0; i < ZCCP_PLAN_ACTIONS; i++)
		n += p->count[i];
	p->count[a]++;
	if (!p->json) {
		fprintf(p->out, "%s %s%s%s\n", action_names[a], path,
			why ? ": " : "", why ? why : "");
		return;
	}
	fprintf(p->out, "%s{\"action\":\"%s\",", n ? "," : "", action_names[a]);
	zccp_json_name(p->out, "path", path);
	fputs(",\"why\":", p->out);
	zccp_json_string(p->out, why);
	fputc('}', p->out);
}

void zccp_treeplan_dir(struct zccp_treeplan *p, const char *path)
{
	char *slashed = NULL;

	if (asprintf(&slashed, "%s/", path) < 0)
		slashed = NULL;
	zccp_treeplan_say(p, ZCCP_PLAN_CREATE, slashed ? slashed : path, NULL);
	free(slashed);
}

unsigned long zccp_treeplan_end(struct zccp_treeplan *p)
{
	const char *sep = "";

	fputs(p->json ? "],\"counts\":{" : "would ", p->out);
	for (int i = 0; i < ZCCP_PLAN_ACTIONS; i++) {
		fprintf(p->out, p->json ? "%s\"%s\":%lu" : "%s%s %lu", sep,
			action_names[i], p->count[i]);
		sep = p->json ? "," : ", ";
	}
	fputs(p->json ? "}}\n" : "\n", p->out);
	fflush(p->out);
	return p->count[ZCCP_PLAN_REFUSE];
}
