// SPDX-License-Identifier: MIT
/* -r/--recursive (see zccp/tree.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "zccp/endpoint.h"
#include "zccp/exclude.h"
#include "zccp/extents.h"
#include "zccp/job.h"
#include "zccp/path.h"
#include "zccp/pool.h"
#include "zccp/preserve.h"
#include "zccp/report.h"
#include "zccp/smallfile.h"
#include "zccp/stale.h"
#include "zccp/tree.h"
#include "zccp/treeplan.h"
#include "zccp/treeprogress.h"

/*
 * One regular file to n destinations, as zccp copies without -r: src is
 * open at src_fd, and each dests[i]'s directory at dirfds[i] (names
 * resolve there, not through the paths, which are for messages);
 * result[i] as zccp_job_outcome() says; *bytes what was read.  Returns
 * the job's exit status; the job says what failed.
 */
static int copy_file(const struct zccp_opts *opts, const char *src,
		     int src_fd, const char *const *dests, const int *dirfds,
		     unsigned n, int *result, uint64_t *bytes, bool quiet)
{
	struct zccp_opts o = *opts;
	struct zccp_job *job;
	int status;

	if (quiet) /* the tree shows one progress (treeprogress.h) */
		o.progress = ZCCP_PROGRESS_NONE;
	o.source = src;
	o.source_fd = src_fd;
	o.dest_dirfds = dirfds;
	o.in_tree = true;
	o.dests = (const char **)dests;
	o.ndests = n;
	if (zccp_job_create(&job, &o)) {
		zccp_error("%s: %s", src, strerror(ENOMEM));
		for (unsigned i = 0; i < n; i++)
			result[i] = -ENOMEM;
		*bytes = 0;
		return ZCCP_EXIT_USAGE;
	}
	status = zccp_job_run(job);
	for (unsigned i = 0; i < n; i++)
		result[i] = zccp_job_outcome(job, i);
	*bytes = zccp_job_bytes(job);
	zccp_job_free(job);
	return status;
}

/* A file with more than one name: per root, the name (in the tree) of
 * the copy the others link to, or NULL while there is none (failed, or
 * left alone by -n: then the next name is copied). */
struct link {
	dev_t dev;
	ino_t ino;
	char **at;
};

struct walk {
	const char *src;
	const struct zccp_opts *opts;
	struct zccp_tree_source *source;
	struct zccp_tree_root *roots;
	unsigned n;
	dev_t top_dev;
	mode_t umask;
	bool source_failed; /* an entry of the source could not be read */
	atomic_bool stop;   /* --on-error=abort, and something failed */
	struct stat *root_st; /* each root directory, once made */
	/* Every name below the tops resolves against these, never through
	 * a path again (beneath()): the source's top, each root's. */
	int src_fd;
	int *root_fd; /* -1 until made */
	struct link *links;
	size_t nlinks;
	struct zccp_excludes excludes; /* --exclude */
	unsigned excluded;
	struct zccp_treeplan *plan; /* --dry-run: say, make nothing */
	struct zccp_tree_progress progress; /* -g */
	/* Small files are copied on a pool (smallfile.h) while the walk
	 * goes on: NULL when the options leave every file to a job. */
	struct zccp_pool *pool;
	struct zccp_small_root *small; /* per root */
	/* queued a batch at a time: a worker's wake-up costs more than
	 * a small file */
	struct small_task *batch, *batch_tail;
	unsigned nbatch;
	/* The roots' counts and failures, source_failed, stop and the
	 * lists below: the pool's workers settle their files too. */
	pthread_mutex_t lock;
	struct small_task *handbacks; /* for a job after all */
	atomic_bool handed_back;
	/* With a pool, a directory's mode and -p's times are set at the
	 * end, when nothing is being written inside it any more. */
	struct finish *finishes;
	size_t nfinishes;
};

/* dir/name; no second '/' after a DEST the user gave as "DIR/". */
static char *join(const char *dir, const char *name)
{
	if (!*name)
		return strdup(dir);
	if (!*dir)
		return strdup(name);
	return zccp_path_join(dir, name);
}

/*
 * rel, opened beneath the directory top: no symbolic link is followed on
 * the way and none may appear meanwhile (a directory of the tree swapped
 * for one fails, it never leads elsewhere).  The descriptor, or -errno.
 */
