// SPDX-License-Identifier: MIT
/* ssh:// destinations and `zccp --serve`: see zccp/remote.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zccp/clock.h"
#include "zccp/net.h"
#include "zccp/path.h"
#include "zccp/remote.h"
#include "zccp/report.h"

#define RSH_DEFAULT "ssh"
#define RSH_MAX_WORDS 32
/* How long ssh may take to go once its receiver is done. */
#define SSH_GRACE_S 10.0

bool zccp_remote_is_ssh(const char *arg)
{
	return !strncmp(arg, ZCCP_SSH_PREFIX, strlen(ZCCP_SSH_PREFIX));
}

static char *dup_range(const char *from, const char *to)
{
	return strndup(from, (size_t)(to - from));
}

/* [USER@]HOST[:PORT] into r; 0 or -errno. */
static int parse_authority(struct zccp_remote *r, const char *a,
			   const char *end)
{
	const char *at = memchr(a, '@', (size_t)(end - a)), *colon, *host_end;

	if (at) {
		r->user = dup_range(a, at);
		a = at + 1;
	}
	if (*a == '[') { /* [IPV6] */
		host_end = memchr(a, ']', (size_t)(end - a));
		if (!host_end)
			return -ZCCP_EADDRESS;
		r->host = dup_range(a + 1, host_end);
		colon = host_end + 1 < end && host_end[1] == ':' ?
				host_end + 1 : NULL;
	} else {
		colon = memchr(a, ':', (size_t)(end - a));
		r->host = dup_range(a, colon ? colon : end);
	}
	if (colon)
		r->port = dup_range(colon + 1, end);
	if (!r->host || (at && !r->user) || (colon && !r->port))
		return -ENOMEM;
	/* "-oProxyCommand=...": an option to ssh, never a host */
	if (*r->host == '-' || (r->user && *r->user == '-'))
		return -ZCCP_EADDRESS;
	if (!*r->host || (r->user && !*r->user) ||
	    (r->port && strspn(r->port, "0123456789") != strlen(r->port)) ||
	    (r->port && !*r->port))
		return -ZCCP_EADDRESS;
	return 0;
}

int zccp_remote_parse(struct zccp_remote *r, const char *arg,
		      const char *source_name)
{
	const char *a = arg + strlen(ZCCP_SSH_PREFIX), *slash = strchr(a, '/');
	size_t len;
	int ret;

	*r = (struct zccp_remote){ .err_fd = -1 };
	if (!slash || !slash[1])
		return -ZCCP_EADDRESS;
	ret = parse_authority(r, a, slash);
	if (ret)
		return ret;
	len = strlen(slash);
	if (slash[len - 1] != '/') {
		r->path = strdup(slash);
		return r->path ? 0 : -ENOMEM;
	}
	/* DIR/: DIR/NAME, as for a local directory */
	if (!source_name)
		return -EISDIR;
	r->path = zccp_path_join(slash, source_name);
	return r->path ? 0 : -ENOMEM;
}

/* s in single quotes for the remote shell; appended to buf. */
static int quote(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf);

	if (n + 1 >= size)
		return -E2BIG;
	buf[n++] = '\'';
	for (; *s; s++) {
		const char *piece = *s == '\'' ? "'\\''" : NULL;
		size_t plen = piece ? 4 : 1;

		if (n + plen + 2 >= size)
			return -E2BIG;
		memcpy(buf + n, piece ? piece : s, plen);
		n += plen;
	}
	buf[n++] = '\'';
	buf[n] = '\0';
	return 0;
}

static const char *const when_words[] = { "auto", "always", "never" };

