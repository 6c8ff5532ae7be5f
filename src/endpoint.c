// SPDX-License-Identifier: MIT
/*
 * Endpoints: classify, name, keep the state of (one setter), open the
 * source, resolve destinations and refuse what must not be copied.
 * Writing a destination safely is dest.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "zccp/endpoint.h"
#include "zccp/net.h"
#include "zccp/opts.h"
#include "zccp/path.h"
#include "zccp/remote.h"
#include "zccp/report.h"
#include "zccp/tls.h"

const char *zccp_kind_name(enum zccp_kind kind)
{
	static const char *const names[ZCCP_KIND_COUNT] = {
		[ZCCP_KIND_REGULAR] = "regular file",
		[ZCCP_KIND_BLOCK] = "block device",
		[ZCCP_KIND_PIPE] = "pipe",
		[ZCCP_KIND_SOCKET] = "socket",
		[ZCCP_KIND_CHAR] = "character device",
	};
	return kind < ZCCP_KIND_COUNT ? names[kind] : "?";
}

const char *zccp_endpoint_kind(const struct zccp_endpoint *ep)
{
	return ep->pseudo ? "pseudo file" : zccp_kind_name(ep->kind);
}

static int classify(const struct stat *st, enum zccp_kind *kind)
{
	switch (st->st_mode & S_IFMT) {
	case S_IFREG: *kind = ZCCP_KIND_REGULAR; return 0;
	case S_IFBLK: *kind = ZCCP_KIND_BLOCK; return 0;
	case S_IFIFO: *kind = ZCCP_KIND_PIPE; return 0;
	case S_IFSOCK: *kind = ZCCP_KIND_SOCKET; return 0;
	case S_IFCHR: *kind = ZCCP_KIND_CHAR; return 0;
	case S_IFDIR: return -EISDIR;
	}
	return -EINVAL;
}

static void take_stat(struct zccp_endpoint *ep, const struct stat *st)
{
	ep->dev = st->st_dev;
	ep->ino = st->st_ino;
	ep->rdev = st->st_rdev;
	ep->mode = st->st_mode;
	ep->uid = st->st_uid;
	ep->gid = st->st_gid;
	ep->atime = st->st_atim;
	ep->mtime = st->st_mtim;
	ep->ctime = st->st_ctim;
	ep->found_size = (uint64_t)st->st_size;
	ep->stream = ep->std || zccp_kind_is_stream(ep->kind);
}

const char *zccp_endpoint_name(const struct zccp_endpoint *ep)
{
	if (ep->std)
		return ep->index ? "standard output" : "standard input";
	return ep->path ? ep->path : ep->arg;
}

/* Its name in a message: a path quoted where a shell would need it. */
#define EP_NAME(ep) ((ep)->std ? zccp_endpoint_name(ep) : \
				 ZCCP_QF(zccp_endpoint_name(ep)))

/* "zccp: cannot VERB 'NAME'[ how]: reason", as cp says what failed. */
static int fail_doing(struct zccp_endpoint *ep, int err, const char *verb,
		      const char *how)
{
	zccp_endpoint_set(ep, ZCCP_EP_FAILED, err);
	zccp_error("cannot %s %s%s: %s", verb, ZCCP_Q(zccp_endpoint_name(ep)),
		   how, zccp_strerror(-err));
	return err;
}

int zccp_source_fail_open(struct zccp_endpoint *src, int err)
{
	if (src->std)
		return zccp_endpoint_fail(src, err);
	if (err == -ENOENT || err == -ENOTDIR || err == -ELOOP)
		return fail_doing(src, err, "stat", "");
	return fail_doing(src, err, "open", " for reading");
}

int zccp_dest_fail_open(struct zccp_endpoint *dst, int err)
{
	if (dst->std || dst->net)
		return zccp_endpoint_fail(dst, err);
	if (!dst->existed)
		return fail_doing(dst, err, "create regular file", "");
	return fail_doing(dst, err, "open", " for writing");
}

