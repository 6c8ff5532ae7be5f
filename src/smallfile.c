// SPDX-License-Identifier: MIT
/* Small files of a tree without a job (see zccp/smallfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "zccp/endpoint.h"
#include "zccp/preserve.h"
#include "zccp/report.h"
#include "zccp/smallfile.h"
#include "zccp/stale.h"

bool zccp_small_allowed(const struct zccp_opts *opts)
{
	return !strcmp(opts->engine, "auto") && !opts->inplace &&
	       !opts->fsync && !opts->verify && !opts->checksum &&
	       opts->reflink != ZCCP_WHEN_ALWAYS &&
	       opts->direct != ZCCP_WHEN_ALWAYS &&
	       opts->sparse != ZCCP_SPARSE_ALWAYS &&
	       /* a file's copies go in all together or not at all */
	       opts->on_error != ZCCP_ON_ERROR_ABORT && !opts->dry_run;
}

bool zccp_small_fits(const struct stat *st)
{
	/* a hole a job would keep: a sparse file */
	bool sparse = st->st_size &&
		      (uint64_t)st->st_blocks * 512 < (uint64_t)st->st_size;

	return S_ISREG(st->st_mode) && st->st_nlink == 1 &&
	       (uint64_t)st->st_size <= ZCCP_SMALL_FILE_MAX && !sparse;
}

bool zccp_small_dest_fits(const struct zccp_small_root *root, bool existed,
			  const struct stat *old)
{
	return !atomic_load(&root->no_tmpfile) &&
	       (!existed || S_ISREG(old->st_mode));
}

/* ---- the source ------------------------------------------------------- */

static bool same_file(const struct stat *a, const struct stat *b)
{
	return S_ISREG(b->st_mode) && a->st_dev == b->st_dev &&
	       a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* All of fd, read while it is the file the walk saw: one read where
 * the size holds.  0, -EAGAIN (it changed: a job judges it), -errno. */
static int read_all(int fd, const struct stat *seen, char **data,
		    size_t *len)
{
	size_t cap = (size_t)seen->st_size + 1;
	char *buf = malloc(cap);
	struct stat now;
	ssize_t r = 0;

	*len = 0;
	while (buf) {
		r = read(fd, buf + *len, cap - *len);
		if (r <= 0)
			break;
		*len += (size_t)r;
		if (*len == (size_t)seen->st_size && *len < cap)
			break; /* short at its size: its end */
		if (*len == cap) {
			char *grown = realloc(buf, cap * 2);

			if (!grown)
				break;
			buf = grown;
			cap *= 2;
		}
	}
	*data = buf;
	if (!buf || (r > 0 && *len == cap))
		return -ENOMEM;
	if (r < 0)
		return errno == EAGAIN ? -EAGAIN : -errno; /* EAGAIN: a FIFO */
	if (fstat(fd, &now))
		return -errno;
	return same_file(seen, &now) && *len == (size_t)now.st_size ?
		       0 : -EAGAIN;
}

/* ---- a destination ---------------------------------------------------- */

/* The data into the unnamed file: cloned where the root can, as a job
 * would (--reflink=auto), else written. */
static int fill(int fd, int src_fd, const char *data, size_t len,
		struct zccp_small_dest *d, const struct zccp_opts *opts)
{
	if (len && opts->reflink == ZCCP_WHEN_AUTO &&
	    !atomic_load(&d->root->no_clone)) {
		if (!ioctl(fd, FICLONE, src_fd))
			return 0;
		atomic_store(&d->root->no_clone, true);
	}
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, data + done, len - done);

		if (w < 0 && errno != EINTR)
			return -errno;
		done += w > 0 ? (size_t)w : 0;
	}
	return 0;
}

/* A replacement takes the old file's owner and mode, as a job's does
 * (dest.c); -p then the source's attributes. */
static int attributes(int fd, const struct zccp_small_file *f, int src_fd,
		      const struct zccp_small_dest *d,
		      const struct zccp_opts *opts)
{
	const struct zccp_endpoint src = {
		.fd = src_fd, .mode = f->st.st_mode, .uid = f->st.st_uid,
		.gid = f->st.st_gid, .atime = f->st.st_atim,
		.mtime = f->st.st_mtim,
	};

	if (d->existed) {
		bool kept = !fchown(fd, d->old.st_uid, d->old.st_gid) ||
			    !fchown(fd, d->old.st_uid, (gid_t)-1);

		if (!kept && !opts->force)
			return -ZCCP_EOWNER;
		if (kept && fchmod(fd, d->old.st_mode & 07777))
			return -errno;
	}
	return opts->preserve ? zccp_preserve(fd, &src, opts->preserve,
					      opts->preserve_required) :
				0;
}

