// SPDX-License-Identifier: MIT
/*
 * Endpoints: classify, refuse what must not be copied, open, and replace
 * regular destinations atomically: data goes to a temporary in the
 * destination's directory, which is renamed over the final name only
 * when complete.  Until then the old destination is untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "zccp/endpoint.h"
#include "zccp/net.h"
#include "zccp/preserve.h"
#include "zccp/opts.h"
#include "zccp/report.h"
#include "zccp/stale.h"

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
	ep->stream = ep->std || zccp_kind_is_stream(ep->kind);
}

const char *zccp_endpoint_name(const struct zccp_endpoint *ep)
{
	if (ep->std)
		return ep->index ? "standard output" : "standard input";
	return ep->path ? ep->path : ep->arg;
}

void zccp_report_endpoint(const struct zccp_endpoint *ep, int err)
{
	zccp_error("%s: %s", zccp_endpoint_name(ep), zccp_strerror(-err));
}

void zccp_report_endpoint_note(const struct zccp_endpoint *ep, int err,
			       const char *note)
{
	zccp_error("%s: %s: %s", zccp_endpoint_name(ep), zccp_strerror(-err),
		   note);
}

void zccp_report_uncloned(const struct zccp_endpoint *ep)
{
	zccp_error("%s: cannot clone: %s", zccp_endpoint_name(ep),
		   ep->reflink_why);
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

int zccp_endpoint_fail(struct zccp_endpoint *ep, int err)
{
	zccp_endpoint_set(ep, ZCCP_EP_FAILED, err);
	zccp_report_endpoint(ep, err);
	return err;
}

/* FUSE and fuseblk: FUSE_SUPER_MAGIC, which linux/magic.h lacks. */
#define ZCCP_FUSE_SUPER_MAGIC 0x65735546

/* What the source's file system means for reading it. */
static void take_fs(struct zccp_endpoint *src)
{
	struct statfs fs;

	if (fstatfs(src->fd, &fs))
		return;
	src->fuse = fs.f_type == ZCCP_FUSE_SUPER_MAGIC;
	/* Pseudo files whose size is no promise: sysfs says 4096 for all. */
	switch (fs.f_type) {
	case SYSFS_MAGIC:
	case PROC_SUPER_MAGIC:
	case DEBUGFS_MAGIC:
	case TRACEFS_MAGIC:
	case SECURITYFS_MAGIC:
	case CGROUP2_SUPER_MAGIC:
	case BPF_FS_MAGIC:
		src->size_vague = true;
		break;
	default:
		break;
	}
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
		return zccp_endpoint_fail(src, -errno);
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

int zccp_source_accept(struct zccp_endpoint *src, unsigned timeout_ms)
{
	zccp_info("listening on %s", src->arg);
	src->fd = zccp_net_accept(src->arg, timeout_ms, &src->path);
	if (src->fd == -ETIMEDOUT) {
		zccp_error("--listen %s: no sender within %u s (--timeout)",
			   src->arg, timeout_ms / 1000);
		zccp_endpoint_set(src, ZCCP_EP_FAILED, 0); /* said above */
		return src->fd;
	}
	if (src->fd < 0) {
		zccp_error("--listen %s: %s", src->arg,
			   src->fd == -ZCCP_EADDRESS ?
			   "not an address: want HOST:PORT, [IPV6]:PORT, "
			   ":PORT, *:PORT or unix:PATH" :
			   zccp_strerror(-src->fd));
		zccp_endpoint_set(src, ZCCP_EP_FAILED, 0); /* said above */
		return src->fd;
	}
	zccp_info("connection from %s", src->path);
	return 0;
}

static char *join_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n);

	if (path)
		snprintf(path, n, "%s%s%s", dir,
			 dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", name);
	return path;
}

static char *dir_of(const char *path)
{
	char *copy = strdup(path), *dir;

	if (!copy)
		return NULL;
	dir = strdup(dirname(copy));
	free(copy);
	return dir;
}

