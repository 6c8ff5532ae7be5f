#!/usr/bin/env bats
# zccp-test: per-engine
# Block devices (loop devices over images in $T): written in place,
# never truncated nor replaced; bytes after the copied length untouched.

load helpers

MiB=$((1 << 20))

# assert_device DEV LEN EXPECTED: DEV starts with EXPECTED's LEN bytes
# and the rest equals the image's old content; DEV is still a block
# device of the old size.
assert_device() {
	local dev=$1 len=$2 want=$3
	[[ -b $dev ]] || fail "$dev is no longer a block device"
	[[ $(blockdev --getsize64 "$dev") -eq $(stat -c %s "$T/image.orig") ]] ||
		fail "$dev changed size"
	assert_prefix_same "$want" "$dev" "$len"
	cmp -i "$len:$len" "$T/image.orig" "$dev" >&2 ||
		fail "$dev: bytes after the first $len changed"
}

@test "a block device destination: written in place, the rest untouched" {
	requires root loopdev
	new_loop $((8 * MiB))
	local size=$((3 * MiB + 1000))
	make_file "$T/src" "$size"
	zccp "$T/src" "$LOOPDEV" "$T/d2"
	assert_success
	assert_device "$LOOPDEV" "$size" "$T/src"
	assert_same "$T/src" "$T/d2"
	assert_dir_holds "$T" src d2 image image.orig
}

@test "a block device with 4 KiB sectors, odd length, -B 64K" {
	requires root loopdev
	new_loop $((4 * MiB)) --sector-size 4096
	local size=$((MiB + 12345))
	make_file "$T/src" "$size"
	zccp -B 64K "$T/src" "$LOOPDEV" "$T/d2"
	assert_success
	assert_device "$LOOPDEV" "$size" "$T/src"
	assert_same "$T/src" "$T/d2"
}

@test "a sparse source to a block device: the holes are written as zeros" {
	requires root loopdev
	new_loop $((8 * MiB))
	local size=$((6 * MiB + 3))
	truncate -s "$size" "$T/src"
	write_at "$T/src" $((2 * MiB + 5)) 5000
	zccp "$T/src" "$LOOPDEV" "$T/d2"
	assert_success
	assert_device "$LOOPDEV" "$size" "$T/src"
	assert_same "$T/src" "$T/d2"
}

@test "an empty source to a block device changes nothing" {
	requires root loopdev
	new_loop $((1 * MiB))
	: >"$T/src"
	zccp "$T/src" "$LOOPDEV" "$T/d2"
	assert_success
	assert_device "$LOOPDEV" 0 "$T/src"
	assert_same "$T/src" "$T/d2"
}

@test "a source larger than the block device: the device fails alone" {
	requires root loopdev
	new_loop $((2 * MiB))
	make_file "$T/src" $((3 * MiB))
	zccp "$T/src" "$T/d1" "$LOOPDEV" "$T/d3"
	assert_status 1
	assert_stderr_count 1 "$LOOPDEV"
	assert_stderr_matches "^zccp: .*$LOOPDEV: .*No space left on device"
	assert_same "$T/src" "$T/d1" "$T/d3"
	# What fits was written; the device was neither grown nor replaced.
	assert_device "$LOOPDEV" $((2 * MiB)) "$T/src"
}

@test "a block device source" {
	requires root loopdev
	new_loop $((5 * MiB))
	zccp "$LOOPDEV" "$T/d1" "$T/d2"
	assert_success
	assert_same "$T/image.orig" "$T/d1" "$T/d2"
}

@test "a block device source to a directory destination (DIR/basename)" {
	requires root loopdev
	new_loop $((1 * MiB))
	mkdir "$T/dir"
	zccp "$LOOPDEV" "$T/dir"
	assert_success
	assert_same "$T/image.orig" "$T/dir/$(basename "$LOOPDEV")"
}

@test "the same block device twice (two device nodes) is refused" {
	requires root loopdev
	new_loop $((1 * MiB))
	make_file "$T/src" 4096
	# Another node for the same device: same rdev, other inode.
	mknod "$T/alias" b $((16#$(stat -c %t "$LOOPDEV"))) \
		$((16#$(stat -c %T "$LOOPDEV")))
	zccp "$T/src" "$LOOPDEV" "$T/alias"
	assert_status 2
	assert_device "$LOOPDEV" 0 "$T/src"
}

@test "the block device that is the source is refused as a destination" {
	requires root loopdev
	new_loop $((1 * MiB))
	mknod "$T/alias" b $((16#$(stat -c %t "$LOOPDEV"))) \
		$((16#$(stat -c %T "$LOOPDEV")))
	zccp "$LOOPDEV" "$T/d1" "$T/alias"
	assert_status 2
	assert_absent "$T/d1"
	assert_device "$LOOPDEV" 0 /dev/null
}

@test "a file on proc: written in place with write(2), as cp writes it" {
	requires root
	sleep 600 &
	local pid=$! adj
	on_teardown kill_bg "$pid"
	adj=/proc/$pid/oom_score_adj
	echo 417 >"$T/adj"
	zccp "$T/adj" "$adj" "$T/d2"
	if [[ $status -eq 2 ]]; then
		# engines that write only through io_uring, libaio or splice
		[[ $ZCCP_ENGINE != auto && $ZCCP_ENGINE != rw ]] ||
			fail "$ZCCP_ENGINE refused a pseudo file"
		assert_stderr_matches "^zccp: engine $ZCCP_ENGINE: cannot write a pseudo file \(proc, sysfs\.\.\.\): some take only write\(2\)$"
		[[ $(cat "$adj") == 0 ]] || fail "$adj written anyway"
		assert_absent "$T/d2"
		return
	fi
	assert_success
	[[ $(cat "$adj") == 417 ]] || fail "$adj says $(cat "$adj")"
	assert_same "$T/adj" "$T/d2"
	zccp --json "$T/adj" "$adj"
	assert_success
	grep -q '"kind":"pseudo file"' <<<"$output" || fail "kind: $output"
	# a file proc does not let us write: proc's error, as cp's
	zccp "$T/adj" /proc/version
	assert_status 1
	assert_stderr_matches "^zccp: /proc/version: Input/output error$"
}