/* The unnamed fd linked at name in dirfd; -EEXIST if it is taken. */
static int link_at(int fd, int dirfd, const char *name)
{
	char proc[64];

	if (!linkat(fd, "", dirfd, name, AT_EMPTY_PATH))
		return 0;
	if (errno != ENOENT)
		return -errno;
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) ?
		       -errno : 0;
}

/* A new file: linked at its name, which must still be free.  The
 * descriptor is closed (a failing close takes the name back). */
static int publish_new(int fd, const struct zccp_small_dest *d,
		       const struct zccp_opts *opts)
{
	int ret = link_at(fd, d->dirfd, d->name);

	if (close(fd) && !ret) {
		ret = -errno;
		unlinkat(d->dirfd, d->name, 0);
	}
	if (ret == -EEXIST) /* made meanwhile */
		return opts->no_clobber ? 1 : -EAGAIN;
	return ret;
}

/* A hidden name beside the destination (stale.h's form); 0 or -errno. */
static int link_hidden(int fd, const struct zccp_small_dest *d, char *tmp,
		       size_t size)
{
	int ret = -EEXIST;

	for (int tries = 0; tries < 100 && ret == -EEXIST; tries++) {
		ret = zccp_temporary_name_for(tmp, size, d->name);
		if (ret)
			return ret;
		ret = link_at(fd, d->dirfd, tmp);
	}
	return ret;
}

/* An old file: the replacement gets a hidden name, held (flock) so
 * that no other zccp takes it for a dead one's, is closed (a failing
 * close keeps the old file) and renamed over it. */
static int publish_over(int fd, const struct zccp_small_dest *d)
{
	char tmp[NAME_MAX + 1];
	int hold = -1, ret = zccp_temporary_hold(fd);

	if (!ret)
		ret = link_hidden(fd, d, tmp, sizeof(tmp));
	if (!ret && (hold = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && renameat(d->dirfd, tmp, d->dirfd, d->name))
		ret = -errno;
	if (ret && hold >= 0)
		unlinkat(d->dirfd, tmp, 0);
	if (hold >= 0)
		close(hold);
	return ret;
}

/* Replacing needs what writing in place needs (dest.c): leave a job to
 * say so where we may not, unless -f. */
static bool replaceable(const struct zccp_small_dest *d,
			const struct zccp_opts *opts)
{
	return !d->existed || opts->force ||
	       (!faccessat(d->dirfd, d->name, W_OK, AT_EACCESS) &&
		(d->old.st_uid == geteuid() || geteuid() == 0));
}

static bool no_tmpfile(int err)
{
	return err == EOPNOTSUPP || err == EISDIR || err == EINVAL;
}

static int copy_to(const struct zccp_small_file *f, int src_fd,
		   const char *data, size_t len, struct zccp_small_dest *d,
		   const struct zccp_opts *opts)
{
	int fd, ret;

	if (!replaceable(d, opts))
		return -EAGAIN; /* the job says why */
	fd = openat(d->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC,
		    f->st.st_mode & 0777);
	if (fd < 0) { /* the job says why, naming its temporary */
		if (no_tmpfile(errno))
			atomic_store(&d->root->no_tmpfile, true);
		return -EAGAIN;
	}
	ret = fill(fd, src_fd, data, len, d, opts);
	if (!ret)
		ret = attributes(fd, f, src_fd, d, opts);
	if (ret) {
		close(fd);
		return ret;
	}
	return d->existed ? publish_over(fd, d) : publish_new(fd, d, opts);
}

void zccp_small_copy(struct zccp_small_file *f, const struct zccp_opts *opts)
{
	int fd = openat(f->dirfd, f->name,
			O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
				O_CLOEXEC);
	char *data = NULL;
	size_t len = 0;

	f->bytes = 0;
	f->result = fd < 0 ? (errno == ELOOP ? -EAGAIN : -errno) :
			     read_all(fd, &f->st, &data, &len);
	for (unsigned i = 0; i < f->n; i++) {
		struct zccp_small_dest *d = &f->dests[i];

		d->result = f->result ? f->result :
			    copy_to(f, fd, data, len, d, opts);
		if (!d->result) {
			zccp_copied(f->path, d->path);
			zccp_detail("dest %s (regular file): %zu bytes from one "
				  "read, written whole (a small file: no job)",
				  d->path, len);
		}
	}
	if (!f->result)
		f->bytes = len;
	if (fd >= 0)
		close(fd);
	free(data);
}
