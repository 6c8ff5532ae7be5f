// SPDX-License-Identifier: MIT
/* A job's zccp streams: see zccp/wire.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zccp/clock.h"
#include "zccp/gate.h"
#include "zccp/hosts.h"
#include "zccp/net.h"
#include "zccp/report.h"
#include "zccp/resume.h"
#include "zccp/tls.h"
#include "zccp/wire.h"

static const struct zccp_key *key_of(const struct zccp_wire *w)
{
	return w->keyed ? &w->key : NULL;
}

static bool any_ssh(const struct zccp_opts *o)
{
	for (unsigned i = 0; i < o->ndests; i++)
		if (zccp_remote_is_ssh(o->dests[i]))
			return true;
	return false;
}

/* A zccp stream is received or may be sent (a file of a -r tree, the
 * common case, has none: no key to read, no nonce to draw). */
static bool any_stream(const struct zccp_opts *o)
{
	if (o->listen)
		return true;
	for (unsigned i = 0; !o->raw && i < o->ndests; i++)
		if (zccp_net_is_address(o->dests[i]) ||
		    zccp_remote_is_ssh(o->dests[i]))
			return true;
	return false;
}

/* ssh:// destinations: their slots, and without --key-file a fresh key
 * for the transfer, which each receiver gets on its ssh channel. */
static int prepare_remotes(struct zccp_wire *w, const struct zccp_opts *o)
{
	int ret;

	if (!any_ssh(o))
		return 0;
	w->remotes = calloc(o->ndests, sizeof(*w->remotes));
	w->repairs = calloc(o->ndests, sizeof(*w->repairs));
	if (!w->remotes || !w->repairs) {
		zccp_error("out of memory");
		return -ENOMEM;
	}
	w->nremotes = o->ndests;
	for (unsigned i = 0; i < o->ndests; i++)
		w->remotes[i].err_fd = -1;
	if (w->keyed)
		return 0;
	ret = zccp_random(w->key.bytes, sizeof(w->key.bytes));
	if (ret)
		zccp_error("no random bytes: %s", strerror(-ret));
	w->keyed = !ret;
	return ret;
}

int zccp_wire_prepare(struct zccp_wire *w, const struct zccp_opts *o)
{
	const char *why;
	int ret = 0;

	if (!any_stream(o))
		return 0;
	w->encrypt = o->encrypt;
	if (o->key) { /* --serve */
		w->key = *o->key;
		w->keyed = true;
	}
	if (o->key_file) {
		ret = zccp_key_load(&w->key, o->key_file, &why);
		if (ret)
			zccp_error("--key-file %s: %s", o->key_file,
				   *why ? why : strerror(-ret));
		w->keyed = !ret;
	}
	if (!ret)
		ret = prepare_remotes(w, o);
	/* A receiver takes the sender's nonce (zccp_wire_accept), and a
	 * relay passes it on: one MAC covers the payload on every hop. */
	if (!ret && !o->listen) {
		uint8_t transfer[ZCCP_NONCE_LEN];

		ret = zccp_random(transfer, sizeof(transfer));
		if (ret)
			zccp_error("no random bytes: %s", strerror(-ret));
		else
			zccp_stream_mac_init(&w->mac, key_of(w), transfer);
	}
	return ret;
}

/* --encrypt: TLS on ep from here on (tls.h); 0 or -errno, which the
 * caller fails ep with. */
static int encrypt(struct zccp_wire *w, struct zccp_endpoint *ep,
		   bool client, const uint8_t challenge[ZCCP_NONCE_LEN],
		   const uint8_t transfer[ZCCP_NONCE_LEN], unsigned timeout_ms)
{
	const char *how;
	int ret = zccp_tls_start(&ep->fd, client, key_of(w), challenge,
				 transfer, timeout_ms, &ep->tls, &how);

	if (ret)
		return ret;
	zccp_info("%s: encrypted: TLS 1.3, %s", client ? ep->arg : ep->path,
		  how);
	return 0;
}

