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

static const struct zccp_key key = { { 1, 2, 3 } };
static const struct zccp_key other_key = { { 1, 2, 4 } };
static const uint8_t transfer[ZCCP_NONCE_LEN] = { 9, 8, 7 };
static const uint8_t challenge[ZCCP_NONCE_LEN] = { 5, 5, 5 };

static void mac_of(struct zccp_stream_mac *m, const struct zccp_key *k,
		   const char *text)
{
	zccp_stream_mac_init(m, k, transfer);
	zccp_stream_mac_update(m, text, strlen(text));
}

static void test_challenge(void)
{
	uint8_t buf[ZCCP_STREAM_CHALLENGE_LEN], got[ZCCP_NONCE_LEN];
	bool keyed = false;

	zccp_stream_challenge_encode(buf, true, challenge);
	CHECK(!memcmp(buf, "ZCHL", 4));
	CHECK(!zccp_stream_challenge_decode(buf, &keyed, got));
	CHECK(keyed && !memcmp(got, challenge, sizeof(got)));
	zccp_stream_challenge_encode(buf, false, challenge);
	CHECK(!zccp_stream_challenge_decode(buf, &keyed, got) && !keyed);
	buf[4] = ZCCP_STREAM_VERSION + 1; /* a newer zccp */
	CHECK(zccp_stream_challenge_decode(buf, &keyed, got) ==
	      -ZCCP_EVERSION);
	buf[4] = 1; /* zccp 1 had no challenge */
	CHECK(zccp_stream_challenge_decode(buf, &keyed, got) ==
	      -ZCCP_ENOTSTREAM);
}

/* A hello for challenge under k, decoded by a receiver with rk that
 * sent rchallenge. */
static int hello_trip(const struct zccp_key *k, const struct zccp_key *rk,
		      const uint8_t *rchallenge, int flip,
		      struct zccp_stream_header *got)
{
	struct zccp_stream_header h = { .size_known = true,
					.size = 0x123456789aull };
	uint8_t buf[ZCCP_STREAM_HELLO_LEN];

	memcpy(h.challenge, challenge, ZCCP_NONCE_LEN);
	memcpy(h.transfer, transfer, ZCCP_NONCE_LEN);
	zccp_stream_hello_encode(buf, k, &h);
	CHECK(!memcmp(buf, "ZCCP", 4));
	if (flip >= 0)
		buf[flip] ^= 0x10;
	*got = (struct zccp_stream_header){ 0 };
	memcpy(got->challenge, rchallenge, ZCCP_NONCE_LEN);
	return zccp_stream_hello_decode(buf, rk, got);
}

static void test_hello(void)
{
	const uint8_t replayed[ZCCP_NONCE_LEN] = { 5, 5, 6 };
	struct zccp_stream_header h;

	CHECK(!hello_trip(&key, &key, challenge, -1, &h));
	CHECK(h.version == ZCCP_STREAM_VERSION && h.keyed && h.size_known &&
	      h.size == 0x123456789aull);
	CHECK(!memcmp(h.transfer, transfer, sizeof(transfer)));
	CHECK(!hello_trip(NULL, NULL, challenge, -1, &h) && !h.keyed);
	/* another key, another challenge (a replay), a bit changed */
	CHECK(hello_trip(&key, &other_key, challenge, -1, &h) == -ZCCP_EAUTH);
	CHECK(hello_trip(&key, &key, replayed, -1, &h) == -ZCCP_EAUTH);
	CHECK(hello_trip(&key, &key, challenge, 12, &h) == -ZCCP_EAUTH);
	CHECK(hello_trip(&key, &key, challenge, 40, &h) == -ZCCP_EAUTH);
	CHECK(hello_trip(&key, &key, challenge, 70, &h) == -ZCCP_EAUTH);
	/* a keyless end meets a keyed one, either way round */
	CHECK(hello_trip(NULL, &key, challenge, -1, &h) == -ZCCP_EKEYS);
	CHECK(hello_trip(&key, NULL, challenge, -1, &h) == -ZCCP_EKEYS);
	CHECK(hello_trip(&key, &key, challenge, 0, &h) == -ZCCP_ENOTSTREAM);
}

/* --encrypt is said in the hello, under its tag: nobody on the way can
 * turn it off (a receiver with --encrypt would take the stream plain). */
