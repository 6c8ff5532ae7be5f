/* SPDX-License-Identifier: MIT */
/*
 * --encrypt: TLS 1.3 (OpenSSL) over a zccp stream, from right after the
 * receiver's welcome (stream.h) to the end.  The pre-shared key is a tag
 * under the transfer's key over the connection's nonces R and S, so it is
 * new on every connection and only holders of the key can make it;
 * (EC)DHE beside it gives forward secrecy.  The sender is the TLS client.
 *
 * After the handshake the kernel takes the records over where it can
 * (kernel TLS, CONFIG_TLS): the descriptor stays the TCP socket and the
 * engines' splice and plain writes go through it (never SEND_ZC, which
 * kernel TLS refuses).  Where it cannot, a thread seals and opens the
 * records in user space, and the endpoint gets one end of a socket pair
 * instead: the engines see a socket either way.
 */
#ifndef ZCCP_TLS_H
#define ZCCP_TLS_H

#include <stdbool.h>
#include <stdint.h>

#include "zccp/auth.h"

struct zccp_tls;

/*
 * Handshake on *fd (a connected TCP socket) with the PSK derived from
 * key (NULL: the keyless all-zero one), R and S, each wait bounded by
 * timeout_ms (0: none).  On success *fd is what to use from now on,
 * *tls the session (freed by zccp_tls_close), and *how says which path
 * carries the records ("kernel TLS" or "user-space TLS (why)").  0,
 * -ZCCP_ETLS (the handshake failed: another key, or changed on the way)
 * or -errno.
 */
int zccp_tls_start(int *fd, bool client, const struct zccp_key *key,
		   const uint8_t challenge[ZCCP_NONCE_LEN],
		   const uint8_t transfer[ZCCP_NONCE_LEN], unsigned timeout_ms,
		   struct zccp_tls **tls, const char **how);

/* Does this session leave the records to the kernel? */
bool zccp_tls_in_kernel(const struct zccp_tls *tls);

/* A sender's reply with the kernel sealing what it sends: through SSL,
 * blocking.  0, -ZCCP_ESHORT (the end came first) or -errno. */
int zccp_tls_recv(struct zccp_tls *tls, void *buf, uint32_t len);

/*
 * The endpoint is done with fd (zccp_tls_start's): close it, let the
 * records still in flight out (abort: drop them, the stream failed) and
 * free the session.
 */
void zccp_tls_close(struct zccp_tls *tls, int fd, bool abort);

/* A resumed stream (stream.h) put the session's descriptor (what
 * zccp_tls_start gave) under the number fd: it lives there now. */
void zccp_tls_renumber(struct zccp_tls *tls, int fd);

/* ... and the old session, whose descriptor's number another
 * connection took: end it and free it, leaving that number alone. */
void zccp_tls_drop(struct zccp_tls *tls);

#endif
