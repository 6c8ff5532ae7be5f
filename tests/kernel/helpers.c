/* SPDX-License-Identifier: MIT */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *test_name = "?";
static unsigned passed, failed, scale_percent = 100;
static unsigned long long seed;
static uint64_t rand_state;

_Noreturn void kt_die(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s: setup: ", test_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n%s: ABORTED after %u ok, %u failed\n", test_name, passed,
	       failed);
	fflush(stdout);
	exit(KT_FAIL);
}

static bool parse_unsigned(const char *arg, const char *prefix,
			   unsigned long long *value)
{
	size_t len = strlen(prefix);
	char *end;

	if (strncmp(arg, prefix, len))
		return false;
	errno = 0;
	*value = strtoull(arg + len, &end, 0);
	if (errno || end == arg + len || *end)
		kt_die("bad argument %s", arg);
	return true;
}

void kt_set_name(const char *name)
{
	test_name = name;
	setvbuf(stdout, NULL, _IOLBF, 0);
}

void kt_start(const char *name, int argc, char **argv)
{
	const char *env = getenv("ZCCP_REQUIRE_GROUPS");
	bool require = env && !strcmp(env, "1");
	unsigned long long value;
	bool seeded = false;
	struct io_uring ring;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	test_name = name;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--require-groups"))
			require = true;
		else if (parse_unsigned(argv[i], "--scale=", &value))
			scale_percent = value ? (unsigned)value : 1;
		else if (parse_unsigned(argv[i], "--seed=", &value)) {
			seed = value;
			seeded = true;
		} else
			kt_die("unknown argument %s", argv[i]);
	}
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (unsigned long long)ts.tv_sec * 1000003ULL ^
		       (unsigned long long)ts.tv_nsec ^ (unsigned)getpid();
	}
	rand_state = seed ? seed : 0x9e3779b97f4a7c15ULL;

	ret = io_uring_queue_init(8, &ring, 0);
	if (ret < 0) {
		if (require)
			kt_die("io_uring_queue_init: %s", strerror(-ret));
		printf("SKIP: no io_uring (%s)\n", strerror(-ret));
		exit(KT_SKIP);
	}
	ret = zccp_uring_group_probe(&ring);
	io_uring_queue_exit(&ring);
	if (ret == -EOPNOTSUPP) {
		if (require) {
			printf("FAIL %s: kernel has no SQE groups, and "
			       "--require-groups was given\n", name);
			exit(KT_FAIL);
		}
		printf("SKIP: kernel has no SQE groups\n");
		exit(KT_SKIP);
	}
	if (ret < 0)
		kt_die("group probe: %s", strerror(-ret));
	printf("%s: seed %llu, scale %u%%\n", name, seed, scale_percent);
}

unsigned kt_scale_percent(void)
{
	return scale_percent;
}

unsigned kt_scaled(unsigned full)
{
	unsigned long long n = (unsigned long long)full * scale_percent / 100;

	return n ? (unsigned)n : 1;
}

unsigned long long kt_seed(void)
{
	return seed;
}

uint64_t kt_rand(void)
{
	rand_state ^= rand_state >> 12;
	rand_state ^= rand_state << 25;
	rand_state ^= rand_state >> 27;
	return rand_state * 0x2545f4914f6cdd1dULL;
}

unsigned kt_rand_below(unsigned bound)
{
	return bound ? (unsigned)(kt_rand() % bound) : 0;
}

static void report(bool ok, const char *fmt, va_list ap)
{
	if (ok)
		passed++;
	else
		failed++;
	printf("%s ", ok ? "ok" : "FAIL");
	vprintf(fmt, ap);
	putchar('\n');
}

void kt_ok(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(true, fmt, ap);
	va_end(ap);
}

void kt_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(false, fmt, ap);
	va_end(ap);
}

bool kt_check(bool cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	return cond;
}

void kt_pass_quietly(void)
{
	passed++;
}

unsigned kt_failures(void)
{
	return failed;
}

