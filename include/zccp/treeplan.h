/* SPDX-License-Identifier: MIT */
/*
 * --dry-run with -r: what the walk (tree.h) would do, one line per entry
 * and destination root, on stdout; nothing is made or written.
 *   create PATH          it does not exist (a directory: PATH/)
 *   replace PATH         it exists and would be replaced
 *   skip PATH: WHY       -n or -u leave it alone
 *   exclude SRCPATH      --exclude leaves it out (once, not per root)
 *   refuse PATH: WHY     it would fail (a directory where a file goes...)
 * then a line of counts.  With --json, one object instead:
 *   {"dry_run":true,"source":S,"entries":[{"action":A,"path":P,
 *    "why":W|null}...],"counts":{"create":N,...}}
 */
#ifndef ZCCP_TREEPLAN_H
#define ZCCP_TREEPLAN_H

#include <stdbool.h>
#include <stdio.h>

enum zccp_plan_action {
	ZCCP_PLAN_CREATE,
	ZCCP_PLAN_REPLACE,
	ZCCP_PLAN_SKIP,
	ZCCP_PLAN_EXCLUDE,
	ZCCP_PLAN_REFUSE,
	ZCCP_PLAN_ACTIONS
};

struct zccp_treeplan {
	FILE *out;
	bool json;
	unsigned long count[ZCCP_PLAN_ACTIONS];
};

void zccp_treeplan_begin(struct zccp_treeplan *p, FILE *out, bool json,
			 const char *src);
/* One entry; why: NULL, or what skip and refuse say. */
void zccp_treeplan_say(struct zccp_treeplan *p, enum zccp_plan_action a,
		       const char *path, const char *why);
/* A directory to be made: "create PATH/". */
void zccp_treeplan_dir(struct zccp_treeplan *p, const char *path);
/* The counts; returns how many would be refused. */
unsigned long zccp_treeplan_end(struct zccp_treeplan *p);

#endif
