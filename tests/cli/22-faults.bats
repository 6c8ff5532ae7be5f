#!/usr/bin/env bats
# zccp-test: per-engine
# File systems that misbehave for real (tests/helpers/faultfs, a FUSE
# file system that injects faults): exit 0 must still mean every byte
# arrived, one failing destination fails alone, and an existing
# destination keeps its old content when its replacement fails.

load helpers

MiB=$((1 << 20))

@test "a destination whose close fails (FLUSH: EIO) fails alone; its old content stays" {
	requires fuse
	mount_faultfs "$T/fs" --fail-flush=victim
	make_file "$T/src" $((3 * MiB + 4097))
	make_old "$T/fs.backing/victim"
	zccp "$T/src" "$T/ok1" "$T/fs/victim" "$T/fs/ok3"
	assert_status 1
	assert_stderr_count 1 'victim'
	assert_stderr_matches '^zccp: .*fs/victim: .*Input/output error'
	assert_same "$T/src" "$T/ok1" "$T/fs/ok3"
	assert_same "$T/fs.backing/victim.orig" "$T/fs.backing/victim"
	assert_dir_holds "$T/fs.backing" ok3 victim victim.orig
}

@test "a new destination whose close fails is not left behind" {
	requires fuse
	mount_faultfs "$T/fs" --fail-flush=victim
	make_file "$T/src" 4097
	zccp "$T/src" "$T/fs/victim" "$T/ok"
	assert_status 1
	assert_same "$T/src" "$T/ok"
	assert_dir_holds "$T/fs.backing"
}

@test "--fsync: a destination whose fsync fails fails alone; its old content stays" {
	requires fuse
	mount_faultfs "$T/fs" --fail-fsync=victim
	make_file "$T/src" $((MiB + 1))
	make_old "$T/fs.backing/victim"
	zccp --fsync "$T/src" "$T/fs/victim" "$T/ok"
	assert_status 1
	assert_stderr_matches '^zccp: .*fs/victim: .*Input/output error'
	assert_same "$T/src" "$T/ok"
	assert_same "$T/fs.backing/victim.orig" "$T/fs.backing/victim"
}

@test "--verify catches writes a file system dropped while saying they succeeded" {
	requires fuse
	mount_faultfs "$T/fs" --drop-writes=victim --direct-io
	make_file "$T/src" $((2 * MiB + 4095))
	make_old "$T/fs.backing/victim"
	zccp --verify "$T/src" "$T/fs/victim" "$T/ok"
	assert_status 1
	assert_stderr_matches '^zccp: .*fs/victim: read back differs from the source'
	assert_same "$T/src" "$T/ok"
	assert_same "$T/fs.backing/victim.orig" "$T/fs.backing/victim"
}

# The source is a loop device over a faultfs file: a block device (every
# engine reads it; FUSE files only some) whose reads fail from 5 MiB on.
@test "a source that fails to read (EIO) mid-copy: exit 2, said once, old destinations intact" {
	requires fuse loopdev
	mount_faultfs "$T/fs" --eio-at=$((5 * MiB))
	make_file "$T/fs.backing/img" $((16 * MiB))
	local loop
	loop=$(losetup -r -f --show "$T/fs/img") || fail "losetup $T/fs/img"
	on_teardown losetup -d "$loop"
	make_old "$T/d1" "$T/d2"
	zccp "$loop" "$T/d1" "$T/d2"
	assert_status 2
	assert_stderr_count 1 'Input/output error'
	assert_same "$T/d1.orig" "$T/d1"
	assert_same "$T/d2.orig" "$T/d2"
}

@test "a source failing mid-copy with --inplace and a device: what was changed is named, in text and --json" {
	requires fuse loopdev
	command -v jq >/dev/null || fail "jq missing: run scripts/deps"
	mount_faultfs "$T/fs" --eio-at=$((12 * MiB))
	make_file "$T/fs.backing/img" $((16 * MiB))
	local src
	src=$(losetup -r -f --show "$T/fs/img") || fail "losetup $T/fs/img"
	on_teardown losetup -d "$src"
	new_loop $((16 * MiB))
	make_old "$T/d1"
	# a small ring: the first chunks are written long before 12 MiB is read
	zccp --json --inplace -B 64K -Q 2 "$src" "$T/d1" "$LOOPDEV" "$T/new"
	assert_status 2
	assert_stderr_count 1 'Input/output error'
	assert_stderr_count 2 ': written in place before the source failed: it holds part of the copy, unchecked$'
	assert_stderr_matches "^zccp: $T/d1: written in place"
	assert_stderr_matches "^zccp: $LOOPDEV: written in place"
	assert_absent "$T/new"
	jq -e --arg d1 "$T/d1" --arg dev "$LOOPDEV" '
		[.destinations[] | select(.path == $d1 or .path == $dev) |
		 select(.status == "failed" and (.error | test("written in place")))] |
		length == 2' <<<"$output" >/dev/null ||
		fail "--json does not say d1 and the device were changed: $output"
}