static void test_hello_encrypt(void)
{
	struct zccp_stream_header h = { .encrypt = true }, got = { 0 };
	uint8_t buf[ZCCP_STREAM_HELLO_LEN];

	memcpy(h.challenge, challenge, ZCCP_NONCE_LEN);
	zccp_stream_hello_encode(buf, &key, &h);
	memcpy(got.challenge, challenge, ZCCP_NONCE_LEN);
	CHECK(!zccp_stream_hello_decode(buf, &key, &got) && got.encrypt);
	buf[7] ^= 4; /* the flag's bit */
	CHECK(zccp_stream_hello_decode(buf, &key, &got) == -ZCCP_EAUTH);
	CHECK(!hello_trip(&key, &key, challenge, -1, &got) && !got.encrypt);
}

/* Resume: the flag is under the hello's tag; "held" is the receiver's,
 * bound to R and S, and says what it holds. */
static void test_resume(void)
{
	struct zccp_stream_header h = { .resume = true }, got = { 0 };
	uint8_t buf[ZCCP_STREAM_HELLO_LEN], held[ZCCP_STREAM_HELD_LEN];
	uint64_t bytes = 0;

	memcpy(h.challenge, challenge, ZCCP_NONCE_LEN);
	memcpy(h.transfer, transfer, ZCCP_NONCE_LEN);
	zccp_stream_hello_encode(buf, &key, &h);
	memcpy(got.challenge, challenge, ZCCP_NONCE_LEN);
	CHECK(!zccp_stream_hello_decode(buf, &key, &got) && got.resume);
	buf[7] ^= 8; /* the flag's bit */
	CHECK(zccp_stream_hello_decode(buf, &key, &got) == -ZCCP_EAUTH);
	zccp_stream_held_encode(held, &key, &h, 7340033);
	CHECK(!zccp_stream_held_decode(held, &key, &h, &bytes) &&
	      bytes == 7340033);
	CHECK(zccp_stream_held_decode(held, &other_key, &h, &bytes) ==
	      -ZCCP_EAUTH);
	h.challenge[0] ^= 1; /* another connection's */
	CHECK(zccp_stream_held_decode(held, &key, &h, &bytes) == -ZCCP_EAUTH);
	h.challenge[0] ^= 1;
	held[15] ^= 1; /* a byte count changed on the way */
	CHECK(zccp_stream_held_decode(held, &key, &h, &bytes) == -ZCCP_EAUTH);
	memcpy(held, "ZACK", 4);
	CHECK(zccp_stream_held_decode(held, &key, &h, &bytes) ==
	      -ZCCP_ENOTSTREAM);
}

static void test_welcome(void)
{
	struct zccp_stream_header h = { 0 };
	uint8_t buf[ZCCP_STREAM_WELCOME_LEN];

	memcpy(h.challenge, challenge, ZCCP_NONCE_LEN);
	memcpy(h.transfer, transfer, ZCCP_NONCE_LEN);
	zccp_stream_welcome_encode(buf, &key, &h, 0);
	CHECK(!zccp_stream_welcome_decode(buf, &key, &h));
	/* only the key's holder can say "in" */
	CHECK(zccp_stream_welcome_decode(buf, &other_key, &h) == -ZCCP_EAUTH);
	h.challenge[0] ^= 1;
	CHECK(zccp_stream_welcome_decode(buf, &key, &h) == -ZCCP_EAUTH);
	h.challenge[0] ^= 1;
	/* refusals say why */
	zccp_stream_welcome_encode(buf, &key, &h, -ZCCP_EAUTH);
	CHECK(zccp_stream_welcome_decode(buf, &key, &h) == -ZCCP_EREFUSED);
	zccp_stream_welcome_encode(buf, &key, &h, -ZCCP_EKEYS);
	CHECK(zccp_stream_welcome_decode(buf, &key, &h) == -ZCCP_EKEYS);
	zccp_stream_welcome_encode(buf, &key, &h, -ZCCP_EPLAIN);
	CHECK(zccp_stream_welcome_decode(buf, &key, &h) == -ZCCP_EPLAIN);
	memcpy(buf, "ZACK", 4);
	CHECK(zccp_stream_welcome_decode(buf, &key, &h) == -ZCCP_ENOTSTREAM);
}

