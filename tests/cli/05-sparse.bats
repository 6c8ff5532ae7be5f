#!/usr/bin/env bats
# zccp-test: per-engine
# Sparse files: holes kept (--sparse=auto), filled (never), made from
# zero runs (always); offsets beyond 4 GiB.

load helpers

MiB=$((1 << 20))
GiB=$((1 << 30))

# make_sparse PATH SIZE OFFSET:LEN...: a file of SIZE bytes, holes but
# for random data at each OFFSET.
make_sparse() {
	local path=$1 size=$2 region
	shift 2
	rm -f "$path"
	truncate -s "$size" "$path"
	for region; do
		write_at "$path" "${region%%:*}" "${region##*:}"
	done
	assert_size "$path" "$size"
}

# assert_sparse FILE MAX: FILE has at most MAX bytes allocated.
assert_sparse() {
	local got
	got=$(allocated_bytes "$1")
	[[ $got -le $2 ]] ||
		fail "$1: $got bytes allocated for $(stat -c %s "$1"), expected at most $2 (holes lost)"
}

# assert_allocated FILE MIN: FILE has at least MIN bytes allocated.
assert_allocated() {
	local got
	got=$(allocated_bytes "$1")
	[[ $got -ge $2 ]] ||
		fail "$1: only $got bytes allocated, expected at least $2 (holes kept)"
}

@test "a 5 GiB sparse source, data at odd offsets and across 4 GiB, keeps its holes" {
	requires holes
	# Data: near the start, past 1 GiB, straddling 4 GiB (2^32), and
	# up to the very end; everything else is a hole.
	make_sparse "$T/src" $((5 * GiB)) \
		12345:1000 \
		$((GiB + 777)):65539 \
		$((4 * GiB - 50000)):100000 \
		$((5 * GiB - 4097)):4097
	assert_sparse "$T/src" $((2 * MiB))
	zccp --sparse=auto "$T/src" "$T/d1" "$T/d2"
	assert_success
	assert_size "$T/d1" $((5 * GiB))
	assert_size "$T/d2" $((5 * GiB))
	assert_same_sparse "$T/src" "$T/d1" "$T/d2"
	# Each data region may grow to whole chunks, no more.
	assert_sparse "$T/d1" $((32 * MiB))
	assert_sparse "$T/d2" $((32 * MiB))
	assert_dir_holds "$T" src d1 d2
}

@test "--sparse=auto is the default; a trailing hole keeps the size" {
	requires holes
	make_sparse "$T/src" $((64 * MiB)) 4096:5000 $((20 * MiB + 3)):70000
	zccp "$T/src" "$T/d1" "$T/d2"
	assert_success
	assert_size "$T/d1" $((64 * MiB))
	assert_same "$T/src" "$T/d1" "$T/d2"
	assert_sparse "$T/d1" $((8 * MiB))
	assert_sparse "$T/d2" $((8 * MiB))
}

@test "a source that is one hole (64 MiB, no data)" {
	requires holes
	make_sparse "$T/src" $((64 * MiB))
	zccp "$T/src" "$T/d1"
	assert_success
	assert_size "$T/d1" $((64 * MiB))
	assert_same "$T/src" "$T/d1"
	assert_sparse "$T/d1" $((1 * MiB))
}

@test "a sparse source starting with data, -B 64K" {
	requires holes
	make_sparse "$T/src" $((16 * MiB + 5)) 0:100000 $((8 * MiB)):4096 $((16 * MiB - 7)):12
	zccp -B 64K "$T/src" "$T/d1" "$T/d2"
	assert_success
	assert_same "$T/src" "$T/d1" "$T/d2"
	assert_sparse "$T/d1" $((4 * MiB))
}

@test "--sparse=never on a 64 MiB sparse source: a fully allocated copy" {
	requires holes
	make_sparse "$T/src" $((64 * MiB)) 12345:1000 $((40 * MiB + 1)):5000
	zccp --sparse=never "$T/src" "$T/d1" "$T/d2"
	assert_success
	assert_same "$T/src" "$T/d1" "$T/d2"
	assert_allocated "$T/d1" $((64 * MiB))
	assert_allocated "$T/d2" $((64 * MiB))
}

