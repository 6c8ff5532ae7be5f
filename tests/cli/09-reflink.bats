#!/usr/bin/env bats
# --reflink (FICLONE, as cp): destinations on the source's xfs share its
# extents and never pass through the ring; the others are copied
# (auto), fail alone (always), or everything is copied (never).

load helpers

MiB=$((1 << 20))

# mount_xfs: a fresh xfs with reflink on a loop device, mounted at $X
# (strictatime: a read of the source shows); undone in teardown.
mount_xfs() {
	requires root loopdev mount
	command -v mkfs.xfs >/dev/null || fail "mkfs.xfs missing: run scripts/deps"
	truncate -s 300M "$T/xfs.img"
	mkfs.xfs -q -m reflink=1 "$T/xfs.img" || fail "mkfs.xfs"
	LOOPDEV=$(losetup -f --show "$T/xfs.img") || fail "losetup"
	on_teardown losetup -d "$LOOPDEV"
	X=$T/xfs
	mkdir -p "$X"
	mount -t xfs -o strictatime "$LOOPDEV" "$X" || fail "mount xfs"
	on_teardown umount "$X"
}

setup() {
	mount_xfs
}

# assert_shared FILE...: every extent of FILE, its tail included, is
# shared with another file.
assert_shared() {
	local f
	for f; do
		filefrag -v "$f" | awk '
			/^ *[0-9]+:/ { n++; if ($0 !~ /shared/) bad++ }
			END { exit !(n > 0 && !bad) }' ||
			fail "$f: an extent is not shared (not a clone)"
	done
}

assert_not_shared() {
	local f
	for f; do
		! filefrag -v "$f" | grep -q shared ||
			fail "$f: shares extents (a clone, expected a copy)"
	done
}

used_bytes() {
	sync -f "$1"
	df --output=used -B1 "$1" | tail -n 1
}

# The source's access time goes back to 2000; was it read since?
mark_unread() {
	touch -a -d 2000-01-01 "$1"
}

assert_unread() {
	[[ $(stat -c %X "$1") -eq $(date -d 2000-01-01 +%s) ]] ||
		fail "$1 was read"
}

@test "three clones on the xfs, one copy on /tmp: all equal, clones share extents" {
	local size=$((32 * MiB + 123)) before
	make_file "$X/src" "$size"
	before=$(used_bytes "$X")
	zccp "$X/src" "$X/d1" "$X/d2" "$X/d3" "$T/e1"
	assert_success
	assert_stderr_line_count 0 # the fallback is silent without -v
	assert_same "$X/src" "$X/d1" "$X/d2" "$X/d3" "$T/e1"
	assert_shared "$X/d1" "$X/d2" "$X/d3"
	assert_not_shared "$T/e1"
	# Three copies would take 3 x 32 MiB more.
	(($(used_bytes "$X") - before < 8 * MiB)) || fail "xfs usage grew by copies"
	assert_dir_holds "$X" src d1 d2 d3
	assert_dir_holds "$T" xfs xfs.img e1
}

@test "every destination cloned: the source is never read" {
	make_file "$X/src" $((8 * MiB))
	mark_unread "$X/src"
	zccp "$X/src" "$X/d1" "$X/d2"
	assert_success
	assert_unread "$X/src"
	assert_same "$X/src" "$X/d1" "$X/d2"
	assert_shared "$X/d1" "$X/d2"
}

@test "--reflink=always: the destination off the xfs fails alone, one line" {
	make_file "$X/src" $((4 * MiB + 1))
	make_old "$T/e1"
	zccp --reflink=always "$X/src" "$X/d1" "$T/e1" "$X/d2"
	assert_status 1
	assert_stderr_line_count 1
	assert_stderr_matches "^zccp: $T/e1: cannot clone: .*different filesystems"
	assert_same "$X/src" "$X/d1" "$X/d2"
	assert_shared "$X/d1" "$X/d2"
	assert_same "$T/e1.orig" "$T/e1" # untouched
	assert_dir_holds "$X" src d1 d2
	assert_dir_holds "$T" xfs xfs.img e1 e1.orig
}

@test "--verify reads clones back too before they replace anything" {
	make_file "$X/src" $((4 * MiB + 1))
	make_old "$X/d1"
	zccp --verify -vv "$X/src" "$X/d1" "$T/e1"
	assert_success
	assert_same "$X/src" "$X/d1" "$T/e1"
	assert_shared "$X/d1"
	assert_stderr_matches "^zccp: $X/d1: verified: read back with O_DIRECT$"
	assert_stderr_matches "^zccp: $T/e1: verified: read back with O_DIRECT$"
	assert_dir_holds "$X" src d1 d1.orig
}

@test "--dry-run predicts the clone on the xfs and the copy off it, makes neither" {
	make_file "$X/src" $((MiB + 1))
	zccp --dry-run "$X/src" "$X/d1" "$T/e1"
	assert_success
	[[ $output == *"dest $X/d1 (regular file, new): written to a temporary beside it, renamed when complete; reflink: yes (same xfs filesystem: FICLONE will be tried)"* ]] ||
		fail "d1: $output"
	[[ $output == *"dest $T/e1 (regular file, new): written to a temporary beside it, renamed when complete; reflink: no (different filesystems (source on xfs, destination on "* ]] ||
		fail "e1: $output"
	assert_dir_holds "$X" src
	assert_absent "$T/e1"
}

