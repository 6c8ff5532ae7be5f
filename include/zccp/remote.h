/* SPDX-License-Identifier: MIT */
/*
 * ssh://[USER@]HOST[:PORT]/PATH destinations: zccp starts the receiver
 * on HOST through the user's own ssh (its config, agent, known_hosts;
 * --rsh replaces it), as `zccp --serve PATH`, and hands it the
 * transfer's key on the ssh channel.  The receiver listens on the
 * address the ssh connection reached and says which port on its
 * standard output; the data then goes over that TCP connection (a zccp
 * stream, as to tcp://), not through ssh.
 *
 * In a --fanout (fanout.h) a receiver also forwards: after the key, the
 * channel brings it the addresses of the hosts it sends to, which all
 * started at once and listen already.  When it is done, a receiver says how its own PATH went on
 * its standard output: the result line below, which reaches the sender
 * on the ssh channel whoever sent the receiver its data.
 */
#ifndef ZCCP_REMOTE_H
#define ZCCP_REMOTE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "zccp/auth.h"
#include "zccp/net.h"
#include "zccp/opts.h"

#define ZCCP_SSH_PREFIX "ssh://"
/* What --serve prints once it listens: "ZCCP-LISTEN ADDRESS PORT\n". */
#define ZCCP_SERVE_BANNER "ZCCP-LISTEN"
/* ... and at the end: "ZCCP-RESULT ERRNO BYTES SECONDS\n", ERRNO 0 when
 * PATH is complete (an errno or zccp's own, errors.h, otherwise). */
#define ZCCP_SERVE_RESULT "ZCCP-RESULT"
/* ... and meanwhile, asked (--report-progress, when the sender has -g):
 * "ZCCP-AT BYTES\n" twice a second, what PATH holds (progress.c). */
#define ZCCP_SERVE_AT "ZCCP-AT"
/* ... and when its source is cut before the end: "ZCCP-LOST BYTES\n",
 * what it holds, waiting to be resumed.  In a chain the host before it
 * does that; a tree's hosts have no next to go on to, and the sender
 * resumes them itself (repair.h). */
#define ZCCP_SERVE_LOST "ZCCP-LOST"

struct zccp_remote {
	char *user, *host, *port, *path; /* port NULL: ssh's default */
	pid_t pid;	/* ssh, or 0 */
	int err_fd;	/* ssh's stderr (a memfd), or -1 */
	int in_fd;	/* ssh's stdin (the key, the targets), or -1 */
	int out_fd;	/* ssh's stdout (the banner, the result), or -1 */
	char *target;	/* tcp://ADDRESS:PORT it listens on, once started */
	char line[128]; /* what came of a line on out_fd so far */
	unsigned got;
	bool held;	/* line holds the result, read early */
};

/* What a receiver said of its own PATH (the result line). */
struct zccp_remote_result {
	int error;	/* -errno, 0: complete */
	uint64_t bytes;
	double seconds;
};

bool zccp_remote_is_ssh(const char *arg);

/*
 * Split arg; a PATH ending in '/' gets source_name appended (NULL: the
 * source has no name: -EISDIR).  0 or -errno (-ZCCP_EADDRESS: not
 * ssh://[USER@]HOST[:PORT]/PATH).
 */
int zccp_remote_parse(struct zccp_remote *r, const char *arg,
		      const char *source_name);

/* Start the receiver and give it the key; report_progress: ask it for
 * AT lines.  0 or -errno. */
int zccp_remote_spawn(struct zccp_remote *r, const struct zccp_key *key,
		      const struct zccp_opts *o, bool report_progress);

/* Wait until it listens (r->target), for timeout_ms but at least 20 s
 * (0: no limit): 0, or -errno with *why (malloc, may be NULL) saying
 * what ssh said. */
int zccp_remote_listening(struct zccp_remote *r, unsigned timeout_ms,
			  char **why);

/* Tell it the targets it forwards to (none: it only writes PATH) and,
 * in a chain, those to go on to in order if its next goes; then end
 * its standard input.  0 or -errno. */
int zccp_remote_forward(struct zccp_remote *r, char *const *next,
			unsigned nnext, char *const *fallbacks,
			unsigned nfallbacks);

/* Connect to a started receiver: the socket, or -errno. */
int zccp_remote_connect(const struct zccp_remote *r, unsigned timeout_ms);

/* What zccp_remote_at and zccp_remote_result return for a LOST line,
 * its bytes in their *bytes, res->bytes; ask again for the rest. */
#define ZCCP_REMOTE_LOST 2

/* Its result line, within timeout_ms (AT lines passed over): 0,
 * ZCCP_REMOTE_LOST, or -ZCCP_EHOSTGONE when it ended (or went quiet)
 * without one. */
int zccp_remote_result(struct zccp_remote *r, unsigned timeout_ms,
		       struct zccp_remote_result *res);

/* What out_fd has now, without waiting: 1 with *bytes from the latest
 * AT line, 0 if none came, ZCCP_REMOTE_LOST at a LOST line, -1 once a
 * result line or the end came (it stays for zccp_remote_result). */
int zccp_remote_at(struct zccp_remote *r, uint64_t *bytes);

/* After the transfer: reap ssh (killed after a grace period); when the
 * destination failed, pass on what the receiver said, named by arg. */
void zccp_remote_finish(struct zccp_remote *r, const char *arg, bool failed);
void zccp_remote_free(struct zccp_remote *r);

/*
 * The receiving end, `zccp --serve PATH`, before its job: the key from
 * standard input (its first ZCCP_KEY_LEN bytes); a listener where the
 * ssh connection came in (SSH_CONNECTION's address, port 0), announced
 * with the banner; then, until standard input ends, one target a line
 * (tcp://ADDRESS:PORT) it forwards to, or with a blank before it, one
 * to go on to if its next goes (a chain's resume, stream.h).  0 or -errno (-ZCCP_ENOSERVE:
 * no key, no SSH_CONNECTION; -ZCCP_EADDRESS: a line not an address).
 */
struct zccp_serve {
	struct zccp_key key;
	struct zccp_listener listener;
	char *spec;	     /* where it listens, for messages */
	char **next;	     /* the targets */
	unsigned nnext;
	char **fallbacks;    /* ... and where to go on, in order */
	unsigned nfallbacks;
	const char **dests;  /* PATH, then the targets: the job's */
	unsigned ndests;
};

int zccp_serve_begin(struct zccp_serve *s, const char *path);
void zccp_serve_free(struct zccp_serve *s);

/* --serve, its source cut: the LOST line. */
void zccp_serve_lost(uint64_t held);
/* --serve at the end: the result line for PATH (outcome 0 complete,
 * 1 left alone by -n, else -errno) on standard output. */
void zccp_serve_result(int outcome, uint64_t bytes, double seconds);


#endif
