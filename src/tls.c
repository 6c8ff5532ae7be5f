// SPDX-License-Identifier: MIT
/* --encrypt: TLS 1.3 with a pre-shared key, kernel or user space
 * (zccp/tls.h). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zccp/errors.h"
#include "zccp/thread.h"
#include "zccp/tls.h"

/* The one suite: AES-GCM is what kernel TLS and AES-NI both have. */
#define SUITE "TLS_AES_128_GCM_SHA256"
static const unsigned char suite_id[2] = { 0x13, 0x01 };
#define PSK_IDENTITY "zccp-stream-2"
#define PUMP_BUF (64 * 1024)

struct zccp_tls {
	SSL_CTX *ctx;
	SSL *ssl;
	int sock;        /* the TCP socket */
	bool kernel;     /* the kernel seals what is sent */
	int pair[2];     /* user space: [0] the endpoint's, [1] the pump's */
	pthread_t pump;
	bool pumping;
	uint8_t psk[ZCCP_TAG_LEN];
};

static SSL_SESSION *psk_session(SSL *ssl)
{
	const struct zccp_tls *t = SSL_get_app_data(ssl);
	const SSL_CIPHER *suite = SSL_CIPHER_find(ssl, suite_id);
	SSL_SESSION *s = SSL_SESSION_new();

	if (!s || !suite || !SSL_SESSION_set1_master_key(s, t->psk,
							 sizeof(t->psk)) ||
	    !SSL_SESSION_set_cipher(s, suite) ||
	    !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		SSL_SESSION_free(s);
		return NULL;
	}
	return s;
}

/* Client: offer the PSK (md: the suite's hash, after a retry). */
static int use_psk(SSL *ssl, const EVP_MD *md, const unsigned char **id,
		   size_t *idlen, SSL_SESSION **sess)
{
	SSL_SESSION *s = psk_session(ssl);

	if (!s)
		return 0;
	if (md && md != SSL_CIPHER_get_handshake_digest(
			      SSL_SESSION_get0_cipher(s))) {
		SSL_SESSION_free(s);
		s = NULL;
	}
	*id = (const unsigned char *)PSK_IDENTITY;
	*idlen = s ? strlen(PSK_IDENTITY) : 0;
	*sess = s;
	return 1;
}

/* Server: only our identity, with the PSK both ends derived. */
static int find_psk(SSL *ssl, const unsigned char *id, size_t idlen,
		    SSL_SESSION **sess)
{
	*sess = NULL;
	if (idlen != strlen(PSK_IDENTITY) || memcmp(id, PSK_IDENTITY, idlen))
		return 1; /* not ours: the handshake fails, no certificate */
	*sess = psk_session(ssl);
	return *sess ? 1 : 0;
}

static SSL_CTX *make_ctx(bool client)
{
	SSL_CTX *ctx = SSL_CTX_new(client ? TLS_client_method() :
					    TLS_server_method());

	if (!ctx)
		return NULL;
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_ciphersuites(ctx, SUITE) ||
	    !SSL_CTX_set_num_tickets(ctx, 0)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* A cut stream is caught by the trailer's length and MAC. */
	SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS | SSL_OP_NO_TICKET |
					 SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (client)
		SSL_CTX_set_psk_use_session_callback(ctx, use_psk);
	else
		SSL_CTX_set_psk_find_session_callback(ctx, find_psk);
	return ctx;
}

/* Wait until an SSL call that said err may go on; 0 or -errno. */
static int wait_ssl(const struct zccp_tls *t, int err, int timeout_ms)
{
	struct pollfd p = { .fd = t->sock };
	int n;

	if (err == SSL_ERROR_WANT_READ)
		p.events = POLLIN;
	else if (err == SSL_ERROR_WANT_WRITE)
		p.events = POLLOUT;
	else
		return -ZCCP_ETLS;
	do
		n = poll(&p, 1, timeout_ms ? timeout_ms : -1);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n == 0 ? -ETIMEDOUT : 0;
}

static int handshake(struct zccp_tls *t, bool client, unsigned timeout_ms)
{
	for (;;) {
		int r = client ? SSL_connect(t->ssl) : SSL_accept(t->ssl);
		int ret;

		if (r == 1)
			return 0;
		ret = wait_ssl(t, SSL_get_error(t->ssl, r), (int)timeout_ms);
		if (ret)
			return ret;
	}
}

static void free_session(struct zccp_tls *t)
{
	explicit_bzero(t->psk, sizeof(t->psk));
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	ERR_clear_error();
	free(t);
}

/* The pump's state: plaintext between the socket pair and the TLS. */
struct pump {
	struct zccp_tls *t;
	uint8_t up[PUMP_BUF], down[PUMP_BUF];
	size_t up_len, down_len, down_off;
	bool up_eof, up_shut, down_eof, down_shut;
	int ssl_wants; /* POLLIN/POLLOUT the last SSL call waits for */
};

