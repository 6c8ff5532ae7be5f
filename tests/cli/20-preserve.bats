#!/usr/bin/env bats
# -p/--preserve: the source's mode, owner, times and extended
# attributes on file destinations, as cp gives them; checked with stat
# and (for xattrs) python3's os.getxattr, on ext4 and on tmpfs.

load helpers

STAMP="2001-02-03 04:05:06.123456789"

setup() {
	make_file "$T/src" $((1024 * 1024 + 4097))
	chmod 0751 "$T/src"
	touch -m -d "$STAMP" "$T/src"
	touch -a -d "2002-03-04 05:06:07.987654321" "$T/src"
}

# attrs FILE: mode, owner, group, access and modification times (ns).
attrs() {
	stat -c '%a %u %g %x %y' -- "$1"
}

# assert_attrs WANT FILE...: attrs of each FILE are WANT (taken from
# the source before the copy: reading a file moves its access time, so
# check before cmp reads the copies).
assert_attrs() {
	local want=$1 got f
	shift
	for f; do
		got=$(attrs "$f")
		[[ $got == "$want" ]] || fail "$f: '$got', the source had '$want'"
	done
}

set_xattr() { # FILE NAME VALUE
	python3 -c 'import os, sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())' "$@"
}

get_xattr() { # FILE NAME
	python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], sys.argv[2]).decode())' "$@"
}

@test "-p: mode, owner and nanosecond times on new and replaced files" {
	requires root
	chown 1234:5678 "$T/src"
	make_old "$T/d1"
	local want
	want=$(attrs "$T/src")
	[[ $want == "751 1234 5678 2002-03-04 05:06:07.987654321 "* ]] ||
		fail "setup: $want"
	zccp -p "$T/src" "$T/d1" "$T/d2"
	assert_success
	assert_attrs "$want" "$T/d1" "$T/d2"
	assert_same "$T/src" "$T/d1" "$T/d2"
}

@test "without -p: a new file gets the source's mode less umask, and its own times" {
	(umask 027 && "$ZCCP" -e "$ZCCP_ENGINE" "$T/src" "$T/d1") || fail "zccp failed"
	[[ $(stat -c %a "$T/d1") == 750 ]] || fail "mode $(stat -c %a "$T/d1")"
	[[ $(stat -c %Y "$T/d1") -gt $(stat -c %Y "$T/src") ]] || fail "the times were kept"
}

@test "--preserve=timestamps survives --fsync, --verify and --inplace" {
	make_old "$T/d2"
	local want f
	want=$(stat -c '%x %y' "$T/src")
	zccp --preserve=timestamps --fsync --verify "$T/src" "$T/d1"
	assert_success
	# the source's access time moved as zccp read it: restore it
	touch -a -d "2002-03-04 05:06:07.987654321" "$T/src"
	zccp --preserve=timestamps --inplace "$T/src" "$T/d2"
	assert_success
	for f in "$T/d1" "$T/d2"; do
		[[ $(stat -c '%x %y' "$f") == "$want" ]] ||
			fail "$f: $(stat -c '%x %y' "$f"), the source had $want"
	done
	assert_same "$T/src" "$T/d1" "$T/d2"
}

@test "--preserve=xattr on ext4 and on tmpfs; -p alone does not copy them" {
	requires root mount
	set_xattr "$T/src" user.zccp.test "value with spaces" ||
		skip "the scratch file system takes no user xattrs"
	mount_tmpfs "$T/tmpfs" 16M
	local want
	want=$(attrs "$T/src")
	zccp --preserve=xattr "$T/src" "$T/d1" "$T/tmpfs/d2"
	assert_success
	[[ $(get_xattr "$T/d1" user.zccp.test) == "value with spaces" ]] || fail "d1 has no xattr"
	[[ $(get_xattr "$T/tmpfs/d2" user.zccp.test) == "value with spaces" ]] || fail "tmpfs d2 has no xattr"
	zccp -p "$T/src" "$T/d3"
	assert_success
	! get_xattr "$T/d3" user.zccp.test 2>/dev/null || fail "-p copied an xattr"
	touch -a -d "2002-03-04 05:06:07.987654321" "$T/src"
	zccp --preserve=all "$T/src" "$T/d4"
	assert_success
	assert_attrs "$want" "$T/d4"
	[[ $(get_xattr "$T/d4" user.zccp.test) == "value with spaces" ]] || fail "all: no xattr"
}

@test "--preserve=ownership without the privilege fails that destination; -p lets it go, without set-id bits" {
	requires root nobody
	make_world_dir
	cp "$T/src" "$WORLD_DIR/src"
	chmod 04755 "$WORLD_DIR/src"
	chmod 0777 "$WORLD_DIR"
	printf 'old\n' >"$WORLD_DIR/d1"
	chown 65534:65534 "$WORLD_DIR/d1"
	as_nobody --preserve=ownership "$WORLD_DIR/src" "$WORLD_DIR/d1"
	assert_status 1
	assert_stderr_matches "^zccp: $WORLD_DIR/d1: cannot give it the source's owner \(--preserve=ownership\)$"
	[[ $(cat "$WORLD_DIR/d1") == old ]] || fail "d1 was replaced"
	as_nobody -p "$WORLD_DIR/src" "$WORLD_DIR/d2"
	assert_success
	[[ $(stat -c '%a %u' "$WORLD_DIR/d2") == "755 65534" ]] ||
		fail "d2: $(stat -c '%a %u' "$WORLD_DIR/d2")"
	assert_same "$T/src" "$WORLD_DIR/d2"
}

@test "-p from a pipe: nothing to keep, no error" {
	run_sh 'cat "$1" | "$ZCCP" -e "$ZCCP_ENGINE" -p - "$2"' "$T/src" "$T/d1"
	assert_success
	assert_same "$T/src" "$T/d1"
}

@test "--preserve with an unknown attribute is refused" {
	zccp --preserve=mode,colour "$T/src" "$T/d1"
	assert_status 2
	assert_stderr_matches "^zccp: invalid --preserve 'mode,colour': want mode, ownership, timestamps, xattr or all$"
	assert_absent "$T/d1"
}

@test "--preserve=all: an empty extended attribute is copied too" {
	set_xattr "$T/src" user.empty "" ||
		skip "the scratch file system takes no user xattrs"
	zccp --preserve=all "$T/src" "$T/d1"
	assert_success
	[[ $(get_xattr "$T/d1" user.empty) == "" ]] || fail "value changed"
	python3 -c 'import os, sys; sys.exit("user.empty" not in os.listxattr(sys.argv[1]))' "$T/d1" ||
		fail "user.empty was not copied"
}
