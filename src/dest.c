// SPDX-License-Identifier: MIT
/*
 * Writing destinations safely: open them, and replace regular files
 * atomically: data goes to a temporary in the destination's directory,
 * renamed over the final name only when complete, so until then the old
 * destination is untouched.  Temporaries (and files --inplace made) are
 * tracked, so that a fatal signal removes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zccp/endpoint.h"
#include "zccp/net.h"
#include "zccp/opts.h"
#include "zccp/path.h"
#include "zccp/preserve.h"
#include "zccp/report.h"
#include "zccp/stale.h"
#include "zccp/testhook.h"

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
	char *base = zccp_path_base(dst->path), *name = NULL;
	char leaf[NAME_MAX + 1];

	if (!base)
		return NULL;
	if (!zccp_temporary_name_for(leaf, sizeof(leaf), base))
		name = dst->beneath ? strdup(leaf) : zccp_path_join(dst->dir, leaf);
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

/*
 * --inplace on a regular file: 0 when dst->fd is open (or -n left it
 * alone), 1 to replace it through a temporary after all (-f, and we
 * may not write it), else -errno.
 */
static int open_in_place(struct zccp_endpoint *dst,
			 const struct zccp_endpoint *src,
			 const struct zccp_opts *opts)
{
	int nofollow = dst->beneath ? O_NOFOLLOW : 0;
	mode_t mode = src->kind == ZCCP_KIND_REGULAR && !src->std ?
			      src->mode & 0777 : 0666;

	/* Truncated by zccp_dest_begin, once nothing can stop us.  A new
	 * one is made with O_EXCL: one that appeared since is not ours to
	 * remove (or, with -n, to write). */
	dst->fd = openat(at_dir(dst), at_name(dst),
			 O_WRONLY | O_CREAT | O_CLOEXEC | nofollow |
				 (dst->existed ? 0 : O_EXCL), mode);
	/* ours to remove if the copy fails or a signal ends it: made by
	 * this open */
	if (!dst->existed && dst->fd >= 0) {
		track(dst);
		__atomic_store_n(&dst->inplace_created, true, __ATOMIC_SEQ_CST);
	}
	if (dst->fd < 0 && errno == EEXIST && !dst->existed) {
		if (opts->no_clobber)
			return zccp_endpoint_set(dst, ZCCP_EP_SKIPPED, 0);
		dst->fd = openat(at_dir(dst), at_name(dst),
				 O_WRONLY | O_CLOEXEC | nofollow);
	}
	if (dst->fd >= 0)
		return 0;
	/* cp -f removes it and writes anew: a temporary does that without
	 * losing the old file before the new one is whole. */
	if (errno != EACCES || !opts->force)
		return -errno;
	dst->replaced_inplace = true;
	return 1;
}

/* A new file's temporary is its creation, as cp would say it; an old
 * one's is not the file itself, which must not seem to have failed. */
static void report_no_temporary(struct zccp_endpoint *dst, int err)
{
	if (!dst->existed) {
		zccp_dest_fail_open(dst, err);
		return;
	}
	zccp_endpoint_set(dst, ZCCP_EP_FAILED, err);
	zccp_error("cannot make a temporary in %s to replace %s: %s "
		   "(--inplace writes it in place)", ZCCP_Q(dst->dir),
		   ZCCP_Q(dst->path), zccp_strerror(-err));
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
		return dst->fd < 0 ? zccp_dest_fail_open(dst, -errno) : 0;
	}
	if (opts->inplace) {
		ret = open_in_place(dst, src, opts);
		if (ret <= 0)
			return ret ? zccp_dest_fail_open(dst, ret) : 0;
	}
	ret = check_replaceable(dst, opts->force);
	if (ret) /* what writing it in place would meet, as cp says it */
		return ret == -ZCCP_EOWNER ? zccp_endpoint_fail(dst, ret) :
		       zccp_dest_fail_open(dst, ret);
	dst->dir = zccp_path_dir(dst->path);
	if (!dst->dir)
		return zccp_endpoint_fail(dst, -ENOMEM);
	zccp_stale_sweep(at_dir(dst), at_self(dst), dst->dir);
	ret = open_temporary(dst);
	if (ret) {
		report_no_temporary(dst, ret);
		zccp_dest_discard(dst);
		return ret;
	}
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
	dst->dir = zccp_path_dir(dst->path);
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
	__atomic_store_n(&dst->bytes, 0, __ATOMIC_RELAXED); /* -g reads it */
	dst->verified = false;
	zccp_endpoint_set(dst, ZCCP_EP_SKIPPED, 0);
	zccp_info("%s: appeared meanwhile, not overwritten (-n)",
		  ZCCP_QF(dst->arg));
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