int kt_finish(void)
{
	printf("%s: %u ok, %u failed: %s\n", test_name, passed, failed,
	       failed ? "FAIL" : (passed ? "PASS" : "FAIL (nothing ran)"));
	return failed || !passed ? KT_FAIL : KT_PASS;
}

void kt_ring_init(struct io_uring *ring, unsigned entries, unsigned flags)
{
	int ret = io_uring_queue_init(entries, ring, flags);

	if (ret < 0)
		kt_die("io_uring_queue_init(%u): %s", entries, strerror(-ret));
}

struct io_uring_sqe *kt_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		kt_die("SQ ring full");
	return sqe;
}

void kt_prep_nop(struct io_uring_sqe *sqe, uint64_t ud, int res,
		 unsigned flags)
{
	io_uring_prep_nop(sqe);
	if (res) {
		/* nop_flags shares the rw_flags union member */
		sqe->rw_flags = IORING_NOP_INJECT_RESULT;
		sqe->len = (unsigned)res;
	}
	sqe->flags = (__u8)flags;
	sqe->user_data = ud;
}

void kt_submit(struct io_uring *ring, int want)
{
	int ret = io_uring_submit(ring);

	if (ret != want)
		kt_die("io_uring_submit returned %d (%s), want %d", ret,
		       ret < 0 ? strerror(-ret) : "consumed", want);
}

const char *kt_res_name(int res, char buf[24])
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ EINVAL, "-EINVAL" },	   { ECANCELED, "-ECANCELED" },
		{ EIO, "-EIO" },	   { EOPNOTSUPP, "-EOPNOTSUPP" },
		{ ENOENT, "-ENOENT" },	   { ETIME, "-ETIME" },
		{ EBADF, "-EBADF" },	   { EALREADY, "-EALREADY" },
		{ EFAULT, "-EFAULT" },	   { ENOSPC, "-ENOSPC" },
		{ EPERM, "-EPERM" },	   { EINTR, "-EINTR" },
		{ EAGAIN, "-EAGAIN" },	   { ENXIO, "-ENXIO" },
		{ EBUSY, "-EBUSY" },	   { ENOMEM, "-ENOMEM" },
	};

	if (res == KT_NO_CQE)
		return "no CQE";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (res == -names[i].err)
			return names[i].name;
	snprintf(buf, 24, "%d", res);
	return buf;
}

const char *kt_flag_names(unsigned flags, char *buf, size_t len)
{
	static const struct {
		unsigned flag;
		const char *name;
	} names[] = {
		{ IOSQE_IO_LINK, "LINK" },
		{ IOSQE_IO_HARDLINK, "HARDLINK" },
		{ IOSQE_IO_DRAIN, "DRAIN" },
		{ IOSQE_ASYNC, "ASYNC" },
		{ IOSQE_CQE_SKIP_SUCCESS, "SKIP" },
		{ IOSQE_SQE_GROUP, "GROUP" },
	};
	size_t used = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].flag))
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0,
					 "%s%s", used ? "|" : "",
					 names[i].name);
	}
	if (!used)
		snprintf(buf, len, "-");
	return buf;
}

void kt_model_group(struct kt_req *reqs, int group, uint64_t ud_base,
		    int leader_res, const int *member_res, int n)
{
	reqs[0] = (struct kt_req){ .ud = ud_base, .res = leader_res,
				   .group = group, .leader = true };
	for (int i = 0; i < n; i++)
		reqs[1 + i] = (struct kt_req){ .ud = ud_base + 1 + (unsigned)i,
					       .res = member_res[i],
					       .group = group };
}

static const struct kt_req *find_req(const struct kt_req *reqs, int nreq,
				     uint64_t ud)
{
	for (int i = 0; i < nreq; i++)
		if (reqs[i].ud == ud)
			return &reqs[i];
	return NULL;
}