static int beneath(int top, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
	};
	long fd = syscall(SYS_openat2, top, *rel ? rel : ".", &how,
			  sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/* rel's directory, opened beneath top; *name: rel's last component. */
static int open_parent(int top, const char *rel, const char **name)
{
	const char *slash = strrchr(rel, '/');
	char *dir;
	int fd;

	*name = slash ? slash + 1 : rel;
	if (!slash)
		return beneath(top, "", O_RDONLY | O_DIRECTORY);
	dir = strndup(rel, (size_t)(slash - rel));
	fd = dir ? beneath(top, dir, O_RDONLY | O_DIRECTORY) : -ENOMEM;
	free(dir);
	return fd;
}

/* path failed with err (under the walk's lock). */
static void note_failure(struct zccp_tree_failures *f, const char *path,
			 int err)
{
	struct zccp_tree_failure *grown;

	if (f->n == ZCCP_TREE_LISTED) {
		f->unlisted++;
		return;
	}
	grown = realloc(f->list, (f->n + 1) * sizeof(*grown));
	if (!grown || !(grown[f->n].path = strdup(path))) {
		f->list = grown ? grown : f->list;
		f->unlisted++; /* no memory: counted all the same */
		return;
	}
	f->list = grown;
	f->list[f->n++].error = err;
}

/* path in root i failed (err); its message is said. */
static void root_failed(struct walk *w, unsigned i, const char *path,
			int err)
{
	pthread_mutex_lock(&w->lock);
	if (!w->roots[i].failed)
		w->roots[i].error = err;
	w->roots[i].failed = true;
	note_failure(&w->roots[i].failures, path, err);
	if (w->opts->on_error == ZCCP_ON_ERROR_ABORT)
		atomic_store(&w->stop, true);
	pthread_mutex_unlock(&w->lock);
}

static void root_fail(struct walk *w, unsigned i, const char *path, int err)
{
	zccp_error("%s: %s", ZCCP_QF(path), zccp_strerror(-err));
	root_failed(w, i, path, err);
}

/* path, an entry of the source, failed (err); its message is said. */
static void source_failed(struct walk *w, const char *path, int err)
{
	pthread_mutex_lock(&w->lock);
	if (!w->source_failed)
		w->source->error = err;
	w->source_failed = true;
	note_failure(&w->source->failures, path, err);
	if (w->opts->on_error == ZCCP_ON_ERROR_ABORT)
		atomic_store(&w->stop, true);
	pthread_mutex_unlock(&w->lock);
}

static void source_fail(struct walk *w, const char *path, int err)
{
	zccp_error("%s: %s", ZCCP_QF(path), zccp_strerror(-err));
	source_failed(w, path, err);
}

/* What a regular file's copy moved: bytes, and data (holes apart). */
struct moved {
	uint64_t bytes, data;
};

/* A regular file read whole from the source. */
static void tally_source(struct walk *w, struct moved m)
{
	pthread_mutex_lock(&w->lock);
	w->source->files++;
	w->source->bytes += m.bytes;
	w->source->data_bytes += m.data;
	pthread_mutex_unlock(&w->lock);
}

/* A regular file's end at path in root i: result as zccp_job_outcome()
 * says (< 0 failed, its message said; 0 copied, m; > 0 left alone). */
static void tally(struct walk *w, unsigned i, const char *path, int result,
		  struct moved m)
{
	struct zccp_tree_root *r = &w->roots[i];

	if (result < 0) {
		root_failed(w, i, path, result);
		return;
	}
	pthread_mutex_lock(&w->lock);
	if (result == 0) {
		r->files++;
		r->bytes += m.bytes;
		r->data_bytes += m.data;
	} else {
		r->skipped++; /* -n, -u */
	}
	pthread_mutex_unlock(&w->lock);
}

/* ---- entries that are not regular files ------------------------------ */

struct special {
	const struct stat *st;
	const char *target; /* a symbolic link's */
};

static int make_special(int dirfd, const char *name,
			const struct special *sp)
{
	if (S_ISLNK(sp->st->st_mode))
		return symlinkat(sp->target, dirfd, name) ? -errno : 0;
	return mknodat(dirfd, name, sp->st->st_mode & (S_IFMT | 07777),
		       sp->st->st_rdev) ? -errno : 0;
}

/* -u: dst (it exists) is not older than src, of its type (update.h). */
static bool up_to_date(const struct walk *w, const struct stat *src,
		       const struct stat *dst)
{
	const struct zccp_update_file s = {
		.mtime = src->st_mtim, .size = (uint64_t)src->st_size,
		.type = src->st_mode & S_IFMT
	}, d = {
		.mtime = dst->st_mtim, .size = (uint64_t)dst->st_size,
		.type = dst->st_mode & S_IFMT
	};

	return w->opts->update == ZCCP_UPDATE_OLDER && zccp_update_keeps(&s, &d);
}

/*
 * Put a new name at path: made beside it and renamed over what is
 * there (so an old one stays until the new one exists), or left alone
 * with -n, or -u when it is up to date with src (NULL: never).
 * make(tmp) makes it.  1: left alone, 0: made, or -errno.
 */
static int place(int dirfd, const char *name, const struct walk *w,
		 const struct stat *src,
		 int (*make)(int dirfd, const char *tmp, const void *arg),
		 const void *arg)
{
	char tmp[32];
	struct stat st;
	int ret = -EEXIST;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? make(dirfd, name, arg) : -errno;
	if (w->opts->no_clobber || (src && up_to_date(w, src, &st)))
		return 1;
	/* short: a long NAME must still have room beside it */
	for (int tries = 0; tries < 100 && ret == -EEXIST; tries++) {
		snprintf(tmp, sizeof(tmp), ".zccp-%d-%d", (int)getpid(), tries);
		ret = make(dirfd, tmp, arg);
	}
	if (!ret && renameat(dirfd, tmp, dirfd, name))
		ret = -errno;
	/* failed, or name was already that file (rename did nothing) */
	if (!fstatat(dirfd, tmp, &st, AT_SYMLINK_NOFOLLOW))
		unlinkat(dirfd, tmp, 0);
	return ret;
}

static int make_special_cb(int dirfd, const char *name, const void *arg)
{
	return make_special(dirfd, name, arg);
}

/* -p for what zccp_preserve cannot open: links, device nodes and
 * directories, by name in dirfd, never through a link (follow: a root
 * the user named, which may be one). */
static int keep_attributes_at(int dirfd, const char *name,
			      const struct stat *st, const struct walk *w,
			      bool follow)
{
	unsigned what = w->opts->preserve, need = w->opts->preserve_required;
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	int nofollow = follow ? 0 : AT_SYMLINK_NOFOLLOW;

	if ((what & ZCCP_PRESERVE_OWNERSHIP) &&
	    fchownat(dirfd, name, st->st_uid, st->st_gid,
		     AT_SYMLINK_NOFOLLOW) &&
	    (need & ZCCP_PRESERVE_OWNERSHIP))
		return -ZCCP_EKEEPOWNER;
	if ((what & ZCCP_PRESERVE_MODE) && !S_ISLNK(st->st_mode) &&
	    fchmodat(dirfd, name, st->st_mode & 07777, nofollow))
		return -errno;
	if ((what & ZCCP_PRESERVE_TIMESTAMPS) &&
	    utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW))
		return -errno;
	return 0;
}

/* A link, FIFO or device node named name in src_dir (its directory in
 * the source) to name in each live root's root_dirs[i]. */
static void copy_special(struct walk *w, int src_dir, const int *root_dirs,
			 const char *name, const char *rel,
			 const char *srcpath, const struct stat *st,
			 const bool *live)
{
	char target[PATH_MAX];
	struct special sp = { .st = st, .target = target };

	if (S_ISLNK(st->st_mode)) {
		ssize_t len = readlinkat(src_dir, name, target,
					 sizeof(target) - 1);

		if (len < 0) {
			source_fail(w, srcpath, -errno);
			return;
		}
		target[len] = '\0';
	}
	for (unsigned i = 0; i < w->n; i++) {
		char *path;
		int ret;

		if (!live[i])
			continue;
		path = join(w->roots[i].path, rel);
		ret = place(root_dirs[i], name, w, st, make_special_cb, &sp);
		if (!ret && w->opts->preserve)
			ret = keep_attributes_at(root_dirs[i], name, st, w,
						 false);
		if (ret < 0)
			root_fail(w, i, path ? path : rel, ret);
		else if (!ret && path)
			zccp_copied(srcpath, path);
		free(path);
	}
}

/* ---- regular files ---------------------------------------------------- */