/* The sealed, closed temporary to the destination's name. */
static int rename_into_place(struct zccp_endpoint *dst,
			     const struct zccp_opts *opts)
{
	int ret = 0;

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

/*
 * The sealed replacement, linked if it was unnamed, then closed: an error
 * closing it keeps the old content in place.  A dup (*hold) keeps its
 * flock (stale.h) until it is settled: another zccp sweeping the same
 * directory must not take the named temporary for a dead one's.
 */
static int close_held(struct zccp_endpoint *dst, int *hold)
{
	int ret = dst->tmp_unnamed ? link_unnamed(dst) : 0;

	if (!ret && dst->tmp_name)
		*hold = fcntl(dst->fd, F_DUPFD_CLOEXEC, 0);
	return ret ? ret : close_checked(dst);
}

int zccp_dest_publish(struct zccp_endpoint *dst, const struct zccp_opts *opts)
{
	int hold = -1;
	int ret = close_held(dst, &hold);

	if (!ret)
		ret = rename_into_place(dst, opts);
	if (hold >= 0)
		close(hold);
	return ret;
}

/* How zccp_dests_publish_all put a replacement in place. */
enum placed {
	NOT_PLACED,
	SWAPPED,  /* with the old file, which waits at the temporary's name */
	NEW_NAME, /* a name that was free */
	LAST,     /* no RENAME_EXCHANGE here: a plain rename, after the rest */
};

/*
 * One destination while zccp_dests_publish_all puts them all in place.
 * What waits at its temporary's name (the closed replacement, then the
 * old file it swapped with) stays flocked until it is settled: another
 * zccp sweeping the directory (stale.h) must take neither for a dead
 * zccp's, and the old file is the user's until the last one is in.
 */
struct placing {
	enum placed how;
	int new_hold; /* the replacement, closed */
	int old_hold; /* the old file, or < 0 */
};

/* One replacement in, if it can be taken back; 0 or -errno. */
static int place(struct zccp_endpoint *d, const struct zccp_opts *opts,
		 struct placing *p)
{
	if (!opts->no_clobber) {
		p->old_hold = zccp_hold_at(at_dir(d), at_name(d));
		if (!renameat2(at_dir(d), d->tmp_name, at_dir(d), at_name(d),
			       RENAME_EXCHANGE)) {
			p->how = SWAPPED;
			return 0;
		}
		if (errno != ENOENT) {
			p->how = errno == EINVAL ? LAST : NOT_PLACED;
			return errno == EINVAL ? 0 : -errno;
		}
	}
	if (!renameat2(at_dir(d), d->tmp_name, at_dir(d), at_name(d),
		       RENAME_NOREPLACE)) {
		p->how = NEW_NAME;
		return 0;
	}
	p->how = errno == EINVAL ? LAST : NOT_PLACED;
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

/* Still to be put in place (place_all may have put a LAST one already). */
static bool publishable(const struct zccp_endpoint *d)
{
	return zccp_endpoint_active(d) && !zccp_endpoint_committed(d) &&
	       !d->framed;
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
		     const struct zccp_opts *opts, struct placing *p)
{
	unsigned i;
	int ret = 0;

	/* Tests run another zccp beside this one here, and below. */
	zccp_test_pause("ZCCP_TEST_PUBLISH_PAUSE");
	for (i = 0; !ret && i < n; i++) {
		if (!publishable(dests[i]) || !dests[i]->tmp_name)
			continue;
		ret = place(dests[i], opts, &p[i]);
		if (ret == -EEXIST && opts->no_clobber)
			ret = skip_appeared(dests[i]);
		if (ret)
			zccp_endpoint_fail(dests[i], ret);
	}
	zccp_test_pause("ZCCP_TEST_PUBLISH_PAUSE");
	for (i = 0; !ret && i < n; i++) {
		if (p[i].how != LAST)
			continue;
		if (renameat(at_dir(dests[i]), dests[i]->tmp_name,
			     at_dir(dests[i]), at_name(dests[i])))
			ret = zccp_endpoint_fail(dests[i], -errno);
		else
			placed(dests[i], LAST, opts); /* for good */
	}
	for (i = 0; ret && i < n; i++)
		if (publishable(dests[i]) && dests[i]->tmp_name)
			take_back(dests[i], p[i].how);
	return ret;
}

int zccp_dests_publish_all(struct zccp_endpoint **dests, unsigned n,
			   const struct zccp_opts *opts)
{
	struct placing *p = calloc(n ? n : 1, sizeof(*p));
	int ret = p ? 0 : -ENOMEM;

	for (unsigned i = 0; p && i < n; i++)
		p[i] = (struct placing){ .new_hold = -1, .old_hold = -1 };
	for (unsigned i = 0; !ret && i < n; i++)
		if (publishable(dests[i]) &&
		    (ret = close_held(dests[i], &p[i].new_hold)))
			zccp_endpoint_fail(dests[i], ret);
	if (!ret)
		ret = place_all(dests, n, opts, p);
	for (unsigned i = 0; !ret && i < n; i++)
		if (publishable(dests[i]))
			placed(dests[i], p[i].how, opts);
	for (unsigned i = 0; p && i < n; i++) {
		if (p[i].new_hold >= 0)
			close(p[i].new_hold);
		if (p[i].old_hold >= 0)
			close(p[i].old_hold);
	}
	free(p);
	return ret;
}

int zccp_dest_commit(struct zccp_endpoint *dst, uint64_t size,
		     const struct zccp_opts *opts)
{
	int ret = zccp_dest_seal(dst, size, opts);

	return ret ? ret : zccp_dest_publish(dst, opts);
}

void zccp_dest_fail(struct zccp_endpoint *dst, int err)
{
	zccp_endpoint_fail(dst, err);
	zccp_dest_discard(dst);
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
	if (zccp_endpoint_failed(dst) || !opts->inplace ||
	    dst->kind != ZCCP_KIND_REGULAR || dst->std ||
	    dst->replaced_inplace)
		return 0;
	if (ftruncate(dst->fd, 0))
		return zccp_endpoint_fail(dst, -errno);
	return 0;
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
