// SPDX-License-Identifier: MIT
/* Planning without I/O: engine choice from kinds and probe results. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "zccp/plan.h"

static int probe[ZCCP_MAX_ENGINES];
static const char *why[ZCCP_MAX_ENGINES];
static unsigned probed[ZCCP_MAX_ENGINES]; /* calls per engine */

static int fake_probe(const struct zccp_engine_ops *ops, const char **reason)
{
	const struct zccp_engine_ops *found = zccp_engine_find(ops->name);

	for (unsigned i = 0; i < zccp_nengines; i++) {
		if (zccp_engines[i] != found)
			continue;
		probed[i]++;
		*reason = why[i];
		return probe[i];
	}
	return -EINVAL;
}

#define ANY ZCCP_SIZE_UNKNOWN

/* One plan with a fresh probe cache, as one zccp run would make. */
static int make(const struct zccp_opts *o, enum zccp_kind src,
		uint64_t bytes, const enum zccp_kind *dests, unsigned n,
		struct zccp_plan *plan)
{
	struct zccp_probes probes = { .run = fake_probe };
	struct zccp_shape shape = {
		.source = src, .source_bytes = bytes,
		.dests = dests, .ndests = n,
	};

	memset(probed, 0, sizeof(probed));
	return zccp_plan_make(o, &shape, &probes, plan);
}

static void all_available(void)
{
	for (unsigned i = 0; i < zccp_nengines; i++) {
		probe[i] = 0;
		why[i] = "ok";
	}
}

static int engine_index(const char *name)
{
	for (unsigned i = 0; i < zccp_nengines; i++)
		if (!strcmp(zccp_engines[i]->name, name))
			return (int)i;
	return -1;
}

static void make_unavailable(const char *name, const char *reason)
{
	int i = engine_index(name);

	CHECK(i >= 0);
	if (i >= 0) {
		probe[i] = -ENOSYS;
		why[i] = reason;
	}
}

static struct zccp_opts opts_for(const char *engine)
{
	return (struct zccp_opts){
		.engine = engine,
		.block_size = 1u << 20,
		.queue_depth = 8,
	};
}

static unsigned score(const struct zccp_engine_ops *e, enum zccp_kind src,
		      const enum zccp_kind *dst, unsigned n)
{
	unsigned s = e->rank[src];

	for (unsigned i = 0; i < n; i++)
		s += e->rank[dst[i]];
	return s;
}

static bool can_serve(const struct zccp_engine_ops *e, enum zccp_kind src,
		      const enum zccp_kind *dst, unsigned n)
{
	if (e->rank[src] == 255)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (e->rank[dst[i]] == 255)
			return false;
	return true;
}

/* auto picks an engine that can serve, and none that can scores lower. */
static void test_auto_minimises_rank(void)
{
	struct zccp_opts o = opts_for("auto");
	enum zccp_kind kinds[3];
	struct zccp_plan plan;

	all_available();
	for (int s = 0; s < ZCCP_KIND_COUNT; s++) {
		for (int a = 0; a < ZCCP_KIND_COUNT; a++) {
			for (int b = 0; b < ZCCP_KIND_COUNT; b++) {
				kinds[0] = (enum zccp_kind)a;
				kinds[1] = (enum zccp_kind)b;
				kinds[2] = ZCCP_KIND_REGULAR;
				CHECK(!make(&o, (enum zccp_kind)s, ANY, kinds,
					    3, &plan));
				CHECK(can_serve(plan.engine, s, kinds, 3));
				for (unsigned i = 0; i < zccp_nengines; i++) {
					const struct zccp_engine_ops *e =
						zccp_engines[i];
					if (can_serve(e, s, kinds, 3))
						CHECK(score(plan.engine, s,
							    kinds, 3) <=
						      score(e, s, kinds, 3));
				}
			}
		}
	}
}

