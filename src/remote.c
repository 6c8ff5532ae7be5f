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
/* Logging in is no stall: hosts starting at once share the CPU that
 * their key exchanges need, so --timeout is stretched to this. */
#define SSH_LOGIN_MS 20000u

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

	*r = (struct zccp_remote){ .err_fd = -1, .in_fd = -1,
				   .out_fd = -1 };
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
			  const struct zccp_opts *o, bool report_progress)
{
	char opts[200];
	int ret;

	/* -g: each host says how far it is, so the bar knows the slowest */
	snprintf(opts, sizeof(opts),
		 " --serve --timeout=%u --sparse=%s --direct=%s%s%s%s%s%s -- ",
		 o->timeout_ms / 1000, when_words[o->sparse],
		 when_words[o->direct], o->fsync ? " --fsync" : "",
		 o->verify ? " --verify" : "", o->inplace ? " --inplace" : "",
		 o->encrypt ? " --encrypt" : "",
		 report_progress ? " --report-progress" : "");
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

/*
 * The rest of a line from r->out_fd into r->line, waiting up to
 * timeout_ms (0: no limit) or, without wait, not at all: 0 once it is
 * whole (its newline cut; the next call starts another), -EAGAIN (not
 * yet: what came stays), -ETIMEDOUT, or -ZCCP_ENOSERVE at its end.
 */
static int read_line(struct zccp_remote *r, unsigned timeout_ms, bool wait)
{
	double deadline = zccp_now() + timeout_ms / 1e3;

	while (r->got + 1 < sizeof(r->line)) {
		struct pollfd pfd = { .fd = r->out_fd, .events = POLLIN };
		int left = (int)((deadline - zccp_now()) * 1000);
		ssize_t got;

		if (poll(&pfd, 1, !wait ? 0 : !timeout_ms ? -1 :
			 left > 0 ? left : 0) == 0)
			return wait ? -ETIMEDOUT : -EAGAIN;
		got = read(r->out_fd, r->line + r->got, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got ? -errno : -ZCCP_ENOSERVE;
		if (r->line[r->got] == '\n') {
			r->line[r->got] = '\0';
			r->got = 0;
			return 0;
		}
		r->got++;
	}
	r->got = 0;
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

/* "ZCCP-LISTEN ADDRESS PORT" to r->target, tcp://ADDRESS:PORT. */
static int take_banner(struct zccp_remote *r, const char *line)
{
	char addr[80];
	unsigned port;

	if (sscanf(line, ZCCP_SERVE_BANNER " %79s %u", addr, &port) != 2 ||
	    !port || port > 65535)
		return -ZCCP_ENOSERVE;
	if (asprintf(&r->target, strchr(addr, ':') ? "tcp://[%s]:%u" :
		     "tcp://%s:%u", addr, port) < 0) {
		r->target = NULL;
		return -ENOMEM;
	}
	return 0;
}

int zccp_remote_connect(const struct zccp_remote *r, unsigned timeout_ms)
{
	return zccp_net_connect(r->target, timeout_ms);
}

int zccp_remote_spawn(struct zccp_remote *r, const struct zccp_key *key,
		      const struct zccp_opts *o, bool report_progress)
{
	const char *argv[RSH_MAX_WORDS + 12];
	char command[4096 + 256], *words;
	int ret;

	words = strdup(o->rsh ? o->rsh : RSH_DEFAULT);
	r->err_fd = memfd_create("zccp-ssh-stderr", MFD_CLOEXEC);
	if (!words || r->err_fd < 0) {
		free(words);
		return words ? -errno : -ENOMEM;
	}
	ret = remote_command(command, sizeof(command), r, o, report_progress);
	if (!ret)
		ret = ssh_argv(argv, words, r, command, !o->rsh);
	if (!ret)
		ret = spawn(r, argv, &r->in_fd, &r->out_fd);
	free(words);
	/* The key goes down the ssh channel: never on a command line.  A
	 * receiver that is gone says why on stderr: zccp_remote_listening. */
	if (!ret && write(r->in_fd, key->bytes, ZCCP_KEY_LEN) != ZCCP_KEY_LEN)
		ret = errno == EPIPE ? 0 : -errno;
	return ret;
}

int zccp_remote_listening(struct zccp_remote *r, unsigned timeout_ms,
			  char **why)
{
	int ret;

	if (timeout_ms && timeout_ms < SSH_LOGIN_MS)
		timeout_ms = SSH_LOGIN_MS;
	ret = read_line(r, timeout_ms, true);
	*why = NULL;
	if (!ret)
		ret = take_banner(r, r->line);
	if (ret < 0) {
		zccp_remote_finish(r, NULL, false);
		*why = last_words(r->err_fd);
	}
	return ret;
}

int zccp_remote_forward(struct zccp_remote *r, char *const *next,
			unsigned nnext, char *const *fallbacks,
			unsigned nfallbacks)
{
	int ret = 0;

	for (unsigned i = 0; !ret && i < nnext; i++)
		if (dprintf(r->in_fd, "%s\n", next[i]) < 0)
			ret = -errno;
	for (unsigned i = 0; !ret && i < nfallbacks; i++)
		if (dprintf(r->in_fd, " %s\n", fallbacks[i]) < 0)
			ret = -errno;
	close(r->in_fd);
	r->in_fd = -1;
	return ret;
}

/* "WORD BYTES": 1 with *bytes when line is one of word's. */
static int said(const char *line, const char *word, uint64_t *bytes)
{
	size_t n = strlen(word);

	return !strncmp(line, word, n) && line[n] == ' ' &&
	       sscanf(line + n + 1, "%" SCNu64, bytes) == 1;
}

int zccp_remote_at(struct zccp_remote *r, uint64_t *bytes)
{
	int found = 0, ret;
	uint64_t n;

	if (r->out_fd < 0 || r->held)
		return -1;
	while (!(ret = read_line(r, 0, false))) {
		if (said(r->line, ZCCP_SERVE_LOST, bytes))
			return ZCCP_REMOTE_LOST;
		if (!said(r->line, ZCCP_SERVE_AT, &n)) {
			r->held = true; /* the result: zccp_remote_result's */
			return -1;
		}
		*bytes = n;
		found = 1;
	}
	return ret == -EAGAIN ? found : -1;
}

int zccp_remote_result(struct zccp_remote *r, unsigned timeout_ms,
		       struct zccp_remote_result *res)
{
	int err, ret = 0;
	uint64_t at;

	if (r->out_fd < 0)
		return -ZCCP_EHOSTGONE;
	do {
		ret = r->held ? 0 : read_line(r, timeout_ms, true);
		if (!ret && said(r->line, ZCCP_SERVE_LOST, &res->bytes))
			return ZCCP_REMOTE_LOST;
	} while (!ret && !r->held && said(r->line, ZCCP_SERVE_AT, &at));
	r->held = false;
	if (ret || sscanf(r->line, ZCCP_SERVE_RESULT " %d %" SCNu64 " %lf",
			  &err, &res->bytes, &res->seconds) != 3 || err < 0)
		return -ZCCP_EHOSTGONE;
	res->error = -err;
	return 0;
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
	if (r->out_fd >= 0)
		close(r->out_fd);
	if (r->in_fd >= 0)
		close(r->in_fd);
	free(r->target);
	free(r->user);
	free(r->host);
	free(r->port);
	free(r->path);
	*r = (struct zccp_remote){ .err_fd = -1, .in_fd = -1,
				   .out_fd = -1 };
}

/* The key: the first ZCCP_KEY_LEN bytes on standard input. */
static int read_key(struct zccp_key *key)
{
	size_t got = 0;

	while (got < ZCCP_KEY_LEN) {
		ssize_t n = read(STDIN_FILENO, key->bytes + got,
				 ZCCP_KEY_LEN - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -ZCCP_ENOSERVE;
		got += (size_t)n;
	}
	return 0;
}

/* Listen where the ssh connection came in, and say where. */
static int listen_announced(struct zccp_serve *s)
{
	const char *conn = getenv("SSH_CONNECTION");
	char addr[64];
	unsigned port;
	int ret;

	/* "CLIENT_ADDR CLIENT_PORT SERVER_ADDR SERVER_PORT" */
	if (!conn || sscanf(conn, "%*s %*s %63s", addr) != 1)
		return -ZCCP_ENOSERVE;
	if (asprintf(&s->spec, strchr(addr, ':') ? "[%s]:0" : "%s:0",
		     addr) < 0) {
		s->spec = NULL;
		return -ENOMEM;
	}
	ret = zccp_net_listen(&s->listener, s->spec);
	if (!ret)
		ret = zccp_net_local_name(s->listener.fds[0], addr,
					  sizeof(addr), &port);
	if (!ret && (printf(ZCCP_SERVE_BANNER " %s %u\n", addr, port) < 0 ||
		     fflush(stdout)))
		ret = -EPIPE;
	return ret;
}

/* Append a copy of target to *list (*n long). */
static int add_target(char ***list, unsigned *n, const char *target)
{
	char **more = realloc(*list, (*n + 1) * sizeof(*more));

	if (!more)
		return -ENOMEM;
	*list = more;
	if (strncmp(target, "tcp://", 6) || !zccp_net_is_address(target))
		return -ZCCP_EADDRESS;
	more[*n] = strdup(target);
	if (!more[*n])
		return -ENOMEM;
	++*n;
	return 0;
}

/* The targets, one a line, until standard input ends; a line that
 * starts with a blank is a fallback. */
static int read_targets(struct zccp_serve *s)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;

	while (!ret && (len = getline(&line, &cap, stdin)) > 0) {
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		ret = *line == ' ' ?
			add_target(&s->fallbacks, &s->nfallbacks, line + 1) :
			add_target(&s->next, &s->nnext, line);
	}
	free(line);
	return ret;
}

int zccp_serve_begin(struct zccp_serve *s, const char *path)
{
	int ret;

	*s = (struct zccp_serve){ 0 };
	ret = read_key(&s->key);
	if (!ret)
		ret = listen_announced(s);
	if (!ret)
		ret = read_targets(s);
	if (ret)
		return ret;
	s->dests = calloc(s->nnext + 1, sizeof(*s->dests));
	if (!s->dests)
		return -ENOMEM;
	s->dests[0] = path;
	for (unsigned i = 0; i < s->nnext; i++)
		s->dests[i + 1] = s->next[i];
	s->ndests = s->nnext + 1;
	return 0;
}

void zccp_serve_free(struct zccp_serve *s)
{
	explicit_bzero(&s->key, sizeof(s->key));
	zccp_net_unlisten(&s->listener);
	for (unsigned i = 0; i < s->nnext; i++)
		free(s->next[i]);
	for (unsigned i = 0; i < s->nfallbacks; i++)
		free(s->fallbacks[i]);
	free(s->fallbacks);
	free(s->next);
	free(s->dests);
	free(s->spec);
}

void zccp_serve_lost(uint64_t held)
{
	printf(ZCCP_SERVE_LOST " %" PRIu64 "\n", held);
	fflush(stdout);
}

void zccp_serve_result(int outcome, uint64_t bytes, double seconds)
{
	/* -n's "left alone" is no failure */
	printf(ZCCP_SERVE_RESULT " %d %" PRIu64 " %.6f\n",
	       outcome < 0 ? -outcome : 0, bytes, seconds);
	fflush(stdout);
}
