/* SPDX-License-Identifier: MIT */
/*
 * dmctl: just enough device-mapper for the guest's fault tests
 * (tests/kernel/zccp-faults.sh), which have busybox and no dmsetup.
 * Written from the UAPI, <linux/dm-ioctl.h>.
 *
 *   dmctl create NAME LINE...   a device whose table is the LINEs, one
 *                               "START LENGTH TARGET ARGS" each (sectors);
 *                               prints its node, /dev/dm-N
 *   dmctl reload NAME LINE...   a new table for a live device: load,
 *                               suspend, resume; a file system on it is
 *                               not frozen (DM_SKIP_LOCKFS_FLAG), which
 *                               would write its superblock at the thaw,
 *                               through the new table: the fault then
 *                               meets the fs's next own writes instead
 *   dmctl remove NAME
 *   dmctl message NAME SECTOR TEXT
 *                               a target message (dm-dust: "addbadblock
 *                               N", "enable"); prints the target's reply
 *
 * Exit 0 on success; 1 with "dmctl: WHAT: REASON" on stderr; 2 on a
 * usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/dm-ioctl.h>

#define DM_BUF_SIZE (16 * 1024) /* a header, a few targets, a reply */
#define CONTROL "/dev/" DM_DIR "/" DM_CONTROL_NODE
#define CONTROL_SYSFS "/sys/class/misc/device-mapper/dev"

static union {
	struct dm_ioctl io;
	char bytes[DM_BUF_SIZE];
	unsigned long long align;
} buf;

static int control_fd = -1;

static int err(const char *what, int ret)
{
	fprintf(stderr, "dmctl: %s: %s\n", what, strerror(-ret));
	return ret;
}

/* The control node from devtmpfs, or made from sysfs's MAJOR:MINOR. */
static int open_control(void)
{
	unsigned int maj, min;
	FILE *f;
	int n;

	control_fd = open(CONTROL, O_RDWR | O_CLOEXEC);
	if (control_fd >= 0)
		return 0;
	if (errno != ENOENT)
		return err(CONTROL, -errno);
	f = fopen(CONTROL_SYSFS, "r");
	if (!f)
		return err(CONTROL_SYSFS " (no device-mapper in this kernel?)",
			   -errno);
	n = fscanf(f, "%u:%u", &maj, &min);
	fclose(f);
	if (n != 2)
		return err(CONTROL_SYSFS, -EINVAL);
	if (mkdir("/dev/" DM_DIR, 0755) && errno != EEXIST)
		return err("/dev/" DM_DIR, -errno);
	if (mknod(CONTROL, S_IFCHR | 0600, makedev(maj, min)) &&
	    errno != EEXIST)
		return err(CONTROL, -errno);
	control_fd = open(CONTROL, O_RDWR | O_CLOEXEC);
	return control_fd >= 0 ? 0 : err(CONTROL, -errno);
}

/* A fresh request for device NAME, with no payload yet. */
static int dm_init(const char *name)
{
	memset(&buf, 0, sizeof(buf));
	buf.io.version[0] = DM_VERSION_MAJOR;
	buf.io.version[1] = 0;
	buf.io.version[2] = 0;
	buf.io.data_size = sizeof(buf);
	buf.io.data_start = sizeof(buf.io);
	if (strlen(name) >= sizeof(buf.io.name))
		return -ENAMETOOLONG;
	strcpy(buf.io.name, name);
	return 0;
}

static int dm_run(unsigned long cmd, const char *what)
{
	if (ioctl(control_fd, cmd, &buf.io))
		return err(what, -errno);
	return 0;
}

/* Append one "START LENGTH TARGET ARGS" line to the request at *off. */
static int add_target(const char *line, size_t *off,
		      struct dm_target_spec **prev)
{
	unsigned long long start, len;
	struct dm_target_spec *spec;
	char type[DM_MAX_TYPE_NAME];
	size_t params_len, size;
	int consumed = 0;

	if (sscanf(line, "%llu %llu %15s %n", &start, &len, type,
		   &consumed) < 3 || !consumed)
		return -EINVAL;
	params_len = strlen(line + consumed) + 1;
	/* Each spec starts 8-byte aligned; next is relative to the last. */
	size = (sizeof(*spec) + params_len + 7) & ~(size_t)7;
	if (*off + size > sizeof(buf))
		return -E2BIG;
	spec = (struct dm_target_spec *)(buf.bytes + *off);
	spec->sector_start = start;
	spec->length = len;
	strcpy(spec->target_type, type);
	memcpy(spec + 1, line + consumed, params_len);
	if (*prev)
		(*prev)->next = (char *)spec - (char *)*prev;
	*prev = spec;
	*off += size;
	buf.io.target_count++;
	return 0;
}