static int take(struct io_uring *ring, struct io_uring_cqe *cqe,
		struct kt_cqe *out, int *n, int max)
{
	if (*n < max)
		out[*n] = (struct kt_cqe){ .ud = cqe->user_data,
					   .res = cqe->res,
					   .flags = cqe->flags };
	(*n)++;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

static int wait_one(struct io_uring *ring, struct io_uring_cqe **cqe,
		    long long deadline)
{
	long long left = deadline - kt_now_ms();
	struct __kernel_timespec ts;

	if (left < 0)
		left = 0;
	ts.tv_sec = left / 1000;
	ts.tv_nsec = (left % 1000) * 1000000;
	for (;;) {
		int ret = io_uring_wait_cqe_timeout(ring, cqe, &ts);

		if (ret != -EINTR)
			return ret;
	}
}

int kt_reap_for(struct io_uring *ring, int ms, struct kt_cqe *out, int max)
{
	long long deadline = kt_now_ms() + ms;
	struct io_uring_cqe *cqe;
	int n = 0;

	while (n < max && !wait_one(ring, &cqe, deadline))
		take(ring, cqe, out, &n, max);
	return n < max ? n : max;
}

int kt_reap_n(struct io_uring *ring, int want, struct kt_cqe *out, int max,
	      int timeout_ms)
{
	long long deadline = kt_now_ms() + timeout_ms;
	struct io_uring_cqe *cqe;
	int n = 0;

	while (n < want && n < max && !wait_one(ring, &cqe, deadline))
		take(ring, cqe, out, &n, max);
	return n;
}

int kt_reap(struct io_uring *ring, const struct kt_req *reqs, int nreq,
	    struct kt_cqe *out, int max, int timeout_ms)
{
	long long deadline = kt_now_ms() + timeout_ms;
	struct io_uring_cqe *cqe;
	int n = 0, pending = 0;
	bool some_missing = false;

