#!/usr/bin/env bats
# zccp-test: per-engine
# --direct: O_DIRECT where asked (and where auto finds it faster), the
# unaligned tails through the page cache, every byte right.  uring, aio
# and rw do O_DIRECT; splice copies through the page cache whatever
# --direct says, and its -v never claims O_DIRECT.

load helpers

MiB=$((1 << 20))
SIZES=(0 1 511 4095 4096 4097 $((MiB - 1)) $((MiB + 1)) $((9 * MiB + 12345)))

setup() {
	SHM=$(mktemp -d /dev/shm/zccp-test.XXXXXX) || fail "mktemp in /dev/shm"
	on_teardown rm -rf "$SHM"
}

direct_engine() {
	[[ $ZCCP_ENGINE != splice ]]
}

# The -v line of an endpoint: "zccp: dest PATH (...): METHOD".
verbose_line() {
	local line
	for line in "${stderr_lines[@]}"; do
		[[ $line == "zccp: $1 $2 ("* ]] && { echo "$line"; return 0; }
	done
	fail "-v: no line for $1 $2"
}

# Bytes of FILE in the page cache.
cached_bytes() {
	fincore -b -n -o RES -- "$1"
}

# Drop FILE's pages from the page cache (written back first).
evict() {
	sync -- "$1"
	dd if="$1" iflag=nocache count=0 status=none
	(($(cached_bytes "$1") == 0)) || skip "cannot evict $1 from the page cache"
}

# $T must be on a file system whose O_DIRECT bypasses the page cache
# (tmpfs only emulates it), for fincore to tell.
requires_real_direct() {
	command -v fincore >/dev/null || skip "test requires fincore"
	[[ $(stat -f -c %T "$T") != tmpfs ]] ||
		skip "test requires $T on a file system with real O_DIRECT"
}

# loop_over IMAGE [losetup options]: a loop device in $LOOPDEV.
loop_over() {
	LOOPDEV=$(losetup -f --show "${@:2}" "$1") || fail "losetup ${*:2} $1"
	on_teardown losetup -d "$LOOPDEV"
}

@test "--direct=always: odd and aligned sizes, to files on disk and tmpfs" {
	local size
	for size in "${SIZES[@]}"; do
		make_file "$T/src" "$size"
		rm -f "$T/d1" "$SHM/d2"
		zccp --direct=always "$T/src" "$T/d1" "$SHM/d2"
		assert_success
		assert_same "$T/src" "$T/d1" "$SHM/d2"
	done
}

@test "--direct=always with 4 KiB chunks and an odd size" {
	make_file "$T/src" $((3 * MiB + 4097))
	zccp --direct=always -B 4K -Q 4 "$T/src" "$T/d1" "$SHM/d2"
	assert_success
	assert_same "$T/src" "$T/d1" "$SHM/d2"
}

@test "--direct=never: odd sizes, and -v never claims O_DIRECT" {
	local size
	for size in 1 4097 $((9 * MiB + 12345)); do
		make_file "$T/src" "$size"
		rm -f "$T/d1" "$SHM/d2"
		zccp -vv --direct=never "$T/src" "$T/d1" "$SHM/d2"
		assert_success
		assert_same "$T/src" "$T/d1" "$SHM/d2"
		assert_stderr_not_matches 'O_DIRECT'
	done
}

@test "-v says O_DIRECT for every file with --direct=always" {
	make_file "$T/src" $((MiB + 1))
	zccp -vv --direct=always "$T/src" "$T/d1" "$SHM/d2"
	assert_success
	assert_same "$T/src" "$T/d1" "$SHM/d2"
	if direct_engine; then
		assert_stderr_count 3 'O_DIRECT \(--direct=always, aligned [0-9]+\).*buffered tail'
	else
		assert_stderr_not_matches 'O_DIRECT'
	fi
}

# assert_claim LINE FILE SIZE: FILE's page cache agrees with its -v
# LINE: O_DIRECT leaves at most the buffered tail's pages cached, a
# buffered copy leaves (nearly) every page of the SIZE bytes cached.
# Nearly: the last, partial page was sometimes reported not resident (2
# runs in 3 on 2026-11-29, ASan build, aio engine, ext4 on 6.18), and 9
# pages in the middle once were (2026-12-06, splice engine, ASan build,
# with the machine's DAMON reclaim running); the copies were right.
# Reclaim is a kernel detail this test does not judge: three quarters of
# 8 MiB against 8 KiB still tells the two apart.
assert_claim() {
	local cached
	cached=$(cached_bytes "$2")
	if [[ $1 == *O_DIRECT* ]]; then
		((cached <= 8192)) ||
			fail "$2: -v claims O_DIRECT, yet $cached bytes are cached"
	else
		((cached >= $3 / 4 * 3)) ||
			fail "$2: -v says buffered, yet only $cached bytes are cached"
	fi
}

@test "O_DIRECT happens where -v claims it, and nowhere else" {
	requires_real_direct
	local size=$((8 * MiB + 100)) mode src dest
	make_file "$T/src" "$size"
	for mode in always never; do
		evict "$T/src"
		rm -f "$T/d1"
		zccp -vv --direct=$mode "$T/src" "$T/d1"
		assert_success
		src=$(verbose_line source "$T/src")
		dest=$(verbose_line dest "$T/d1")
		# Before anything reads them again.
		assert_claim "$src" "$T/src" "$size"
		assert_claim "$dest" "$T/d1" "$size"
		assert_same "$T/src" "$T/d1"
		if [[ $mode == never ]]; then
			[[ "$src$dest" != *O_DIRECT* ]] ||
				fail "--direct=never used O_DIRECT"
		elif direct_engine; then
			[[ $src == *O_DIRECT* && $dest == *O_DIRECT* ]] ||
				fail "--direct=always did not use O_DIRECT"
		fi
	done
}