static int load_table(const char *name, int nlines, char **lines)
{
	struct dm_target_spec *prev = NULL;
	size_t off;
	int i, ret;

	ret = dm_init(name);
	if (ret)
		return err(name, ret);
	off = buf.io.data_start;
	for (i = 0; i < nlines; i++) {
		ret = add_target(lines[i], &off, &prev);
		if (ret) {
			fprintf(stderr, "dmctl: table line '%s': %s\n",
				lines[i], strerror(-ret));
			return ret;
		}
	}
	buf.io.data_size = off;
	return dm_run(DM_TABLE_LOAD, "load the table");
}

/* Suspend (flags with DM_SUSPEND_FLAG) or resume (0) the device. */
static int suspend(const char *name, unsigned int flags)
{
	int ret = dm_init(name);

	if (ret)
		return err(name, ret);
	buf.io.flags = flags;
	return dm_run(DM_DEV_SUSPEND, flags ? "suspend" : "resume");
}

static int dev_remove(const char *name)
{
	int ret, tries;

	/* A closing opener (blkid, a last umount) may hold it briefly. */
	for (tries = 0; tries < 50; tries++) {
		ret = dm_init(name);
		if (ret)
			return err(name, ret);
		if (!ioctl(control_fd, DM_DEV_REMOVE, &buf.io))
			return 0;
		ret = -errno;
		if (ret != -EBUSY)
			break;
		usleep(100 * 1000);
	}
	return err("remove", ret);
}

/* /dev/dm-MINOR, made if devtmpfs has not (or not yet) made it. */
static int print_node(dev_t dev)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/dm-%u", minor(dev));
	if (stat(path, &st) == 0) {
		if (!S_ISBLK(st.st_mode) || st.st_rdev != dev)
			return err(path, -EEXIST);
	} else if (mknod(path, S_IFBLK | 0600, dev) && errno != EEXIST) {
		return err(path, -errno);
	}
	printf("%s\n", path);
	return 0;
}

static int cmd_create(const char *name, int nlines, char **lines)
{
	dev_t dev;
	int ret;

	ret = dm_init(name);
	if (ret)
		return err(name, ret);
	ret = dm_run(DM_DEV_CREATE, "create");
	if (ret)
		return ret;
	dev = buf.io.dev;
	ret = load_table(name, nlines, lines);
	if (!ret)
		ret = suspend(name, 0);
	if (!ret)
		ret = print_node(dev);
	if (ret)
		dev_remove(name);
	return ret;
}

static int cmd_reload(const char *name, int nlines, char **lines)
{
	int ret = load_table(name, nlines, lines);

	if (!ret)
		ret = suspend(name, DM_SUSPEND_FLAG | DM_SKIP_LOCKFS_FLAG);
	if (!ret)
		ret = suspend(name, 0);
	return ret;
}

static int cmd_message(const char *name, const char *sector,
		       const char *text)
{
	struct dm_target_msg *msg;
	char *end;
	int ret;

	ret = dm_init(name);
	if (ret)
		return err(name, ret);
	msg = (struct dm_target_msg *)(buf.bytes + buf.io.data_start);
	errno = 0;
	msg->sector = strtoull(sector, &end, 0);
	if (errno || *end || end == sector)
		return err(sector, -EINVAL);
	if (strlen(text) + 1 > sizeof(buf) - buf.io.data_start - sizeof(*msg))
		return err("message", -E2BIG);
	strcpy(msg->message, text);
	ret = dm_run(DM_TARGET_MSG, text);
	if (!ret && (buf.io.flags & DM_DATA_OUT_FLAG) &&
	    buf.bytes[buf.io.data_start])
		printf("%s\n", buf.bytes + buf.io.data_start);
	return ret;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: dmctl create NAME 'START LEN TARGET ARGS'...\n"
		"       dmctl reload NAME 'START LEN TARGET ARGS'...\n"
		"       dmctl remove NAME\n"
		"       dmctl message NAME SECTOR TEXT\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *cmd, *name;
	int ret;

	if (argc < 3)
		return usage();
	cmd = argv[1];
	name = argv[2];
	if ((!strcmp(cmd, "create") || !strcmp(cmd, "reload")) && argc < 4)
		return usage();
	if ((!strcmp(cmd, "remove") && argc != 3) ||
	    (!strcmp(cmd, "message") && argc != 5))
		return usage();
	if (open_control())
		return 1;
	if (!strcmp(cmd, "create"))
		ret = cmd_create(name, argc - 3, argv + 3);
	else if (!strcmp(cmd, "reload"))
		ret = cmd_reload(name, argc - 3, argv + 3);
	else if (!strcmp(cmd, "remove"))
		ret = dev_remove(name);
	else if (!strcmp(cmd, "message"))
		ret = cmd_message(name, argv[3], argv[4]);
	else
		return usage();
	return ret ? 1 : 0;
}