/* Endpoint to peer: plaintext in, records out; 1 if it moved, 0 if it
 * waits, -1 on a failure. */
static int pump_up(struct pump *p)
{
	int fd = p->t->pair[1], r;
	ssize_t n;

	if (!p->up_len && !p->up_eof) {
		n = recv(fd, p->up, sizeof(p->up), MSG_DONTWAIT);
		if (n > 0)
			p->up_len = (size_t)n;
		else if (n == 0)
			p->up_eof = true;
		else if (errno != EAGAIN && errno != EINTR)
			return -1;
		else
			return 0;
		return 1;
	}
	if (p->up_len) {
		r = SSL_write(p->t->ssl, p->up, (int)p->up_len);
		if (r > 0) {
			p->up_len = 0;
			return 1;
		}
		r = SSL_get_error(p->t->ssl, r);
		if (r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE) {
			p->ssl_wants |= r == SSL_ERROR_WANT_READ ? POLLIN :
								   POLLOUT;
			return 0;
		}
		return -1;
	}
	if (p->up_eof && !p->up_shut) {
		/* No close_notify: the trailer ends a zccp stream. */
		shutdown(p->t->sock, SHUT_WR);
		p->up_shut = true;
		return 1;
	}
	return 0;
}

/* Records already read (read-ahead) fill the buffer before it goes out:
 * fewer, larger sends to the endpoint. */
static void more_down(struct pump *p)
{
	while (p->down_len < sizeof(p->down) && SSL_has_pending(p->t->ssl)) {
		int r = SSL_read(p->t->ssl, p->down + p->down_len,
				 (int)(sizeof(p->down) - p->down_len));

		if (r <= 0)
			return; /* the next SSL_read says why again */
		p->down_len += (size_t)r;
	}
}

/* Peer to endpoint: records in, plaintext out; as pump_up. */
static int pump_down(struct pump *p)
{
	int fd = p->t->pair[1], r;
	ssize_t n;

	if (p->down_off < p->down_len) {
		n = send(fd, p->down + p->down_off,
			 p->down_len - p->down_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			p->down_off += (size_t)n;
		else if (errno != EAGAIN && errno != EINTR)
			return -1;
		return n > 0;
	}
	if (!p->down_eof) {
		r = SSL_read(p->t->ssl, p->down, sizeof(p->down));
		if (r > 0) {
			p->down_len = (size_t)r;
			p->down_off = 0;
			more_down(p);
			return 1;
		}
		r = SSL_get_error(p->t->ssl, r);
		if (r == SSL_ERROR_ZERO_RETURN) {
			p->down_eof = true;
			return 1;
		}
		if (r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE) {
			p->ssl_wants |= r == SSL_ERROR_WANT_READ ? POLLIN :
								   POLLOUT;
			return 0;
		}
		return -1;
	}
	if (!p->down_shut) {
		shutdown(fd, SHUT_WR);
		p->down_shut = true;
		return 1;
	}
	return 0;
}

/* Nothing moved: sleep until something can.  False once the endpoint
 * has closed its end and all it sent is out: nobody reads any more. */
static bool pump_wait(struct pump *p)
{
	struct pollfd fds[2] = { { .fd = p->t->sock, .events =
					   (short)p->ssl_wants },
				 { .fd = p->t->pair[1] } };

	if (!p->up_len && !p->up_eof)
		fds[1].events |= POLLIN;
	if (p->down_off < p->down_len)
		fds[1].events |= POLLOUT;
	if (poll(fds, 2, -1) < 0)
		return errno == EINTR;
	return !(p->up_shut && (fds[1].revents & POLLHUP));
}

static void *pump(void *arg)
{
	struct pump *p = arg;

	while (!p->up_shut || !p->down_shut) {
		int up, down;

		p->ssl_wants = 0;
		up = p->up_shut ? 0 : pump_up(p);
		down = p->down_shut ? 0 : pump_down(p);
		if (up < 0 || down < 0)
			break;
		if (!up && !down && !pump_wait(p)) {
			p->down_shut = true;
			break;
		}
	}
	/* A failure: the endpoint sees its socket reset, the peer too. */
	if (!p->up_shut || !p->down_shut) {
		shutdown(p->t->sock, SHUT_RDWR);
		shutdown(p->t->pair[1], SHUT_RDWR);
	}
	free(p);
	return NULL;
}

static int start_pump(struct zccp_tls *t)
{
	static const int pair_buf = 1 << 20;
	struct pump *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, t->pair)) {
		free(p);
		return -errno;
	}
	p->t = t;
	/* Read records ahead, many per system call (no kernel TLS to hand
	 * the socket to any more), and let the pair hold what a TCP window
	 * does. */
	SSL_set_read_ahead(t->ssl, 1);
	for (int i = 0; i < 2; i++) {
		setsockopt(t->pair[i], SOL_SOCKET, SO_SNDBUF, &pair_buf,
			   sizeof(pair_buf));
		setsockopt(t->pair[i], SOL_SOCKET, SO_RCVBUF, &pair_buf,
			   sizeof(pair_buf));
	}
	ret = zccp_thread_create(&t->pump, pump, p);
	if (ret) {
		close(t->pair[0]);
		close(t->pair[1]);
		free(p);
		return ret;
	}
	t->pumping = true;
	return 0;
}