void zccp_report_replacing(const char *path, const char *dir, int err)
{
	/* Out of room: the old file holds its room until it is replaced. */
	if (err == -ENOSPC || err == -EDQUOT)
		zccp_error("cannot write the temporary in %s that would replace "
			   "%s: %s (the old file keeps its room until then; "
			   "--inplace writes it in place)", ZCCP_Q(dir),
			   ZCCP_Q(path), zccp_strerror(-err));
	else
		zccp_error("%s: %s", ZCCP_QF(path), zccp_strerror(-err));
}

void zccp_report_endpoint(const struct zccp_endpoint *ep, int err)
{
	if (ep->existed && ep->dir && (ep->tmp_unnamed || ep->tmp_name))
		zccp_report_replacing(zccp_endpoint_name(ep), ep->dir, err);
	else
		zccp_error("%s: %s", EP_NAME(ep), zccp_strerror(-err));
}

void zccp_report_endpoint_note(const struct zccp_endpoint *ep, int err,
			       const char *note)
{
	zccp_error("%s: %s: %s", EP_NAME(ep), zccp_strerror(-err), note);
}

void zccp_report_uncloned(const struct zccp_endpoint *ep)
{
	zccp_error("%s: cannot clone: %s", EP_NAME(ep), ep->reflink_why);
}

/* The lifecycle of endpoint.h's enum zccp_ep_state. */
static bool may_move(enum zccp_ep_state from, enum zccp_ep_state to)
{
	switch (from) {
	case ZCCP_EP_PENDING:
		return to != ZCCP_EP_PENDING;
	case ZCCP_EP_CLONED:
		return to == ZCCP_EP_COMMITTED || to == ZCCP_EP_SKIPPED ||
		       to == ZCCP_EP_FAILED;
	case ZCCP_EP_FORWARDED: /* -> SENT: resumed by us (repair.h) */
		return to == ZCCP_EP_SENT || to == ZCCP_EP_COMMITTED ||
		       to == ZCCP_EP_FAILED;
	case ZCCP_EP_SENT:
		return to == ZCCP_EP_COMMITTED || to == ZCCP_EP_FAILED;
	case ZCCP_EP_FAILED:
		return to == ZCCP_EP_FAILED;
	default:
		return false;
	}
}

int zccp_endpoint_set(struct zccp_endpoint *ep, enum zccp_ep_state to,
		      int err)
{
	if (!may_move(zccp_endpoint_state(ep), to)) {
#ifdef ZCCP_STRICT_STATE
		fprintf(stderr, "zccp: %s: state %d -> %d\n",
			zccp_endpoint_name(ep), zccp_endpoint_state(ep), to);
		abort();
#endif
		return -EINVAL;
	}
	if (to == ZCCP_EP_FAILED)
		ep->error = err;
	/* Atomic: a progress thread may be reading it (progress.h). */
	__atomic_store_n(&ep->state, to, __ATOMIC_RELAXED);
	return 0;
}

