/* SPDX-License-Identifier: MIT */
/*
 * Network destinations: tcp://HOST:PORT (IPv4, [IPv6] or a name) and
 * unix:PATH (a stream socket).  A file whose name looks like one of
 * these is written as ./tcp://... or ./unix:...
 */
#ifndef ZCCP_NET_H
#define ZCCP_NET_H

#include <stdbool.h>
#include <sys/types.h>

/* Whether arg names a socket to connect to rather than a file. */
bool zccp_net_is_address(const char *arg);
/* Whether an address (or --listen's SPEC) is unix:PATH. */
bool zccp_net_is_unix(const char *arg);

/*
 * Connect to arg, trying each address a name resolves to, each within
 * timeout_ms (0: as long as the kernel tries); a tcp connection then
 * fails its writes (ETIMEDOUT) once it stalls that long.  Returns a blocking,
 * close-on-exec stream socket, or -errno: ZCCP_EADDRESS for a malformed
 * address, ZCCP_ENONAME for a name that does not resolve, else the
 * last connect()'s error.
 */
int zccp_net_connect(const char *arg, unsigned timeout_ms);

#define ZCCP_NET_MAX_LISTENERS 8
#define ZCCP_NET_BACKLOG 16

/* Where --listen waits: every socket SPEC binds. */
struct zccp_listener {
	int fds[ZCCP_NET_MAX_LISTENERS];
	int n;
	char *unix_path; /* made here; removed by zccp_net_unlisten */
};

/*
 * --listen SPEC: bind where SPEC says and nowhere else.  SPEC:
 * [tcp://]HOST:PORT, [tcp://][IPV6]:PORT, :PORT (loopback), *:PORT
 * (every address) or unix:PATH (a socket file made here, mode 0600:
 * only its owner, and root, may connect).  0 or -errno.
 */
int zccp_net_listen(struct zccp_listener *l, const char *spec);
/* Accept a connection waiting on l->fds[i]: a blocking, close-on-exec
 * socket (-EAGAIN: none after all), *peer naming it (malloc). */
int zccp_net_listen_accept(struct zccp_listener *l, int i, char **peer);
/* Stop listening; a unix: socket file goes. */
void zccp_net_unlisten(struct zccp_listener *l);
/* A socket's own numeric address and port.  0 or -errno. */
int zccp_net_local_name(int fd, char *host, size_t size, unsigned *port);
/* The user id of a unix: socket's peer.  0 or -errno. */
int zccp_net_peer_uid(int fd, uid_t *uid);

/* Whether a connected socket's peer is an address of this host (the
 * kernel then delivers locally): 1, 0, or -errno. */
int zccp_net_peer_is_local(int fd);
/* Whether fd is a TCP socket. */
bool zccp_net_is_tcp(int fd);

#endif