@test "--on-error=abort without RENAME_EXCHANGE (as NFS): replaced last, so a failure before keeps it" {
	requires fuse root
	mount_faultfs "$T/fs" --no-exchange
	make_file "$T/src" $((MiB + 1))
	make_old "$T/fs.backing/plain" "$T/locked"
	chattr +a "$T/locked" || skip "chattr +a is not supported under $T"
	on_teardown chattr -a "$T/locked"
	zccp --on-error=abort "$T/src" "$T/fs/plain" "$T/locked"
	assert_status 1
	assert_stderr_matches '^zccp: .*/locked: Operation not permitted$'
	assert_same "$T/fs.backing/plain.orig" "$T/fs.backing/plain"
	assert_same "$T/locked.orig" "$T/locked"
	assert_dir_holds "$T/fs.backing" plain plain.orig
	# and with nothing failing, it is replaced
	zccp --on-error=abort "$T/src" "$T/fs/plain" "$T/new"
	assert_success
	assert_same "$T/src" "$T/fs.backing/plain" "$T/new"
	assert_dir_holds "$T/fs.backing" plain plain.orig
}

# A FUSE server that answers reads short, with direct_io and without
# async_dio: io_uring reads then report data that is not there and splice
# stops early (docs/fuse-short-reads.md).  Every engine copies it right
# or refuses it; auto picks one that reads it right.
@test "a FUSE source answering short (direct_io): copied right, or refused with the reason" {
	requires fuse
	mount_faultfs "$T/fs" --direct-io --short-read=65536 --no-async-dio
	make_file "$T/fs.backing/src" $((8 * MiB + 4097))
	zccp "$T/fs/src" "$T/d1" "$T/d2"
	if [[ $status -eq 2 ]]; then
		[[ $ZCCP_ENGINE != auto ]] || fail "auto refused a FUSE source"
		assert_stderr_matches "engine $ZCCP_ENGINE: its reads of a FUSE source can report data that is not there"
		assert_absent "$T/d1"
		assert_absent "$T/d2"
	else
		assert_success
		assert_same "$T/fs.backing/src" "$T/d1" "$T/d2"
	fi
}

@test "a source that ends before its size (a FUSE server short without direct_io): exit 2, old content kept" {
	requires fuse
	mount_faultfs "$T/fs" --short-read=65536
	make_file "$T/fs.backing/src" $((3 * MiB + 1))
	make_old "$T/d1"
	zccp "$T/fs/src" "$T/d1" "$T/new"
	if [[ $status -eq 0 ]]; then
		# an engine that read it right after all
		assert_same "$T/fs.backing/src" "$T/d1" "$T/new"
	else
		assert_status 2
		assert_stderr_matches 'source changed while it was read \(it ended before its size\)|FUSE source'
		assert_stderr_count 1 '^zccp: '
		assert_same "$T/d1.orig" "$T/d1"
		assert_absent "$T/new"
	fi
}

@test "-v says why an engine is out for a FUSE source" {
	requires fuse
	mount_faultfs "$T/fs"
	make_file "$T/fs.backing/src" $((2 * MiB))
	zccp_plain -vv "$T/fs/src" "$T/d1"
	assert_success
	assert_stderr_matches 'uring out: its reads of a FUSE source can report data that is not there \(docs/fuse-short-reads.md\)'
	assert_same "$T/fs.backing/src" "$T/d1"
}

# A source changed while zccp reads it.  A FIFO destination read at
# 2 MiB/s holds the copy back (ring 2 x 64 KiB, the pipe at most 1 MiB),
# so the change lands while most of the 8 MiB are still to be read.

# has_open PID PATH: PID holds PATH open.
has_open() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		[[ $(readlink "$fd" 2>/dev/null) == "$2" ]] && return 0
	done
	return 1
}

