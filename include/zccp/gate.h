/* SPDX-License-Identifier: MIT */
/*
 * --listen's door: who may become the source.  Every connection is
 * challenged at once and several are heard at the same time, so a
 * stranger who connects first, or holds a connection open, delays
 * nobody: the first to answer with a hello tagged under our key is the
 * source; every other is refused, named in a warning, and we go on
 * waiting until the deadline.
 */
#ifndef ZCCP_GATE_H
#define ZCCP_GATE_H

#include <stdbool.h>

#include "zccp/auth.h"
#include "zccp/net.h"
#include "zccp/stream.h"

struct zccp_gate {
	const char *spec;	   /* --listen's address */
	const struct zccp_key *key; /* NULL: no key (see below) */
	bool raw;		   /* --raw: the first connection, no hello */
	bool encrypt;		   /* --encrypt: refuse a plain stream */
	unsigned timeout_ms;	   /* 0: wait for ever */
	/* --serve: listening already (remote.h), spec unused; it stays
	 * open, for a chain's resume (stream.h) */
	const struct zccp_listener *bound;
	const int *stop_fd; /* readable: stop waiting (-ECANCELED); NULL */
};

/*
 * The source's connection (a blocking socket), its peer's name in
 * *peer (malloc) and, unless raw, its hello in *h; or -errno
 * (-ETIMEDOUT: nobody got in).  Without a key, a unix: listener admits
 * only its own user (and root); over TCP the caller has made sure the
 * user said --insecure.
 */
int zccp_gate_admit(const struct zccp_gate *g, char **peer,
		    struct zccp_stream_header *h);

#endif