/* The source's connection, or -errno said. */
static int admit(struct zccp_wire *w, struct zccp_endpoint *src,
		 const struct zccp_opts *o)
{
	const struct zccp_gate gate = { .spec = o->listen, .key = key_of(w),
					.raw = o->raw, .encrypt = o->encrypt,
					.timeout_ms = o->timeout_ms,
					.bound = o->serve_listener };
	int fd;

	zccp_info("listening on %s", src->arg);
	fd = zccp_gate_admit(&gate, &src->path, &w->header);
	if (fd == -ETIMEDOUT)
		zccp_error("--listen %s: no sender within %u s (--timeout)",
			   src->arg, o->timeout_ms / 1000);
	else if (fd < 0)
		zccp_error("--listen %s: %s", src->arg,
			   fd == -ZCCP_EADDRESS ?
			   "not an address: want HOST:PORT, [IPV6]:PORT, "
			   ":PORT, *:PORT or unix:PATH" :
			   zccp_strerror(-fd));
	return fd;
}

int zccp_wire_accept(struct zccp_wire *w, struct zccp_endpoint *src,
		     const struct zccp_opts *o)
{
	struct zccp_stream_header *h = &w->header;
	int ret;

	src->fd = admit(w, src, o);
	if (src->fd < 0) {
		zccp_endpoint_set(src, ZCCP_EP_FAILED, 0); /* said above */
		return src->fd;
	}
	zccp_info("connection from %s", src->path);
	if (o->raw)
		return 0;
	/* What came encrypted leaves encrypted: a relay's streams too. */
	w->encrypt |= h->encrypt;
	ret = h->encrypt ? encrypt(w, src, false, h->challenge, h->transfer,
				   o->timeout_ms) : 0;
	if (ret) {
		zccp_endpoint_set(src, ZCCP_EP_FAILED, ret);
		zccp_error("%s: %s", src->path, zccp_strerror(-ret));
		return -1;
	}
	src->size_known = h->size_known;
	src->size = h->size_known ? h->size : 0;
	zccp_stream_mac_init(&w->mac, key_of(w), h->transfer);
	if (h->size_known)
		zccp_info("%s: zccp stream of %" PRIu64 " bytes%s", src->path,
			  h->size, h->keyed ? ", authenticated" : "");
	else
		zccp_info("%s: zccp stream of unknown size%s", src->path,
			  h->keyed ? ", authenticated" : "");
	return 0;
}

void zccp_wire_remotes(struct zccp_wire *w, struct zccp_endpoint **dests,
		       unsigned n, const struct zccp_opts *o)
{
	/* --serve in a chain: its one target is its last destination */
	if (o->nfallbacks && n > 1) {
		dests[n - 1]->fallbacks = o->fallbacks;
		dests[n - 1]->nfallbacks = o->nfallbacks;
	}
	zccp_hosts_start(w, dests, n, o);
}

void zccp_wire_begin(struct zccp_wire *w, struct zccp_endpoint *d,
		     const struct zccp_endpoint *src, unsigned timeout_ms)
{
	int ret = zccp_stream_begin(d, src, &w->mac, w->encrypt, timeout_ms);

	if (!ret && w->encrypt)
		ret = encrypt(w, d, true, d->challenge, w->mac.transfer,
			      timeout_ms);
	if (ret)
		zccp_dest_fail(d, ret);
}

/* fd, a connection that resumed ep's stream (its hello answered),
 * becomes ep's: in TLS first if ep was, a new session under the new R
 * (the sender its client), the old one dropped.  0 or -errno; fd is
 * taken either way. */
static int take_over(struct zccp_wire *w, struct zccp_endpoint *ep, int fd,
		     bool client, const uint8_t challenge[ZCCP_NONCE_LEN],
		     unsigned timeout_ms)
{
	struct zccp_tls *old = ep->tls, *tls = NULL;
	const char *how;
	int ret = 0;

	if (old)
		ret = zccp_tls_start(&fd, client, key_of(w), challenge,
				     w->mac.transfer, timeout_ms, &tls, &how);
	if (ret) {
		close(fd);
		return ret;
	}
	ret = zccp_endpoint_swap_socket(ep, fd);
	if (!old)
		return ret;
	if (ret) { /* ep keeps its old session, failed */
		zccp_tls_close(tls, fd, true);
		return ret;
	}
	zccp_tls_renumber(tls, ep->fd);
	zccp_tls_drop(old);
	ep->tls = tls;
	return 0;
}