static bool same_open_file(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

int zccp_endpoint_swap_socket(struct zccp_endpoint *ep, int fd)
{
	int flags = fcntl(ep->fd, F_GETFL);
	bool twin = ep->engine_fd >= 0 && same_open_file(ep->engine_fd, ep->fd);
	int ret = 0;

	if (flags < 0 || fcntl(fd, F_SETFL, flags) < 0 ||
	    dup3(fd, ep->fd, O_CLOEXEC) < 0 ||
	    (twin && dup3(fd, ep->engine_fd, O_CLOEXEC) < 0))
		ret = -errno;
	close(fd);
	return ret;
}

int zccp_endpoint_fail(struct zccp_endpoint *ep, int err)
{
	zccp_endpoint_set(ep, ZCCP_EP_FAILED, err);
	zccp_report_endpoint(ep, err);
	return err;
}

/* FUSE and fuseblk: FUSE_SUPER_MAGIC, which linux/magic.h lacks. */
#define ZCCP_FUSE_SUPER_MAGIC 0x65735546
/* fusectl's and configfs's, which linux/magic.h lacks too */
#define ZCCP_FUSECTL_SUPER_MAGIC 0x65735543
#ifndef CONFIGFS_MAGIC
#define CONFIGFS_MAGIC 0x62656570
#endif

/*
 * Pseudo file systems: their files are the kernel's, not data (proc,
 * sysfs, configfs, debugfs, tracefs, securityfs, cgroup, bpf, efivarfs,
 * pstore, binfmt_misc, resctrl, fusectl).  Their size is no promise
 * (sysfs says 4096 for all), and a write is a command: it cannot go to
 * a temporary beside them, nor at an offset.
 * devtmpfs is tmpfs: a regular file there is an ordinary file.
 */
static bool pseudo_fs(long f_type)
{
	switch (f_type) {
	case SYSFS_MAGIC:
	case PROC_SUPER_MAGIC:
	case DEBUGFS_MAGIC:
	case TRACEFS_MAGIC:
	case SECURITYFS_MAGIC:
	case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC:
	case BPF_FS_MAGIC:
	case CONFIGFS_MAGIC:
	case EFIVARFS_MAGIC:
	case PSTOREFS_MAGIC:
	case BINFMTFS_MAGIC:
	case RDTGROUP_SUPER_MAGIC:
	case ZCCP_FUSECTL_SUPER_MAGIC:
		return true;
	default:
		return false;
	}
}

/* What the source's file system means for reading it. */
static void take_fs(struct zccp_endpoint *src)
{
	struct statfs fs;

	if (fstatfs(src->fd, &fs))
		return;
	src->fuse = fs.f_type == ZCCP_FUSE_SUPER_MAGIC;
	src->size_vague = pseudo_fs(fs.f_type);
}

/* Which of fd 0 to 2 were closed when zccp started (bit per fd). */
static unsigned closed_standard_fds;

int zccp_guard_standard_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		closed_standard_fds |= 1u << fd;
		/* the other way round: printing to a closed stdout fails too */
		if (open("/dev/null", fd ? O_RDONLY : O_WRONLY) != fd)
			return -EBADF;
	}
	return 0;
}

int zccp_source_open(struct zccp_endpoint *src, const char *arg, int fd,
		     bool look)
{
	struct stat st;
	int ret;

	*src = (struct zccp_endpoint){ .arg = arg, .fd = -1, .engine_fd = -1 };
	src->std = !strcmp(arg, "-");
	if (!src->std)
		src->path = strdup(arg);
	/* look: --dry-run, which must not wait for a FIFO's writer */
	if (src->std && (closed_standard_fds & 1u << STDIN_FILENO))
		return zccp_endpoint_fail(src, -EBADF);
	src->fd = src->std ? STDIN_FILENO : fd >= 0 ? fd :
		  open(arg, O_RDONLY | O_CLOEXEC | (look ? O_NONBLOCK : 0));
	if (src->fd < 0 || fstat(src->fd, &st))
		return zccp_source_fail_open(src, -errno);
	ret = classify(&st, &src->kind);
	if (ret)
		return zccp_endpoint_fail(src, ret);
	take_stat(src, &st);
	take_fs(src);
	if (src->kind == ZCCP_KIND_REGULAR) {
		src->size = (uint64_t)st.st_size;
		src->size_known = !src->std || lseek(src->fd, 0, SEEK_CUR) == 0;
	} else if (src->kind == ZCCP_KIND_BLOCK) {
		if (ioctl(src->fd, BLKGETSIZE64, &src->size))
			return zccp_endpoint_fail(src, -errno);
		src->size_known = true;
	}
	/* A redirected stdin may sit mid-file: read it as a stream then. */
	if (src->std && src->kind == ZCCP_KIND_REGULAR && !src->size_known)
		src->stream = true;
	return 0;
}

int zccp_source_listen(struct zccp_endpoint *src, const char *spec)
{
	*src = (struct zccp_endpoint){ .arg = spec, .fd = -1, .engine_fd = -1,
				       .kind = ZCCP_KIND_SOCKET,
				       .stream = true, .net = true };
	/* unix:PATH as a destination too would be the source. */
	src->canonical = strdup(spec);
	return src->canonical ? 0 : zccp_endpoint_fail(src, -ENOMEM);
}

/*
 * Like cp, write through a symlink to its target: the temporary goes
 * beside the target and replaces it, and the link stays a link.  A
 * dangling link is refused, as cp refuses it.
 */
