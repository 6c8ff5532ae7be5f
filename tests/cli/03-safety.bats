#!/usr/bin/env bats
# Refusals and failures that must not damage anything: a destination
# that is the source, a destination given twice, a source that fails,
# a destination that cannot be written.

load helpers

setup() {
	make_file "$T/src" $((3 * 1024 * 1024 + 5))
	cp "$T/src" "$T/src.orig"
}

# The refusal wrote nothing: the source is intact, no other name.
assert_refused() {
	assert_status 2
	assert_stderr_format
	assert_same "$T/src.orig" "$T/src"
}

@test "DEST equal to SOURCE is refused, nothing written" {
	zccp "$T/src" "$T/d1" "$T/src"
	assert_refused
	assert_stderr_matches 'src'
	assert_dir_holds "$T" src src.orig
}

@test "DEST equal to SOURCE spelled differently (./, //) is refused" {
	cd "$T"
	zccp src d1 ./src
	assert_refused
	zccp src d1 "$T//src"
	assert_refused
	assert_dir_holds "$T" src src.orig
}

@test "DEST a symlink to SOURCE is refused, nothing written" {
	ln -s src "$T/link"
	zccp "$T/src" "$T/d1" "$T/link"
	assert_refused
	[[ -L $T/link ]] || fail "the symlink was replaced"
	assert_dir_holds "$T" src src.orig link
}

@test "SOURCE a symlink to DEST is refused" {
	ln -s src "$T/link"
	zccp "$T/link" "$T/src"
	assert_refused
	assert_dir_holds "$T" src src.orig link
}

@test "DEST a hard link to SOURCE is refused, nothing written" {
	ln "$T/src" "$T/hard"
	zccp "$T/src" "$T/d1" "$T/hard"
	assert_refused
	assert_same "$T/src.orig" "$T/hard"
	assert_dir_holds "$T" src src.orig hard
	[[ $(stat -c %h "$T/src") -eq 2 ]] || fail "the hard link was broken"
}

@test "DEST a directory holding SOURCE (DIR/basename = SOURCE) is refused" {
	zccp "$T/src" "$T/d1" "$T"
	assert_refused
	assert_dir_holds "$T" src src.orig
}

@test "DEST - with stdout redirected to SOURCE is refused, nothing written" {
	# Append mode: the shell itself must not truncate the source.  A
	# zccp that copied the source onto itself would never end: the
	# file size limit (ulimit -f, KiB) stops it with SIGXFSZ.
	run_sh 'ulimit -f 65536; "$1" -e "$2" "$3" "$4" - >>"$3"' \
		"$ZCCP" "$ZCCP_ENGINE" "$T/src" "$T/d1"
	zccp_log "zccp src d1 - >>src"
	assert_refused
	assert_dir_holds "$T" src src.orig
}

@test "SOURCE - with stdin redirected from DEST is refused" {
	run_sh 'ulimit -f 65536; "$1" -e "$2" - "$3" <"$3"' \
		"$ZCCP" "$ZCCP_ENGINE" "$T/src"
	zccp_log "zccp - src <src"
	assert_refused
	assert_dir_holds "$T" src src.orig
}

@test "the same DEST twice is refused, nothing written" {
	zccp "$T/src" "$T/d1" "$T/d2" "$T/d1"
	assert_status 2
	assert_stderr_matches 'd1'
	assert_dir_holds "$T" src src.orig
}

@test "the same existing DEST twice, spelled differently, is refused" {
	make_old "$T/d1"
	cd "$T"
	zccp src d1 ./d1
	assert_status 2
	assert_same "$T/d1.orig" "$T/d1"
	assert_dir_holds "$T" src src.orig d1 d1.orig
}

@test "the same new DEST twice, spelled differently, is refused" {
	mkdir "$T/sub"
	cd "$T"
	zccp src d1 sub/../d1
	assert_status 2
	assert_dir_holds "$T" src src.orig sub
}

@test "a directory DEST and DIR/basename both given is refused" {
	mkdir "$T/dir"
	zccp "$T/src" "$T/dir" "$T/dir/src"
	assert_status 2
	assert_dir_holds "$T/dir"
}

@test "- given twice as DEST is refused" {
	run_sh '"$1" -e "$2" "$3" - - >"$4"' \
		"$ZCCP" "$ZCCP_ENGINE" "$T/src" "$T/out"
	zccp_log "zccp src - - >out"
	assert_status 2
	[[ ! -s $T/out ]] || fail "something was written to stdout"
}

@test "missing source: exit 2, existing destinations untouched" {
	make_old "$T/d1"
	zccp "$T/missing" "$T/d1" "$T/d2"
	assert_status 2
	assert_stderr_matches "^zccp: cannot stat '$T/missing': No such file or directory\$"
	assert_same "$T/d1.orig" "$T/d1"
	assert_dir_holds "$T" src src.orig d1 d1.orig
}