static void test_fallback_when_uring_is_blocked(void)
{
	struct zccp_opts o = opts_for("auto");
	enum zccp_kind kinds[2] = { ZCCP_KIND_REGULAR, ZCCP_KIND_REGULAR };
	struct zccp_plan plan;

	all_available();
	/* files: group first (it can lend the page cache), measured */
	CHECK(!make(&o, ZCCP_KIND_REGULAR, ANY, kinds, 2, &plan));
	CHECK(!strcmp(plan.engine->name, "group"));
	/* a kernel without groups: uring */
	make_unavailable("group", "no SQE groups");
	CHECK(!make(&o, ZCCP_KIND_REGULAR, ANY, kinds, 2, &plan));
	CHECK(!strcmp(plan.engine->name, "uring"));
	/* group is io_uring too: a filter blocks both. */
	make_unavailable("uring", "seccomp says ENOSYS");
	make_unavailable("group", "seccomp says ENOSYS");
	CHECK(!make(&o, ZCCP_KIND_REGULAR, ANY, kinds, 2, &plan));
	CHECK(strcmp(plan.engine->name, "uring"));
	CHECK(strcmp(plan.engine->name, "group"));
	CHECK(strstr(plan.reason, "uring out: seccomp says ENOSYS"));
	make_unavailable("splice", "x");
	make_unavailable("aio", "y");
	CHECK(!make(&o, ZCCP_KIND_REGULAR, ANY, kinds, 2, &plan));
	CHECK(!strcmp(plan.engine->name, "rw"));
}

static void test_named_engine(void)
{
	struct zccp_opts o = opts_for("aio");
	enum zccp_kind kinds[1] = { ZCCP_KIND_PIPE };
	struct zccp_plan plan;

	all_available();
	CHECK(!make(&o, ZCCP_KIND_REGULAR, ANY, kinds, 1, &plan));
	CHECK(!strcmp(plan.engine->name, "aio"));
	CHECK(strstr(plan.reason, "--engine"));
	make_unavailable("aio", "io_setup: EAGAIN");
	CHECK(make(&o, ZCCP_KIND_REGULAR, ANY, kinds, 1, &plan) == -ENOSYS);
	CHECK(strstr(plan.reason, "aio unavailable: io_setup: EAGAIN"));
}

/* --sparse=always needs to see the bytes: engines without user buffers
 * are never chosen for it, and refused when named. */
static void test_sparse_always_needs_user_buffer(void)
{
	struct zccp_opts o = opts_for("auto");
	enum zccp_kind kinds[1] = { ZCCP_KIND_PIPE };
	struct zccp_plan plan;

	o.sparse = ZCCP_SPARSE_ALWAYS;
	all_available();
	CHECK(!make(&o, ZCCP_KIND_PIPE, ANY, kinds, 1, &plan));
	CHECK(plan.engine->caps & ZCCP_CAP_USER_BUFFER);
	for (unsigned i = 0; i < zccp_nengines; i++) {
		if (zccp_engines[i]->caps & ZCCP_CAP_USER_BUFFER)
			continue;
		o.engine = zccp_engines[i]->name;
		CHECK(make(&o, ZCCP_KIND_PIPE, ANY, kinds, 1, &plan) ==
		      -EINVAL);
		CHECK(strstr(plan.reason, "sparse=always"));
	}
}

/* A zccp stream's digest needs to see the bytes, in order: in user
 * memory, or shown by the engine (splice's peek); never group's (its
 * reads report before the bytes are there). */
