// SPDX-License-Identifier: MIT
/* A job's ssh:// hosts: see zccp/hosts.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zccp/clock.h"
#include "zccp/fanout.h"
#include "zccp/hosts.h"
#include "zccp/path.h"
#include "zccp/progress.h"
#include "zccp/report.h"
#include "zccp/wire.h"

/* d failed to start: say why, and fail it alone. */
static void not_started(struct zccp_wire *w, struct zccp_endpoint *d, int err,
			char *why)
{
	if (err == -EISDIR)
		zccp_error("%s: a directory needs the source's name (a "
			   "file, not standard input)", d->arg);
	else if (err == -ZCCP_EADDRESS)
		zccp_error("%s: not an address: want ssh://[USER@]HOST"
			   "[:PORT]/PATH", d->arg);
	else
		zccp_error("%s: could not start zccp there: %s", d->arg,
			   why ? why : zccp_strerror(-err));
	free(why);
	zccp_remote_free(&w->remotes[d->index - 1]); /* its words are said */
	zccp_endpoint_set(d, ZCCP_EP_FAILED, err); /* said above */
}

/* Start d's receiver (not waiting for it): 0 or -errno, said. */
static int spawn_host(struct zccp_wire *w, struct zccp_endpoint *d,
		      const struct zccp_opts *o)
{
	struct zccp_remote *r = &w->remotes[d->index - 1];
	const char *src = o->source && strcmp(o->source, "-") ? o->source : NULL;
	char *name = src ? zccp_path_base(src) : NULL;
	int ret = src && !name ? -ENOMEM : zccp_remote_parse(r, d->arg, name);

	free(name);
	if (!ret)
		ret = zccp_remote_spawn(r, &w->key, o,
					zccp_progress_resolve(o->progress) !=
						ZCCP_PROGRESS_NONE);
	if (ret)
		not_started(w, d, ret, NULL);
	return ret;
}

/* The hosts of a fanout: node k (1..n) is host[k], and next[k] the
 * targets node k sends to (nnext[k] of them; node 0 is us). */
struct fanout {
	unsigned n, shape;
	struct zccp_endpoint **host;
	char ***next;
	unsigned *nnext;
};

static int fanout_alloc(struct fanout *f, struct zccp_endpoint **dests,
			unsigned ndests)
{
	f->host = calloc(ndests + 1, sizeof(*f->host));
	f->next = calloc(ndests + 1, sizeof(*f->next));
	f->nnext = calloc(ndests + 1, sizeof(*f->nnext));
	if (!f->host || !f->next || !f->nnext)
		return -ENOMEM;
	for (unsigned i = 0; i < ndests; i++)
		if (dests[i]->remote && zccp_endpoint_active(dests[i]))
			f->host[++f->n] = dests[i];
	for (unsigned k = 0; k <= f->n; k++) {
		f->next[k] = calloc(f->n, sizeof(**f->next));
		if (!f->next[k])
			return -ENOMEM;
	}
	return 0;
}

static void fanout_free(struct fanout *f)
{
	for (unsigned k = 0; f->next && k <= f->n; k++)
		free(f->next[k]);
	free(f->next);
	free(f->nnext);
	free(f->host);
}

static bool started(const struct zccp_wire *w, const struct zccp_endpoint *d)
{
	return w->remotes[d->index - 1].target != NULL;
}

/* The node that sends host k its data: its parent, or the nearest
 * ancestor that started when the parent did not (it took on k). */
static unsigned sender_of(const struct zccp_wire *w, const struct fanout *f,
			  unsigned k)
{
	unsigned p = zccp_fanout_parent(f->shape, k);

	while (p && !started(w, f->host[p]))
		p = zccp_fanout_parent(f->shape, p);
	return p;
}

/* A chain's started hosts in order (w->chain, their targets): each
 * host's stream goes on to the ones after the next if that one goes. */
static void list_chain(struct zccp_wire *w, const struct fanout *f)
{
	if (f->shape != ZCCP_FANOUT_CHAIN)
		return;
	w->chain = calloc(f->n, sizeof(*w->chain));
	for (unsigned k = 1; w->chain && k <= f->n; k++)
		if (started(w, f->host[k]))
			w->chain[w->nchain++] =
				w->remotes[f->host[k]->index - 1].target;
}

