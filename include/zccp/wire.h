/* SPDX-License-Identifier: MIT */
/*
 * One job's zccp streams (protocol in stream.h): the key, the --listen
 * source's admission (gate.h), framed destinations' hellos and replies,
 * the payload MAC both ends keep, and the watchdog for what the kernel
 * cannot time out.  The job (job.h) calls these in order: prepare,
 * accept, begin per destination, start, (copy), end per destination,
 * stop, await_replies, reply, free.
 */
#ifndef ZCCP_WIRE_H
#define ZCCP_WIRE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "zccp/endpoint.h"
#include "zccp/opts.h"
#include "zccp/remote.h"
#include "zccp/repair.h"
#include "zccp/resume.h"
#include "zccp/stream.h"
#include "zccp/watchdog.h"

struct zccp_wire {
	bool framed_source; /* the source is a zccp stream (not --raw) */
	bool macing;	    /* a stream is sent or received: keep the MAC */
	bool keyed;	    /* --key-file given */
	bool encrypt;	    /* --encrypt: framed destinations in TLS */
	struct zccp_key key;
	struct zccp_stream_header header; /* the received stream's */
	struct zccp_stream_mac mac;
	struct zccp_watchdog watchdog;
	struct zccp_resumer resumer; /* --serve: a chain's open door */
	struct zccp_watch *watches;
	struct zccp_remote *remotes; /* per destination; ssh:// only */
	unsigned nremotes;
	char **chain;	/* --fanout chain: started hosts' targets, in order */
	unsigned nchain;
	unsigned fanout; /* its shape (fanout.h), resolved */
	struct zccp_repair *repairs; /* per destination; a tree's orphans */
	const struct zccp_endpoint *source; /* from start on */
	unsigned timeout_ms;
	/* a thread hears the hosts another host feeds (remote.h: AT under
	 * -g, LOST in a tree) */
	struct zccp_endpoint **hosts;
	unsigned nhosts;
	pthread_t hearer;
	bool hearing;
	atomic_bool hosts_stop;
};

/* Before anything is sent or received: --key-file, and a sender's
 * transfer nonce.  0/-errno, reported. */
int zccp_wire_prepare(struct zccp_wire *w, const struct zccp_opts *o);

/*
 * --listen: wait for the sender (--timeout) and, unless --raw, take its
 * hello into w->header; strangers are refused on the way (gate.h).
 * 0/-errno, reported.
 */
int zccp_wire_accept(struct zccp_wire *w, struct zccp_endpoint *src,
		     const struct zccp_opts *o);

/*
 * Start the ssh:// destinations' receivers in --fanout's shape
 * (fanout.h, remote.h) and connect to those we send to; the others are
 * ZCCP_EP_FORWARDED.  A host that fails fails alone, said, and the
 * host before it sends to the ones after it.
 */
void zccp_wire_remotes(struct zccp_wire *w, struct zccp_endpoint **dests,
		       unsigned n, const struct zccp_opts *o);

/* Send a framed destination its hello; a failure fails it alone. */
void zccp_wire_begin(struct zccp_wire *w, struct zccp_endpoint *d,
		     const struct zccp_endpoint *src, unsigned timeout_ms);

/*
 * A chain's resume (stream.h), the copy's hooks (copy.h).  reroute:
 * d's receiver went (err): connect to d's fallbacks in turn until one
 * takes the transfer over; 0 with *held, or -errno.  resume (--serve):
 * src's sender went holding `held` bytes here: admit the host before
 * it on our listener, within --timeout; 0, or -errno.
 */
int zccp_wire_reroute(struct zccp_wire *w, struct zccp_endpoint *d,
		      const struct zccp_endpoint *src, int err, uint64_t *held,
		      unsigned timeout_ms);
int zccp_wire_resume(struct zccp_wire *w, struct zccp_endpoint *src,
		     uint64_t held, const struct zccp_opts *o);

/* Before the copy: the watchdog.  0/-errno. */
int zccp_wire_start(struct zccp_wire *w, struct zccp_endpoint *src,
		    struct zccp_endpoint **dests, unsigned n,
		    const struct zccp_opts *o);

/* A framed destination holds every byte: send its trailer.  0/-errno. */
int zccp_wire_end(struct zccp_wire *w, struct zccp_endpoint *d);

/* After the copy: no more timeouts to watch. */
void zccp_wire_stop(struct zccp_wire *w);

/* A framed destination is complete once its receiver says so; one
 * that says otherwise, or nothing, fails.  An ssh:// host is complete
 * when its own result says its PATH holds the bytes sent (its
 * receiver's words are passed on when not). */
void zccp_wire_await_replies(struct zccp_wire *w, struct zccp_endpoint **dests,
			     unsigned n, uint64_t bytes, unsigned timeout_ms);

/* Tell a received stream's sender how it went (status ZCCP_EXIT_*);
 * nothing unless the source is a zccp stream. */
void zccp_wire_reply(const struct zccp_wire *w, struct zccp_endpoint *src,
		     int status, unsigned ndests, uint64_t bytes,
		     unsigned timeout_ms);

void zccp_wire_free(struct zccp_wire *w);

#endif