@test "--reflink=always on a file system that cannot clone (tmpfs) fails each" {
	mount_tmpfs "$T/tmpfs" 64M
	make_file "$T/tmpfs/src" $((MiB + 7))
	zccp --reflink=always "$T/tmpfs/src" "$T/tmpfs/d1" "$T/tmpfs/d2"
	assert_status 1
	assert_stderr_line_count 2
	assert_stderr_count 2 "^zccp: $T/tmpfs/d[12]: cannot clone: tmpfs cannot clone"
	assert_dir_holds "$T/tmpfs" src
}

@test "--reflink=always with --on-error=abort: nothing is put in place" {
	make_file "$X/src" $((2 * MiB))
	zccp --reflink=always --on-error=abort "$X/src" "$X/d1" "$T/e1"
	assert_status 1
	assert_stderr_matches "^zccp: $T/e1: cannot clone: "
	assert_dir_holds "$X" src
	assert_dir_holds "$T" xfs xfs.img
}

@test "--reflink=never copies: no shared extents, the source is read" {
	make_file "$X/src" $((8 * MiB + 4097))
	mark_unread "$X/src"
	zccp --reflink=never "$X/src" "$X/d1" "$X/d2"
	assert_success
	assert_same "$X/src" "$X/d1" "$X/d2"
	assert_not_shared "$X/src" "$X/d1" "$X/d2"
	! assert_unread "$X/src" 2>/dev/null || fail "the source was not read"
}

@test "odd sizes 0, 1, 4097 are cloned exactly" {
	local size
	for size in 0 1 4097; do
		make_file "$X/src$size" "$size"
		zccp --reflink=always "$X/src$size" "$X/d$size" "$X/e$size"
		assert_success
		assert_size "$X/d$size" "$size"
		assert_same "$X/src$size" "$X/d$size" "$X/e$size"
		((size == 0)) || assert_shared "$X/d$size" "$X/e$size"
	done
}

@test "a sparse source clones sparse" {
	truncate -s $((64 * MiB)) "$X/src"
	write_at "$X/src" 12345 5000
	write_at "$X/src" $((40 * MiB + 1)) 70000
	zccp --reflink=always "$X/src" "$X/d1" "$X/d2"
	assert_success
	assert_size "$X/d1" $((64 * MiB))
	assert_same "$X/src" "$X/d1" "$X/d2"
	assert_shared "$X/d1" "$X/d2"
	(($(allocated_bytes "$X/d1") <= MiB)) || fail "holes lost in the clone"
}

@test "--inplace onto a larger existing file: cloned, truncated, same inode" {
	local ino
	make_file "$X/src" $((MiB + 5))
	make_file "$X/d1" $((6 * MiB))
	ino=$(stat -c %i "$X/d1")
	zccp --inplace --reflink=always "$X/src" "$X/d1"
	assert_success
	assert_size "$X/d1" $((MiB + 5))
	assert_same "$X/src" "$X/d1"
	assert_shared "$X/d1"
	[[ $(stat -c %i "$X/d1") == "$ino" ]] || fail "--inplace replaced the file"
}

@test "--fsync with clones: complete and in place" {
	make_file "$X/src" $((3 * MiB))
	make_old "$X/d1"
	zccp --fsync "$X/src" "$X/d1" "$X/d2"
	assert_success
	assert_same "$X/src" "$X/d1" "$X/d2"
	assert_shared "$X/d1" "$X/d2"
	assert_dir_holds "$X" src d1 d1.orig d2
}

@test "-v says reflink for the clone and why not for the copy, one line each" {
	make_file "$X/src" $((2 * MiB))
	zccp -vv "$X/src" "$X/d1" "$T/e1"
	assert_success
	assert_stderr_format
	assert_stderr_count 1 "$X/d1"
	assert_stderr_count 1 "^zccp: dest $X/d1 .*reflink \\(FICLONE\\): same xfs filesystem"
	assert_stderr_count 1 "$T/e1"
	assert_stderr_count 1 "^zccp: dest $T/e1 .*no reflink: different filesystems"
	zccp -vv --reflink=never "$X/src" "$X/d2"
	assert_success
	assert_stderr_count 1 "^zccp: dest $X/d2 .*no reflink: --reflink=never"
}

@test "--stats: a clone reports the source's bytes and its time" {
	local size=$((5 * MiB + 3))
	make_file "$X/src" "$size"
	zccp --stats "$X/src" "$X/d1" "$T/e1"
	assert_success
	assert_stderr_count 1 "^zccp: stats: $X/d1: $size bytes in [0-9.]+ s .*reflink, ok"
	assert_stderr_count 1 "^zccp: stats: $T/e1: $size bytes in [0-9.]+ s"
}