/* All at once: ssh takes its time to log in. */
static void start_all(struct zccp_wire *w, struct fanout *f,
		      const struct zccp_opts *o)
{
	for (unsigned k = 1; k <= f->n; k++)
		spawn_host(w, f->host[k], o);
	for (unsigned k = 1; k <= f->n; k++) {
		struct zccp_endpoint *d = f->host[k];
		char *why;
		int ret;

		if (zccp_endpoint_failed(d))
			continue;
		ret = zccp_remote_listening(&w->remotes[d->index - 1],
					    o->timeout_ms, &why);
		if (ret)
			not_started(w, d, ret, why);
	}
}

/* Each node's targets, from the last host back: a host that did not
 * start hands its own on to the one that sends to it. */
static void gather_targets(struct zccp_wire *w, struct fanout *f)
{
	for (unsigned k = f->n; k >= 1; k--) {
		struct zccp_endpoint *d = f->host[k];
		unsigned p = zccp_fanout_parent(f->shape, k);

		if (started(w, d)) {
			f->next[p][f->nnext[p]++] =
				w->remotes[d->index - 1].target;
			continue;
		}
		for (unsigned i = 0; i < f->nnext[k]; i++)
			f->next[p][f->nnext[p]++] = f->next[k][i];
	}
}

/* Tell each host its targets and, in a chain, the hosts after its
 * next, to go on to. */
static void tell_targets(struct zccp_wire *w, const struct fanout *f)
{
	for (unsigned k = 1, at = 0; k <= f->n; k++) {
		struct zccp_endpoint *d = f->host[k];
		unsigned skip = at + 2 < w->nchain ? at + 2 : w->nchain;
		int ret;

		if (!started(w, d))
			continue;
		at++;
		ret = zccp_remote_forward(&w->remotes[d->index - 1],
					  f->next[k], f->nnext[k],
					  w->chain + skip, w->nchain - skip);
		if (ret)
			zccp_dest_fail(d, ret);
	}
}

static void start_hosts(struct zccp_wire *w, struct fanout *f,
			const struct zccp_opts *o)
{
	start_all(w, f, o);
	gather_targets(w, f);
	list_chain(w, f);
	tell_targets(w, f);
}

/* Ours: connect; another host's: it sends them the data. */
static void link_hosts(struct zccp_wire *w, const struct fanout *f,
		       const struct zccp_opts *o)
{
	char name[16];

	for (unsigned k = 1; k <= f->n; k++) {
		struct zccp_endpoint *d = f->host[k];
		unsigned p = sender_of(w, f, k);

		if (!started(w, d))
			continue;
		d->via = p ? f->host[p]->arg : NULL;
		zccp_detail("fanout %s: %s receives from %s",
			  zccp_fanout_name(f->shape, name), d->arg,
			  p ? d->via : "this host");
		if (p) {
			zccp_endpoint_set(d, ZCCP_EP_FORWARDED, 0);
			continue;
		}
		if (w->nchain > 1) { /* ours is the first */
			d->fallbacks = w->chain + 1;
			d->nfallbacks = w->nchain - 1;
		}
		d->fd = zccp_remote_connect(&w->remotes[d->index - 1],
					    o->timeout_ms);
		if (d->fd < 0)
			zccp_dest_fail(d, d->fd);
	}
}

void zccp_hosts_start(struct zccp_wire *w, struct zccp_endpoint **dests,
		      unsigned n, const struct zccp_opts *o)
{
	struct fanout f = { 0 };

	if (!w->remotes)
		return;
	if (fanout_alloc(&f, dests, n)) {
		zccp_error("out of memory");
		for (unsigned k = 1; k <= f.n; k++)
			zccp_endpoint_set(f.host[k], ZCCP_EP_FAILED, -ENOMEM);
		fanout_free(&f);
		return;
	}
	f.shape = zccp_fanout_resolve(o->fanout, f.n);
	w->fanout = f.shape;
	start_hosts(w, &f, o);
	link_hosts(w, &f, o);
	fanout_free(&f);
}

