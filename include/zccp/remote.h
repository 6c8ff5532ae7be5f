/* SPDX-License-Identifier: MIT */
/*
 * ssh://[USER@]HOST[:PORT]/PATH destinations: zccp starts the receiver
 * on HOST through the user's own ssh (its config, agent, known_hosts;
 * --rsh replaces it), as `zccp --serve PATH`, and hands it the
 * transfer's key on the ssh channel.  The receiver listens on the
 * address the ssh connection reached and says which port on its
 * standard output; the data then goes over that TCP connection (a zccp
 * stream, as to tcp://), not through ssh.
 */
#ifndef ZCCP_REMOTE_H
#define ZCCP_REMOTE_H

#include <stdbool.h>
#include <sys/types.h>

#include "zccp/auth.h"
#include "zccp/opts.h"

#define ZCCP_SSH_PREFIX "ssh://"
/* What --serve prints once it listens: "ZCCP-LISTEN ADDRESS PORT\n". */
#define ZCCP_SERVE_BANNER "ZCCP-LISTEN"

struct zccp_remote {
	char *user, *host, *port, *path; /* port NULL: ssh's default */
	pid_t pid;	/* ssh, or 0 */
	int err_fd;	/* ssh's stderr (a memfd), or -1 */
};

bool zccp_remote_is_ssh(const char *arg);

/*
 * Split arg; a PATH ending in '/' gets source_name appended (NULL: the
 * source has no name: -EISDIR).  0 or -errno (-ZCCP_EADDRESS: not
 * ssh://[USER@]HOST[:PORT]/PATH).
 */
int zccp_remote_parse(struct zccp_remote *r, const char *arg,
		      const char *source_name);

/*
 * Start the receiver and connect to it: the connected socket, or
 * -errno with *why (malloc, may be NULL) saying what ssh said.
 */
int zccp_remote_start(struct zccp_remote *r, const struct zccp_key *key,
		      const struct zccp_opts *o, char **why);

/* After the transfer: reap ssh (killed after a grace period); when the
 * destination failed, pass on what the receiver said, named by arg. */
void zccp_remote_finish(struct zccp_remote *r, const char *arg, bool failed);
void zccp_remote_free(struct zccp_remote *r);

/*
 * The receiving end, `zccp --serve`: the key from standard input (its
 * first ZCCP_KEY_LEN bytes), and where to listen: the address the ssh
 * connection came in on (SSH_CONNECTION), port 0.  spec: malloc.
 */
int zccp_serve_setup(struct zccp_key *key, char **spec);

#endif