static struct link *find_link(struct walk *w, const struct stat *st)
{
	for (size_t i = 0; i < w->nlinks; i++)
		if (w->links[i].dev == st->st_dev &&
		    w->links[i].ino == st->st_ino)
			return &w->links[i];
	return NULL;
}

/* The copy another name links to: its name in its directory. */
struct first_name {
	int dirfd;
	const char *name;
};

static int make_link_cb(int dirfd, const char *name, const void *arg)
{
	const struct first_name *first = arg;

	return linkat(first->dirfd, first->name, dirfd, name, 0) ? -errno : 0;
}

/* Another name of a file already copied: linked where a copy is there
 * (linked[i] set), the others are left for a copy of their own. */
static void copy_link(struct walk *w, const char *rel, const char *srcpath,
		      const struct link *l, const bool *live, bool *linked)
{
	for (unsigned i = 0; i < w->n; i++) {
		struct first_name first;
		const char *name;
		char *path;
		int ret, fd;

		linked[i] = false;
		if (!live[i] || !l->at[i])
			continue;
		linked[i] = true;
		path = join(w->roots[i].path, rel);
		fd = open_parent(w->root_fd[i], rel, &name);
		first.dirfd = open_parent(w->root_fd[i], l->at[i], &first.name);
		ret = fd < 0 ? fd : first.dirfd < 0 ? first.dirfd :
			place(fd, name, w, NULL, make_link_cb, &first);
		if (ret < 0)
			root_fail(w, i, path ? path : rel, ret);
		else if (!ret && path)
			zccp_copied(srcpath, path);
		if (fd >= 0)
			close(fd);
		if (first.dirfd >= 0)
			close(first.dirfd);
		free(path);
	}
}

/* The copies just made of a file with more names: what they link to. */
static void remember_link(struct walk *w, struct link *l, const char *rel,
			  const struct stat *st, const bool *copied)
{
	if (!l) {
		struct link *grown = realloc(w->links, (w->nlinks + 1) *
							       sizeof(*w->links));

		if (!grown)
			return; /* the next name is then copied, not linked */
		w->links = grown;
		l = &w->links[w->nlinks];
		*l = (struct link){ .dev = st->st_dev, .ino = st->st_ino,
				    .at = calloc(w->n, sizeof(char *)) };
		if (!l->at)
			return;
		w->nlinks++;
	}
	for (unsigned i = 0; i < w->n; i++)
		if (copied[i] && !l->at[i])
			l->at[i] = strdup(rel); /* NULL: copied again later */
}

/* -n, -u: why an existing dst is left alone for src, or NULL. */
static const char *kept_why(const struct walk *w, const struct stat *src,
			    const struct stat *dst)
{
	if (w->opts->no_clobber)
		return ZCCP_KEPT_NO_CLOBBER;
	return up_to_date(w, src, dst) ? ZCCP_KEPT_UP_TO_DATE : NULL;
}

/* What is at d's name: d->existed, d->old.  True for a file that -n or
 * -u leave alone, seen before a job or a small copy starts (a rerun over
 * a tree that has not changed makes none).  Anything else is the
 * copy's to judge. */
static bool left_alone(const struct walk *w, struct zccp_small_dest *d,
		       const struct stat *src, bool fresh)
{
	const char *why;

	/* in a directory we made, a name that appeared since is met by
	 * the copy (a job, or a small copy's link that finds it taken) */
	d->existed = !fresh &&
		     !fstatat(d->dirfd, d->name, &d->old, AT_SYMLINK_NOFOLLOW);
	if (w->opts->update == ZCCP_UPDATE_ALL || !d->existed ||
	    !S_ISREG(d->old.st_mode) || !(why = kept_why(w, src, &d->old)))
		return false;
	zccp_info("dest %s (regular file): %s", d->path, why);
	return true;
}

/* ---- --dry-run -------------------------------------------------------- */

static int lstat_beneath(int top, const char *rel, struct stat *st);

/* rel in root i (path) as it is now: 0 with *st, or -errno (-ENOENT: it,
 * or a directory above it, is not there). */
static int look(const struct walk *w, unsigned i, const char *rel,
		const char *path, struct stat *st)
{
	if (!*rel) /* the root: by its path (a link the user named) */
		return stat(path, st) ? -errno : 0;
	return w->root_fd[i] < 0 ? -ENOENT :
				   lstat_beneath(w->root_fd[i], rel, st);
}

/* What would become of rel (the source's src) in root i (path), *why
 * its word; ZCCP_PLAN_ACTIONS: nothing to say (a directory merged into,
 * as cp -r does). */
static enum zccp_plan_action plan_one(const struct walk *w, unsigned i,
				      const char *rel, const char *path,
				      const struct stat *src, const char **why)
{
	bool dir = S_ISDIR(src->st_mode);
	struct stat st;
	int ret = look(w, i, rel, path, &st);

	*why = NULL;
	if (ret == -ENOENT)
		return ZCCP_PLAN_CREATE;
	if (!ret && dir && S_ISDIR(st.st_mode))
		return ZCCP_PLAN_ACTIONS;
	if (ret || dir || S_ISDIR(st.st_mode)) {
		*why = zccp_strerror(ret ? -ret : dir ? ENOTDIR : EISDIR);
		return ZCCP_PLAN_REFUSE;
	}
	*why = kept_why(w, src, &st);
	return *why ? ZCCP_PLAN_SKIP : ZCCP_PLAN_REPLACE;
}

/* ... in every live root; where a directory would be refused,
 * live_out[i] (NULL: not asked) goes false for what is below it. */
static void plan_entry(struct walk *w, const char *rel,
		       const struct stat *src, const bool *live,
		       bool *live_out)
{
	for (unsigned i = 0; i < w->n; i++) {
		char *path = live[i] ? join(w->roots[i].path, rel) : NULL;
		enum zccp_plan_action a;
		const char *why;

		if (!path)
			continue;
		a = plan_one(w, i, rel, path, src, &why);
		if (a == ZCCP_PLAN_CREATE && S_ISDIR(src->st_mode))
			zccp_treeplan_dir(w->plan, path);
		else if (a != ZCCP_PLAN_ACTIONS)
			zccp_treeplan_say(w->plan, a, path, why);
		if (live_out && a == ZCCP_PLAN_REFUSE)
			live_out[i] = false;
		free(path);
	}
}

/* Which directory a root's copy of one is (0, 0: not opened yet). */
struct dir_id {
	dev_t dev;
	ino_t ino;
};

