// SPDX-License-Identifier: MIT
/*
 * Connecting to network destinations, and accepting the one connection
 * of --listen.  The engines read and write a connected socket like any
 * other stream, so this file only turns an address into one.
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "zccp/net.h"
#include "zccp/report.h"

#define TCP_PREFIX "tcp://"
#define UNIX_PREFIX "unix:"

bool zccp_net_is_unix(const char *arg)
{
	return !strncmp(arg, UNIX_PREFIX, strlen(UNIX_PREFIX));
}

bool zccp_net_is_address(const char *arg)
{
	return !strncmp(arg, TCP_PREFIX, strlen(TCP_PREFIX)) ||
	       zccp_net_is_unix(arg);
}

/* Wait for a non-blocking connect() in progress; 0 or -errno. */
static int connect_wait(int fd, unsigned timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int ret, err = 0;

	do
		ret = poll(&pfd, 1, timeout_ms ? (int)timeout_ms : -1);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	return -err;
}

/*
 * A stall fails the destination too: TCP gives up when sent data stays
 * unacknowledged, or the receiver's window stays shut (it stopped
 * reading), for longer than timeout_ms; the write then fails with
 * ETIMEDOUT, and the other destinations go on.  Keepalive probes find a
 * receiver host that died while we wait for its reply (zccp streams),
 * within the same time (TCP_USER_TIMEOUT bounds them too).
 */
static int tcp_timeouts(int fd, unsigned timeout_ms)
{
	int one = 1, idle = timeout_ms >= 3000 ? (int)(timeout_ms / 3000) : 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout_ms,
		       sizeof(timeout_ms)) ||
	    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle)))
		return -errno;
	return 0;
}

/* One connect(), bounded by timeout_ms; the socket, or -errno. */
static int connect_one(int family, const struct sockaddr *addr,
		       socklen_t addrlen, unsigned timeout_ms)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (connect(fd, addr, addrlen))
		ret = errno == EINPROGRESS ? connect_wait(fd, timeout_ms) :
					     -errno;
	/* The engines decide how they wait: start out blocking, as a FIFO
	 * opened for writing does. */
	if (!ret && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK))
		ret = -errno;
	if (!ret && family != AF_UNIX && timeout_ms)
		ret = tcp_timeouts(fd, timeout_ms);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static int connect_unix(const char *path, unsigned timeout_ms)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (!*path || strlen(path) >= sizeof(sun.sun_path))
		return -ZCCP_EADDRESS;
	strcpy(sun.sun_path, path);
	return connect_one(AF_UNIX, (struct sockaddr *)&sun, sizeof(sun),
			   timeout_ms);
}

/* "HOST:PORT" or "[V6]:PORT" into host and port (in buf); 0 or -errno. */
static int split_host_port(char *buf, char **host, char **port)
{
	char *colon;

	if (*buf == '[') {
		char *end = strchr(buf, ']');

		if (!end || end[1] != ':')
			return -ZCCP_EADDRESS;
		*end = '\0';
		*host = buf + 1;
		*port = end + 2;
	} else {
		colon = strrchr(buf, ':');
		/* an IPv6 address needs brackets: its colons are ambiguous */
		if (!colon || strchr(buf, ':') != colon)
			return -ZCCP_EADDRESS;
		*colon = '\0';
		*host = buf;
		*port = colon + 1;
	}
	return **port ? 0 : -ZCCP_EADDRESS;
}

static int resolve_error(int gai)
{
	switch (gai) {
	case EAI_SERVICE:
		return -ZCCP_EADDRESS;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SYSTEM:
		return -errno;
	default: /* EAI_NONAME, EAI_AGAIN, EAI_FAIL, EAI_NODATA ... */
		return -ZCCP_ENONAME;
	}
}

static int connect_tcp(const char *hostport, unsigned timeout_ms)
{
	const struct addrinfo hints = { .ai_family = AF_UNSPEC,
					.ai_socktype = SOCK_STREAM,
					.ai_flags = AI_ADDRCONFIG };
	struct addrinfo *list, *ai;
	char *buf = strdup(hostport), *host, *port;
	int ret, gai;

	if (!buf)
		return -ENOMEM;
	ret = split_host_port(buf, &host, &port);
	if (!ret && !*host)
		ret = -ZCCP_EADDRESS;
	if (ret) {
		free(buf);
		return ret;
	}
	gai = getaddrinfo(host, port, &hints, &list);
	free(buf);
	if (gai)
		return resolve_error(gai);
	ret = -EHOSTUNREACH;
	for (ai = list; ai; ai = ai->ai_next) {
		ret = connect_one(ai->ai_family, ai->ai_addr, ai->ai_addrlen,
				  timeout_ms);
		if (ret >= 0)
			break;
	}
	freeaddrinfo(list);
	return ret;
}

int zccp_net_connect(const char *arg, unsigned timeout_ms)
{
	if (!strncmp(arg, UNIX_PREFIX, strlen(UNIX_PREFIX)))
		return connect_unix(arg + strlen(UNIX_PREFIX), timeout_ms);
	return connect_tcp(arg + strlen(TCP_PREFIX), timeout_ms);
}


