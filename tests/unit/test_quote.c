// SPDX-License-Identifier: MIT
/* Names in messages, quoted as coreutils quotes them (zccp/report.h):
 * what a shell reads back as the same name, on one line. */
#include <string.h>

#include "check.h"
#include "zccp/report.h"

static int same(const char *got, const char *want)
{
	if (strcmp(got, want))
		fprintf(stderr, "quoted as %s, want %s\n", got, want);
	return !strcmp(got, want);
}

static void test_always(void)
{
	CHECK(same(ZCCP_Q("plain"), "'plain'"));
	CHECK(same(ZCCP_Q("a b"), "'a b'"));
	CHECK(same(ZCCP_Q("it's"), "\"it's\""));
	/* a ' beside what double quotes would expand: '\'' */
	CHECK(same(ZCCP_Q("it's $HOME"), "'it'\\''s $HOME'"));
	CHECK(same(ZCCP_Q("new\nline"), "'new'$'\\n''line'"));
	CHECK(same(ZCCP_Q("tab\there"), "'tab'$'\\t''here'"));
	CHECK(same(ZCCP_Q("esc\033"), "'esc'$'\\033'''"));
	CHECK(same(ZCCP_Q("caf\xc3\xa9"), "'caf\xc3\xa9'"));
}

static void test_if_needed(void)
{
	CHECK(same(ZCCP_QF("/tmp/x.y-z_1,2:3@4%5+6=7"),
		   "/tmp/x.y-z_1,2:3@4%5+6=7"));
	CHECK(same(ZCCP_QF("caf\xc3\xa9"), "caf\xc3\xa9"));
	CHECK(same(ZCCP_QF("a b"), "'a b'"));
	CHECK(same(ZCCP_QF("a*b"), "'a*b'"));
	CHECK(same(ZCCP_QF("~user"), "'~user'"));
	CHECK(same(ZCCP_QF(""), "''"));
	CHECK(same(ZCCP_QF("new\nline"), "'new'$'\\n''line'"));
}

static void test_cut_short(void)
{
	char buf[8];
	char *got = zccp_quote(buf, sizeof(buf), "abcdefghijkl");

	/* cut, but a string: ended inside buf */
	CHECK(got == buf && strlen(buf) < sizeof(buf));
	CHECK(!strncmp(buf, "'abcdef", strlen(buf)));
}

int main(void)
{
	test_always();
	test_if_needed();
	test_cut_short();
	CHECK_EXIT();
}