# copy_while_changed COMMAND...: copy $T/src to the FIFO, $T/old (an
# existing file) and $T/new; run COMMAND once zccp has the source open;
# $status and $stderr_lines as zccp() sets them.
copy_while_changed() {
	local reader copier
	mkfifo "$T/fifo"
	make_old "$T/old"
	start_bg reader "$ZCCP_HELPERS/slow_reader" "$T/fifo" "$T/fifo.out" 2M
	start_bg copier "$ZCCP" -e "$ZCCP_ENGINE" -B 64K -Q 2 \
		"$T/src" "$T/fifo" "$T/old" "$T/new" 2>"$T/stderr"
	wait_for 10 has_open "$copier" "$T/src" || fail "zccp never opened the source"
	running "$copier" || fail "zccp had finished before the source changed"
	"$@" || fail "could not change the source: $*"
	status=0
	wait "$copier" || status=$?
	stderr=$(cat "$T/stderr")
	mapfile -t stderr_lines <"$T/stderr"
	lines=() output=""
	zccp_log "zccp -e $ZCCP_ENGINE -B 64K -Q 2 src fifo old new (source changed: $*)"
	wait "$reader" || fail "slow_reader failed"
}

@test "a source overwritten in place while read (same size): exit 2, nothing put in place" {
	make_file "$T/src" $((8 * MiB))
	make_file "$T/other" $((8 * MiB))
	copy_while_changed dd if="$T/other" of="$T/src" bs=1M conv=notrunc status=none
	assert_status 2
	assert_stderr_matches '^zccp: .*src: source changed while it was read'
	assert_stderr_count 1 'source changed'
	# the FIFO had bytes it cannot give back: said so
	assert_stderr_matches '^zccp: .*/fifo: written in place before the source failed'
	assert_stderr_count 2 '^zccp: '
	assert_same "$T/old.orig" "$T/old"
	assert_absent "$T/new"
}

@test "a source cut and rewritten shorter while read (copy-truncate): exit 2, nothing put in place" {
	make_file "$T/src" $((8 * MiB))
	copy_while_changed sh -c 'truncate -s 0 "$1" && head -c 100000 /dev/urandom >>"$1"' _ "$T/src"
	assert_status 2
	assert_stderr_matches '^zccp: .*src: source changed while it was read'
	assert_same "$T/old.orig" "$T/old"
	assert_absent "$T/new"
}

@test "a source appended to while read (a log): copied to its end, exit 0" {
	make_file "$T/src" $((8 * MiB))
	copy_while_changed sh -c 'head -c 300001 /dev/urandom >>"$1"' _ "$T/src"
	assert_success
	assert_size "$T/src" $((8 * MiB + 300001))
	assert_same "$T/src" "$T/old" "$T/new" "$T/fifo.out"
}

# verifying PID: zccp PID reads back the FUSE destination (--verify opens
# it a second time: two descriptors on its temporary).
verifying() {
	local held
	held=$(find /proc/"$1"/fd -lname "$T/fs/.slow.zccp-*" -printf . 2>/dev/null)
	((${#held} >= 2))
}

# faultfs has no O_TMPFILE: its temporary is named for the whole copy;
# on tmpfs, replacements are named only as they are renamed into place.
@test "kill -9 while --verify reads back: no named temporary where O_TMPFILE works; the next zccp removes the one it had to name" {
	requires fuse
	local copier
	mount_faultfs "$T/fs" --slow-read=slow --direct-io
	mkdir "$T/d"
	make_file "$T/src" $((16 * MiB + 1)) # read back in about a second
	make_old "$T/d/old"
	start_bg copier "$ZCCP" -e "$ZCCP_ENGINE" --verify "$T/src" \
		"$T/d/old" "$T/d/new" "$T/fs/slow" 2>"$T/stderr"
	wait_for 20 verifying "$copier" ||
		fail "zccp never read its FUSE destination back: $(cat "$T/stderr")"
	kill -9 "$copier"
	wait "$copier" || true
	assert_dir_holds "$T/d" old old.orig
	assert_same "$T/d/old.orig" "$T/d/old"
	# the FUSE one was left under its hidden name; the next copy there
	# proves it stale (nobody holds it) and removes it
	[[ $(ls -A "$T/fs.backing") == .slow.zccp-* ]] ||
		fail "expected one named temporary in the FUSE directory, found: $(ls -A "$T/fs.backing")"
	zccp -vv "$T/src" "$T/fs/other"
	assert_success
	assert_stderr_matches '/\.slow\.zccp-[0-9a-f]{12}: removed, a temporary a killed zccp left$'
	assert_dir_holds "$T/fs.backing" other
	assert_same "$T/src" "$T/fs.backing/other"
}