/*
 * A directory of the tree, open in the source and in every live root:
 * its entries resolve against these (beneath()), never by path.  Small
 * files in flight share it: counted.
 */
struct dirset {
	atomic_uint refs;
	unsigned n;
	int src;
	int *root;   /* -1: not live */
	bool *fresh; /* made by this walk: nothing was in it */
};

static void dirset_put(struct dirset *ds)
{
	if (!ds || atomic_fetch_sub(&ds->refs, 1) != 1)
		return;
	for (unsigned i = 0; i < ds->n; i++)
		if (ds->root[i] >= 0)
			close(ds->root[i]);
	if (ds->src >= 0)
		close(ds->src);
	free(ds->root);
	free(ds->fresh);
	free(ds);
}

/* rel, opened in the source and in each live root (a root that fails
 * goes out of live; ids[i]: which directory it is, the first time):
 * below parent's, which holds its directory, else from the tops;
 * NULL if the source's cannot be (said).  A root's directory that was
 * there before is swept of a killed zccp's temporaries (stale.h), as a
 * job sweeps it. */
static struct dirset *dirset_open(struct walk *w, const struct dirset *parent,
				  const char *rel, const char *srcpath,
				  bool *live, const bool *made,
				  struct dir_id *ids)
{
	const char *slash = strrchr(rel, '/');
	/* one component below the parent: no walk down from the top */
	const char *sub = !parent ? rel : slash ? slash + 1 : rel;
	struct dirset *ds = calloc(1, sizeof(*ds));
	int *root = calloc(w->n, sizeof(int));
	bool *fresh = malloc(w->n * sizeof(bool));

	if (!ds || !root || !fresh) {
		free(ds);
		free(root);
		free(fresh);
		source_fail(w, srcpath, -ENOMEM);
		return NULL;
	}
	memcpy(fresh, made, w->n * sizeof(bool));
	*ds = (struct dirset){ .refs = 1, .n = w->n, .root = root,
			       .fresh = fresh };
	ds->src = beneath(parent ? parent->src : w->src_fd, sub,
			  O_RDONLY | O_DIRECTORY);
	for (unsigned i = 0; i < w->n; i++) {
		struct stat st;
		char *path;

		root[i] = -1;
		if (!live[i] || w->plan)
			continue;
		root[i] = beneath(parent ? parent->root[i] : w->root_fd[i],
				  sub, O_RDONLY | O_DIRECTORY);
		path = join(w->roots[i].path, rel);
		if (root[i] >= 0 && !ids[i].ino && !fstat(root[i], &st))
			ids[i] = (struct dir_id){ st.st_dev, st.st_ino };
		if (root[i] < 0) {
			root_fail(w, i, path ? path : rel, root[i]);
			live[i] = false;
		} else if (w->pool && !made[i] && path) {
			zccp_stale_sweep(root[i], ".", path);
		}
		free(path);
	}
	if (ds->src < 0) {
		source_fail(w, srcpath, ds->src);
		dirset_put(ds);
		return NULL;
	}
	return ds;
}

/* A regular file's copies to make: in sd[k] for root root_of[k]. */
struct copies {
	struct zccp_small_dest *sd;
	unsigned *root_of;
	unsigned n;
};

static void copies_free(struct copies *c)
{
	for (unsigned k = 0; c->sd && k < c->n; k++)
		free((char *)c->sd[k].path);
	free(c->sd);
	free(c->root_of);
}

/* The copies c of name (in ds, seen as st) as one job; copied[i]: root
 * i has it.  A source that fails is the source's failure, not the
 * roots'. */
static void run_job(struct walk *w, struct dirset *ds, const char *name,
		    const char *srcpath, const struct stat *st,
		    const struct copies *c, bool *copied)
{
	const char **dests = calloc(c->n, sizeof(*dests));
	int *dirfds = calloc(c->n, sizeof(*dirfds));
	int *result = calloc(c->n, sizeof(*result));
	int status, src_fd = beneath(ds->src, name, O_RDONLY);
	struct moved m = { 0 };

	if (!dests || !dirfds || !result || src_fd < 0) {
		source_fail(w, srcpath, src_fd < 0 ? src_fd : -ENOMEM);
		goto out;
	}
	for (unsigned k = 0; k < c->n; k++) {
		dests[k] = c->sd[k].path;
		dirfds[k] = c->sd[k].dirfd;
	}
	status = copy_file(w->opts, srcpath, src_fd, dests, dirfds, c->n,
			   result, &m.bytes, zccp_tree_progress_on(&w->progress));
	/* holes apart: only a file with fewer blocks than bytes has any */
	m.data = (uint64_t)st->st_blocks * 512 < m.bytes ?
			 zccp_extents_data(src_fd, m.bytes) : m.bytes;
	if (status == ZCCP_EXIT_USAGE) /* the source file failed: said */
		source_failed(w, srcpath, result[0] < 0 ? result[0] : -EIO);
	else
		tally_source(w, m);
	for (unsigned k = 0; k < c->n; k++) {
		/* -n left one alone: later names must not link to it */
		if (copied)
			copied[c->root_of[k]] = result[k] == 0;
		if (status != ZCCP_EXIT_USAGE || result[k] >= 0)
			tally(w, c->root_of[k], c->sd[k].path, result[k], m);
	}
out:
	if (src_fd >= 0)
		close(src_fd);
	free(dests);
	free(dirfds);
	free(result);
}

/* ---- small files, on the pool ----------------------------------------- */

struct small_task {
	struct walk *w;
	struct dirset *ds; /* a reference */
	char *name, *srcpath;
	struct copies c;
	struct zccp_small_file f;
	struct small_task *next; /* handed back */
};

static void small_task_free(struct small_task *t)
{
	dirset_put(t->ds);
	copies_free(&t->c);
	free(t->name);
	free(t->srcpath);
	free(t);
}

/* Jobs for what small copies handed back (smallfile.h: -EAGAIN). */
static void run_handbacks(struct walk *w)
{
	struct small_task *t;

	pthread_mutex_lock(&w->lock);
	t = w->handbacks;
	w->handbacks = NULL;
	atomic_store(&w->handed_back, false);
	pthread_mutex_unlock(&w->lock);
	while (t) {
		struct small_task *next = t->next;

		run_job(w, t->ds, t->name, t->srcpath, &t->f.st, &t->c, NULL);
		zccp_tree_progress_done(&w->progress,
					(uint64_t)t->f.st.st_size);
		small_task_free(t);
		t = next;
	}
}