int zccp_wire_reroute(struct zccp_wire *w, struct zccp_endpoint *d,
		      const struct zccp_endpoint *src, int err, uint64_t *held,
		      unsigned timeout_ms)
{
	while (d->nfallbacks) {
		const char *to = d->fallbacks[0];
		int fd, old = d->fd, ret;

		d->fallbacks++;
		d->nfallbacks--;
		zccp_warn("%s: %s; going on through %s", d->arg,
			  zccp_strerror(-err), zccp_hosts_name(w, to));
		fd = zccp_net_connect(to, timeout_ms);
		if (fd < 0) {
			err = fd;
			continue;
		}
		d->fd = fd;
		ret = zccp_stream_resume(d, src, &w->mac, w->encrypt,
					 timeout_ms, held);
		d->fd = old;
		if (ret)
			close(fd);
		else
			ret = take_over(w, d, fd, true, d->challenge,
					timeout_ms);
		if (!ret) {
			d->trailer_sent = 0;
			zccp_info("%s: resumed at byte %" PRIu64,
				  zccp_hosts_name(w, to), *held);
			return 0;
		}
		err = ret;
	}
	return err;
}

int zccp_wire_resume(struct zccp_wire *w, struct zccp_endpoint *src,
		     uint64_t held, const struct zccp_opts *o)
{
	uint8_t buf[ZCCP_STREAM_HELD_LEN];
	struct zccp_stream_header h;
	char *peer;
	int fd, ret;

	if (!w->resumer.running)
		return -EOPNOTSUPP;
	zccp_warn("%s: gone at byte %" PRIu64 "; waiting for the host "
		  "before it", src->path, held);
	if (o->serve)
		zccp_serve_lost(held); /* a tree's sender resumes us */
	/* the host before it may first find that one dead, and then the
	 * next one too (TCP_USER_TIMEOUT, a connect: --timeout each) */
	fd = zccp_resumer_take(&w->resumer, 3 * o->timeout_ms, &peer, &h);
	if (fd < 0)
		return fd;
	zccp_stream_held_encode(buf, key_of(w), &h, held);
	if (zccp_stream_send(fd, buf, sizeof(buf), o->timeout_ms)) {
		close(fd);
		free(peer);
		return -ZCCP_ENOREPLY;
	}
	ret = take_over(w, src, fd, false, h.challenge, o->timeout_ms);
	if (ret) {
		free(peer);
		return ret;
	}
	/* the trailer and the reply are bound to the new connection */
	memcpy(w->header.challenge, h.challenge, ZCCP_NONCE_LEN);
	zccp_info("%s: resumed by %s", src->path, peer);
	free(src->path);
	src->path = peer;
	return 0;
}

/* What only the kernel cannot time out: a --listen source that goes
 * idle, a unix: destination that stops reading (TCP_USER_TIMEOUT does
 * for tcp). */
static bool needs_watch(const struct zccp_endpoint *ep)
{
	return ep->net && !zccp_endpoint_failed(ep) && ep->fd >= 0 &&
	       !zccp_net_is_tcp(ep->fd);
}

static int start_watchdog(struct zccp_wire *w, struct zccp_endpoint *src,
			  struct zccp_endpoint **dests, unsigned ndests,
			  const struct zccp_opts *o)
{
	unsigned n = 0;

	if (!o->timeout_ms)
		return 0;
	w->watches = calloc(ndests + 1, sizeof(*w->watches));
	if (!w->watches)
		return -ENOMEM;
	if (o->listen) {
		src->watch = &w->watches[n++];
		zccp_watch_init(src->watch, src->fd, false);
	}
	for (unsigned i = 0; i < ndests; i++) {
		struct zccp_endpoint *d = dests[i];

		if (!needs_watch(d))
			continue;
		d->watch = &w->watches[n++];
		zccp_watch_init(d->watch, d->fd, false);
	}
	/* a relay's sender may be starved while a host before it is
	 * stepped over (resume.h): up to --timeout to see, more to go on */
	return zccp_watchdog_start(&w->watchdog, w->watches, n,
				   o->serve ? 3 * o->timeout_ms : o->timeout_ms);
}

