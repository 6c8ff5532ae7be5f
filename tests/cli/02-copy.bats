#!/usr/bin/env bats
# zccp-test: per-engine
# Regular file to regular files: sizes around every boundary, existing
# destinations replaced, many destinations, a directory destination.

load helpers

# copy_sizes [OPTION...] -- SIZE...: for each SIZE, copy a random file
# of that size to three new destinations and compare each.
copy_sizes() {
	local opts=() size
	while [[ $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	shift
	for size; do
		make_file "$T/src-$size" "$size"
		zccp "${opts[@]}" "$T/src-$size" "$T/a-$size" "$T/b-$size" "$T/c-$size"
		assert_success
		assert_same "$T/src-$size" "$T/a-$size" "$T/b-$size" "$T/c-$size"
	done
}

@test "sizes 0, 1, 4095, 4096, 4097 to 3 destinations" {
	copy_sizes -- 0 1 4095 4096 4097
}

@test "-B 64K: sizes 64K-1, 64K, 64K+1, 128K+1" {
	copy_sizes -B 64K -- 65535 65536 65537 131073
}

@test "default block size (1M): sizes 1M-1, 1M, 1M+1" {
	copy_sizes -- 1048575 1048576 1048577
}

@test "a few MiB (more than the ring: 8 x 1M) at odd length" {
	copy_sizes -- $((9 * 1024 * 1024 + 12345))
}

@test "-B 4K -Q 1: the smallest ring" {
	copy_sizes -B 4K -Q 1 -- 0 4097 $((300 * 1024 + 1))
}

@test "-B 64K -Q 3: a ring smaller than the file, sizes not multiples" {
	copy_sizes -B 64K -Q 3 -- $((1024 * 1024 + 4097))
}

@test "--lag smaller than the ring" {
	copy_sizes -B 64K -Q 8 --lag=64K -- $((2 * 1024 * 1024 + 1))
}

@test "an existing larger destination is replaced, not merged" {
	make_file "$T/src" 10000
	make_file "$T/d1" 3M
	make_file "$T/d2" 10001
	zccp "$T/src" "$T/d1" "$T/d2"
	assert_success
	assert_same "$T/src" "$T/d1" "$T/d2"
	assert_dir_holds "$T" src d1 d2
}

@test "an existing destination keeps its mode" {
	make_file "$T/src" 5000
	chmod 0644 "$T/src"
	make_file "$T/d" 100
	chmod 0600 "$T/d"
	zccp "$T/src" "$T/d"
	assert_success
	assert_same "$T/src" "$T/d"
	[[ $(stat -c %a "$T/d") == 600 ]] ||
		fail "mode of the replaced destination is $(stat -c %a "$T/d"), was 600"
}

@test "a new destination gets the source's mode (less umask)" {
	make_file "$T/src" 5000
	chmod 0750 "$T/src"
	umask 022
	zccp "$T/src" "$T/d"
	assert_success
	assert_same "$T/src" "$T/d"
	[[ $(stat -c %a "$T/d") == 750 ]] ||
		fail "mode of the new destination is $(stat -c %a "$T/d"), expected 750"
}

@test "200 destinations" {
	local i dests=()
	make_file "$T/src" $((1024 * 1024 + 333))
	mkdir "$T/out"
	for ((i = 0; i < 200; i++)); do
		dests+=("$T/out/d$i")
	done
	zccp "$T/src" "${dests[@]}"
	assert_success
	assert_same "$T/src" "${dests[@]}"
	[[ $(ls -A "$T/out" | wc -l) -eq 200 ]] ||
		fail "$T/out holds $(ls -A "$T/out" | wc -l) names, expected 200"
}

@test "1000 destinations (the contract's minimum), a small file" {
	local i dests=()
	make_file "$T/src" 70001
	mkdir "$T/out"
	for ((i = 0; i < 1000; i++)); do
		dests+=("$T/out/d$i")
	done
	# The usual soft limit of 1024 descriptors is too few: zccp must
	# raise its own (up to the hard limit).
	[[ $(ulimit -H -n) == unlimited || $(ulimit -H -n) -ge 4096 ]] ||
		skip "test requires a hard descriptor limit of at least 4096"
	ulimit -S -n 1024
	zccp "$T/src" "${dests[@]}"
	assert_success
	assert_same "$T/src" "${dests[@]}"
	[[ $(ls -A "$T/out" | wc -l) -eq 1000 ]] ||
		fail "$T/out holds $(ls -A "$T/out" | wc -l) names, expected 1000"
}

@test "a directory destination means DIR/basename(SOURCE)" {
	make_file "$T/src" 70000
	mkdir "$T/dir"
	zccp "$T/src" "$T/dir" "$T/d2"
	assert_success
	assert_same "$T/src" "$T/dir/src" "$T/d2"
	assert_dir_holds "$T/dir" src
}

@test "a directory destination with a trailing slash, existing file inside" {
	make_file "$T/src" 70000
	mkdir "$T/dir"
	make_old "$T/dir/src"
	rm "$T/dir/src.orig"
	zccp "$T/src" "$T/dir/"
	assert_success
	assert_same "$T/src" "$T/dir/src"
	assert_dir_holds "$T/dir" src
}

@test "a relative source and destinations" {
	make_file "$T/src" 12345
	mkdir "$T/dir"
	cd "$T"
	zccp src d1 dir ./d3
	assert_success
	assert_same src d1 dir/src d3
}

@test "a destination through a symlink to a file replaces the target's content" {
	# cp semantics: the symlink stays, what it points to gets the data.
	make_file "$T/src" 5000
	make_old "$T/target"
	ln -s target "$T/link"
	zccp "$T/src" "$T/link"
	assert_success
	[[ -L $T/link ]] || fail "$T/link is no longer a symlink"
	assert_same "$T/src" "$T/target"
}

@test "--inplace writes the existing file (same inode), truncated" {
	make_file "$T/src" 100000
	make_file "$T/d" 3M
	local ino
	ino=$(stat -c %i "$T/d")
	zccp --inplace "$T/src" "$T/d" "$T/new"
	assert_success
	assert_same "$T/src" "$T/d" "$T/new"
	[[ $(stat -c %i "$T/d") == "$ino" ]] || fail "--inplace replaced the inode"
}

@test "--fsync copies" {
	make_file "$T/src" 3M
	zccp --fsync "$T/src" "$T/d1" "$T/d2"
	assert_success
	assert_same "$T/src" "$T/d1" "$T/d2"
	assert_dir_holds "$T" src d1 d2
}

@test "--on-error=abort copies when nothing fails" {
	make_file "$T/src" 3M
	zccp --on-error=abort "$T/src" "$T/d1" "$T/d2"
	assert_success
	assert_same "$T/src" "$T/d1" "$T/d2"
}

@test "the source is not modified and no temporary is left" {
	make_file "$T/src" $((2 * 1024 * 1024 + 7))
	cp "$T/src" "$T/src.orig"
	zccp "$T/src" "$T/d1" "$T/d2" "$T/d3"
	assert_success
	assert_same "$T/src.orig" "$T/src"
	assert_same "$T/src" "$T/d1" "$T/d2" "$T/d3"
	assert_dir_holds "$T" src src.orig d1 d2 d3
}

@test "-v is cp's -v: one \"'SRC' -> 'DEST'\" line per destination on stdout, quoted as cp quotes; -vv adds how" {
	local odd=$'it\'s\nodd' want
	make_file "$T/src" 5000
	cp "$T/src" "$T/$odd"
	zccp -v "$T/$odd" "$T/d1" "$T/d2"
	assert_success
	[[ -z $stderr ]] || fail "-v wrote to stderr: $stderr"
	want=$(cp -v "$T/$odd" "$T/d1" && cp -v "$T/$odd" "$T/d2")
	[[ $output == "$want" ]] || fail "stdout: '$output', cp -v says: '$want'"
	zccp -vv "$T/src" "$T/d3"
	assert_success
	[[ $output == "'$T/src' -> '$T/d3'" ]] || fail "stdout: $output"
	assert_stderr_matches "^zccp: engine [a-z]+: "
	# stdout carries --json: the lines go to stderr
	zccp -v --json "$T/src" "$T/d4"
	assert_success
	jq -e . <<<"$output" >/dev/null || fail "stdout is not JSON: $output"
	assert_stderr_matches "^'$T/src' -> '$T/d4'$"
}