/* The remote command: zccp --serve, the receiver's options, PATH. */
static int remote_command(char *buf, size_t size, const struct zccp_remote *r,
			  const struct zccp_opts *o)
{
	char opts[176];
	int ret;

	snprintf(opts, sizeof(opts),
		 " --serve --timeout=%u --sparse=%s --direct=%s%s%s%s%s -- ",
		 o->timeout_ms / 1000, when_words[o->sparse],
		 when_words[o->direct], o->fsync ? " --fsync" : "",
		 o->verify ? " --verify" : "", o->inplace ? " --inplace" : "",
		 o->encrypt ? " --encrypt" : "");
	buf[0] = '\0';
	ret = quote(buf, size, o->remote_zccp ? o->remote_zccp : "zccp");
	if (!ret && strlen(buf) + strlen(opts) + 1 > size)
		ret = -E2BIG;
	if (!ret)
		strcat(buf, opts);
	return ret ? ret : quote(buf, size, r->path);
}

/* --rsh's words (split on blanks, as rsync splits -e), then ssh's
 * options, HOST and the command, into argv.  words: a copy to cut. */
static int ssh_argv(const char **argv, char *words, const struct zccp_remote *r,
		    const char *command, bool batch)
{
	int n = 0;

	for (char *w = strtok(words, " \t"); w; w = strtok(NULL, " \t"))
		if (n < RSH_MAX_WORDS)
			argv[n++] = w;
	if (!n || n >= RSH_MAX_WORDS)
		return -EINVAL;
	/* a script must never wait for a password */
	if (batch) {
		argv[n++] = "-o";
		argv[n++] = "BatchMode=yes";
	}
	if (r->user) {
		argv[n++] = "-l";
		argv[n++] = r->user;
	}
	if (r->port) {
		argv[n++] = "-p";
		argv[n++] = r->port;
	}
	argv[n++] = r->host;
	argv[n++] = command;
	argv[n] = NULL;
	return 0;
}