@test "--sparse=always turns zero runs of a non-sparse source into holes" {
	requires holes
	# 1 MiB data, 16 MiB of written zeros, 1 MiB + 5000 bytes data.
	{
		head -c "$MiB" /dev/urandom
		head -c $((16 * MiB)) /dev/zero
		head -c $((MiB + 5000)) /dev/urandom
	} >"$T/src"
	assert_allocated "$T/src" $((18 * MiB))
	zccp --sparse=always "$T/src" "$T/d1" "$T/d2"
	if [[ $ZCCP_ENGINE == splice && $status -eq 2 ]]; then
		# splice never sees the data; refusing is allowed, with one
		# clear line, and nothing written.
		assert_stderr_line_count 1
		assert_stderr_matches 'splice.*sparse|sparse.*splice'
		assert_dir_holds "$T" src
		return
	fi
	assert_success
	assert_same "$T/src" "$T/d1" "$T/d2"
	assert_sparse "$T/d1" $((6 * MiB))
	assert_sparse "$T/d2" $((6 * MiB))
}

@test "--sparse=always with zero runs not aligned to the block size" {
	requires holes
	{
		head -c $((MiB + 3000)) /dev/urandom
		head -c $((20 * MiB)) /dev/zero
		head -c 3000 /dev/urandom
		head -c $((3 * MiB)) /dev/zero
	} >"$T/src"
	zccp --sparse=always -B 64K "$T/src" "$T/d1"
	if [[ $ZCCP_ENGINE == splice && $status -eq 2 ]]; then
		assert_stderr_matches 'sparse'
		assert_dir_holds "$T" src
		return
	fi
	assert_success
	assert_same "$T/src" "$T/d1"
	# Ending in zeros: the size comes from the source, not the writes.
	assert_size "$T/d1" "$(stat -c %s "$T/src")"
	assert_sparse "$T/d1" $((4 * MiB))
}

@test "a sparse source to a pipe and a file: holes become zeros in the stream" {
	requires holes
	make_sparse "$T/src" $((24 * MiB + 1)) 100:5000 $((12 * MiB)):1 $((24 * MiB - 4000)):4001
	run_sh \
		'"$1" -e "$2" "$3" - "$4" | cat >"$5"' \
		"$ZCCP" "$ZCCP_ENGINE" "$T/src" "$T/d1" "$T/out"
	zccp_log "zccp src - d1 | cat >out"
	assert_success
	assert_same "$T/src" "$T/out" "$T/d1"
	assert_sparse "$T/d1" $((8 * MiB))
}

@test "--sparse=always to stdout: zero runs still arrive in the stream" {
	requires holes
	{
		head -c 100000 /dev/urandom
		head -c $((8 * MiB)) /dev/zero
		head -c 100000 /dev/urandom
	} >"$T/src"
	run_sh '"$1" -e "$2" --sparse=always "$3" - "$4" | cat >"$5"' \
		"$ZCCP" "$ZCCP_ENGINE" "$T/src" "$T/d1" "$T/out"
	zccp_log "zccp --sparse=always src - d1 | cat >out"
	if [[ $ZCCP_ENGINE == splice && $status -eq 2 ]]; then
		assert_stderr_matches 'sparse'
		assert_absent "$T/d1"
		return
	fi
	assert_success
	assert_same "$T/src" "$T/out" "$T/d1"
	assert_sparse "$T/d1" $((4 * MiB))
}

@test "a sparse source read from stdin (a pipe): zeros arrive as data" {
	make_sparse "$T/src" $((8 * MiB)) 5:5 $((7 * MiB)):100
	run_sh \
		'cat "$3" | "$1" -e "$2" - "$4"' \
		"$ZCCP" "$ZCCP_ENGINE" "$T/src" "$T/d1"
	zccp_log "cat src | zccp - d1"
	assert_success
	assert_same "$T/src" "$T/d1"
}