/* --serve: the door stays open for a chain's resume (resume.h). */
static int start_resumer(struct zccp_wire *w, const struct zccp_endpoint *src,
			 const struct zccp_opts *o)
{
	const struct zccp_gate gate = { .spec = o->listen, .key = key_of(w),
					.bound = o->serve_listener };

	if (!o->serve_listener)
		return 0;
	return zccp_resumer_start(&w->resumer, &gate, &w->header, src->fd);
}

int zccp_wire_start(struct zccp_wire *w, struct zccp_endpoint *src,
		    struct zccp_endpoint **dests, unsigned n,
		    const struct zccp_opts *o)
{
	int ret = start_watchdog(w, src, dests, n, o);

	w->source = src;
	w->timeout_ms = o->timeout_ms;
	if (!ret)
		ret = start_resumer(w, src, o);
	return ret ? ret : zccp_hosts_hear(w, dests, n, o);
}

int zccp_wire_end(struct zccp_wire *w, struct zccp_endpoint *d)
{
	return zccp_stream_end(d, &w->mac);
}

void zccp_wire_stop(struct zccp_wire *w)
{
	zccp_watchdog_stop(&w->watchdog);
	zccp_resumer_stop(&w->resumer);
	zccp_hosts_unhear(w);
}

void zccp_wire_await_replies(struct zccp_wire *w, struct zccp_endpoint **dests,
			     unsigned n, uint64_t bytes, unsigned timeout_ms)
{
	double deadline;
	int *reply_err = calloc(n, sizeof(*reply_err));

	for (unsigned i = 0; i < n; i++) {
		struct zccp_endpoint *d = dests[i];
		int ret = d->remote ? zccp_repair_finish(w, d) : 1;

		if (ret < 0 && reply_err)
			reply_err[i] = ret; /* its result line may still come */
		if (zccp_endpoint_state(d) != ZCCP_EP_SENT)
			continue;
		ret = zccp_stream_await_reply(d, &w->mac, timeout_ms);
		if (d->remote && reply_err) {
			reply_err[i] = ret; /* zccp_hosts_settle decides */
		} else if (ret) {
			zccp_dest_fail(d, ret);
		} else {
			zccp_endpoint_set(d, ZCCP_EP_COMMITTED, 0);
			zccp_endpoint_close(d);
		}
	}
	/* Whatever the hosts say, they say it now: every reply is in. */
	deadline = timeout_ms ? zccp_now() + timeout_ms / 1e3 : 0;
	for (unsigned i = 0; w->remotes && i < n; i++) {
		enum zccp_ep_state st = zccp_endpoint_state(dests[i]);

		if (!dests[i]->remote)
			continue;
		if (st == ZCCP_EP_SENT || st == ZCCP_EP_FORWARDED)
			zccp_hosts_settle(w, dests[i],
					  reply_err ? reply_err[i] : 0, bytes,
					  deadline);
		zccp_remote_finish(&w->remotes[i], dests[i]->arg,
				   zccp_endpoint_failed(dests[i]));
	}
	free(reply_err);
}

void zccp_wire_reply(const struct zccp_wire *w, struct zccp_endpoint *src,
		     int status, unsigned ndests, uint64_t bytes,
		     unsigned timeout_ms)
{
	if (w->framed_source)
		zccp_stream_reply(src, status == ZCCP_EXIT_OK ? 0 : ndests,
				  bytes, &w->mac, w->header.challenge,
				  timeout_ms);
}

void zccp_wire_free(struct zccp_wire *w)
{
	zccp_repair_stop(w); /* before what its threads use */
	zccp_resumer_stop(&w->resumer);
	free(w->watches);
	w->watches = NULL;
	for (unsigned i = 0; w->remotes && i < w->nremotes; i++)
		zccp_remote_free(&w->remotes[i]);
	free(w->remotes);
	w->remotes = NULL;
	free(w->repairs);
	w->repairs = NULL;
	free(w->chain);
	w->chain = NULL;
	free(w->hosts);
	w->hosts = NULL;
	explicit_bzero(&w->key, sizeof(w->key));
	explicit_bzero(&w->mac, sizeof(w->mac));
}
