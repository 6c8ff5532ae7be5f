#!/usr/bin/env bats
# zccp-test: per-engine
# --checksum[=ALGO]: the source's digest on stdout, exactly as sha256sum
# and xxh128sum print it, computed while copying (the digest's own
# thread over the ring's chunks), whatever the engine.

load helpers

setup() {
	make_file "$T/src" $((3 * 1024 * 1024 + 4097))
}

@test "--checksum: sha256sum's line, odd sizes, the copies intact" {
	local size
	for size in 0 1 4095 4097 $((64 * 1024 - 1)) $((64 * 1024 + 1)); do
		make_file "$T/s$size" "$size"
		zccp -B 64K --checksum "$T/s$size" "$T/a$size" "$T/b$size"
		assert_success
		[[ $output == "$(sha256sum "$T/s$size")" ]] ||
			fail "size $size: got '$output', sha256sum says '$(sha256sum "$T/s$size")'"
		assert_same "$T/s$size" "$T/a$size" "$T/b$size"
	done
}

@test "--checksum=xxh128: xxh128sum's line" {
	zccp --checksum=xxh128 "$T/src" "$T/d1"
	assert_success
	[[ $output == "$(xxh128sum "$T/src")" ]] ||
		fail "got '$output', xxh128sum says '$(xxh128sum "$T/src")'"
	assert_same "$T/src" "$T/d1"
}

@test "--checksum of a pipe: named -, the digest of what came through" {
	run_sh 'cat "$1" | "$ZCCP" -e "$ZCCP_ENGINE" --checksum - "$2"' \
		"$T/src" "$T/d1"
	zccp_log "cat src | zccp --checksum - d1"
	assert_success
	[[ $output == "$(sha256sum <"$T/src")" ]] ||
		fail "got '$output', sha256sum - says '$(sha256sum <"$T/src")'"
	assert_same "$T/src" "$T/d1"
}

@test "--checksum of a sparse file: holes count as the zeros they read as" {
	requires holes
	truncate -s 8M "$T/sparse"
	write_at "$T/sparse" 3M 5000
	zccp --checksum "$T/sparse" "$T/d1"
	assert_success
	[[ $output == "$(sha256sum "$T/sparse")" ]] ||
		fail "got '$output', sha256sum says '$(sha256sum "$T/sparse")'"
	assert_same "$T/sparse" "$T/d1"
}

@test "--checksum: a failed destination does not change the digest, exit 1" {
	zccp --checksum "$T/src" "$T/missing/d1" "$T/d2"
	assert_status 1
	[[ $output == "$(sha256sum "$T/src")" ]] || fail "got '$output'"
	assert_stderr_matches "^zccp: cannot create regular file '$T/missing/d1': No such file or directory$"
	assert_same "$T/src" "$T/d2"
}

@test "--checksum with stdout as a destination is refused, exit 2" {
	zccp --checksum "$T/src" - "$T/d1"
	assert_status 2
	assert_stderr_matches '^zccp: -: --checksum prints to standard output, which is a destination$'
	assert_absent "$T/d1"
}

@test "--checksum=md5 is refused, exit 2" {
	zccp --checksum=md5 "$T/src" "$T/d1"
	assert_status 2
	assert_stderr_matches "^zccp: invalid --checksum 'md5': want sha256 or xxh128$"
	assert_absent "$T/d1"
}