static struct zccp_tls *new_session(int sock, bool client,
				    const struct zccp_key *key,
				    const uint8_t challenge[ZCCP_NONCE_LEN],
				    const uint8_t transfer[ZCCP_NONCE_LEN])
{
	const struct zccp_auth_part parts[] = {
		{ challenge, ZCCP_NONCE_LEN },
		{ transfer, ZCCP_NONCE_LEN },
	};
	static const struct zccp_key none; /* a keyless peer's (stream.h) */
	struct zccp_tls *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->sock = sock;
	t->pair[0] = t->pair[1] = -1;
	zccp_auth_tag(key ? key : &none, "tls psk", parts, 2, t->psk);
	t->ctx = make_ctx(client);
	t->ssl = t->ctx ? SSL_new(t->ctx) : NULL;
	if (!t->ssl || !SSL_set_fd(t->ssl, sock) ||
	    !SSL_set_app_data(t->ssl, t)) {
		free_session(t);
		return NULL;
	}
	return t;
}

int zccp_tls_start(int *fd, bool client, const struct zccp_key *key,
		   const uint8_t challenge[ZCCP_NONCE_LEN],
		   const uint8_t transfer[ZCCP_NONCE_LEN], unsigned timeout_ms,
		   struct zccp_tls **tls, const char **how)
{
	struct zccp_tls *t = new_session(*fd, client, key, challenge,
					 transfer);
	int flags, ret;

	if (!t)
		return -ENOMEM;
	flags = fcntl(*fd, F_GETFL);
	ret = flags < 0 || fcntl(*fd, F_SETFL, flags | O_NONBLOCK) ? -errno :
	      handshake(t, client, timeout_ms);
	/* The kernel seals what is sent where it can (a sender then reads
	 * the one reply through SSL); else the pump, non-blocking. */
	t->kernel = !ret && BIO_get_ktls_send(SSL_get_wbio(t->ssl)) &&
		    (client || BIO_get_ktls_recv(SSL_get_rbio(t->ssl)));
	if (!ret && t->kernel && fcntl(*fd, F_SETFL, flags))
		ret = -errno;
	if (!ret && !t->kernel)
		ret = start_pump(t);
	if (ret) {
		free_session(t);
		return ret;
	}
	*how = t->kernel ? "kernel TLS" :
			   "user-space TLS (kernel TLS not taken: it needs "
			   "CONFIG_TLS, and OpenSSL 3.0 gives it TLS 1.3 "
			   "sends only)";
	*fd = t->kernel ? t->sock : t->pair[0];
	*tls = t;
	return 0;
}

bool zccp_tls_in_kernel(const struct zccp_tls *tls)
{
	return tls->kernel;
}

int zccp_tls_recv(struct zccp_tls *tls, void *buf, uint32_t len)
{
	uint32_t done = 0;

	while (done < len) {
		int r = SSL_read(tls->ssl, (uint8_t *)buf + done,
				 (int)(len - done));
		int ret;

		if (r > 0) {
			done += (uint32_t)r;
			continue;
		}
		r = SSL_get_error(tls->ssl, r);
		if (r == SSL_ERROR_ZERO_RETURN)
			return -ZCCP_ESHORT;
		ret = wait_ssl(tls, r, 0);
		if (ret)
			return ret;
	}
	return 0;
}

void zccp_tls_renumber(struct zccp_tls *tls, int fd)
{
	if (tls->kernel)
		tls->sock = fd;
	else
		tls->pair[0] = fd;
}

void zccp_tls_drop(struct zccp_tls *tls)
{
	if (tls->pumping) { /* its pair end is gone: the pump ends */
		shutdown(tls->sock, SHUT_RDWR);
		pthread_join(tls->pump, NULL);
		close(tls->pair[1]);
		close(tls->sock);
	}
	free_session(tls);
}

void zccp_tls_close(struct zccp_tls *tls, int fd, bool abort)
{
	if (tls->pumping) {
		if (abort)
			shutdown(tls->sock, SHUT_RDWR);
		close(fd); /* pair[0]: the pump sees the end */
		pthread_join(tls->pump, NULL);
		close(tls->pair[1]);
	}
	close(tls->sock);
	free_session(tls);
}
