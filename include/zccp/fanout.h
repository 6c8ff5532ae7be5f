/* SPDX-License-Identifier: MIT */
/*
 * --fanout: how the data reaches several ssh:// hosts.  Node 0 is this
 * sender, nodes 1..n the hosts in the order the command line names
 * them; each node sends to its children and every host writes its own
 * copy as it forwards (a relay: the receiver's destinations are its
 * PATH and its children's addresses).
 *   star:   every host hears from the sender (each byte leaves it n times)
 *   chain:  sender -> 1 -> 2 -> ... -> n (each byte leaves each node once)
 *   tree=K: node p sends to p*K+1 .. p*K+K (chain is tree=1)
 * On links slower than the hosts' disks a chain finishes n hosts in about
 * the time of one (bench/run scenario 7), so auto is a chain from two
 * hosts on; a star only where the hosts cannot reach each other.
 */
#ifndef ZCCP_FANOUT_H
#define ZCCP_FANOUT_H

#include <stdbool.h>

/* opts->fanout: the children per node; star and auto are named. */
#define ZCCP_FANOUT_AUTO 0u
#define ZCCP_FANOUT_CHAIN 1u
#define ZCCP_FANOUT_STAR (~0u)
/* tree=K: K up to this (a star beyond). */
#define ZCCP_FANOUT_MAX_ARITY 64u

/* "chain", "star" or "tree=K" into *fanout; 0 or -EINVAL. */
int zccp_fanout_parse(const char *arg, unsigned *fanout);

/* What auto means for n hosts: the children per node. */
unsigned zccp_fanout_resolve(unsigned fanout, unsigned n);

/* The node that sends node i (1..n) its data: 0 is the sender. */
unsigned zccp_fanout_parent(unsigned fanout, unsigned i);

/* "chain", "star" or "tree=K", for -v; buf of 16 bytes. */
const char *zccp_fanout_name(unsigned fanout, char *buf);

#endif