static int listen_on(int family, const struct sockaddr *addr,
		     socklen_t addrlen)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;

	if (fd < 0)
		return -errno;
	/* [::] means IPv6 only: *:PORT binds 0.0.0.0 beside it. */
	if ((family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    (family != AF_UNIX &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))) ||
	    bind(fd, addr, addrlen) || listen(fd, ZCCP_NET_BACKLOG)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Listening sockets for SPEC into fds[]; their count, or -errno. */
static int listen_spec(const char *spec, int *fds, char **unix_path)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *list, *ai;
	char *buf, *host, *port;
	int n = 0, ret, gai;

	if (!strncmp(spec, UNIX_PREFIX, strlen(UNIX_PREFIX))) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		const char *path = spec + strlen(UNIX_PREFIX);

		if (!*path || strlen(path) >= sizeof(sun.sun_path))
			return -ZCCP_EADDRESS;
		strcpy(sun.sun_path, path);
		ret = listen_on(AF_UNIX, (struct sockaddr *)&sun, sizeof(sun));
		if (ret < 0)
			return ret;
		*unix_path = strdup(path);
		fds[0] = ret;
		return 1;
	}
	if (!strncmp(spec, TCP_PREFIX, strlen(TCP_PREFIX)))
		spec += strlen(TCP_PREFIX);
	buf = strdup(spec);
	if (!buf)
		return -ENOMEM;
	ret = split_host_port(buf, &host, &port);
	if (ret) {
		free(buf);
		return ret;
	}
	/* No host: loopback only; "*": every address. */
	if (!strcmp(host, "*"))
		hints.ai_flags = AI_PASSIVE;
	gai = getaddrinfo(*host && strcmp(host, "*") ? host : NULL, port,
			  &hints, &list);
	free(buf);
	if (gai)
		return resolve_error(gai);
	ret = -EADDRNOTAVAIL;
	for (ai = list; ai && n < ZCCP_NET_MAX_LISTENERS; ai = ai->ai_next) {
		int fd = listen_on(ai->ai_family, ai->ai_addr, ai->ai_addrlen);

		if (fd >= 0)
			fds[n++] = fd;
		else
			ret = fd;
	}
	freeaddrinfo(list);
	return n ? n : ret;
}

static char *peer_name(int fd, const char *unix_path)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[NI_MAXHOST], port[NI_MAXSERV], *name;
	size_t size;

	if (unix_path) {
		size = strlen(unix_path) + sizeof(UNIX_PREFIX);
		name = malloc(size);
		if (name)
			snprintf(name, size, "%s%s", UNIX_PREFIX, unix_path);
		return name;
	}
	if (getpeername(fd, (struct sockaddr *)&ss, &len) ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port,
			sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV))
		return strdup("tcp://(unknown peer)");
	size = strlen(host) + strlen(port) + sizeof(TCP_PREFIX) + 3;
	name = malloc(size);
	if (name)
		snprintf(name, size, ss.ss_family == AF_INET6 ? "%s[%s]:%s" :
			 "%s%s:%s", TCP_PREFIX, host, port);
	return name;
}

int zccp_net_listen(struct zccp_listener *l, const char *spec)
{
	/* unix: a socket only its owner may connect to (connect needs
	 * write permission); the umask is process-wide, so only for bind. */
	mode_t old = umask(0177);
	int n = listen_spec(spec, l->fds, &l->unix_path);

	umask(old);
	l->n = n > 0 ? n : 0;
	return n < 0 ? n : 0;
}

int zccp_net_listen_accept(struct zccp_listener *l, int i, char **peer)
{
	int fd = accept4(l->fds[i], NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return errno == ECONNABORTED ? -EAGAIN : -errno;
	*peer = peer_name(fd, l->unix_path);
	if (!*peer) {
		close(fd);
		return -ENOMEM;
	}
	return fd;
}

void zccp_net_unlisten(struct zccp_listener *l)
{
	for (int i = 0; i < l->n; i++)
		close(l->fds[i]);
	l->n = 0;
	/* One connection: nobody else may connect to what we made. */
	if (l->unix_path)
		unlink(l->unix_path);
	free(l->unix_path);
	l->unix_path = NULL;
}

int zccp_net_local_name(int fd, char *host, size_t size, unsigned *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char serv[NI_MAXSERV];

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	if (getnameinfo((struct sockaddr *)&ss, len, host, (socklen_t)size,
			serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV))
		return -EINVAL;
	*port = (unsigned)atoi(serv);
	return 0;
}

int zccp_net_peer_uid(int fd, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -errno;
	*uid = cred.uid;
	return 0;
}

static bool same_address(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr,
		       sizeof(struct in6_addr));
}

int zccp_net_peer_is_local(int fd)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	struct ifaddrs *list, *ifa;
	int local = 0;

	if (getpeername(fd, (struct sockaddr *)&peer, &len))
		return -errno;
	if (peer.ss_family != AF_INET && peer.ss_family != AF_INET6)
		return 1; /* unix: always here */
	if (getifaddrs(&list))
		return -errno;
	for (ifa = list; ifa && !local; ifa = ifa->ifa_next)
		local = ifa->ifa_addr &&
			same_address(ifa->ifa_addr, (struct sockaddr *)&peer);
	freeifaddrs(list);
	return local;
}

bool zccp_net_is_tcp(int fd)
{
	int proto = 0;
	socklen_t len = sizeof(proto);

	return !getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) &&
	       proto == IPPROTO_TCP;
}
