// SPDX-License-Identifier: MIT
/* Find and remove temporaries that killed zccps left (zccp/stale.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/random.h>
#include <unistd.h>

#include "zccp/report.h"
#include "zccp/stale.h"

#define SUFFIX ZCCP_TEMPORARY_SUFFIX
#define SUFFIX_HEX 12
/* An empty temporary younger than this may be a live zccp's, not yet
 * held: zccp_temporary_hold follows its creation at once. */
#define JUST_MADE_SECONDS 10

int zccp_temporary_hold(int fd)
{
	return flock(fd, LOCK_EX | LOCK_NB) ? -errno : 0;
}

int zccp_temporary_name_for(char *buf, size_t size, const char *base)
{
	unsigned char r[6];

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		return -errno;
	snprintf(buf, size, ".%.200s" ZCCP_TEMPORARY_SUFFIX
		 "%02x%02x%02x%02x%02x%02x", base, r[0], r[1], r[2], r[3],
		 r[4], r[5]);
	return 0;
}

bool zccp_temporary_name(const char *name)
{
	size_t len = strlen(name), tail = strlen(SUFFIX) + SUFFIX_HEX;

	if (name[0] != '.' || len < 1 + 1 + tail)
		return false;
	if (strncmp(name + len - tail, SUFFIX, strlen(SUFFIX)))
		return false;
	for (size_t i = len - SUFFIX_HEX; i < len; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return false;
	return true;
}

/* Directories swept already (by device and inode), so that -r sweeps
 * each directory once, not once per file. */
static struct swept {
	dev_t dev;
	ino_t ino;
} *swept;
static size_t nswept, swept_cap;

static bool first_sweep(const struct stat *st)
{
	struct swept *grown;

	for (size_t i = nswept; i-- > 0;) /* the latest first: -r */
		if (swept[i].dev == st->st_dev && swept[i].ino == st->st_ino)
			return false;
	if (nswept == swept_cap) {
		swept_cap = swept_cap ? 2 * swept_cap : 16;
		grown = realloc(swept, swept_cap * sizeof(*swept));
		if (!grown)
			return false; /* no memory: no sweep, nothing lost */
		swept = grown;
	}
	swept[nswept++] = (struct swept){ st->st_dev, st->st_ino };
	return true;
}

static bool ours(const struct stat *st)
{
	uid_t me = geteuid();

	return S_ISREG(st->st_mode) && st->st_nlink == 1 &&
	       (st->st_uid == me || me == 0);
}

static bool just_made(const struct stat *st)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return st->st_size == 0 &&
	       now.tv_sec - st->st_ctim.tv_sec < JUST_MADE_SECONDS;
}

/* name in dirfd opened to be flocked: read-write where allowed, as NFS
 * emulates flock with a lock that needs it; fd or -errno. */
static int open_to_hold(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK |
					     O_NOCTTY | O_CLOEXEC);

	if (fd < 0 && (errno == EACCES || errno == ETXTBSY))
		fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
						 O_NOCTTY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int zccp_hold_at(int dirfd, const char *name)
{
	struct stat st;
	int fd, ret;

	/* Never open what is not a regular file (a tape rewinds). */
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	fd = open_to_hold(dirfd, name);
	if (fd < 0)
		return fd;
	ret = fstat(fd, &st) ? -errno : !S_ISREG(st.st_mode) ? -EINVAL :
	      zccp_temporary_hold(fd);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* 0: name in dirfd was a stale temporary and is gone; else -errno. */
static int remove_if_stale(int dirfd, const char *name)
{
	struct stat st, again;
	int fd = open_to_hold(dirfd, name);
	int ret = -EBUSY;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) || !ours(&st) || just_made(&st) ||
	    zccp_temporary_hold(fd))
		goto out;
	/* Still the same file at that name: then it is ours to remove. */
	if (!fstatat(dirfd, name, &again, AT_SYMLINK_NOFOLLOW) &&
	    again.st_dev == st.st_dev && again.st_ino == st.st_ino)
		ret = unlinkat(dirfd, name, 0) ? -errno : 0;
out:
	close(fd);
	return ret;
}

void zccp_stale_sweep(int at_fd, const char *at, const char *dir)
{
	int dirfd = openat(at_fd, at, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;
	struct stat st;
	DIR *d;

	if (dirfd < 0)
		return;
	if (fstat(dirfd, &st) || !first_sweep(&st) ||
	    !(d = fdopendir(dirfd))) {
		close(dirfd);
		return;
	}
	while ((e = readdir(d)))
		if (zccp_temporary_name(e->d_name) &&
		    !remove_if_stale(dirfd, e->d_name))
			zccp_info("%s/%s: removed, a temporary a killed zccp "
				  "left", dir, e->d_name);
	closedir(d);
}