const char *zccp_hosts_name(const struct zccp_wire *w, const char *target)
{
	for (unsigned i = 0; w->remotes && i < w->nremotes; i++)
		if (w->remotes[i].target && !strcmp(w->remotes[i].target, target))
			return w->remotes[i].host;
	return target;
}

/* What the hosts another host feeds say they hold, into their
 * endpoints' bytes, for the progress thread; in a tree, that they lost
 * their sender. */
static void *hear_hosts(void *arg)
{
	struct zccp_wire *w = arg;
	const struct timespec tick = { .tv_nsec = 250 * 1000000L };

	while (!atomic_load(&w->hosts_stop)) {
		for (unsigned i = 0; i < w->nhosts; i++) {
			struct zccp_endpoint *d = w->hosts[i];
			uint64_t bytes;
			int heard;

			if (zccp_endpoint_state(d) != ZCCP_EP_FORWARDED)
				continue;
			heard = zccp_remote_at(&w->remotes[d->index - 1],
					       &bytes);
			if (heard == ZCCP_REMOTE_LOST)
				zccp_repair_start(w, d, bytes);
			else if (heard > 0)
				__atomic_store_n(&d->bytes, bytes,
						 __ATOMIC_RELAXED);
		}
		nanosleep(&tick, NULL);
	}
	return NULL;
}

int zccp_hosts_hear(struct zccp_wire *w, struct zccp_endpoint **dests,
		    unsigned n, const struct zccp_opts *o)
{
	if (!w->remotes || (w->fanout == ZCCP_FANOUT_CHAIN &&
			    zccp_progress_resolve(o->progress) ==
				    ZCCP_PROGRESS_NONE))
		return 0;
	w->hosts = calloc(n, sizeof(*w->hosts));
	if (!w->hosts)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		if (zccp_endpoint_state(dests[i]) == ZCCP_EP_FORWARDED)
			w->hosts[w->nhosts++] = dests[i];
	if (!w->nhosts)
		return 0;
	atomic_init(&w->hosts_stop, false);
	w->hearing = !pthread_create(&w->hearer, NULL, hear_hosts, w);
	return 0;
}

void zccp_hosts_unhear(struct zccp_wire *w)
{
	if (!w->hearing)
		return;
	atomic_store(&w->hosts_stop, true);
	pthread_join(w->hearer, NULL);
	w->hearing = false;
}

/* A tree's host that says only now that it lost its sender: resumed
 * now (repair.h).  What its reply said, or err when it was not. */
static int repair_late(struct zccp_wire *w, struct zccp_endpoint *d,
		       uint64_t held, int err)
{
	int ret;

	if (w->repairs[d->index - 1].asked)
		return err; /* it was, and lost it again */
	zccp_repair_start(w, d, held);
	ret = zccp_repair_finish(w, d);
	if (ret == 1)
		return err; /* a chain's: the host before it resumes it */
	return ret ? ret : zccp_stream_await_reply(d, &w->mac, w->timeout_ms);
}

void zccp_hosts_settle(struct zccp_wire *w, struct zccp_endpoint *d,
		       int reply_err, uint64_t bytes, double deadline)
{
	double left = deadline - zccp_now();
	unsigned ms = !deadline ? 0 : left > 0.001 ? (unsigned)(left * 1e3) : 1;
	struct zccp_remote_result res;
	int ret;

	while ((ret = zccp_remote_result(&w->remotes[d->index - 1], ms,
					 &res)) == ZCCP_REMOTE_LOST)
		reply_err = repair_late(w, d, res.bytes, reply_err);
	if (!ret && !res.error && res.bytes != bytes)
		res.error = -ZCCP_EREMOTE;
	if (ret || res.error) {
		zccp_dest_fail(d, ret == -ZCCP_EHOSTGONE && reply_err ?
				  reply_err : ret ? ret : res.error);
		return;
	}
	if (d->via) { /* another host fed it: its own word */
		__atomic_store_n(&d->bytes, res.bytes, __ATOMIC_RELAXED);
		d->seconds = res.seconds;
	}
	zccp_endpoint_set(d, ZCCP_EP_COMMITTED, 0);
	zccp_endpoint_close(d);
}