static void test_stream_checksum_needs_user_buffer(void)
{
	struct zccp_opts o = opts_for("auto");
	enum zccp_kind kinds[2] = { ZCCP_KIND_SOCKET, ZCCP_KIND_REGULAR };
	struct zccp_probes probes = { .run = fake_probe };
	struct zccp_shape shape = {
		.source = ZCCP_KIND_REGULAR, .source_bytes = ANY,
		.dests = kinds, .ndests = 2, .checksummed = true,
	};
	struct zccp_plan plan;

	all_available();
	CHECK(!zccp_plan_make(&o, &shape, &probes, &plan));
	CHECK(!(plan.engine->caps & ZCCP_CAP_ORDERED_FANOUT));
	CHECK(strstr(plan.reason, "group out: a zccp stream's MAC"));
	CHECK(!strstr(plan.reason, "splice out"));
	for (unsigned i = 0; i < zccp_nengines; i++) {
		unsigned caps = zccp_engines[i]->caps;
		int ret;

		o.engine = zccp_engines[i]->name;
		ret = zccp_plan_make(&o, &shape, &probes, &plan);
		if (((caps & ZCCP_CAP_USER_BUFFER) &&
		     !(caps & ZCCP_CAP_ORDERED_FANOUT)) ||
		    zccp_engines[i]->peek) {
			CHECK(!ret);
			continue;
		}
		CHECK(ret == -EINVAL);
		CHECK(strstr(plan.reason, "--raw does not"));
	}
	/* Without the checksum (--raw) group may run again. */
	o.engine = "auto";
	shape.checksummed = false;
	CHECK(!zccp_plan_make(&o, &shape, &probes, &plan));
	CHECK(!strstr(plan.reason, "group out"));
}

/* A received zccp stream holds its newest full chunk back: the ring
 * needs a second slot, whatever -Q and --lag say. */
static void test_framed_source_has_two_slots(void)
{
	struct zccp_opts o = opts_for("rw");
	enum zccp_kind kinds[1] = { ZCCP_KIND_REGULAR };
	struct zccp_probes probes = { .run = fake_probe };
	struct zccp_shape shape = {
		.source = ZCCP_KIND_SOCKET, .source_bytes = 100,
		.dests = kinds, .ndests = 1, .source_framed = true,
	};
	struct zccp_plan plan;

	all_available();
	o.queue_depth = 1;
	CHECK(!zccp_plan_make(&o, &shape, &probes, &plan));
	CHECK(plan.nchunks == 2 && plan.lag_chunks == 2);
	o.queue_depth = 8;
	o.lag = 4096;
	CHECK(!zccp_plan_make(&o, &shape, &probes, &plan));
	CHECK(plan.nchunks == 2 && plan.lag_chunks == 2);
	shape.source_framed = false;
	CHECK(!zccp_plan_make(&o, &shape, &probes, &plan));
	CHECK(plan.nchunks == 1 && plan.lag_chunks == 1);
}

static void test_geometry(void)
{
	struct zccp_opts o = opts_for("rw");
	enum zccp_kind kinds[1] = { ZCCP_KIND_REGULAR };
	struct zccp_plan plan;

	all_available();
	CHECK(!make(&o, ZCCP_KIND_REGULAR, ANY, kinds, 1, &plan));
	CHECK(plan.chunk_size == 1u << 20 && plan.nchunks == 8);
	CHECK(plan.lag_chunks == 8);
	o.lag = 1;
	CHECK(!make(&o, ZCCP_KIND_REGULAR, ANY, kinds, 1, &plan));
	CHECK(plan.lag_chunks == 1);
	o.lag = (3u << 20) + 1;
	CHECK(!make(&o, ZCCP_KIND_REGULAR, ANY, kinds, 1, &plan));
	CHECK(plan.lag_chunks == 4);
}

/* Probes cost system calls: only the chosen engine and those that
 * would have beaten it are asked. */
static void test_probes_are_lazy(void)
{
	struct zccp_opts o = opts_for("auto");
	enum zccp_kind kinds[2] = { ZCCP_KIND_REGULAR, ZCCP_KIND_REGULAR };
	struct zccp_plan plan;
	int group = engine_index("group"), chosen;
	unsigned asked = 0;

	all_available();
	CHECK(!make(&o, ZCCP_KIND_REGULAR, ANY, kinds, 2, &plan));
	for (unsigned i = 0; i < zccp_nengines; i++)
		CHECK(probed[i] == (zccp_engines[i] == plan.engine));

	make_unavailable("group", "blocked");
	CHECK(!make(&o, ZCCP_KIND_REGULAR, ANY, kinds, 2, &plan));
	chosen = engine_index(plan.engine->name);
	CHECK(probed[group] == 1 && probed[chosen] == 1);
	for (unsigned i = 0; i < zccp_nengines; i++)
		asked += probed[i];
	CHECK(asked == 2);

	o = opts_for("rw");
	CHECK(!make(&o, ZCCP_KIND_REGULAR, ANY, kinds, 2, &plan));
	for (unsigned i = 0; i < zccp_nengines; i++)
		CHECK(probed[i] == !strcmp(zccp_engines[i]->name, "rw"));
}