@test "--direct=always to a block device: in place, the rest untouched" {
	requires root loopdev
	local size=$((9 * MiB + 12345))
	make_file "$T/image" $((16 * MiB))
	cp "$T/image" "$T/image.orig"
	loop_over "$T/image"
	make_file "$T/src" "$size"
	zccp -vv --direct=always "$T/src" "$LOOPDEV" "$T/d2"
	assert_success
	assert_prefix_same "$T/src" "$LOOPDEV" "$size"
	cmp -i "$size:$size" "$T/image.orig" "$LOOPDEV" >&2 ||
		fail "$LOOPDEV: bytes after the first $size changed"
	assert_same "$T/src" "$T/d2"
	if direct_engine; then
		[[ $(verbose_line dest "$LOOPDEV") == *"O_DIRECT (--direct=always, aligned 512)"* ]] ||
			fail "-v does not say $LOOPDEV is written with O_DIRECT"
	fi
}

@test "--direct=always to a block device with 4 KiB sectors, odd sizes" {
	requires root loopdev
	local size
	make_file "$T/image" $((4 * MiB))
	cp "$T/image" "$T/image.orig"
	loop_over "$T/image" --sector-size 4096
	for size in 1 4097 $((MiB + 12345)); do
		make_file "$T/src" "$size"
		zccp -vv --direct=always -B 64K "$T/src" "$LOOPDEV"
		assert_success
		assert_prefix_same "$T/src" "$LOOPDEV" "$size"
		cmp -i "$size:$size" "$T/image.orig" "$LOOPDEV" >&2 ||
			fail "$LOOPDEV: bytes after the first $size changed"
		! direct_engine ||
			[[ $(verbose_line dest "$LOOPDEV") == *"aligned 4096"* ]] ||
			fail "-v does not say 4096 for a 4 KiB-sector device"
	done
}

@test "--direct=auto: a block device gets O_DIRECT, a small copy to files not" {
	requires root loopdev
	make_file "$T/image" $((4 * MiB))
	loop_over "$T/image"
	make_file "$T/src" $((MiB + 5))
	zccp -vv "$T/src" "$LOOPDEV" "$T/d2"
	assert_success
	assert_prefix_same "$T/src" "$LOOPDEV" $((MiB + 5))
	assert_same "$T/src" "$T/d2"
	if direct_engine; then
		[[ $(verbose_line dest "$LOOPDEV") == *"O_DIRECT (auto: block device"* ]] ||
			fail "auto did not choose O_DIRECT for $LOOPDEV"
	fi
	[[ $(verbose_line dest "$T/d2") != *O_DIRECT* ]] ||
		fail "auto chose O_DIRECT for a 1 MiB copy to a file"
}

@test "--direct=always leaves the shell's stdin and stdout alone" {
	make_file "$T/src" $((MiB + 7))
	# O_DIRECT on the shared open file would fail the unaligned printf.
	run_sh '{ "$1" -e "$2" --direct=always "$3" -; printf tail; } >"$4"' \
		"$ZCCP" "$ZCCP_ENGINE" "$T/src" "$T/out"
	zccp_log "zccp --direct=always SRC - >OUT"
	assert_success
	{ cat "$T/src"; printf tail; } >"$T/want"
	assert_same "$T/want" "$T/out"
	run_sh '"$1" -e "$2" --direct=always - "$3" <"$4"' \
		"$ZCCP" "$ZCCP_ENGINE" "$T/d1" "$T/src"
	zccp_log "zccp --direct=always - D1 <SRC"
	assert_success
	assert_same "$T/src" "$T/d1"
}

@test "--direct=always from a pipe: short reads, aligned writes, odd tail" {
	make_file "$T/src" $((5 * MiB + 333))
	run_sh 'cat "$4" | "$1" -e "$2" --direct=always - "$3/d1" "$3/d2"' \
		"$ZCCP" "$ZCCP_ENGINE" "$T" "$T/src"
	zccp_log "cat SRC | zccp --direct=always - D1 D2"
	assert_success
	assert_same "$T/src" "$T/d1" "$T/d2"
}

@test "--direct=always with holes: sparse copies stay right" {
	local size=$((6 * MiB + 3)) sparse modes=(auto always never)
	# splice refuses --sparse=always: it never sees the data.
	direct_engine || modes=(auto never)
	truncate -s "$size" "$T/src"
	write_at "$T/src" $((2 * MiB + 5)) 5000
	write_at "$T/src" $((6 * MiB - 100)) 103
	for sparse in "${modes[@]}"; do
		rm -f "$T/d1" "$SHM/d2"
		zccp --direct=always --sparse=$sparse "$T/src" "$T/d1" "$SHM/d2"
		assert_success
		assert_same_sparse "$T/src" "$T/d1" "$SHM/d2"
	done
}

@test "--direct=always, a read-only source, an unprivileged user: no twin" {
	requires nobody
	make_world_dir
	# The temporary takes the source's mode 0444 before the first
	# write: reopening it for the buffered tail is refused.
	make_file "$WORLD_DIR/src" $((2 * MiB + 4097))
	chmod 0444 "$WORLD_DIR/src"
	chmod 0777 "$WORLD_DIR"
	as_nobody --direct=always "$WORLD_DIR/src" "$WORLD_DIR/d1" "$WORLD_DIR/d2"
	assert_success
	assert_same "$WORLD_DIR/src" "$WORLD_DIR/d1" "$WORLD_DIR/d2"
}
