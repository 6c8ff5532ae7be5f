// SPDX-License-Identifier: MIT
/*
 * Connecting to network destinations.  The engines write a connected
 * socket like any other stream, so this file only turns an address
 * into one.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "zccp/net.h"
#include "zccp/report.h"

#define TCP_PREFIX "tcp://"
#define UNIX_PREFIX "unix:"

bool zccp_net_is_address(const char *arg)
{
	return !strncmp(arg, TCP_PREFIX, strlen(TCP_PREFIX)) ||
	       !strncmp(arg, UNIX_PREFIX, strlen(UNIX_PREFIX));
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
	/*
	 * A stall fails the destination too: TCP gives up when sent data
	 * stays unacknowledged, or the receiver's window stays shut (it
	 * stopped reading), for longer than this; the write then fails
	 * with ETIMEDOUT, and the other destinations go on.
	 */
	if (!ret && family != AF_UNIX && timeout_ms &&
	    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout_ms,
		       sizeof(timeout_ms)))
		ret = -errno;
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
	return **host && **port ? 0 : -ZCCP_EADDRESS;
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
