// SPDX-License-Identifier: MIT
/* Option parsing: values, defaults, and the errors users will hit. */
#include <string.h>

#include "check.h"
#include "zccp/opts.h"

static enum zccp_cli_result parse(struct zccp_opts *o, int argc, ...)
{
	static char *argv[32];
	__builtin_va_list ap;

	__builtin_va_start(ap, argc);
	argv[0] = "zccp";
	for (int i = 1; i < argc; i++)
		argv[i] = __builtin_va_arg(ap, char *);
	__builtin_va_end(ap);
	argv[argc] = NULL;
	return zccp_cli_parse(argc, argv, o);
}

static void test_sizes(void)
{
	uint64_t n;

	CHECK(!zccp_parse_size("4096", &n) && n == 4096);
	CHECK(!zccp_parse_size("64K", &n) && n == 65536);
	CHECK(!zccp_parse_size("1M", &n) && n == 1u << 20);
	CHECK(!zccp_parse_size("1MiB", &n) && n == 1u << 20);
	CHECK(!zccp_parse_size("2g", &n) && n == 2ull << 30);
	CHECK(zccp_parse_size("", &n) == -22);
	CHECK(zccp_parse_size("2X", &n) == -22);
	CHECK(zccp_parse_size("-1", &n) == -22);
	CHECK(zccp_parse_size("K", &n) == -22);
	CHECK(zccp_parse_size("99999999999999999999", &n) == -34);
	CHECK(zccp_parse_size("17179869184G", &n) == -34);
}

static void test_defaults_and_operands(void)
{
	struct zccp_opts o;

	CHECK(parse(&o, 3, "src", "dst") == ZCCP_CLI_RUN);
	CHECK(!strcmp(o.engine, "auto"));
	CHECK(o.block_size == ZCCP_DEFAULT_BLOCK_SIZE);
	CHECK(o.queue_depth == ZCCP_DEFAULT_QUEUE_DEPTH);
	CHECK(o.sparse == ZCCP_SPARSE_AUTO);
	CHECK(o.on_error == ZCCP_ON_ERROR_CONTINUE);
	CHECK(!strcmp(o.source, "src") && o.ndests == 1);
	CHECK(!strcmp(o.dests[0], "dst"));

	/* GNU-style: options after operands; "-" is an operand. */
	CHECK(parse(&o, 6, "-", "a", "-v", "b", "-") == ZCCP_CLI_RUN);
	CHECK(o.verbose == 1 && !strcmp(o.source, "-") && o.ndests == 3);
	CHECK(parse(&o, 5, "--", "-B", "x", "y") == ZCCP_CLI_RUN);
	CHECK(!strcmp(o.source, "-B") && o.ndests == 2);
}

static void test_values(void)
{
	struct zccp_opts o;

	CHECK(parse(&o, 11, "-B", "64K", "-Q", "16", "--lag=256K",
		    "--engine=rw", "--sparse=never", "s", "d") ==
	      ZCCP_CLI_RUN);
	CHECK(o.block_size == 65536 && o.queue_depth == 16);
	CHECK(o.lag == 262144 && !strcmp(o.engine, "rw"));
	CHECK(o.sparse == ZCCP_SPARSE_NEVER);
	CHECK(parse(&o, 8, "--inplace", "--fsync", "--on-error=abort",
		    "--stats", "-q", "s", "d") == ZCCP_CLI_RUN);
	CHECK(o.inplace && o.fsync && o.stats && o.quiet);
	CHECK(o.on_error == ZCCP_ON_ERROR_ABORT);
}

static void test_errors(void)
{
	struct zccp_opts o;

	CHECK(parse(&o, 1) == ZCCP_CLI_ERROR);
	CHECK(parse(&o, 2, "src") == ZCCP_CLI_ERROR);
	CHECK(parse(&o, 5, "-B", "0", "s", "d") == ZCCP_CLI_ERROR);
	CHECK(parse(&o, 5, "-B", "1000", "s", "d") == ZCCP_CLI_ERROR);
	CHECK(parse(&o, 5, "-B", "2G", "s", "d") == ZCCP_CLI_ERROR);
	CHECK(parse(&o, 5, "-Q", "0", "s", "d") == ZCCP_CLI_ERROR);
	CHECK(parse(&o, 5, "-Q", "4K", "s", "d") == ZCCP_CLI_ERROR);
	CHECK(parse(&o, 4, "--engine=nope", "s", "d") == ZCCP_CLI_ERROR);
	CHECK(parse(&o, 4, "--sparse=maybe", "s", "d") == ZCCP_CLI_ERROR);
	CHECK(parse(&o, 4, "--on-error=retry", "s", "d") == ZCCP_CLI_ERROR);
	CHECK(parse(&o, 4, "--bogus", "s", "d") == ZCCP_CLI_ERROR);
	CHECK(parse(&o, 3, "s", "-B") == ZCCP_CLI_ERROR);
	/* The lag window cannot exceed the ring. */
	CHECK(parse(&o, 8, "-B", "64K", "-Q", "2", "--lag=256K", "s", "d") ==
	      ZCCP_CLI_ERROR);
	CHECK(parse(&o, 8, "-B", "64K", "-Q", "4", "--lag=256K", "s", "d") ==
	      ZCCP_CLI_RUN);
}

int main(void)
{
	test_sizes();
	test_defaults_and_operands();
	test_values();
	test_errors();
	CHECK_EXIT();
}
