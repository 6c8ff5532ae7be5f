// SPDX-License-Identifier: MIT
/* Names in messages, quoted as coreutils quotes them (zccp/report.h):
 * what a shell reads back as the same name, on one line. */
#include <string.h>

#include "check.h"
#include "zccp/report.h"

static const struct {
	const char *name, *always, *if_needed;
} cases[] = {
	{ "plain", "'plain'", "plain" },
	{ "/tmp/x.y-z_1,2:3@4%5+6{7}]#", "'/tmp/x.y-z_1,2:3@4%5+6{7}]#'",
	  "/tmp/x.y-z_1,2:3@4%5+6{7}]#" },
	{ "caf\xc3\xa9", "'caf\xc3\xa9'", "caf\xc3\xa9" },
	{ "a b", "'a b'", "'a b'" },
	{ "a*b", "'a*b'", "'a*b'" },
	{ "a=b", "'a=b'", "'a=b'" }, /* an assignment, to a shell */
	{ "~user", "'~user'", "'~user'" },
	{ "#a", "'#a'", "'#a'" },
	{ "", "''", "''" },
	{ "it's", "\"it's\"", "\"it's\"" },
	/* a ' beside what double quotes would expand: \' between quotes */
	{ "it's $HOME", "'it'\\''s $HOME'", "'it'\\''s $HOME'" },
	{ "new\nline", "'new'$'\\n''line'", "'new'$'\\n''line'" },
	{ "tab\there", "'tab'$'\\t''here'", "'tab'$'\\t''here'" },
	{ "esc\033", "'esc'$'\\033'", "'esc'$'\\033'" },
	{ "\nx", "$'\\n''x'", "$'\\n''x'" },
	/* a byte that is not UTF-8: written as a control character is */
	{ "caf\xe9", "'caf'$'\\351'", "'caf'$'\\351'" },
	{ "it's\xff", "'it'\\''s'$'\\377'", "'it'\\''s'$'\\377'" },
};

static int same(const char *name, const char *got, const char *want)
{
	if (strcmp(got, want))
		fprintf(stderr, "%s quoted as %s, want %s\n", name, got, want);
	return !strcmp(got, want);
}

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(same(cases[i].name, ZCCP_Q(cases[i].name),
			   cases[i].always));
		CHECK(same(cases[i].name, ZCCP_QF(cases[i].name),
			   cases[i].if_needed));
	}
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
	test_cases();
	test_cut_short();
	CHECK_EXIT();
}
