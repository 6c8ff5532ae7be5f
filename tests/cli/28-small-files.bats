#!/usr/bin/env bats
# zccp-test: per-engine
# -r's small files (src/smallfile.c): with -e auto, files up to 4 MiB
# go without a job, read once and written whole to an unnamed temporary
# per root, on worker threads; a chosen engine takes every file through
# a job.  Either way every byte arrives, a failure stays with its root
# or its file, and nothing partial is left under a file's name.

load helpers

SMALL_MAX=$((4 * 1024 * 1024))

# no_temporaries DIR: no temporary of ours left in DIR's tree.
no_temporaries() {
	local left
	left=$(find "$1" -name '.*.zccp-*')
	[[ -z $left ]] || fail "temporaries left: $left"
}

# has_files DIR N: DIR's tree holds N regular files at least.
has_files() {
	(($(find "$1" -type f 2>/dev/null | wc -l) >= $2))
}

# fuse_refused: the engine chosen (-e) refused the FUSE source, with the
# reason (auto never does); nothing was copied.
fuse_refused() {
	[[ $status -ne 0 ]] && grep -q 'its reads of a FUSE source' <<<"$stderr" || return 1
	[[ $ZCCP_ENGINE != auto ]] || fail "auto refused a FUSE source"
	assert_stderr_matches "engine $ZCCP_ENGINE: its reads of a FUSE source can report data that is not there"
}

# whole_where_present SRC COPY: every regular file in COPY is SRC's.
whole_where_present() {
	local f
	while IFS= read -r -d '' f; do
		cmp -s "$1/$f" "$2/$f" || fail "$2/$f is not $1/$f"
	done < <(cd "$2" && find . -type f -printf '%P\0')
}

@test "-r: every size around the small-file limit arrives; -v says which went without a job" {
	local s
	mkdir -p "$T/src/d"
	for s in 0 1 4095 4097 65537 $((SMALL_MAX - 1)) $SMALL_MAX $((SMALL_MAX + 1)); do
		make_file "$T/src/d/f$s" "$s"
	done
	zccp -vv -r "$T/src" "$T/o1" "$T/o2"
	assert_success
	for s in 0 1 4095 4097 65537 $((SMALL_MAX - 1)) $SMALL_MAX $((SMALL_MAX + 1)); do
		assert_same "$T/src/d/f$s" "$T/o1/d/f$s" "$T/o2/d/f$s"
	done
	if [[ $ZCCP_ENGINE == auto ]]; then
		assert_stderr_matches "^zccp: dest $T/o2/d/f$SMALL_MAX \(regular file\): $SMALL_MAX bytes from one read, written whole \(a small file: no job\)$"
		! grep -q "f$((SMALL_MAX + 1)) (regular file): .*no job" <<<"$stderr" ||
			fail "a file over the limit went without a job"
	else
		! grep -q "no job" <<<"$stderr" || fail "-e $ZCCP_ENGINE: a file went without a job"
	fi
	no_temporaries "$T/o1"
}

@test "-r over existing files: each replaced keeps its owner and mode; a new one gets the source's mode less umask" {
	mkdir -p "$T/src" "$T/o/src"
	make_file "$T/src/old" 3000
	make_file "$T/src/new" 3000
	chmod 0755 "$T/src/old" "$T/src/new"
	printf 'OLD\n' >"$T/o/src/old"
	chmod 0600 "$T/o/src/old"
	chown nobody "$T/o/src/old"
	(umask 027 && "$ZCCP" -e "$ZCCP_ENGINE" -r "$T/src" "$T/o") ||
		fail "zccp failed"
	assert_same "$T/src/old" "$T/o/src/old"
	assert_same "$T/src/new" "$T/o/src/new"
	[[ $(stat -c '%a %U' "$T/o/src/old") == "600 nobody" ]] ||
		fail "old: $(stat -c '%a %U' "$T/o/src/old")"
	[[ $(stat -c %a "$T/o/src/new") == 750 ]] || fail "new: $(stat -c %a "$T/o/src/new")"
	no_temporaries "$T/o"
}