	for (int i = 0; i < nreq; i++) {
		if (reqs[i].res == KT_NO_CQE)
			some_missing = true;
		else
			pending++;
	}
	while (pending > 0 && n < max && !wait_one(ring, &cqe, deadline)) {
		const struct kt_req *req = find_req(reqs, nreq,
						    cqe->user_data);

		/* count each expected request once, even if posted twice */
		if (req && req->res != KT_NO_CQE &&
		    kt_cqe_pos(out, n, cqe->user_data) < 0)
			pending--;
		take(ring, cqe, out, &n, max);
	}
	/* a CQE that should be missing may come last: give it a moment */
	deadline = kt_now_ms() + (some_missing ? 5 : 0);
	while (n < max && !wait_one(ring, &cqe, deadline))
		take(ring, cqe, out, &n, max);
	return n;
}

int kt_cqe_pos(const struct kt_cqe *cqes, int ncqe, uint64_t ud)
{
	for (int i = 0; i < ncqe; i++)
		if (cqes[i].ud == ud)
			return i;
	return -1;
}

static void append_cqes(char *why, size_t len, const struct kt_cqe *cqes,
			int ncqe)
{
	size_t used = strlen(why);
	char name[24];

	used += (size_t)snprintf(why + used, used < len ? len - used : 0,
				 "; CQEs in order:");
	for (int i = 0; i < ncqe && used < len; i++)
		used += (size_t)snprintf(why + used, len - used, " %llu:%s",
					 (unsigned long long)cqes[i].ud,
					 kt_res_name(cqes[i].res, name));
}

static bool mismatch(char *why, size_t len, const struct kt_cqe *cqes,
		     int ncqe, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static bool mismatch(char *why, size_t len, const struct kt_cqe *cqes,
		     int ncqe, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	append_cqes(why, len, cqes, ncqe);
	return false;
}

bool kt_verify(const struct kt_req *reqs, int nreq,
	       const struct kt_cqe *cqes, int ncqe, char *why, size_t len)
{
	char got[24], want[24];

	for (int i = 0; i < ncqe; i++) {
		const struct kt_req *req = find_req(reqs, nreq, cqes[i].ud);
		unsigned long long ud = cqes[i].ud;

		if (!req)
			return mismatch(why, len, cqes, ncqe,
					"unexpected CQE user_data %llu", ud);
		if (kt_cqe_pos(cqes, ncqe, ud) != i)
			return mismatch(why, len, cqes, ncqe,
					"two CQEs for %llu", ud);
		if (req->res == KT_NO_CQE)
			return mismatch(why, len, cqes, ncqe,
					"%llu posted a CQE (%s), want none",
					ud, kt_res_name(cqes[i].res, got));
		if (req->res != cqes[i].res)
			return mismatch(why, len, cqes, ncqe,
					"%llu completed with %s, want %s", ud,
					kt_res_name(cqes[i].res, got),
					kt_res_name(req->res, want));
	}
	for (int i = 0; i < nreq; i++) {
		const struct kt_req *req = &reqs[i];
		int pos = kt_cqe_pos(cqes, ncqe, req->ud);

		if (req->res != KT_NO_CQE && pos < 0)
			return mismatch(why, len, cqes, ncqe,
					"no CQE for %llu (want %s)",
					(unsigned long long)req->ud,
					kt_res_name(req->res, want));
		if (pos < 0)
			continue;
		if (req->after) {
			int before = kt_cqe_pos(cqes, ncqe, req->after);

			if (before > pos)
				return mismatch(why, len, cqes, ncqe,
						"%llu completed before %llu",
						(unsigned long long)req->ud,
						(unsigned long long)req->after);
		}
		for (int j = 0; req->after_group && j < nreq; j++) {
			int before = kt_cqe_pos(cqes, ncqe, reqs[j].ud);

			if (reqs[j].group == req->after_group && before > pos)
				return mismatch(why, len, cqes, ncqe,
						"%llu completed before %llu of "
						"the group it follows",
						(unsigned long long)req->ud,
						(unsigned long long)reqs[j].ud);
		}
		if (!req->leader || !req->group)
			continue;
		for (int j = 0; j < nreq; j++) {
			int member = kt_cqe_pos(cqes, ncqe, reqs[j].ud);

			if (reqs[j].group == req->group && !reqs[j].leader &&
			    member > pos)
				return mismatch(
					why, len, cqes, ncqe,
					"member %llu completed after its "
					"leader %llu",
					(unsigned long long)reqs[j].ud,
					(unsigned long long)req->ud);
		}
	}
	why[0] = 0;
	return true;
}

bool kt_expect(struct io_uring *ring, const struct kt_req *reqs, int nreq,
	       const char *what)
{
	struct kt_cqe cqes[512];
	char why[2048];
	int n = kt_reap(ring, reqs, nreq, cqes, 512, KT_WAIT_MS);

	if (n > 512)
		kt_die("%s: more than 512 CQEs", what);
	if (kt_verify(reqs, nreq, cqes, n, why, sizeof(why))) {
		kt_ok("%s", what);
		return true;
	}
	kt_fail("%s: %s", what, why);
	return false;
}

long long kt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void kt_pipe(int fds[2])
{
	if (pipe(fds))
		kt_die("pipe: %s", strerror(errno));
}

void kt_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			kt_die("write: %s", n ? strerror(errno) : "wrote 0");
		p += n;
		len -= (size_t)n;
	}
}

int kt_tmpfile(size_t len)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/zccp-ktest.XXXXXX",
		 dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		kt_die("mkstemp %s: %s", path, strerror(errno));
	unlink(path);
	if (ftruncate(fd, (off_t)len))
		kt_die("ftruncate: %s", strerror(errno));
	return fd;
}

void kt_fill(void *buf, size_t len, uint64_t fill_seed)
{
	uint64_t x = fill_seed * 0x9e3779b97f4a7c15ULL + 1;
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++) {
		if (!(i & 7)) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
		}
		p[i] = (unsigned char)((x * 0x2545f4914f6cdd1dULL) >>
				       (8 * (i & 7)));
	}
}