/* A replacement's failure names its temporary (endpoint.h). */
static void say_small_failure(const struct zccp_small_dest *d)
{
	char *dir = d->existed ? zccp_path_dir(d->path) : NULL;

	if (dir)
		zccp_report_replacing(d->path, dir, d->result);
	else
		zccp_error("%s: %s", ZCCP_QF(d->path),
			   zccp_strerror(-d->result));
	free(dir);
}

/* A worker's end of a small file: each root's result counted, what
 * the small copy could not do kept for a job (the walk's thread). */
static void settle_small(struct small_task *t)
{
	struct walk *w = t->w;
	bool all_back = t->f.result == -EAGAIN;
	unsigned kept = 0;

	if (t->f.result < 0 && !all_back)
		source_fail(w, t->srcpath, t->f.result);
	else if (!t->f.result)
		tally_source(w, (struct moved){ t->f.bytes, t->f.bytes });
	for (unsigned k = 0; k < t->c.n; k++) {
		struct zccp_small_dest *d = &t->c.sd[k];

		if (all_back || d->result == -EAGAIN) {
			t->c.root_of[kept] = t->c.root_of[k];
			t->c.sd[kept++] = *d;
			continue;
		}
		if (d->result < 0 && !t->f.result)
			say_small_failure(d);
		if (!t->f.result)
			tally(w, t->c.root_of[k], d->path, d->result,
			      (struct moved){ t->f.bytes, t->f.bytes });
		free((char *)d->path);
	}
	t->c.n = kept;
	if (kept) {
		pthread_mutex_lock(&w->lock);
		t->next = w->handbacks;
		w->handbacks = t;
		atomic_store(&w->handed_back, true);
		pthread_mutex_unlock(&w->lock);
		return;
	}
	zccp_tree_progress_done(&w->progress, (uint64_t)t->f.st.st_size);
	small_task_free(t);
}

/* A batch of small files, on a worker. */
static void run_small(void *arg)
{
	for (struct small_task *t = arg, *next; t; t = next) {
		next = t->next;
		t->next = NULL;
		zccp_small_copy(&t->f, t->w->opts);
		settle_small(t);
	}
}

#define SMALL_BATCH 16

/* The batch so far to a worker. */
static void flush_small(struct walk *w)
{
	if (w->batch)
		zccp_pool_run(w->pool, run_small, w->batch);
	w->batch = w->batch_tail = NULL;
	w->nbatch = 0;
}

/* The copies c of name to the pool, which owns them from here. */
static bool queue_small(struct walk *w, struct dirset *ds, const char *name,
			const char *srcpath, const struct stat *st,
			struct copies *c)
{
	struct small_task *t = calloc(1, sizeof(*t));

	if (!t || !(t->name = strdup(name)) ||
	    !(t->srcpath = strdup(srcpath))) {
		if (t)
			free(t->name);
		free(t);
		return false; /* a job, then */
	}
	for (unsigned k = 0; k < c->n; k++)
		c->sd[k].name = t->name; /* the walk's goes with its directory */
	atomic_fetch_add(&ds->refs, 1);
	t->w = w;
	t->ds = ds;
	t->c = *c;
	t->f = (struct zccp_small_file){ .dirfd = ds->src, .name = t->name,
					 .path = t->srcpath, .st = *st,
					 .dests = c->sd, .n = c->n };
	*c = (struct copies){ 0 };
	if (w->batch_tail)
		w->batch_tail->next = t;
	else
		w->batch = t;
	w->batch_tail = t;
	if (++w->nbatch == SMALL_BATCH)
		flush_small(w);
	return true;
}

/* ---- regular files ---------------------------------------------------- */

static void copy_regular(struct walk *w, struct dirset *ds, const char *name,
			 const char *rel, const char *srcpath,
			 const struct stat *st, const bool *live_in)
{
	struct copies c = { .sd = calloc(w->n, sizeof(*c.sd)),
			    .root_of = calloc(w->n, sizeof(unsigned)) };
	bool *copied = calloc(w->n, sizeof(*copied));
	bool *live = calloc(w->n, sizeof(*live));
	struct link *l = st->st_nlink > 1 ? find_link(w, st) : NULL;
	bool small = w->pool && zccp_small_fits(st);

	if (atomic_load(&w->handed_back))
		run_handbacks(w);
	if (!c.sd || !c.root_of || !copied || !live) {
		source_fail(w, srcpath, -ENOMEM);
		goto out;
	}
	memcpy(live, live_in, w->n * sizeof(bool));
	if (l) {
		copy_link(w, rel, srcpath, l, live_in, copied);
		for (unsigned i = 0; i < w->n; i++)
			live[i] &= !copied[i]; /* linked: nothing to copy */
	}
	for (unsigned i = 0; i < w->n; i++) {
		struct zccp_small_dest *d = &c.sd[c.n];

		if (!live[i])
			continue;
		*d = (struct zccp_small_dest){ .dirfd = ds->root[i],
					       .name = name,
					       .path = join(w->roots[i].path,
							    rel),
					       .root = w->small ? &w->small[i] :
								  NULL };
		if (!d->path) {
			root_fail(w, i, rel, -ENOMEM);
			continue;
		}
		if (left_alone(w, d, st, ds->fresh[i])) {
			tally(w, i, d->path, 1, (struct moved){ 0 });
			free((char *)d->path);
			continue;
		}
		small = small && zccp_small_dest_fits(d->root, d->existed,
						      &d->old);
		c.root_of[c.n++] = i;
	}
	if (!c.n)
		goto out;
	zccp_tree_progress_file(&w->progress, rel);
	if (small && queue_small(w, ds, name, srcpath, st, &c))
		goto queued; /* the worker says it is done */
	memset(copied, 0, w->n * sizeof(bool));
	run_job(w, ds, name, srcpath, st, &c, copied);
	if (st->st_nlink > 1)
		remember_link(w, l, rel, st, copied);
out:
	/* copied, left alone or failed: it is behind us */
	zccp_tree_progress_done(&w->progress, (uint64_t)st->st_size);
queued:
	copies_free(&c);
	free(copied);
	free(live);
}

/* ---- directories ------------------------------------------------------ */

static void copy_entry(struct walk *w, struct dirset **ds, const char *name,
		       const char *rel, const bool *live);

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted (a stable order for the copies and
 * for which name of a hard link is copied first); NULL-terminated. */