static char *follow_symlink(const char *arg)
{
	struct stat st;
	char *real;

	if (lstat(arg, &st) || !S_ISLNK(st.st_mode))
		return strdup(arg);
	real = realpath(arg, NULL);
	if (!real && errno == ENOENT)
		errno = ZCCP_EDANGLING;
	return real;
}

/* DIR/basename(SOURCE) when DEST names a directory, as cp does. */
static int resolve_dest_path(struct zccp_endpoint *dst, const char *arg,
			     const struct zccp_endpoint *src, struct stat *st,
			     bool *exists)
{
	char *base;

	dst->path = follow_symlink(arg);
	if (!dst->path)
		return -errno;
	*exists = !stat(dst->path, st);
	if (!*exists && errno != ENOENT)
		return -errno;
	if (!*exists || !S_ISDIR(st->st_mode))
		return 0;
	if (src->std || src->net)
		return -EISDIR; /* stdin, a connection: no name to copy to */
	base = zccp_path_base(src->path);
	free(dst->path);
	dst->path = base ? zccp_path_join(arg, base) : NULL;
	free(base);
	if (!dst->path)
		return -ENOMEM;
	*exists = !stat(dst->path, st);
	if (!*exists && errno != ENOENT)
		return -errno;
	if (*exists && S_ISDIR(st->st_mode))
		return -EISDIR;
	return 0;
}

/* An absolute path for a destination that does not exist yet. */
static char *canonical_new_path(const char *path)
{
	char *dir = zccp_path_dir(path), *base = zccp_path_base(path);
	char *real, *out = NULL;

	int err;

	real = dir ? realpath(dir, NULL) : NULL;
	if (real && base)
		out = zccp_path_join(real, base);
	err = out ? 0 : errno;
	free(real);
	free(dir);
	free(base);
	errno = err;
	return out;
}

/*
 * -r: arg's name in dirfd, its directory opened beneath the root; a link
 * there is never followed (it may lead outside the tree).  1: a link
 * that -n leaves alone; else 0 or -errno.
 */
static int resolve_beneath(struct zccp_endpoint *dst, const char *arg,
			   const struct zccp_opts *opts, int dirfd,
			   struct stat *st, bool *exists)
{
	const char *slash = strrchr(arg, '/');

	dst->path = strdup(arg);
	if (!dst->path)
		return -ENOMEM;
	dst->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	if (dst->dirfd < 0)
		return -errno;
	dst->beneath = true;
	dst->leaf = dst->path + (slash ? slash + 1 - arg : 0);
	*exists = !fstatat(dst->dirfd, dst->leaf, st, AT_SYMLINK_NOFOLLOW);
	if (!*exists)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISLNK(st->st_mode))
		return opts->no_clobber ? 1 : -ZCCP_ETREELINK;
	/* a file of the tree never goes into a directory */
	return S_ISDIR(st->st_mode) ? -EISDIR : 0;
}

/*
 * A file of proc, sysfs, configfs...: written as cp writes it, in
 * place and in order with write(2), as a device is (no temporary can
 * be made there; some take no offset, /proc/PID/comm: ESPIPE; libaio
 * and splice fail EINVAL on those without ->write_iter).
 */
static void take_pseudo(struct zccp_endpoint *dst)
{
	struct statfs fs;

	if (dst->kind != ZCCP_KIND_REGULAR || dst->std || dst->beneath ||
	    statfs(dst->path, &fs) || !pseudo_fs(fs.f_type))
		return;
	dst->kind = ZCCP_KIND_CHAR;
	dst->pseudo = true;
}

