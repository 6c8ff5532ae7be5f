// SPDX-License-Identifier: MIT
/*
 * faultfs: a FUSE file system for the tests that serves a backing
 * directory as it is, except for the faults it is told to inject, so
 * that zccp meets misbehaving file systems for real:
 *
 *   --fail-flush=TEXT   FLUSH (every close) of a file whose path holds
 *                       TEXT fails with EIO, as NFS reports write-back
 *                       errors at close
 *   --fail-fsync=TEXT   fsync of such a file fails with EIO
 *   --drop-writes=TEXT  writes to such a file report success and store
 *                       nothing (only a read-back can tell)
 *   --eio-at=OFFSET     reads that reach OFFSET fail with EIO
 *   --short-read=BYTES  a read returns at most BYTES, not only at the end
 *   --slow-read=TEXT    each read of a file whose path holds TEXT takes
 *                       a tenth of a second longer
 *   --slow-write=TEXT   ... and each write
 *   --direct-io         files are opened with direct_io (no page cache)
 *   --no-exchange       rename with RENAME_EXCHANGE fails with EINVAL, as
 *                       on NFS
 *   --no-async-dio      do not take FUSE_CAP_ASYNC_DIO (libfuse takes it by
 *                       default): with --direct-io and --short-read, the
 *                       kernel bug of docs/fuse-short-reads.md
 *
 * Usage: faultfs [FAULT]... BACKING_DIR MOUNTPOINT [FUSE OPTION]...
 * Runs in the foreground, single-threaded; end it with umount.
 */
#define FUSE_USE_VERSION 31
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static struct {
	int backing;               /* descriptor of BACKING_DIR */
	const char *fail_flush;
	const char *fail_fsync;
	const char *drop_writes;
	long long eio_at;          /* -1: none */
	size_t short_read;         /* 0: none */
	const char *slow_read;
	const char *slow_write;
	int direct_io;
	int no_exchange;
	int no_async_dio;
} cfg = { .backing = -1, .eio_at = -1 };

/* A path under BACKING_DIR, relative to its descriptor. */
static const char *rel(const char *path)
{
	return path[1] ? path + 1 : ".";
}

static int matches(const char *text, const char *path)
{
	return text && strstr(path, text);
}

static int fail(void)
{
	return -errno;
}

static int fs_getattr(const char *path, struct stat *st,
		      struct fuse_file_info *fi)
{
	if (fi)
		return fstat((int)fi->fh, st) ? fail() : 0;
	return fstatat(cfg.backing, rel(path), st, AT_SYMLINK_NOFOLLOW) ?
		       fail() : 0;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill,
		      off_t offset, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	int fd = openat(cfg.backing, rel(path), O_RDONLY | O_DIRECTORY);
	struct dirent *e;
	DIR *dir;

	(void)offset, (void)fi, (void)flags;
	if (fd < 0)
		return fail();
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -ENOMEM;
	}
	while ((e = readdir(dir)))
		if (fill(buf, e->d_name, NULL, 0, 0))
			break;
	closedir(dir);
	return 0;
}

static int open_common(const char *path, struct fuse_file_info *fi,
		       int flags, mode_t mode)
{
	/* O_DIRECT is the client's business: our buffers are not aligned
	 * for the backing file's. */
	int fd = openat(cfg.backing, rel(path), flags & ~O_DIRECT, mode);

	if (fd < 0)
		return fail();
	fi->fh = (uint64_t)fd;
	fi->direct_io = cfg.direct_io;
	return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	return open_common(path, fi, fi->flags & ~O_NOFOLLOW, 0);
}

static int fs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return open_common(path, fi, fi->flags | O_CREAT, mode);
}

static int fs_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	ssize_t n;

	if (matches(cfg.slow_read, path))
		usleep(100 * 1000);
	if (cfg.eio_at >= 0 && off + (off_t)size > cfg.eio_at)
		return -EIO;
	if (cfg.short_read && size > cfg.short_read)
		size = cfg.short_read;
	n = pread((int)fi->fh, buf, size, off);
	return n < 0 ? fail() : (int)n;
}

static int fs_write(const char *path, const char *buf, size_t size,
		    off_t off, struct fuse_file_info *fi)
{
	ssize_t n;

	if (matches(cfg.slow_write, path))
		usleep(100 * 1000);
	if (matches(cfg.drop_writes, path))
		return (int)size;
	n = pwrite((int)fi->fh, buf, size, off);
	return n < 0 ? fail() : (int)n;
}

static int fs_flush(const char *path, struct fuse_file_info *fi)
{
	(void)fi;
	return matches(cfg.fail_flush, path) ? -EIO : 0;
}

static int fs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	if (matches(cfg.fail_fsync, path))
		return -EIO;
	return (datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh)) ?
		       fail() : 0;
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	close((int)fi->fh);
	return 0;
}

static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	int ret;

	if (fi)
		return ftruncate((int)fi->fh, size) ? fail() : 0;
	int fd = openat(cfg.backing, rel(path), O_WRONLY);

	if (fd < 0)
		return fail();
	ret = ftruncate(fd, size) ? fail() : 0;
	close(fd);
	return ret;
}

static int fs_unlink(const char *path)
{
	return unlinkat(cfg.backing, rel(path), 0) ? fail() : 0;
}