@test "unreadable source: exit 2, nothing created" {
	requires nobody
	make_world_dir
	local dir=$WORLD_DIR
	make_file "$dir/src" 5000
	chmod 0200 "$dir/src"
	make_old "$dir/d1"
	chmod 0666 "$dir/d1"
	as_nobody "$dir/src" "$dir/d1" "$dir/d2"
	assert_status 2
	assert_stderr_matches "^zccp: cannot open '$dir/src' for reading: Permission denied\$"
	assert_same "$dir/d1.orig" "$dir/d1"
	assert_dir_holds "$dir" src d1 d1.orig
}

@test "the source is a directory: exit 2, the existing destination intact" {
	mkdir "$T/srcdir"
	make_old "$T/d1"
	zccp "$T/srcdir" "$T/d1" "$T/d2"
	assert_status 2
	assert_stderr_matches 'srcdir'
	assert_same "$T/d1.orig" "$T/d1"
	assert_dir_holds "$T" src src.orig srcdir d1 d1.orig
}

@test "a DEST in a directory without write permission fails alone (exit 1)" {
	requires nobody
	make_world_dir
	local dir=$WORLD_DIR
	make_file "$dir/src" $((2 * 1024 * 1024 + 1))
	mkdir "$dir/ro" "$dir/rw"
	chmod 0555 "$dir/ro"
	chmod 0777 "$dir/rw"
	as_nobody "$dir/src" "$dir/rw/d1" "$dir/ro/d2" "$dir/rw/d3"
	assert_status 1
	assert_stderr_count 1 "ro/d2"
	assert_stderr_matches "^zccp: cannot create regular file '$dir/ro/d2': Permission denied\$"
	assert_stderr_not_matches 'rw/d[13]'
	assert_same "$dir/src" "$dir/rw/d1" "$dir/rw/d3"
	assert_dir_holds "$dir/ro"
	assert_dir_holds "$dir/rw" d1 d3
}

@test "an existing DEST on a read-only bind mount fails alone, keeps its content" {
	requires root mount
	mkdir "$T/ro"
	make_old "$T/ro/d2"
	mount --bind "$T/ro" "$T/ro" || fail "bind mount"
	on_teardown umount -l "$T/ro"
	mount -o remount,bind,ro "$T/ro" || fail "remount read-only"
	zccp "$T/src" "$T/d1" "$T/ro/d2" "$T/d3"
	assert_status 1
	assert_stderr_count 1 "ro/d2"
	assert_stderr_matches "^zccp: cannot open '$T/ro/d2' for writing: Read-only file system\$"
	assert_same "$T/src" "$T/d1" "$T/d3"
	assert_same "$T/ro/d2.orig" "$T/ro/d2"
	assert_dir_holds "$T/ro" d2 d2.orig
}

@test "a DEST in a missing directory fails alone (exit 1)" {
	zccp "$T/src" "$T/d1" "$T/nodir/d2" "$T/d3"
	assert_status 1
	assert_stderr_count 1 'nodir/d2'
	assert_same "$T/src" "$T/d1" "$T/d3"
	assert_absent "$T/nodir"
}

@test "--on-error=abort: a failing DEST stops the copy, no temporaries" {
	make_old "$T/d1"
	zccp --on-error=abort "$T/src" "$T/d1" "$T/nodir/d2"
	[[ $status -eq 1 || $status -eq 2 ]] || fail "exit status $status, expected 1 or 2"
	assert_stderr_matches 'nodir/d2'
	assert_same "$T/d1.orig" "$T/d1"
	assert_dir_holds "$T" src src.orig d1 d1.orig
}

# Regressions from review: each of these once damaged or misreported.

@test "an existing DEST the user may not write is not replaced (exit 1)" {
	requires nobody
	make_world_dir
	local dir=$WORLD_DIR
	make_file "$dir/src" 4097
	chmod 0777 "$dir"
	echo precious >"$dir/victim"
	chmod 0644 "$dir/victim"
	as_nobody "$dir/src" "$dir/victim" "$dir/mine"
	assert_status 1
	assert_stderr_matches "^zccp: cannot open '$dir/victim' for writing: Permission denied\$"
	[[ $(cat "$dir/victim") == precious ]] || fail "victim was replaced"
	[[ $(stat -c %u "$dir/victim") -eq 0 ]] || fail "victim changed owner"
	assert_same "$dir/src" "$dir/mine"
}

@test "--inplace: a usage error after parsing leaves the DEST untouched" {
	echo precious >"$T/d1"
	# splice cannot do --sparse=always: refused once the plan is made.
	zccp_plain --inplace -e splice --sparse=always "$T/src" "$T/d1"
	assert_status 2
	[[ $(cat "$T/d1") == precious ]] || fail "d1 was truncated or written"
}