int zccp_dest_prepare(struct zccp_endpoint *dst, const char *arg,
		      const struct zccp_endpoint *src,
		      const struct zccp_opts *opts, int dirfd)
{
	struct stat st;
	bool exists = false;
	int ret;

	/* an index >= 1 names a failing "-" "standard output" (report.c) */
	*dst = (struct zccp_endpoint){ .arg = arg, .fd = -1, .engine_fd = -1,
				       .index = dst->index > 0 ? dst->index : 1 };
	dst->std = !strcmp(arg, "-");
	if (zccp_net_is_address(arg) || zccp_remote_is_ssh(arg)) {
		/* connected at open; two alike are one destination twice */
		dst->net = true;
		dst->remote = zccp_remote_is_ssh(arg);
		dst->framed = !opts->raw;
		dst->kind = ZCCP_KIND_SOCKET;
		dst->stream = true;
		dst->path = strdup(arg);
		dst->canonical = strdup(arg);
		return dst->path && dst->canonical ? 0 :
			zccp_endpoint_fail(dst, -ENOMEM);
	}
	if (dst->std) {
		if (closed_standard_fds & 1u << STDOUT_FILENO)
			return zccp_endpoint_fail(dst, -EBADF);
		if (fstat(STDOUT_FILENO, &st))
			return zccp_endpoint_fail(dst, -errno);
		exists = true;
	} else if (dirfd >= 0) {
		ret = resolve_beneath(dst, arg, opts, dirfd, &st, &exists);
		if (ret == 1) { /* -n: a link, left alone */
			dst->kind = ZCCP_KIND_REGULAR;
			dst->existed = true;
			zccp_endpoint_set(dst, ZCCP_EP_SKIPPED, 0);
			return 0;
		}
		if (ret)
			return zccp_endpoint_fail(dst, ret);
	} else {
		ret = resolve_dest_path(dst, arg, src, &st, &exists);
		if (ret)
			return zccp_endpoint_fail(dst, ret);
	}
	dst->existed = exists;
	if (!exists) {
		dst->kind = ZCCP_KIND_REGULAR;
		dst->canonical = canonical_new_path(dst->path);
		if (!dst->canonical) /* its directory is not there */
			return zccp_dest_fail_open(dst, -errno);
		return 0;
	}
	ret = classify(&st, &dst->kind);
	if (ret)
		return zccp_endpoint_fail(dst, ret);
	take_pseudo(dst);
	take_stat(dst, &st);
	return 0;
}

static bool same_file(const struct zccp_endpoint *a,
		      const struct zccp_endpoint *b)
{
	if (a->kind == ZCCP_KIND_BLOCK && b->kind == ZCCP_KIND_BLOCK)
		return a->rdev == b->rdev;
	if (a->canonical || b->canonical)
		return a->canonical && b->canonical &&
		       !strcmp(a->canonical, b->canonical);
	return a->dev == b->dev && a->ino == b->ino;
}

int zccp_check_distinct(struct zccp_endpoint *src,
			struct zccp_endpoint **dsts, unsigned ndst)
{
	for (unsigned i = 0; i < ndst; i++) {
		struct zccp_endpoint *d = dsts[i];
		/* A terminal may be stdin and stdout at once: that is fine. */
		bool shared_tty = d->kind == ZCCP_KIND_CHAR && !d->pseudo;

		if (zccp_endpoint_failed(d))
			continue;
		if (!shared_tty && same_file(src, d)) {
			/* a --listen source has an address, not a path */
			zccp_error("%s: %s %s", EP_NAME(d),
				   zccp_strerror(ZCCP_ESAMEFILE),
				   src->std ? "(standard input)" :
				   ZCCP_QF(src->path ? src->path : src->arg));
			/* --json: its reason; the others stay aborted */
			zccp_endpoint_set(d, ZCCP_EP_FAILED, -ZCCP_ESAMEFILE);
			return -EINVAL;
		}
		for (unsigned j = 0; j < i; j++) {
			if (zccp_endpoint_failed(dsts[j]))
				continue;
			if ((d->std && dsts[j]->std) ||
			    (!shared_tty && same_file(d, dsts[j]))) {
				zccp_error("%s: %s",
					   d->std ? "-" : ZCCP_QF(d->path),
					   zccp_strerror(ZCCP_ETWICE));
				zccp_endpoint_set(d, ZCCP_EP_FAILED,
						  -ZCCP_ETWICE);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* The named temporaries, for the signal handler to remove. */
void zccp_endpoint_close(struct zccp_endpoint *ep)
{
	if (ep->tls) {
		zccp_tls_close(ep->tls, ep->fd,
			       ep->state == ZCCP_EP_FAILED);
		ep->tls = NULL;
	} else if (ep->fd > STDERR_FILENO) {
		close(ep->fd);
	}
	ep->fd = -1;
}