@test "-r: a root on a full file system fails alone; the other is whole, nothing partial or temporary left" {
	local i
	mkdir -p "$T/src"
	for i in $(seq 1 40); do make_file "$T/src/f$i" 60000; done
	mkdir -p "$T/o1"
	mount_tmpfs "$T/full" 1m
	zccp -r "$T/src" "$T/o1" "$T/full"
	assert_status 1
	assert_stderr_matches "^zccp: $T/full/src/f[0-9]+: No space left on device$"
	diff -r "$T/src" "$T/o1/src" >&2 || fail "o1 differs"
	whole_where_present "$T/src" "$T/full/src"
	no_temporaries "$T/full"
}

@test "-r: a source file that fails to read (EIO) is said, has no copy, and the rest arrives; exit 1" {
	requires fuse
	# faultfs fails reads that reach 64 KiB: big fails, small not
	mount_faultfs "$T/fs" --eio-at=65536
	mkdir -p "$T/fs.backing/t" "$T/o1" "$T/o2"
	make_file "$T/fs.backing/t/small" 5000
	make_file "$T/fs.backing/t/big" 200000
	zccp -r "$T/fs/t" "$T/o1" "$T/o2"
	fuse_refused && return
	assert_status 1
	assert_stderr_matches "^zccp: $T/fs/t/big: .*Input/output error"
	assert_same "$T/fs.backing/t/small" "$T/o1/t/small" "$T/o2/t/small"
	[[ ! -e $T/o1/t/big && ! -e $T/o2/t/big ]] || fail "big has a copy"
	no_temporaries "$T/o1"
}

@test "-r: a source read short (FUSE, direct_io) still arrives whole" {
	requires fuse
	# without direct_io the kernel takes a short read for the end: a
	# job then fails the file (22-faults.bats), as a small copy hands
	# it to one
	mount_faultfs "$T/fs" --short-read=1000 --direct-io
	mkdir -p "$T/fs.backing/t" "$T/o1" "$T/o2"
	make_file "$T/fs.backing/t/a" 4097
	make_file "$T/fs.backing/t/b" 999
	zccp -r "$T/fs/t" "$T/o1" "$T/o2"
	fuse_refused && return
	assert_success
	diff -r "$T/fs.backing/t" "$T/o1/t" >&2 || fail "o1 differs"
	diff -r "$T/fs.backing/t" "$T/o2/t" >&2 || fail "o2 differs"
}

@test "-r killed (-9) mid-tree: every file under its name is whole, no temporary; a rerun completes" {
	requires fuse
	local i pid
	# each read from faultfs takes a tenth of a second: the kill lands
	# mid-tree
	mount_faultfs "$T/fs" --slow-read=f
	mkdir -p "$T/fs.backing/t" "$T/o1" "$T/o2"
	for i in $(seq 1 60); do make_file "$T/fs.backing/t/f$i" $((i * 997)); done
	start_bg pid "$ZCCP" -e "$ZCCP_ENGINE" -r "$T/fs/t" "$T/o1" "$T/o2" 2>"$T/stderr"
	if ! wait_for 30 has_files "$T/o1/t" 3; then
		wait "$pid" || status=$?
		stderr=$(cat "$T/stderr")
		mapfile -t stderr_lines <"$T/stderr"
		fuse_refused && return
		fail "zccp copied nothing: $stderr"
	fi
	kill -9 "$pid"
	wait "$pid" || true
	(($(find "$T/o1/t" -type f | wc -l) < 60)) || fail "the kill came after the copy"
	whole_where_present "$T/fs.backing/t" "$T/o1/t"
	whole_where_present "$T/fs.backing/t" "$T/o2/t"
	zccp -r "$T/fs/t" "$T/o1" "$T/o2"
	assert_success
	diff -r "$T/fs.backing/t" "$T/o1/t" >&2 || fail "o1 differs after the rerun"
	no_temporaries "$T/o1"
	no_temporaries "$T/o2"
}