static char *base_of(const char *path)
{
	char *copy = strdup(path), *base;

	if (!copy)
		return NULL;
	base = strdup(basename(copy));
	free(copy);
	return base;
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
	base = base_of(src->path);
	free(dst->path);
	dst->path = base ? join_path(arg, base) : NULL;
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
	char *dir = dir_of(path), *base = base_of(path), *real, *out = NULL;

	int err;

	real = dir ? realpath(dir, NULL) : NULL;
	if (real && base)
		out = join_path(real, base);
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
	if (zccp_net_is_address(arg)) {
		/* connected at open; two alike are one destination twice */
		dst->net = true;
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
		if (!dst->canonical)
			return zccp_endpoint_fail(dst, -errno);
		return 0;
	}
	ret = classify(&st, &dst->kind);
	if (ret)
		return zccp_endpoint_fail(dst, ret);
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
		bool shared_tty = d->kind == ZCCP_KIND_CHAR;

		if (zccp_endpoint_failed(d))
			continue;
		if (!shared_tty && same_file(src, d)) {
			/* a --listen source has an address, not a path */
			zccp_error("%s: is the same file as the source %s",
				   d->std ? "standard output" : d->path,
				   src->std ? "(standard input)" :
				   src->path ? src->path : src->arg);
			return -EINVAL;
		}
		for (unsigned j = 0; j < i; j++) {
			if (zccp_endpoint_failed(dsts[j]))
				continue;
			if ((d->std && dsts[j]->std) ||
			    (!shared_tty && same_file(d, dsts[j]))) {
				zccp_error("%s: destination given twice",
					   d->std ? "-" : d->path);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* The named temporaries, for the signal handler to remove. */
/*
 * Where a destination's names resolve: under -r against the descriptor
 * of its directory (dst->beneath), else as paths from here.
 */
static int at_dir(const struct zccp_endpoint *dst)
{
	return dst->beneath ? dst->dirfd : AT_FDCWD;
}

static const char *at_name(const struct zccp_endpoint *dst)
{
	return dst->beneath ? dst->leaf : dst->path;
}

/* The directory itself (O_TMPFILE, access checks). */
static const char *at_self(const struct zccp_endpoint *dst)
{
	return dst->beneath ? "." : dst->dir;
}

#define MAX_TRACKED 8192
static struct zccp_endpoint *tracked[MAX_TRACKED];
static unsigned ntracked;

static void track(struct zccp_endpoint *dst)
{
	unsigned free_slot = ntracked;

	for (unsigned i = 0; i < ntracked; i++) {
		if (tracked[i] == dst)
			return;
		if (!tracked[i] && free_slot == ntracked)
			free_slot = i; /* -r frees slots file after file */
	}
	if (free_slot < ntracked)
		__atomic_store_n(&tracked[free_slot], dst, __ATOMIC_SEQ_CST);
	else if (ntracked < MAX_TRACKED)
		tracked[ntracked++] = dst;
}

static void untrack(struct zccp_endpoint *dst)
{
	for (unsigned i = 0; i < ntracked; i++)
		if (tracked[i] == dst)
			__atomic_store_n(&tracked[i], NULL, __ATOMIC_SEQ_CST);
}

void zccp_dests_discard_from_signal(void)
{
	for (unsigned i = 0; i < ntracked; i++) {
		struct zccp_endpoint *dst =
			__atomic_load_n(&tracked[i], __ATOMIC_SEQ_CST);
		const char *name = dst ? dst->tmp_name : NULL;

		if (name)
			unlinkat(at_dir(dst), name, 0);
		/* --inplace made it: a signal removes it, as a failure does */
		if (dst && __atomic_load_n(&dst->inplace_created,
					   __ATOMIC_SEQ_CST))
			unlinkat(at_dir(dst), at_name(dst), 0);
	}
}

/* A hidden name beside the destination, created with O_EXCL semantics. */
static char *hidden_name(const struct zccp_endpoint *dst)
{
	unsigned char rnd[6];
	char *base = base_of(dst->path), *name = NULL;
	char leaf[NAME_MAX + 1];

	if (!base)
		return NULL;
	if (getrandom(rnd, sizeof(rnd), 0) == sizeof(rnd)) {
		snprintf(leaf, sizeof(leaf),
			 ".%.200s" ZCCP_TEMPORARY_SUFFIX "%02x%02x%02x%02x%02x%02x",
			 base, rnd[0],
			 rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
		name = dst->beneath ? strdup(leaf) : join_path(dst->dir, leaf);
	}
	free(base);
	return name;
}

static int set_tmp_name(struct zccp_endpoint *dst, char *name)
{
	track(dst);
	/* Publish whole: the signal handler reads it. */
	__atomic_store_n(&dst->tmp_name, name, __ATOMIC_SEQ_CST);
	return 0;
}

static void clear_tmp_name(struct zccp_endpoint *dst)
{
	char *name = __atomic_exchange_n(&dst->tmp_name, NULL, __ATOMIC_SEQ_CST);

	free(name);
}

static int open_named_temporary(struct zccp_endpoint *dst)
{
	for (int tries = 0; tries < 100; tries++) {
		char *name = hidden_name(dst);

		if (!name)
			return -ENOMEM;
		set_tmp_name(dst, name);
		dst->fd = openat(at_dir(dst), name,
				 O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (dst->fd >= 0) {
			zccp_temporary_hold(dst->fd);
			return 0;
		}
		clear_tmp_name(dst);
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int open_temporary(struct zccp_endpoint *dst)
{
	dst->fd = openat(at_dir(dst), at_self(dst),
			 O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (dst->fd >= 0) {
		dst->tmp_unnamed = true;
		zccp_temporary_hold(dst->fd);
		return 0;
	}
	/* Filesystems without O_TMPFILE say so in several ways. */
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	return open_named_temporary(dst);
}

/*
 * Replacing needs what writing in place (cp) needs: permission to
 * write the file, and the replacement must keep its owner.  -f, as
 * cp -f removes and recreates such a file: replaced all the same,
 * and the replacement is ours.
 */
static int check_replaceable(const struct zccp_endpoint *dst, bool force)
{
	if (!dst->existed || force)
		return 0;
	if (faccessat(at_dir(dst), at_name(dst), W_OK, AT_EACCESS))
		return -errno;
	if (dst->uid != geteuid() && geteuid() != 0)
		return -ZCCP_EOWNER;
	return 0;
}

/* The replacement gets the old file's mode and owner, as an overwrite
 * by cp would keep them; a new file gets the source's mode less umask. */
static int set_temporary_attributes(struct zccp_endpoint *dst,
				    const struct zccp_endpoint *src, bool force)
{
	mode_t mask = umask(0);
	mode_t mode;
	/* The group may be one we are not in: keep ours then. */
	bool kept = dst->existed &&
		    (!fchown(dst->fd, dst->uid, dst->gid) ||
		     !fchown(dst->fd, dst->uid, (gid_t)-1));

	umask(mask);
	if (dst->existed && !kept && !force)
		return -ZCCP_EOWNER;
	if (kept) {
		mode = dst->mode & 07777;
	} else {
		mode = (src->kind == ZCCP_KIND_REGULAR && !src->std ?
				src->mode & 0777 : 0666) & ~mask;
	}
	return fchmod(dst->fd, mode) ? -errno : 0;
}

int zccp_dest_open(struct zccp_endpoint *dst, const struct zccp_endpoint *src,
		   const struct zccp_opts *opts)
{
	int ret = 0;

	dst->source = src;
	if (dst->std) {
		dst->fd = STDOUT_FILENO;
		return 0;
	}
	if (dst->net) {
		dst->fd = zccp_net_connect(dst->arg, opts->timeout_ms);
		return dst->fd < 0 ? zccp_endpoint_fail(dst, dst->fd) : 0;
	}
	if (dst->kind != ZCCP_KIND_REGULAR) {
		/* Devices and FIFOs: written in place, never truncated. */
		dst->fd = openat(at_dir(dst), at_name(dst),
				 O_WRONLY | O_CLOEXEC |
					 (dst->beneath ? O_NOFOLLOW : 0));
		return dst->fd < 0 ? zccp_endpoint_fail(dst, -errno) : 0;
	}
	if (opts->inplace) {
		mode_t mode = src->kind == ZCCP_KIND_REGULAR && !src->std ?
				      src->mode & 0777 : 0666;

		/* Truncated by zccp_dest_begin, once nothing can stop us.
		 * A new one is made with O_EXCL: one that appeared since
		 * is not ours to remove (or, with -n, to write). */
		dst->fd = openat(at_dir(dst), at_name(dst),
				 O_WRONLY | O_CREAT | O_CLOEXEC |
					 (dst->beneath ? O_NOFOLLOW : 0) |
					 (dst->existed ? 0 : O_EXCL), mode);
		/* ours to remove if the copy fails or a signal ends it:
		 * made by this open */
		if (!dst->existed && dst->fd >= 0) {
			track(dst);
			__atomic_store_n(&dst->inplace_created, true,
					 __ATOMIC_SEQ_CST);
		}
		if (dst->fd < 0 && errno == EEXIST && !dst->existed) {
			dst->inplace_created = false;
			if (opts->no_clobber) {
				zccp_endpoint_set(dst, ZCCP_EP_SKIPPED, 0);
				return 0;
			}
			dst->fd = openat(at_dir(dst), at_name(dst),
					 O_WRONLY | O_CLOEXEC |
						 (dst->beneath ? O_NOFOLLOW : 0));
		}
		if (dst->fd >= 0)
			return 0;
		/* cp -f removes it and writes anew: a temporary does that
		 * without losing the old file before the new one is whole. */
		if (errno != EACCES || !opts->force)
			return zccp_endpoint_fail(dst, -errno);
		dst->inplace_created = false;
		dst->replaced_inplace = true;
	}
	ret = check_replaceable(dst, opts->force);
	if (ret)
		return zccp_endpoint_fail(dst, ret);
	dst->dir = dir_of(dst->path);
	if (!dst->dir)
		return zccp_endpoint_fail(dst, -ENOMEM);
	zccp_stale_sweep(at_dir(dst), at_self(dst), dst->dir);
	ret = open_temporary(dst);
	if (!ret)
		ret = set_temporary_attributes(dst, src, opts->force);
	if (ret) {
		zccp_dest_discard(dst);
		return zccp_endpoint_fail(dst, ret);
	}
	return 0;
}

int zccp_dest_check(struct zccp_endpoint *dst, const struct zccp_opts *opts,
		    const char **how)
{
	bool replace = dst->kind == ZCCP_KIND_REGULAR && !opts->inplace;
	int ret;

	*how = "";
	/* --inplace -f on a file we may not write: a temporary, as open */
	if (!replace && dst->kind == ZCCP_KIND_REGULAR && dst->existed &&
	    !dst->std && access(dst->path, W_OK)) {
		if (errno != EACCES || !opts->force)
			return -errno;
		replace = true;
	}
	if (dst->std || dst->net) {
		*how = dst->net ? "connected when the copy starts" :
				  "standard output";
		return 0;
	}
	if (dst->kind != ZCCP_KIND_REGULAR) {
		*how = "written in place, never truncated";
		return access(dst->path, W_OK) ? -errno : 0;
	}
	dst->dir = dir_of(dst->path);
	if (!dst->dir)
		return -ENOMEM;
	*how = !replace ? "written in place" :
	       dst->existed ? "written to a temporary beside it, renamed "
			      "over it when complete" :
			      "written to a temporary beside it, renamed "
			      "when complete";
	if (!replace) /* in place: a new file needs its directory */
		return dst->existed ? 0 :
		       access(dst->dir, W_OK | X_OK) ? -errno : 0;
	ret = check_replaceable(dst, opts->force);
	if (ret)
		return ret;
	return access(dst->dir, W_OK | X_OK) ? -errno : 0;
}

/* Give an O_TMPFILE a hidden name so that rename can put it in place:
 * only then, so that a kill -9 finds a name beside the destination for
 * no longer than it takes to rename it (zccp/stale.h). */
static int link_unnamed(struct zccp_endpoint *dst)
{
	char proc[64];

	for (int tries = 0; tries < 100; tries++) {
		char *name = hidden_name(dst);
		int ret;

		if (!name)
			return -ENOMEM;
		set_tmp_name(dst, name);
		ret = linkat(dst->fd, "", at_dir(dst), name, AT_EMPTY_PATH);
		if (ret && errno == ENOENT) {
			/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH. */
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d",
				 dst->fd);
			ret = linkat(AT_FDCWD, proc, at_dir(dst), name,
				     AT_SYMLINK_FOLLOW);
		}
		if (!ret) {
			dst->tmp_unnamed = false;
			return 0;
		}
		clear_tmp_name(dst);
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int sync_dir(const struct zccp_endpoint *dst)
{
	int fd = openat(at_dir(dst), at_self(dst),
			O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

/* Everything that can fail before the rename: size, data. */
/* -p: regular files get a regular file's or a device's attributes
 * (a pipe or a socket has none worth keeping). */
static bool keeps_attributes(const struct zccp_endpoint *dst,
			     const struct zccp_opts *opts)
{
	const struct zccp_endpoint *src = dst->source;

	return opts->preserve && dst->kind == ZCCP_KIND_REGULAR &&
	       !dst->std && src && !src->net &&
	       (src->kind == ZCCP_KIND_REGULAR || src->kind == ZCCP_KIND_BLOCK);
}

int zccp_dest_seal(struct zccp_endpoint *dst, uint64_t size,
		   const struct zccp_opts *opts)
{
	/*
	 * The size, including a hole at the end that no write made.  A
	 * clone has its size: truncating would zero its tail block past
	 * the end, and so unshare it (xfs).
	 */
	if (dst->kind == ZCCP_KIND_REGULAR && !dst->std && !dst->reflinked &&
	    ftruncate(dst->fd, (off_t)size))
		return -errno;
	if (keeps_attributes(dst, opts)) {
		int ret = zccp_preserve(dst->fd, dst->source, opts->preserve,
					opts->preserve_required);

		if (ret)
			return ret;
	}
	if (opts->fsync && fsync(dst->fd) && errno != EINVAL &&
	    errno != EROFS)
		return -errno;
	return 0;
}

/* -n: a file made meanwhile still wins, as cp -n's O_EXCL: ours goes. */
static int skip_appeared(struct zccp_endpoint *dst)
{
	zccp_dest_discard(dst);
	dst->bytes = 0;
	dst->verified = false;
	zccp_endpoint_set(dst, ZCCP_EP_SKIPPED, 0);
	zccp_info("%s: appeared meanwhile, not overwritten (-n)", dst->arg);
	return 0;
}

/*
 * Close a destination and say whether that failed: NFS reports write-back
 * errors at close, a FUSE server a failing FLUSH, and cp fails then too.
 * The descriptor is gone either way.
 */
static int close_checked(struct zccp_endpoint *dst)
{
	int ret = 0;

	if (dst->fd <= STDERR_FILENO)
		return 0;
	if (close(dst->fd))
		ret = -errno;
	dst->fd = -1;
	return ret;
}

/* Put the sealed replacement in place of the destination: closed first,
 * so that an error closing it keeps the old content in place. */
int zccp_dest_publish(struct zccp_endpoint *dst, const struct zccp_opts *opts)
{
	int ret = dst->tmp_unnamed ? link_unnamed(dst) : 0;

	if (!ret)
		ret = close_checked(dst);
	if (ret)
		return ret;
	if (dst->tmp_name) {
		/* -n: a file made meanwhile still wins, as cp -n's O_EXCL */
		ret = !opts->no_clobber ? -EINVAL :
		      renameat2(at_dir(dst), dst->tmp_name, at_dir(dst),
				at_name(dst), RENAME_NOREPLACE) ? -errno : 0;
		if (ret == -EEXIST)
			return skip_appeared(dst);
		if (ret == -EINVAL) /* not asked, or the fs has no such rename */
			ret = renameat(at_dir(dst), dst->tmp_name, at_dir(dst),
				       at_name(dst)) ? -errno : 0;
		if (ret)
			return ret;
		clear_tmp_name(dst);
		if (opts->fsync)
			ret = sync_dir(dst);
	}
	if (!ret) {
		/* complete: a signal from now on leaves it */
		__atomic_store_n(&dst->inplace_created, false,
				 __ATOMIC_SEQ_CST);
		zccp_endpoint_set(dst, ZCCP_EP_COMMITTED, 0);
		zccp_endpoint_close(dst);
	}
	return ret;
}

/* How zccp_dests_publish_all put a replacement in place. */
enum placed {
	NOT_PLACED,
	SWAPPED,  /* with the old file, which waits at the temporary's name */
	NEW_NAME, /* a name that was free */
	LAST,     /* no RENAME_EXCHANGE here: a plain rename, after the rest */
};

/* One replacement in, if it can be taken back; 0 or -errno. */
static int place(struct zccp_endpoint *d, const struct zccp_opts *opts,
		 enum placed *how)
{
	if (!opts->no_clobber &&
	    !renameat2(at_dir(d), d->tmp_name, at_dir(d), at_name(d),
		       RENAME_EXCHANGE)) {
		*how = SWAPPED;
		return 0;
	}
	if (!opts->no_clobber && errno != ENOENT) {
		*how = errno == EINVAL ? LAST : NOT_PLACED;
		return errno == EINVAL ? 0 : -errno;
	}
	if (!renameat2(at_dir(d), d->tmp_name, at_dir(d), at_name(d),
		       RENAME_NOREPLACE)) {
		*how = NEW_NAME;
		return 0;
	}
	*how = errno == EINVAL ? LAST : NOT_PLACED;
	return errno == EINVAL ? 0 : -errno;
}

/* Take a placed replacement back: the old file (if any) at its name. */
static void take_back(struct zccp_endpoint *d, enum placed how)
{
	if (how == SWAPPED)
		renameat2(at_dir(d), d->tmp_name, at_dir(d), at_name(d),
			  RENAME_EXCHANGE);
	else if (how == NEW_NAME)
		renameat(at_dir(d), at_name(d), at_dir(d), d->tmp_name);
}

static bool publishable(const struct zccp_endpoint *d)
{
	return zccp_endpoint_active(d) && !d->framed;
}

/* In place: the old contents go, the temporaries' names are free. */
static void placed(struct zccp_endpoint *d, enum placed how,
		   const struct zccp_opts *opts)
{
	if (how == SWAPPED)
		unlinkat(at_dir(d), d->tmp_name, 0); /* the old content */
	if (d->tmp_name && opts->fsync)
		sync_dir(d);
	clear_tmp_name(d);
	__atomic_store_n(&d->inplace_created, false, __ATOMIC_SEQ_CST);
	zccp_endpoint_set(d, ZCCP_EP_COMMITTED, 0);
}

/* Put every one in place (those with no way back last); on a failure,
 * take back what can be. */
static int place_all(struct zccp_endpoint **dests, unsigned n,
		     const struct zccp_opts *opts, enum placed *how)
{
	unsigned i;
	int ret = 0;

	for (i = 0; !ret && i < n; i++) {
		if (!publishable(dests[i]) || !dests[i]->tmp_name)
			continue;
		ret = place(dests[i], opts, &how[i]);
		if (ret == -EEXIST && opts->no_clobber)
			ret = skip_appeared(dests[i]);
		if (ret)
			zccp_endpoint_fail(dests[i], ret);
	}
	for (i = 0; !ret && i < n; i++) {
		if (how[i] != LAST)
			continue;
		if (renameat(at_dir(dests[i]), dests[i]->tmp_name,
			     at_dir(dests[i]), at_name(dests[i])))
			ret = zccp_endpoint_fail(dests[i], -errno);
		else
			placed(dests[i], LAST, opts); /* for good */
	}
	for (i = 0; ret && i < n; i++)
		if (publishable(dests[i]) && dests[i]->tmp_name)
			take_back(dests[i], how[i]);
	return ret;
}

int zccp_dests_publish_all(struct zccp_endpoint **dests, unsigned n,
			   const struct zccp_opts *opts)
{
	enum placed *how = calloc(n ? n : 1, sizeof(*how));
	int ret = how ? 0 : -ENOMEM;

	for (unsigned i = 0; !ret && i < n; i++)
		if (publishable(dests[i]) &&
		    ((dests[i]->tmp_unnamed && (ret = link_unnamed(dests[i]))) ||
		     (ret = close_checked(dests[i]))))
			zccp_endpoint_fail(dests[i], ret);
	if (!ret)
		ret = place_all(dests, n, opts, how);
	for (unsigned i = 0; !ret && i < n; i++)
		if (publishable(dests[i]))
			placed(dests[i], how[i], opts);
	free(how);
	return ret;
}

int zccp_dest_commit(struct zccp_endpoint *dst, uint64_t size,
		     const struct zccp_opts *opts)
{
	int ret = zccp_dest_seal(dst, size, opts);

	return ret ? ret : zccp_dest_publish(dst, opts);
}

void zccp_dest_discard(struct zccp_endpoint *dst)
{
	if (dst->tmp_name) {
		unlinkat(at_dir(dst), dst->tmp_name, 0);
		clear_tmp_name(dst);
	}
	/* An --inplace file we created and could not complete goes too. */
	if (dst->inplace_created && !zccp_endpoint_committed(dst)) {
		__atomic_store_n(&dst->inplace_created, false,
				 __ATOMIC_SEQ_CST);
		unlinkat(at_dir(dst), at_name(dst), 0);
	}
	dst->tmp_unnamed = false;
	zccp_endpoint_close(dst);
}

int zccp_dest_begin(struct zccp_endpoint *dst, const struct zccp_opts *opts)
{
	if (zccp_endpoint_failed(dst) || !opts->inplace || dst->kind != ZCCP_KIND_REGULAR ||
	    dst->std || dst->replaced_inplace)
		return 0;
	if (ftruncate(dst->fd, 0))
		return zccp_endpoint_fail(dst, -errno);
	return 0;
}

void zccp_endpoint_close(struct zccp_endpoint *ep)
{
	if (ep->fd > STDERR_FILENO)
		close(ep->fd);
	ep->fd = -1;
}

void zccp_endpoint_free(struct zccp_endpoint *ep)
{
	untrack(ep);
	zccp_endpoint_close(ep);
	clear_tmp_name(ep);
	if (ep->beneath)
		close(ep->dirfd);
	ep->beneath = false;
	free(ep->path);
	free(ep->canonical);
	free(ep->dir);
	ep->path = ep->canonical = ep->dir = NULL;
	ep->leaf = NULL;
}