@test "--inplace --on-error=abort: a DEST that cannot open leaves the others untouched" {
	echo precious >"$T/d1"
	zccp --inplace --on-error=abort "$T/src" "$T/d1" "$T/missing/d2" "$T/d3"
	assert_status 1
	assert_stderr_matches "^zccp: cannot create regular file '.*missing/d2': No such file or directory\$"
	[[ $(cat "$T/d1") == precious ]] || fail "d1 was truncated or written"
	assert_dir_holds "$T" src src.orig d1
}

@test "DESTs in two missing directories are two failures, not duplicates" {
	zccp "$T/src" "$T/missA/x" "$T/missB/y" "$T/d1"
	assert_status 1
	assert_stderr_count 1 "cannot create regular file '.*missA/x': No such file or directory"
	assert_stderr_count 1 "cannot create regular file '.*missB/y': No such file or directory"
	assert_stderr_not_matches 'twice'
	assert_same "$T/src" "$T/d1"
}

@test "closed stdin, stdout and stderr: messages never land in a DEST" {
	# The FIFO's reader quits after 10 bytes: zccp then has a message to
	# print with fd 2 closed.
	mkfifo "$T/fifo"
	head -c 10 <"$T/fifo" >/dev/null &
	run_sh '"$1" -e "$2" "$3" "$4" "$5" <&- >&- 2>&-' \
		"$ZCCP" "$ZCCP_ENGINE" "$T/src" "$T/d1" "$T/fifo"
	assert_status 1
	assert_same "$T/src" "$T/d1"
}

# zccp_temp DIR NAME SIZE: a file named as zccp names its temporaries.
zccp_temp() {
	head -c "$3" /dev/urandom >"$1/$2"
}

@test "a later zccp removes a dead zccp's temporaries, and only those it can prove stale" {
	local holder
	mkdir "$T/d"
	zccp_temp "$T/d" .gone.zccp-0123456789ab 5000    # stale: removed
	zccp_temp "$T/d" .live.zccp-0123456789ac 5000    # held by a live process
	zccp_temp "$T/d" .fresh.zccp-0123456789ad 0      # empty, just made
	zccp_temp "$T/d" .linked.zccp-0123456789ae 5000  # has another name
	ln "$T/d/.linked.zccp-0123456789ae" "$T/d/keep-link"
	zccp_temp "$T/d" .other.zccp-0123456789AB 5000   # not our name
	zccp_temp "$T/d" .other.zccp-12345 5000          # nor this
	mkdir "$T/d/.dir.zccp-0123456789af"              # nor a directory
	start_bg holder flock -x "$T/d/.live.zccp-0123456789ac" sleep 120
	held() { ! flock -n "$T/d/.live.zccp-0123456789ac" true; }
	wait_for 10 held || fail "flock never took the lock"
	zccp -vv "$T/src" "$T/d/dst"
	assert_success
	assert_same "$T/src" "$T/d/dst"
	assert_stderr_count 1 'removed, a temporary a killed zccp left'
	assert_dir_holds "$T/d" dst .live.zccp-0123456789ac \
		.fresh.zccp-0123456789ad .linked.zccp-0123456789ae keep-link \
		.other.zccp-0123456789AB .other.zccp-12345 .dir.zccp-0123456789af
}

# temporaries_in DIR: how many of zccp's temporaries' names DIR holds.
temporaries_in() {
	find "$1" -maxdepth 1 -name '.*.zccp-????????????' | wc -l
}

@test "--on-error=abort: a zccp sweeping beside it takes neither the replacements nor the old files" {
	local pid point
	mkdir "$T/d"
	make_old "$T/d/a" "$T/d/b"
	make_file "$T/other" 3000
	mkfifo "$T/pause"
	start_bg pid ZCCP_TEST_PUBLISH_PAUSE="$T/pause" "$ZCCP" \
		-e "$ZCCP_ENGINE" --on-error=abort "$T/src" "$T/d/a" "$T/d/b"
	# Paused with the replacements closed at their temporaries' names,
	# then with the old files there, swapped out: a sweep must see both
	# held (neither is empty, so neither looks "just made").
	for point in "replacements closed" "old files swapped out"; do
		timeout 30 cat "$T/pause" >/dev/null ||
			fail "zccp never paused with its $point"
		[[ $(temporaries_in "$T/d") == 2 ]] ||
			fail "$point: not two temporaries in $T/d"
		zccp -vv "$T/other" "$T/d/other"
		assert_success
		assert_stderr_not_matches 'removed'
		[[ $(temporaries_in "$T/d") == 2 ]] ||
			fail "$point: a temporary went from $T/d"
		timeout 30 sh -c ': >"$1"' sh "$T/pause" ||
			fail "zccp did not wait"
	done
	wait "$pid" || fail "zccp --on-error=abort failed ($?)"
	assert_same "$T/src" "$T/d/a" "$T/d/b"
	assert_dir_holds "$T/d" a a.orig b b.orig other
}
