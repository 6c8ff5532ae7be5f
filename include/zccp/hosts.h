/* SPDX-License-Identifier: MIT */
/*
 * A job's ssh:// hosts (remote.h), for wire.c: started all at once in
 * --fanout's shape (fanout.h) and linked (we connect to ours; another
 * host feeds the rest, ZCCP_EP_FORWARDED), heard while they copy (-g),
 * and each settled by its own result line.
 */
#ifndef ZCCP_HOSTS_H
#define ZCCP_HOSTS_H

#include <stdint.h>

#include "zccp/endpoint.h"
#include "zccp/opts.h"

struct zccp_wire;

/* Start the ssh:// destinations among dests (zccp_wire_remotes). */
void zccp_hosts_start(struct zccp_wire *w, struct zccp_endpoint **dests,
		      unsigned n, const struct zccp_opts *o);

/* -g: a thread that puts what each host another host feeds says it
 * holds (remote.h: AT lines) into its bytes; 0/-errno.  unhear stops
 * it (nothing if it never started). */
int zccp_hosts_hear(struct zccp_wire *w, struct zccp_endpoint **dests,
		    unsigned n, const struct zccp_opts *o);
void zccp_hosts_unhear(struct zccp_wire *w);

/*
 * After the copy: host d is complete when its own result line (waited
 * for until deadline, 0: no limit) says its PATH holds bytes; else it
 * fails, with its reply's error reply_err when the line never came.
 * Its reply is not enough: in a fanout it counts the hosts behind it
 * too (which speak for themselves), and after a resume it came from
 * another host.
 */
void zccp_hosts_settle(struct zccp_wire *w, struct zccp_endpoint *d,
		       int reply_err, uint64_t bytes, double deadline);

/* What messages call a target: the ssh:// host listening there. */
const char *zccp_hosts_name(const struct zccp_wire *w, const char *target);

#endif