static char **read_names(int dirfd, int *err)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;

	*err = 0;
	if (!dir) {
		*err = -errno;
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	errno = 0;
	while ((e = readdir(dir))) {
		char **grown;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		grown = realloc(names, (n + 2) * sizeof(*names));
		if (!grown || !(grown[n] = strdup(e->d_name))) {
			names = grown ? grown : names;
			*err = -ENOMEM;
			break;
		}
		names = grown;
		n++;
	}
	if (!*err && errno)
		*err = -errno;
	closedir(dir);
	if (!names)
		names = calloc(1, sizeof(*names));
	if (names)
		names[n] = NULL;
	qsort(names, n, sizeof(*names), by_name);
	return names;
}

/* rel in root i (at path): made, or merged into where it is a directory
 * (cp -r merges into a directory, nothing else: not a file, nor a
 * symbolic link that leads elsewhere).  The root itself by its path: the
 * user may have named a link to a directory. */
static int make_dir(struct walk *w, unsigned i, const char *rel,
		    const char *path, int parent, bool *made)
{
	const char *name = path;
	int fd = AT_FDCWD, ret = 0;
	struct stat st;

	if (*rel && parent >= 0) { /* the walk holds it open */
		const char *slash = strrchr(rel, '/');

		fd = parent;
		name = slash ? slash + 1 : rel;
	} else if (*rel) {
		fd = open_parent(w->root_fd[i], rel, &name);
		if (fd < 0)
			return fd;
	}
	if (!mkdirat(fd, name, 0700))
		*made = true;
	else if (errno != EEXIST ||
		 fstatat(fd, name, &st, *rel ? AT_SYMLINK_NOFOLLOW : 0))
		ret = -errno;
	else if (!S_ISDIR(st.st_mode))
		ret = -ENOTDIR;
	if (fd >= 0 && fd != parent)
		close(fd);
	return ret;
}

/* Make rel in every live root (in parent's directories, NULL: found
 * by path); live[i] goes false where it cannot be.  made[i]: we made
 * it (its final mode is set after its contents). */
static void make_dirs(struct walk *w, const struct dirset *parent,
		      const char *rel, const char *srcpath, bool *live,
		      bool *made)
{
	for (unsigned i = 0; i < w->n; i++) {
		char *path;
		int ret;

		made[i] = false;
		if (!live[i])
			continue;
		path = join(w->roots[i].path, rel);
		ret = !path ? -ENOMEM :
			      make_dir(w, i, rel, path,
				       parent ? parent->root[i] : -1,
				       &made[i]);
		if (ret) {
			root_fail(w, i, path ? path : rel, ret);
			live[i] = false;
		} else {
			zccp_copied(srcpath, path); /* cp -rv names it too */
		}
		free(path);
	}
}

/* After its contents: the directory's mode (and with -p its owner and
 * times, which writing inside it changed). */
/* A directory's mode (one we made: mode != 0), then -p's attributes. */
static int dir_attributes(struct walk *w, int fd, const char *name,
			  const struct stat *st, mode_t mode, bool root)
{
	if (mode && fchmodat(fd, name, mode, root ? 0 : AT_SYMLINK_NOFOLLOW))
		return -errno;
	return w->opts->preserve ? keep_attributes_at(fd, name, st, w, root) :
				   0;
}

/* name in fd (the root: followed) is still the directory id says
 * (files went into it by descriptor); 0 or -errno. */
static int still_there(int fd, const char *name, bool root,
		       const struct dir_id *id)
{
	struct stat st;

	if (!id->ino)
		return 0; /* nothing was written into it */
	if (fstatat(fd, name, &st, root ? 0 : AT_SYMLINK_NOFOLLOW))
		return -errno;
	return st.st_dev == id->dev && st.st_ino == id->ino ? 0 :
							      -ZCCP_EMOVED;
}

static void finish_dirs(struct walk *w, const char *rel, const struct stat *st,
			const bool *live, const bool *made,
			const struct dir_id *ids)
{
	mode_t mode = w->opts->preserve & ZCCP_PRESERVE_MODE ?
			      st->st_mode & 07777 :
			      st->st_mode & 0777 & ~w->umask;

	for (unsigned i = 0; i < w->n; i++) {
		const char *name;
		char *path;
		int ret = 0, fd = AT_FDCWD;

		if (!live[i] ||
		    (!made[i] && !w->opts->preserve && !ids[i].ino))
			continue;
		path = join(w->roots[i].path, rel);
		if (!path)
			continue;
		name = path; /* the root: by the path the user gave */
		if (*rel)
			ret = fd = open_parent(w->root_fd[i], rel, &name);
		if (fd >= 0 || fd == AT_FDCWD)
			ret = still_there(fd, name, !*rel, &ids[i]);
		if (!ret && (made[i] || w->opts->preserve))
			ret = dir_attributes(w, fd, name, st, made[i] ? mode : 0,
					     !*rel);
		if (ret)
			root_fail(w, i, path, ret);
		if (fd >= 0)
			close(fd);
		free(path);
	}
}

/* A directory finished later (walk.finishes). */
struct finish {
	char *rel;
	struct stat st;
	bool *live, *made;
	struct dir_id *ids;
};

static void finish_free(struct finish *f)
{
	free(f->rel);
	free(f->live);
	free(f->made);
	free(f->ids);
}

static void *memdup(const void *p, size_t size)
{
	void *q = malloc(size);

	return q ? memcpy(q, p, size) : NULL;
}

/* finish_dirs once nothing more is written in rel: now, or with a pool
 * (its small files may still be in flight) when the walk ends. */
static void finish_later(struct walk *w, const char *rel,
			 const struct stat *st, const bool *live,
			 const bool *made, const struct dir_id *ids)
{
	size_t size = w->n * sizeof(bool);
	struct finish *grown, *f;

	if (w->pool) {
		grown = realloc(w->finishes,
				(w->nfinishes + 1) * sizeof(*grown));
		if (grown) {
			w->finishes = grown;
			f = &grown[w->nfinishes];
			*f = (struct finish){ .rel = strdup(rel), .st = *st,
					      .live = memdup(live, size),
					      .made = memdup(made, size),
					      .ids = memdup(ids, w->n *
								sizeof(*ids)) };
			if (f->rel && f->live && f->made && f->ids) {
				w->nfinishes++;
				return;
			}
			finish_free(f);
		}
		flush_small(w); /* no memory: now, then */
		zccp_pool_drain(w->pool);
		run_handbacks(w);
	}
	finish_dirs(w, rel, st, live, made, ids);
}

