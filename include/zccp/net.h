/* SPDX-License-Identifier: MIT */
/*
 * Network destinations: tcp://HOST:PORT (IPv4, [IPv6] or a name) and
 * unix:PATH (a stream socket).  A file whose name looks like one of
 * these is written as ./tcp://... or ./unix:...
 */
#ifndef ZCCP_NET_H
#define ZCCP_NET_H

#include <stdbool.h>

/* Whether arg names a socket to connect to rather than a file. */
bool zccp_net_is_address(const char *arg);

/*
 * Connect to arg, trying each address a name resolves to, each within
 * timeout_ms (0: as long as the kernel tries); a tcp connection then
 * fails its writes (ETIMEDOUT) once it stalls that long.  Returns a blocking,
 * close-on-exec stream socket, or -errno: ZCCP_EADDRESS for a malformed
 * address, ZCCP_ENONAME for a name that does not resolve, else the
 * last connect()'s error.
 */
int zccp_net_connect(const char *arg, unsigned timeout_ms);

/*
 * --listen SPEC: bind where SPEC says and nowhere else, wait up to
 * timeout_ms (0: for ever) for one connection, accept it and stop
 * listening.  SPEC: [tcp://]HOST:PORT, [tcp://][IPV6]:PORT, :PORT
 * (loopback), *:PORT (every address) or unix:PATH (the socket file is
 * made here and removed once the connection is in).  Returns a
 * blocking stream socket, or -errno; *peer names the sender (malloc).
 */
int zccp_net_accept(const char *spec, unsigned timeout_ms, char **peer);

/* Whether a connected socket's peer is an address of this host (the
 * kernel then delivers locally): 1, 0, or -errno. */
int zccp_net_peer_is_local(int fd);
/* Whether fd is a TCP socket. */
bool zccp_net_is_tcp(int fd);

#endif