static void test_trailer(void)
{
	struct zccp_stream_header known = { .version = 2, .size_known = true,
					    .size = 11 };
	struct zccp_stream_header unknown = { .version = 2 };
	struct zccp_stream_mac sent, got;
	uint8_t t[ZCCP_STREAM_TRAILER_LEN];

	memcpy(known.challenge, challenge, ZCCP_NONCE_LEN);
	memcpy(unknown.challenge, challenge, ZCCP_NONCE_LEN);
	mac_of(&sent, &key, "hello world");
	zccp_stream_trailer_encode(t, &sent, challenge);
	CHECK(!memcmp(t, "ZEND", 4));
	mac_of(&got, &key, "hello world");
	CHECK(!zccp_stream_trailer_check(t, &got, &known));
	/* the digest is taken once: a second check sees the same */
	CHECK(!zccp_stream_trailer_check(t, &got, &unknown));
	/* a flipped bit in the payload, or in the tag */
	mac_of(&got, &key, "hello worle");
	CHECK(zccp_stream_trailer_check(t, &got, &known) == -ZCCP_ECORRUPT);
	mac_of(&got, &key, "hello world");
	t[40] ^= 1;
	CHECK(zccp_stream_trailer_check(t, &got, &known) == -ZCCP_ECORRUPT);
	t[40] ^= 1;
	/* another key, another challenge (the trailer of a replay) */
	mac_of(&got, &other_key, "hello world");
	CHECK(zccp_stream_trailer_check(t, &got, &known) == -ZCCP_ECORRUPT);
	mac_of(&got, &key, "hello world");
	known.challenge[0] ^= 1;
	CHECK(zccp_stream_trailer_check(t, &got, &known) == -ZCCP_ECORRUPT);
	known.challenge[0] ^= 1;
	/* fewer bytes than promised, by the header or the trailer */
	mac_of(&got, &key, "hello");
	CHECK(zccp_stream_trailer_check(t, &got, &known) == -ZCCP_ESHORT);
	CHECK(zccp_stream_trailer_check(t, &got, &unknown) == -ZCCP_ESHORT);
	/* the payload's last bytes where a trailer should be: cut short */
	mac_of(&got, &key, "hello world");
	memcpy(t, "orld", 4);
	CHECK(zccp_stream_trailer_check(t, &got, &unknown) == -ZCCP_ESHORT);
}

static void test_reply(void)
{
	const struct zccp_stream_reply ok = { .failed = 0, .bytes = 11 };
	struct zccp_stream_reply r;
	struct zccp_stream_mac m, other;
	uint8_t buf[ZCCP_STREAM_REPLY_LEN];

	mac_of(&m, &key, "");
	mac_of(&other, &other_key, "");
	zccp_stream_reply_encode(buf, &ok, &m, challenge);
	CHECK(!zccp_stream_reply_decode(buf, &r, &m, challenge));
	CHECK(r.failed == 0 && r.bytes == 11);
	CHECK(zccp_stream_reply_decode(buf, &r, &other, challenge) ==
	      -ZCCP_EAUTH);
	buf[9] ^= 1; /* "all done" forged from another count */
	CHECK(zccp_stream_reply_decode(buf, &r, &m, challenge) ==
	      -ZCCP_EAUTH);
	memcpy(buf, "HTTP", 4);
	CHECK(zccp_stream_reply_decode(buf, &r, &m, challenge) ==
	      -ZCCP_ENOREPLY);
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
	struct zccp_stream_mac h;
	int sv[2];
	size_t junk;
	pid_t pid;

	CHECK(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	mac_of(&h, &key, "hello world");
	memcpy(dst.challenge, challenge, ZCCP_NONCE_LEN);
	zccp_stream_trailer_encode(trailer, &h, challenge);
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
		zccp_stream_reply_encode(reply, &ok, &h, challenge);
		_exit(write(sv[1], reply, sizeof(reply)) == sizeof(reply) &&
		      !check_failures ? 0 : 1);
	}
	close(sv[1]);
	CHECK(!zccp_stream_await_reply(&dst, &h, 10000));
	/* the caller commits: an ssh:// host's own result decides */
	CHECK(zccp_endpoint_state(&dst) == ZCCP_EP_SENT);
	CHECK(pid > 0);
	if (pid > 0) {
		int status = -1;

		waitpid(pid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

int main(void)
{
	test_challenge();
	test_hello();
	test_hello_encrypt();
	test_resume();
	test_welcome();
	test_trailer();
	test_reply();
	test_trailer_meets_full_socket();
	CHECK_EXIT();
}