/* The pool's last files, what it handed back, then the directories. */
static void finish_all(struct walk *w)
{
	if (w->pool) {
		flush_small(w);
		zccp_pool_drain(w->pool);
	}
	run_handbacks(w);
	for (size_t k = 0; k < w->nfinishes; k++) {
		struct finish *f = &w->finishes[k];

		finish_dirs(w, f->rel, &f->st, f->live, f->made, f->ids);
		finish_free(f);
	}
	free(w->finishes);
	w->finishes = NULL;
	w->nfinishes = 0;
}

/* The root directories as made: the walk must never meet one of them
 * in the source (a bind mount of a source directory, say), by device
 * and inode, whatever the paths say. */
static void remember_roots(struct walk *w, bool *live)
{
	for (unsigned i = 0; i < w->n; i++) {
		if (!live[i])
			continue;
		w->root_fd[i] = open(w->roots[i].path,
				     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (w->root_fd[i] < 0 && errno == ENOENT && w->plan)
			continue; /* would be made: all of it is new */
		if (w->root_fd[i] < 0 || fstat(w->root_fd[i], &w->root_st[i])) {
			root_fail(w, i, w->roots[i].path, -errno);
			live[i] = false;
		}
	}
}

/* A source directory that is a root: that root fails, as cp refuses to
 * copy a directory into itself, and nothing more is written to it. */
static void refuse_own_roots(struct walk *w, const struct stat *st,
			     bool *live)
{
	for (unsigned i = 0; i < w->n; i++) {
		const struct stat *r = &w->root_st[i];

		if (!live[i] || !r->st_ino || r->st_dev != st->st_dev ||
		    r->st_ino != st->st_ino)
			continue;
		root_fail(w, i, w->roots[i].path, -ZCCP_EINSIDE);
		live[i] = false;
	}
}

/* rel (in the directory parent holds: the walk's reference, let go
 * here; NULL for the top). */
static void copy_dir(struct walk *w, struct dirset *parent, const char *rel,
		     const char *srcpath, const struct stat *st,
		     const bool *live_in)
{
	bool *live = malloc(w->n * sizeof(bool));
	bool *made = calloc(w->n, sizeof(bool));
	struct dir_id *ids = calloc(w->n, sizeof(*ids));
	struct dirset *ds = NULL;
	char **names = NULL;
	int err;

	if (!live || !made || !ids) {
		source_fail(w, srcpath, -ENOMEM);
		goto out;
	}
	memcpy(live, live_in, w->n * sizeof(bool));
	refuse_own_roots(w, st, live);
	if (w->plan)
		plan_entry(w, rel, st, live, live);
	else
		make_dirs(w, parent, rel, srcpath, live, made);
	if (!*rel)
		remember_roots(w, live);
	/* --one-file-system: a mount point is made, empty, as cp -x does */
	if (!w->opts->one_file_system || st->st_dev == w->top_dev) {
		ds = dirset_open(w, parent, rel, srcpath, live, made, ids);
		names = ds ? read_names(ds->src, &err) : NULL;
		if (ds && err)
			source_fail(w, srcpath, err);
	}
	dirset_put(parent);
	parent = NULL;
	for (size_t k = 0; names && names[k]; k++) {
		char *child;

		/* again after a subdirectory: from the tops */
		if (!ds && !(ds = dirset_open(w, NULL, rel, srcpath, live, made,
					      ids)))
			break;
		child = join(rel, names[k]);
		if (child)
			copy_entry(w, &ds, names[k], child, live);
		free(child);
	}
	dirset_put(ds);
	if (!w->plan)
		finish_later(w, rel, st, live, made, ids);
out:
	dirset_put(parent); /* still held if we came out early */
	for (size_t k = 0; names && names[k]; k++)
		free(names[k]);
	free(names);
	free(live);
	free(made);
	free(ids);
}

/* rel's own type and attributes, its directory opened beneath top. */
static int lstat_beneath(int top, const char *rel, struct stat *st)
{
	const char *name;
	int fd = open_parent(top, rel, &name), ret = 0;

	if (fd < 0)
		return fd;
	if (fstatat(fd, name, st, AT_SYMLINK_NOFOLLOW))
		ret = -errno;
	close(fd);
	return ret;
}

/* rel, named name in the directory *ds holds (whose descriptors are let
 * go before a directory is walked: a deep tree must not hold them all). */
static void copy_entry(struct walk *w, struct dirset **ds, const char *name,
		       const char *rel, const bool *live)
{
	char *srcpath;
	struct stat st;
	int err;

	if (atomic_load(&w->stop))
		return;
	srcpath = join(w->src, rel);
	if (!srcpath) {
		source_fail(w, rel, -ENOMEM);
		return;
	}
	err = fstatat((*ds)->src, name, &st, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
	if (err) {
		source_fail(w, srcpath, err);
	} else if (zccp_excluded(&w->excludes, rel, S_ISDIR(st.st_mode))) {
		if (zccp_report_informs()) /* no quoting per entry for naught */
			zccp_info("%s: excluded", ZCCP_QF(srcpath));
		w->excluded++;
		if (w->plan)
			zccp_treeplan_say(w->plan, ZCCP_PLAN_EXCLUDE, srcpath,
					  NULL);
	} else if (S_ISDIR(st.st_mode)) {
		struct dirset *parent = *ds;

		*ds = NULL; /* copy_dir lets it go */
		copy_dir(w, parent, rel, srcpath, &st, live);
	} else if (w->plan) {
		plan_entry(w, rel, &st, live, NULL);
	} else if (S_ISREG(st.st_mode)) {
		copy_regular(w, *ds, name, rel, srcpath, &st, live);
	} else {
		copy_special(w, (*ds)->src, (*ds)->root, name, rel, srcpath,
			     &st, live);
	}
	free(srcpath);
}

/* ---- roots ------------------------------------------------------------ */

/* DEST, or DEST/basename(SOURCE) when DEST is a directory: cp -r. */
static int resolve_root(struct zccp_tree_root *r, const char *src)
{
	char *copy = strdup(src);
	struct stat st;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	/* SOURCE/. : its contents into DEST itself, as cp -r does */
	if (!stat(r->arg, &st) && S_ISDIR(st.st_mode))
		r->path = strcmp(basename(copy), ".") ?
				  join(r->arg, basename(copy)) :
				  strdup(r->arg);
	else if (!lstat(r->arg, &st))
		ret = -ENOTDIR; /* a file cannot become a directory */
	else if (errno == ENOENT)
		r->path = strdup(r->arg);
	else
		ret = -errno;
	free(copy);
	return ret ? ret : r->path ? 0 : -ENOMEM;
}

/* Where a path that may not exist yet would be: its real path, or its
 * parent's and its name. */
static char *where(const char *path)
{
	char *a = strdup(path), *b = strdup(path), *parent, *out;

	out = realpath(path, NULL);
	if (!out && a && b && (parent = realpath(dirname(a), NULL))) {
		out = join(parent, basename(b));
		free(parent);
	}
	free(a);
	free(b);
	return out;
}

/* A root inside the source would copy itself for ever. */
static bool inside(const char *root, const char *src_real)
{
	char *at = where(root);
	size_t len = strlen(src_real);
	bool in = at && !strncmp(at, src_real, len) &&
		  (at[len] == '/' || at[len] == '\0');

	free(at);
	return in;
}

/* Two roots that are one directory would copy into it twice. */
static bool given_before(const struct zccp_tree_root *roots, unsigned i)
{
	char *at = where(roots[i].path);
	bool twice = false;

	for (unsigned j = 0; at && j < i && !twice; j++) {
		char *other = roots[j].path ? where(roots[j].path) : NULL;

		twice = other && !strcmp(at, other);
		free(other);
	}
	free(at);
	return twice;
}

/* Workers for small files where the options allow them (smallfile.h):
 * one per CPU, the walk's thread beside them; none is no harm. */
static void start_pool(struct walk *w)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned workers = cpus < 1 ? 1 : cpus > 8 ? 8 : (unsigned)cpus;

	if (!zccp_small_allowed(w->opts))
		return;
	w->small = calloc(w->n, sizeof(*w->small));
	if (w->small && zccp_pool_start(&w->pool, workers, 4 * workers))
		w->pool = NULL;
}

int zccp_tree_copy(const char *src, struct zccp_tree_source *source,
		   struct zccp_tree_root *roots, unsigned n,
		   const struct zccp_opts *opts)
{
	struct walk w = { .src = src, .opts = opts, .source = source,
			  .roots = roots, .n = n,
			  .lock = PTHREAD_MUTEX_INITIALIZER };
	char *src_real = realpath(src, NULL);
	bool *live = calloc(n, sizeof(bool));
	bool any_failed = false;
	struct stat st;
	const char *culprit = NULL;
	struct zccp_treeplan plan;
	int status = ZCCP_EXIT_USAGE, err;

	err = zccp_excludes_load(&w.excludes, opts->excludes, opts->nexcludes,
				 &culprit);
	if (err) {
		zccp_error("--exclude-from %s: %s", culprit, strerror(-err));
		for (unsigned i = 0; i < n; i++)
			roots[i].aborted = true;
		free(src_real);
		free(live);
		return status;
	}
	w.umask = umask(0);
	umask(w.umask);
	w.root_st = calloc(n, sizeof(*w.root_st));
	w.root_fd = malloc(n * sizeof(*w.root_fd));
	w.src_fd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!src_real || !live || !w.root_st || !w.root_fd || w.src_fd < 0 ||
	    fstat(w.src_fd, &st)) {
		int why = errno;

		source->error = -why;
		zccp_error("cannot %s %s: %s", why == ENOENT || why == ENOTDIR ?
			   "stat" : "open directory", ZCCP_Q(src),
			   strerror(why));
		goto out;
	}
	for (unsigned i = 0; i < n; i++)
		w.root_fd[i] = -1;
	w.top_dev = st.st_dev;
	for (unsigned i = 0; i < n; i++) {
		int ret = resolve_root(&roots[i], src);
		const char *refused = ret ? NULL :
			inside(roots[i].path, src_real) ?
				"cannot copy a directory into itself" :
			given_before(roots, i) ? "destination given twice" :
						 NULL;

		if (refused) {
			zccp_error("%s: %s", ZCCP_QF(roots[i].arg), refused);
			goto out;
		}
		if (ret) {
			root_fail(&w, i, roots[i].arg, ret);
			continue;
		}
		live[i] = true;
	}
	if (opts->dry_run) {
		zccp_treeplan_begin(&plan, stdout, opts->json, src);
		w.plan = &plan;
	} else if (zccp_tree_progress_start(&w.progress, opts->progress, src,
					    &w.excludes,
					    opts->one_file_system)) {
		zccp_error("%s", strerror(ENOMEM));
		goto out;
	}
	start_pool(&w);
	copy_dir(&w, NULL, "", src, &st, live);
	finish_all(&w);
	zccp_pool_stop(w.pool);
	zccp_tree_progress_stop(&w.progress);
	if (w.plan && zccp_treeplan_end(&plan))
		roots[0].failed = true; /* something would be refused */
	for (unsigned i = 0; i < n; i++) {
		roots[i].excluded = w.excluded;
		any_failed |= roots[i].failed;
		roots[i].aborted = atomic_load(&w.stop) &&
				   !roots[i].failed; /* unfinished */
	}
	status = any_failed || w.source_failed ? ZCCP_EXIT_PARTIAL :
						 ZCCP_EXIT_OK;
out:
	for (unsigned i = 0; status == ZCCP_EXIT_USAGE && i < n; i++)
		roots[i].aborted = true;
	for (size_t i = 0; i < w.nlinks; i++) {
		for (unsigned k = 0; k < n; k++)
			free(w.links[i].at[k]);
		free(w.links[i].at);
	}
	free(w.links);
	free(live);
	for (unsigned i = 0; w.root_fd && i < n; i++)
		if (w.root_fd[i] >= 0)
			close(w.root_fd[i]);
	free(w.root_fd);
	if (w.src_fd >= 0)
		close(w.src_fd);
	free(w.root_st);
	free(w.small);
	free(src_real);
	zccp_excludes_free(&w.excludes);
	return status;
}

static void failures_free(struct zccp_tree_failures *f)
{
	for (unsigned k = 0; k < f->n; k++)
		free(f->list[k].path);
	free(f->list);
	*f = (struct zccp_tree_failures){ 0 };
}

void zccp_tree_free(struct zccp_tree_source *source,
		    struct zccp_tree_root *roots, unsigned n)
{
	failures_free(&source->failures);
	for (unsigned i = 0; i < n; i++) {
		free(roots[i].path);
		roots[i].path = NULL;
		failures_free(&roots[i].failures);
	}
}
