// SPDX-License-Identifier: MIT
/* --json's strings, byte for byte: what is escaped, what passes, and
 * the names that are not UTF-8 (KEY_base64, zccp.1). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "zccp/summary.h"

/* What zccp_json_name (key non-NULL) or zccp_json_string wrote. */
static char *written(const char *key, const char *text)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	if (!out)
		return NULL;
	if (key)
		zccp_json_name(out, key, text);
	else
		zccp_json_string(out, text);
	if (fclose(out)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int same(const char *key, const char *text, const char *want)
{
	char *got = written(key, text);
	int ok = got && !strcmp(got, want);

	if (!ok)
		fprintf(stderr, "wrote %s, want %s\n", got ? got : "(nothing)",
			want);
	free(got);
	return ok;
}

static void test_string(void)
{
	CHECK(same(NULL, NULL, "null"));
	CHECK(same(NULL, "", "\"\""));
	CHECK(same(NULL, "a\"b\\c", "\"a\\\"b\\\\c\""));
	CHECK(same(NULL, "\n\t\x01\x1f\x7f",
		   "\"\\u000a\\u0009\\u0001\\u001f\x7f\""));
	/* valid UTF-8, two to four bytes, as it is */
	CHECK(same(NULL, "\xc3\xa9\xe5\x90\x8d\xf0\x9f\x98\x80",
		   "\"\xc3\xa9\xe5\x90\x8d\xf0\x9f\x98\x80\""));
	/* each byte that is not UTF-8 is one U+FFFD: a lone continuation,
	 * a cut sequence, overlong, a surrogate, past U+10FFFF, F5 */
	CHECK(same(NULL, "\x80", "\"\\ufffd\""));
	CHECK(same(NULL, "\xe2\x82", "\"\\ufffd\\ufffd\""));
	CHECK(same(NULL, "\xe2\x82x", "\"\\ufffd\\ufffdx\""));
	CHECK(same(NULL, "\xc0\xaf", "\"\\ufffd\\ufffd\""));
	CHECK(same(NULL, "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""));
	CHECK(same(NULL, "\xf4\x90\x80\x80",
		   "\"\\ufffd\\ufffd\\ufffd\\ufffd\""));
	CHECK(same(NULL, "\xf5\xc3\xa9", "\"\\ufffd\xc3\xa9\""));
}

static void test_name(void)
{
	CHECK(same("path", NULL, "\"path\":null"));
	CHECK(same("path", "a/b\n\xc3\xa9", "\"path\":\"a/b\\u000a\xc3\xa9\""));
	/* base64 of one, two and three bytes: padded */
	CHECK(same("path", "\xff",
		   "\"path\":\"\\ufffd\",\"path_base64\":\"/w==\""));
	CHECK(same("file", "a\xff",
		   "\"file\":\"a\\ufffd\",\"file_base64\":\"Yf8=\""));
	CHECK(same("current", "ab\xe9",
		   "\"current\":\"ab\\ufffd\",\"current_base64\":\"YWLp\""));
	CHECK(same("path", "caf\xe9/\xc3\xa9\"\n",
		   "\"path\":\"caf\\ufffd/\xc3\xa9\\\"\\u000a\","
		   "\"path_base64\":\"Y2Fm6S/DqSIK\""));
	/* the digits 62 and 63: '+' and '/' */
	CHECK(same("via", "\xfb\xff\xbf",
		   "\"via\":\"\\ufffd\\ufffd\\ufffd\","
		   "\"via_base64\":\"+/+/\""));
}

int main(void)
{
	test_string();
	test_name();
	CHECK_EXIT();
}
