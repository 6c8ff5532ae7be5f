// SPDX-License-Identifier: MIT
/* The zccp stream's wire format, and a trailer that meets a full socket. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "zccp/report.h"
#include "zccp/stream.h"

static void hash_of(struct zccp_stream_hash *h, const char *text)
{
	CHECK(!zccp_stream_hash_init(h));
	zccp_stream_hash_update(h, text, strlen(text));
}

static void test_header(void)
{
	uint8_t buf[ZCCP_STREAM_HEADER_LEN];
	struct zccp_stream_header h;

	zccp_stream_header_encode(buf, true, 0x123456789aull);
	CHECK(!memcmp(buf, "ZCCP", 4));
	CHECK(!zccp_stream_header_decode(buf, &h));
	CHECK(h.version == 1 && h.size_known && h.size == 0x123456789aull);
	zccp_stream_header_encode(buf, false, 5);
	CHECK(!zccp_stream_header_decode(buf, &h));
	CHECK(!h.size_known);
	buf[4] = 2; /* a newer zccp */
	CHECK(zccp_stream_header_decode(buf, &h) == -ZCCP_EVERSION);
	memcpy(buf, "GET ", 4); /* anything else */
	CHECK(zccp_stream_header_decode(buf, &h) == -ZCCP_ENOTSTREAM);
}

static void test_trailer(void)
{
	struct zccp_stream_header known = { .version = 1, .size_known = true,
					    .size = 11 };
	struct zccp_stream_header unknown = { .version = 1 };
	struct zccp_stream_hash sent, got;
	uint8_t t[ZCCP_STREAM_TRAILER_LEN];

	hash_of(&sent, "hello world");
	zccp_stream_trailer_encode(t, &sent);
	CHECK(!memcmp(t, "ZEND", 4));
	hash_of(&got, "hello world");
	CHECK(!zccp_stream_trailer_check(t, &got, &known));
	CHECK(!zccp_stream_trailer_check(t, &got, &unknown));
	zccp_stream_hash_free(&got);
	/* a flipped bit */
	hash_of(&got, "hello worle");
	CHECK(zccp_stream_trailer_check(t, &got, &known) == -ZCCP_ECORRUPT);
	zccp_stream_hash_free(&got);
	/* fewer bytes than promised, by the header or the trailer */
	hash_of(&got, "hello");
	CHECK(zccp_stream_trailer_check(t, &got, &known) == -ZCCP_ESHORT);
	CHECK(zccp_stream_trailer_check(t, &got, &unknown) == -ZCCP_ESHORT);
	zccp_stream_hash_free(&got);
	/* the payload's last bytes where a trailer should be: cut short */
	hash_of(&got, "hello world");
	memcpy(t, "orld", 4);
	CHECK(zccp_stream_trailer_check(t, &got, &unknown) == -ZCCP_ESHORT);
	zccp_stream_hash_free(&got);
	zccp_stream_hash_free(&sent);
}

/* Fill fd's socket until it takes no more; the bytes written. */
static size_t fill(int fd)
{
	static char junk[65536];
	size_t total = 0;
	ssize_t n;

	while ((n = send(fd, junk, sizeof(junk), MSG_DONTWAIT)) > 0)
		total += (size_t)n;
	CHECK(n < 0 && errno == EAGAIN);
	return total;
}

/* Read and drop n bytes, then the trailer must follow, then EOF. */
static void drain_then_check(int fd, size_t n, const uint8_t *trailer)
{
	char buf[65536];
	uint8_t got[ZCCP_STREAM_TRAILER_LEN];
	size_t have = 0;

	while (n) {
		ssize_t r = read(fd, buf, n < sizeof(buf) ? n : sizeof(buf));

		CHECK(r > 0);
		if (r <= 0)
			return;
		n -= (size_t)r;
	}
	while (have < sizeof(got)) {
		ssize_t r = read(fd, got + have, sizeof(got) - have);

		CHECK(r > 0);
		if (r <= 0)
			return;
		have += (size_t)r;
	}
	CHECK(!memcmp(got, trailer, sizeof(got)));
	CHECK(read(fd, buf, 1) == 0);
}

/*
 * A receiver whose socket is full when the sender ends the stream: the
 * sender must not wait then (others go on); the trailer follows once
 * the reply is awaited, after the receiver makes room.
 */
static void test_trailer_meets_full_socket(void)
{
	struct zccp_endpoint dst = { .fd = -1, .bytes = 11 };
	const struct zccp_stream_reply ok = { .failed = 0, .bytes = 11 };
	uint8_t reply[ZCCP_STREAM_REPLY_LEN], trailer[ZCCP_STREAM_TRAILER_LEN];
	struct zccp_stream_hash h;
	int sv[2];
	size_t junk;
	pid_t pid;

	CHECK(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	hash_of(&h, "hello world");
	zccp_stream_trailer_encode(trailer, &h);
	dst.fd = sv[0];
	junk = fill(sv[0]);
	CHECK(!zccp_stream_end(&dst, &h));
	CHECK(zccp_endpoint_state(&dst) == ZCCP_EP_SENT &&
	      dst.trailer_sent < sizeof(trailer));
	/* The receiver: reads everything, checks the trailer, replies. */
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		drain_then_check(sv[1], junk, trailer);
		zccp_stream_reply_encode(reply, &ok);
		_exit(write(sv[1], reply, sizeof(reply)) == sizeof(reply) &&
		      !check_failures ? 0 : 1);
	}
	close(sv[1]);
	CHECK(!zccp_stream_await_reply(&dst, &h, 10000));
	CHECK(zccp_endpoint_committed(&dst));
	CHECK(pid > 0);
	if (pid > 0) {
		int status = -1;

		waitpid(pid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	zccp_stream_hash_free(&h);
}

int main(void)
{
	test_header();
	test_trailer();
	test_trailer_meets_full_socket();
	CHECK_EXIT();
}
