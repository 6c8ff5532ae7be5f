// SPDX-License-Identifier: MIT
/* Admitting --listen's one sender: see zccp/gate.h. */
#include <errno.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zccp/clock.h"
#include "zccp/gate.h"
#include "zccp/net.h"
#include "zccp/report.h"

/* Connections heard at once; a further one evicts the oldest. */
#define MAX_PENDING 16
/* A sender answers its challenge at once: this is for a slow link. */
#define HELLO_TIMEOUT_S 10.0

struct pending {
	int fd; /* -1: free */
	char *peer;
	double deadline;
	uint32_t got;
	struct zccp_stream_header h; /* h.challenge: what we sent */
	uint8_t hello[ZCCP_STREAM_HELLO_LEN];
};

/* The verdict on p's whole hello (its sender waits for it, sending
 * nothing more: the socket takes these few bytes). */
static void tell(const struct zccp_gate *g, struct pending *p, int verdict)
{
	uint8_t buf[ZCCP_STREAM_WELCOME_LEN];

	zccp_stream_welcome_encode(buf, g->key, &p->h, verdict);
	send(p->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void refuse(const struct zccp_gate *g, struct pending *p,
		   const char *why)
{
	zccp_warn("--listen %s: refused %s: %s", g->spec, p->peer, why);
	close(p->fd);
	free(p->peer);
	p->fd = -1;
	p->peer = NULL;
}

/* Without a key, a unix: socket's peer must be us (or root). */
static const char *stranger(const struct zccp_gate *g, int fd)
{
	uid_t uid;

	if (g->key || strncmp(g->spec, "unix:", 5))
		return NULL;
	if (zccp_net_peer_uid(fd, &uid))
		return "cannot tell who it is";
	return uid == geteuid() || uid == 0 ? NULL :
	       "another user, and no --key-file";
}

/* A new connection: challenge it, and listen for its hello. */
static void hear(const struct zccp_gate *g, struct pending *p, int fd,
		 char *peer)
{
	uint8_t buf[ZCCP_STREAM_CHALLENGE_LEN];
	const char *why;

	*p = (struct pending){ .fd = fd, .peer = peer,
			       .deadline = zccp_now() + HELLO_TIMEOUT_S };
	why = stranger(g, fd);
	if (!why && zccp_random(p->h.challenge, ZCCP_NONCE_LEN))
		why = "no random bytes for its challenge";
	if (!why) {
		zccp_stream_challenge_encode(buf, g->key != NULL,
					     p->h.challenge);
		/* A new socket's buffer always takes this much. */
		if (send(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL) !=
		    (ssize_t)sizeof(buf))
			why = "gone before its challenge";
	}
	if (why)
		refuse(g, p, why);
}

/* More of p's hello: 1 when it is whole and good, else 0. */
static int read_hello(const struct zccp_gate *g, struct pending *p)
{
	ssize_t n = recv(p->fd, p->hello + p->got,
			 sizeof(p->hello) - p->got, MSG_DONTWAIT);
	int ret;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		refuse(g, p, n ? strerror(errno) : "closed before its hello");
		return 0;
	}
	p->got += (uint32_t)n;
	if (p->got < sizeof(p->hello))
		return 0;
	ret = zccp_stream_hello_decode(p->hello, g->key, &p->h);
	if (!ret && g->encrypt && !p->h.encrypt)
		ret = -ZCCP_EPLAIN;
	tell(g, p, ret);
	if (ret)
		refuse(g, p, zccp_strerror(-ret));
	return !ret;
}

/* A free slot, made by evicting the oldest when there is none. */
static struct pending *slot(const struct zccp_gate *g, struct pending *pend)
{
	struct pending *oldest = &pend[0];

	for (int i = 0; i < MAX_PENDING; i++) {
		if (pend[i].fd < 0)
			return &pend[i];
		if (pend[i].deadline < oldest->deadline)
			oldest = &pend[i];
	}
	refuse(g, oldest, "too many connections at once");
	return oldest;
}

/* Milliseconds poll may sleep: to the nearest deadline (-1: none). */
static int sleep_ms(double deadline, const struct pending *pend)
{
	double until = deadline;

	for (int i = 0; i < MAX_PENDING; i++)
		if (pend[i].fd >= 0 && (until == 0 || pend[i].deadline < until))
			until = pend[i].deadline;
	if (until == 0)
		return -1;
	until -= zccp_now();
	return until > 0 ? (int)(until * 1000) + 1 : 0;
}

struct door {
	const struct zccp_gate *g;
	struct zccp_listener l;
	struct pending pend[MAX_PENDING];
	struct pollfd pfd[ZCCP_NET_MAX_LISTENERS + MAX_PENDING + 1];
	int fd; /* the one admitted */
	char *peer;
	struct zccp_stream_header *h;
};

static void admit(struct door *d, struct pending *p)
{
	d->fd = p->fd;
	d->peer = p->peer;
	*d->h = p->h;
	*p = (struct pending){ .fd = -1 };
}

/* One round of poll's news; 1 once somebody is in, 0, or -errno. */
static int round_of(struct door *d, double deadline)
{
	int n = d->l.n, ret;

	for (int i = 0; i < d->l.n; i++)
		d->pfd[i] = (struct pollfd){ .fd = d->l.fds[i], .events = POLLIN };
	for (int i = 0; i < MAX_PENDING; i++)
		d->pfd[n + i] = (struct pollfd){ .fd = d->pend[i].fd,
						 .events = POLLIN };
	d->pfd[n + MAX_PENDING] = (struct pollfd){
		.fd = d->g->stop_fd ? *d->g->stop_fd : -1, .events = POLLIN };
	ret = poll(d->pfd, (nfds_t)(n + MAX_PENDING + 1),
		   sleep_ms(deadline, d->pend));
	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	if (d->pfd[n + MAX_PENDING].revents)
		return -ECANCELED;
	for (int i = 0; i < MAX_PENDING; i++) {
		struct pending *p = &d->pend[i];

		if (p->fd >= 0 && d->pfd[n + i].revents && read_hello(d->g, p)) {
			admit(d, p);
			return 1;
		}
		if (p->fd >= 0 && zccp_now() > p->deadline)
			refuse(d->g, p, "sent no hello in time");
	}
	for (int i = 0; i < n; i++) {
		char *peer;
		int fd;

		if (!d->pfd[i].revents)
			continue;
		fd = zccp_net_listen_accept(&d->l, i, &peer);
		if (fd == -EAGAIN)
			continue;
		if (fd < 0)
			return fd;
		if (d->g->raw) {
			d->fd = fd;
			d->peer = peer;
			return 1;
		}
		hear(d->g, slot(d->g, d->pend), fd, peer);
	}
	return deadline && zccp_now() > deadline ? -ETIMEDOUT : 0;
}

int zccp_gate_admit(const struct zccp_gate *g, char **peer,
		    struct zccp_stream_header *h)
{
	double deadline = g->timeout_ms ? zccp_now() + g->timeout_ms / 1e3 : 0;
	struct door d = { .g = g, .fd = -1, .h = h };
	int ret = 0;

	for (int i = 0; i < MAX_PENDING; i++)
		d.pend[i].fd = -1;
	if (g->bound)
		d.l = *g->bound;
	else
		ret = zccp_net_listen(&d.l, g->spec);
	while (!ret)
		ret = round_of(&d, deadline);
	if (!g->bound)
		zccp_net_unlisten(&d.l);
	for (int i = 0; i < MAX_PENDING; i++)
		if (d.pend[i].fd >= 0)
			refuse(g, &d.pend[i], "another sender got in first");
	if (ret < 0)
		return ret;
	*peer = d.peer;
	return d.fd;
}