/* ssh with its stdin and stdout on pipes, stderr into r->err_fd. */
static int spawn(struct zccp_remote *r, const char **argv, int *in, int *out)
{
	int to[2], from[2];

	if (pipe2(to, O_CLOEXEC))
		return -errno;
	if (pipe2(from, O_CLOEXEC)) {
		close(to[0]);
		close(to[1]);
		return -errno;
	}
	r->pid = fork();
	if (r->pid == 0) {
		if (dup2(to[0], 0) < 0 || dup2(from[1], 1) < 0 ||
		    dup2(r->err_fd, 2) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		/* not the ring, nor the destinations: ssh may outlive us */
		close_range(3, ~0u, 0);
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	if (r->pid < 0) {
		int err = -errno;

		close(to[1]);
		close(from[0]);
		return err;
	}
	*in = to[1];
	*out = from[0];
	return 0;
}

/* The banner's line from out, within timeout_ms (0: no limit). */
static int read_banner(int out, char *line, size_t size, unsigned timeout_ms)
{
	size_t n = 0;
	double deadline = zccp_now() + timeout_ms / 1e3;

	while (n + 1 < size) {
		struct pollfd pfd = { .fd = out, .events = POLLIN };
		int left = (int)((deadline - zccp_now()) * 1000);
		ssize_t got;

		if (poll(&pfd, 1, timeout_ms ? (left > 0 ? left : 0) : -1) == 0)
			return -ETIMEDOUT;
		got = read(out, line + n, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got ? -errno : -ZCCP_ENOSERVE;
		if (line[n] == '\n') {
			line[n] = '\0';
			return 0;
		}
		n++;
	}
	return -ZCCP_ENOSERVE;
}

/* The last line ssh (or the remote shell) wrote on stderr: malloc. */
static char *last_words(int fd)
{
	char buf[4096], *end, *start;
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0;
	ssize_t n = size > 0 ? pread(fd, buf, (size_t)(size - from), from) : 0;

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	end = buf + n;
	while (end > buf && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	start = strrchr(buf, '\n');
	return strdup(start ? start + 1 : buf);
}

/* "ZCCP-LISTEN ADDRESS PORT" to tcp://ADDRESS:PORT, connected. */
static int connect_banner(const char *line, unsigned timeout_ms)
{
	char addr[80], target[100];
	unsigned port;

	if (sscanf(line, ZCCP_SERVE_BANNER " %79s %u", addr, &port) != 2 ||
	    !port || port > 65535)
		return -ZCCP_ENOSERVE;
	snprintf(target, sizeof(target), strchr(addr, ':') ?
		 "tcp://[%s]:%u" : "tcp://%s:%u", addr, port);
	return zccp_net_connect(target, timeout_ms);
}

int zccp_remote_start(struct zccp_remote *r, const struct zccp_key *key,
		      const struct zccp_opts *o, char **why)
{
	const char *argv[RSH_MAX_WORDS + 12];
	char command[4096 + 256], line[128], *words;
	int in = -1, out = -1, ret;

	*why = NULL;
	words = strdup(o->rsh ? o->rsh : RSH_DEFAULT);
	r->err_fd = memfd_create("zccp-ssh-stderr", MFD_CLOEXEC);
	if (!words || r->err_fd < 0) {
		free(words);
		return words ? -errno : -ENOMEM;
	}
	ret = remote_command(command, sizeof(command), r, o);
	if (!ret)
		ret = ssh_argv(argv, words, r, command, !o->rsh);
	if (!ret)
		ret = spawn(r, argv, &in, &out);
	free(words);
	if (ret)
		return ret;
	/* The key goes down the ssh channel: never on a command line. */
	if (write(in, key->bytes, ZCCP_KEY_LEN) != ZCCP_KEY_LEN)
		ret = -ZCCP_ENOSERVE;
	close(in);
	if (!ret)
		ret = read_banner(out, line, sizeof(line),
				  o->timeout_ms ? o->timeout_ms : 0);
	close(out);
	if (!ret)
		ret = connect_banner(line, o->timeout_ms);
	if (ret < 0) {
		zccp_remote_finish(r, NULL, false);
		*why = last_words(r->err_fd);
	}
	return ret;
}

/* Reap ssh; one that lingers past the grace period is killed. */
static void reap(struct zccp_remote *r)
{
	double deadline = zccp_now() + SSH_GRACE_S;
	int status;

	while (waitpid(r->pid, &status, WNOHANG) == 0) {
		if (zccp_now() > deadline) {
			kill(r->pid, SIGKILL);
			waitpid(r->pid, &status, 0);
			break;
		}
		usleep(20000);
	}
	r->pid = 0;
}

/* What the receiver said, each line named by arg. */
static void pass_on(const struct zccp_remote *r, const char *arg)
{
	char buf[8192], *line, *next;
	ssize_t n = pread(r->err_fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, "zccp: ", 6))
			line += 6;
		if (*line)
			zccp_error("%s: %s", arg, line);
	}
}

void zccp_remote_finish(struct zccp_remote *r, const char *arg, bool failed)
{
	if (r->pid > 0) {
		if (!arg) /* it never started: no need to wait */
			kill(r->pid, SIGTERM);
		reap(r);
	}
	if (failed && arg && r->err_fd >= 0)
		pass_on(r, arg);
}

void zccp_remote_free(struct zccp_remote *r)
{
	if (r->pid > 0)
		zccp_remote_finish(r, NULL, false);
	if (r->err_fd >= 0)
		close(r->err_fd);
	free(r->user);
	free(r->host);
	free(r->port);
	free(r->path);
	*r = (struct zccp_remote){ .err_fd = -1 };
}

int zccp_serve_setup(struct zccp_key *key, char **spec)
{
	const char *conn = getenv("SSH_CONNECTION");
	char addr[64];
	size_t got = 0;

	/* "CLIENT_ADDR CLIENT_PORT SERVER_ADDR SERVER_PORT" */
	if (!conn || sscanf(conn, "%*s %*s %63s", addr) != 1)
		return -ZCCP_ENOSERVE;
	while (got < ZCCP_KEY_LEN) {
		ssize_t n = read(STDIN_FILENO, key->bytes + got,
				 ZCCP_KEY_LEN - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -ZCCP_ENOSERVE;
		got += (size_t)n;
	}
	if (asprintf(spec, strchr(addr, ':') ? "[%s]:0" : "%s:0", addr) < 0)
		return -ENOMEM;
	return 0;
}