/* The ring never has more slots than a sized source can fill. */
static void test_ring_fits_source(void)
{
	struct zccp_opts o = opts_for("rw");
	enum zccp_kind kinds[1] = { ZCCP_KIND_REGULAR };
	struct zccp_plan plan;

	all_available();
	CHECK(!make(&o, ZCCP_KIND_REGULAR, 0, kinds, 1, &plan));
	CHECK(plan.nchunks == 1 && plan.lag_chunks == 1);
	CHECK(!make(&o, ZCCP_KIND_REGULAR, 65536, kinds, 1, &plan));
	CHECK(plan.nchunks == 1);
	CHECK(!make(&o, ZCCP_KIND_REGULAR, (3u << 20) + 1, kinds, 1, &plan));
	CHECK(plan.nchunks == 4 && plan.lag_chunks == 4);
	CHECK(!make(&o, ZCCP_KIND_REGULAR, 8u << 20, kinds, 1, &plan));
	CHECK(plan.nchunks == 8);
	CHECK(!make(&o, ZCCP_KIND_REGULAR, 1ull << 40, kinds, 1, &plan));
	CHECK(plan.nchunks == 8);
	CHECK(!make(&o, ZCCP_KIND_PIPE, ANY, kinds, 1, &plan));
	CHECK(plan.nchunks == 8);
}

/* A small source goes to the engine cheapest to start; from past the
 * threshold on, ranks alone decide again. */
static void test_small_source_counts_start_up(void)
{
	struct zccp_opts o = opts_for("auto");
	enum zccp_kind kinds[2] = { ZCCP_KIND_REGULAR, ZCCP_KIND_REGULAR };
	const struct zccp_engine_ops *cheapest = NULL;
	struct zccp_plan plan;

	all_available();
	for (unsigned i = 0; i < zccp_nengines; i++)
		if (can_serve(zccp_engines[i], ZCCP_KIND_REGULAR, kinds, 2) &&
		    (!cheapest || zccp_engines[i]->setup_us <
					  cheapest->setup_us))
			cheapest = zccp_engines[i];
	CHECK(cheapest != NULL);
	CHECK(!make(&o, ZCCP_KIND_REGULAR, 4096, kinds, 2, &plan));
	CHECK(plan.engine->setup_us <= cheapest->setup_us + 200);
	CHECK(strstr(plan.reason, "small") != NULL);
	CHECK(!make(&o, ZCCP_KIND_REGULAR, 64u << 20, kinds, 2, &plan));
	CHECK(strstr(plan.reason, "small") == NULL);
	for (unsigned i = 0; i < zccp_nengines; i++)
		if (can_serve(zccp_engines[i], ZCCP_KIND_REGULAR, kinds, 2))
			CHECK(score(plan.engine, ZCCP_KIND_REGULAR, kinds, 2) <=
			      score(zccp_engines[i], ZCCP_KIND_REGULAR, kinds,
				    2));
}

int main(void)
{
	test_auto_minimises_rank();
	test_fallback_when_uring_is_blocked();
	test_named_engine();
	test_sparse_always_needs_user_buffer();
	test_stream_checksum_needs_user_buffer();
	test_framed_source_has_two_slots();
	test_geometry();
	test_probes_are_lazy();
	test_ring_fits_source();
	test_small_source_counts_start_up();
	CHECK_EXIT();
}