static int fs_mkdir(const char *path, mode_t mode)
{
	return mkdirat(cfg.backing, rel(path), mode) ? fail() : 0;
}

static int fs_rmdir(const char *path)
{
	return unlinkat(cfg.backing, rel(path), AT_REMOVEDIR) ? fail() : 0;
}

static int fs_rename(const char *from, const char *to, unsigned int flags)
{
	if (cfg.no_exchange && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	return renameat2(cfg.backing, rel(from), cfg.backing, rel(to),
			 flags) ? fail() : 0;
}

static int fs_link(const char *from, const char *to)
{
	return linkat(cfg.backing, rel(from), cfg.backing, rel(to), 0) ?
		       fail() : 0;
}

static int fs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	if (fi)
		return fchmod((int)fi->fh, mode) ? fail() : 0;
	return fchmodat(cfg.backing, rel(path), mode, 0) ? fail() : 0;
}

static int fs_chown(const char *path, uid_t uid, gid_t gid,
		    struct fuse_file_info *fi)
{
	if (fi)
		return fchown((int)fi->fh, uid, gid) ? fail() : 0;
	return fchownat(cfg.backing, rel(path), uid, gid,
			AT_SYMLINK_NOFOLLOW) ? fail() : 0;
}

static int fs_utimens(const char *path, const struct timespec tv[2],
		      struct fuse_file_info *fi)
{
	if (fi)
		return futimens((int)fi->fh, tv) ? fail() : 0;
	return utimensat(cfg.backing, rel(path), tv, AT_SYMLINK_NOFOLLOW) ?
		       fail() : 0;
}

static int fs_statfs(const char *path, struct statvfs *st)
{
	(void)path;
	return fstatvfs(cfg.backing, st) ? fail() : 0;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *fc)
{
	(void)fc;
	if (cfg.no_async_dio)
		conn->want &= ~FUSE_CAP_ASYNC_DIO;
	return NULL;
}

static const struct fuse_operations ops = {
	.init = fs_init,
	.getattr = fs_getattr,
	.readdir = fs_readdir,
	.open = fs_open,
	.create = fs_create,
	.read = fs_read,
	.write = fs_write,
	.flush = fs_flush,
	.fsync = fs_fsync,
	.release = fs_release,
	.truncate = fs_truncate,
	.unlink = fs_unlink,
	.mkdir = fs_mkdir,
	.rmdir = fs_rmdir,
	.rename = fs_rename,
	.link = fs_link,
	.chmod = fs_chmod,
	.chown = fs_chown,
	.utimens = fs_utimens,
	.statfs = fs_statfs,
};

static int usage(void)
{
	fprintf(stderr, "usage: faultfs [--fail-flush=TEXT] [--fail-fsync=TEXT] "
		"[--drop-writes=TEXT] [--eio-at=OFFSET] [--short-read=BYTES] "
		"[--direct-io] [--no-exchange] [--no-async-dio] BACKING_DIR "
		"MOUNTPOINT "
		"[FUSE OPTION]...\n");
	return 2;
}

/* Takes the FAULT options; returns the index of BACKING_DIR, or -1. */
static int parse_faults(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && !strncmp(argv[i], "--", 2); i++) {
		char *v = strchr(argv[i], '=');

		v = v ? v + 1 : NULL;
		if (!strncmp(argv[i], "--fail-flush=", 13))
			cfg.fail_flush = v;
		else if (!strncmp(argv[i], "--fail-fsync=", 13))
			cfg.fail_fsync = v;
		else if (!strncmp(argv[i], "--drop-writes=", 14))
			cfg.drop_writes = v;
		else if (!strncmp(argv[i], "--eio-at=", 9))
			cfg.eio_at = strtoll(v, NULL, 0);
		else if (!strncmp(argv[i], "--short-read=", 13))
			cfg.short_read = strtoull(v, NULL, 0);
		else if (!strncmp(argv[i], "--slow-read=", 12))
			cfg.slow_read = v;
		else if (!strncmp(argv[i], "--slow-write=", 13))
			cfg.slow_write = v;
		else if (!strcmp(argv[i], "--direct-io"))
			cfg.direct_io = 1;
		else if (!strcmp(argv[i], "--no-exchange"))
			cfg.no_exchange = 1;
		else if (!strcmp(argv[i], "--no-async-dio"))
			cfg.no_async_dio = 1;
		else
			return -1;
	}
	return argc - i >= 2 ? i : -1;
}

int main(int argc, char **argv)
{
	char *fuse_argv[64];
	int i, n = 0, first = parse_faults(argc, argv);

	if (first < 0 || argc - first + 4 > 64)
		return usage();
	cfg.backing = open(argv[first], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfg.backing < 0) {
		perror(argv[first]);
		return 1;
	}
	/* foreground, one thread; the kernel checks permissions */
	fuse_argv[n++] = argv[0];
	fuse_argv[n++] = "-f";
	fuse_argv[n++] = "-s";
	fuse_argv[n++] = "-odefault_permissions";
	for (i = first + 1; i < argc; i++)
		fuse_argv[n++] = argv[i];
	umask(0);
	return fuse_main(n, fuse_argv, &ops, NULL);
}
