#!/usr/bin/env bats
# -n/--no-clobber and -f/--force, with cp's meaning: -n leaves an
# existing destination alone (no failure, as coreutils 9.1 on Debian
# 12); -f replaces one we may not write, as cp -f removes and recreates
# it; -n wins over -f.

load helpers

setup() {
	make_file "$T/src" $((1024 * 1024 + 1))
}

@test "-n: an existing destination is left alone, the new ones are written, exit 0" {
	make_old "$T/d1"
	mkdir "$T/dir"
	make_old "$T/dir/src"
	local ino
	ino=$(stat -c %i "$T/d1")
	zccp -n -vv "$T/src" "$T/d1" "$T/d2" "$T/dir/"
	assert_success
	assert_same "$T/d1.orig" "$T/d1"
	assert_same "$T/dir/src.orig" "$T/dir/src"
	[[ $(stat -c %i "$T/d1") == "$ino" ]] || fail "d1 was replaced"
	assert_same "$T/src" "$T/d2"
	assert_stderr_matches "^zccp: dest $T/d1 \(regular file\): exists, not overwritten \(-n\)$"
	assert_stderr_matches "^zccp: dest $T/dir/src \(regular file\): exists, not overwritten \(-n\)$"
}

@test "--no-clobber --json: skipped, not failed; --inplace too" {
	make_old "$T/d1"
	zccp --no-clobber --inplace --json "$T/src" "$T/d1" "$T/d2"
	assert_success
	jq -e '.destinations[0].status == "skipped" and .destinations[1].status == "ok" and .totals.skipped == 1 and .totals.failed == 0' <<<"$output" >/dev/null ||
		fail "summary: $output"
	assert_same "$T/d1.orig" "$T/d1"
	assert_same "$T/src" "$T/d2"
}

@test "-n on a block device that exists: left alone" {
	requires root loopdev
	new_loop $((2 * 1024 * 1024))
	zccp -n "$T/src" "$LOOPDEV" "$T/d1"
	assert_success
	cmp "$T/image.orig" "$LOOPDEV" >&2 || fail "$LOOPDEV was written"
	assert_same "$T/src" "$T/d1"
}

# foreign_read_only_dest: $WORLD_DIR/src for uid 65534 to copy, and
# $WORLD_DIR/d1, root's and read-only, in a directory anyone may write.
foreign_read_only_dest() {
	requires root nobody
	make_world_dir
	cp "$T/src" "$WORLD_DIR/src"
	chmod 0644 "$WORLD_DIR/src"
	printf 'old\n' >"$WORLD_DIR/d1"
	chmod 0444 "$WORLD_DIR/d1"
	chmod 0777 "$WORLD_DIR"
}

@test "a read-only destination of another owner: refused without -f, replaced with -f" {
	foreign_read_only_dest
	as_nobody "$WORLD_DIR/src" "$WORLD_DIR/d1"
	assert_status 1
	assert_stderr_matches "^zccp: cannot open '$WORLD_DIR/d1' for writing: Permission denied\$"
	[[ $(cat "$WORLD_DIR/d1") == old ]] || fail "d1 changed without -f"
	as_nobody -f "$WORLD_DIR/src" "$WORLD_DIR/d1"
	assert_success
	assert_same "$T/src" "$WORLD_DIR/d1"
	[[ $(stat -c %u "$WORLD_DIR/d1") -eq 65534 ]] || fail "the replacement is not ours"
}

@test "-f --inplace: removes what it may not open, then writes a new file" {
	foreign_read_only_dest
	as_nobody -f --inplace "$WORLD_DIR/src" "$WORLD_DIR/d1"
	assert_success
	assert_same "$T/src" "$WORLD_DIR/d1"
}

@test "-n wins over -f" {
	make_old "$T/d1"
	chmod 0444 "$T/d1"
	zccp -f -n "$T/src" "$T/d1"
	assert_success
	assert_same "$T/d1.orig" "$T/d1"
}

@test "-f --inplace with --on-error=abort: the old file survives a failure elsewhere" {
	foreign_read_only_dest
	as_nobody -f --inplace --on-error=abort "$WORLD_DIR/src" "$WORLD_DIR/d1" "$WORLD_DIR/missing/d2"
	assert_status 1
	[[ $(cat "$WORLD_DIR/d1") == old ]] || fail "d1 was lost or changed"
}
