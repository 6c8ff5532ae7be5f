#!/usr/bin/env bats
# zccp-test: per-engine
# -r/--recursive: a directory tree to every destination root, as cp -r
# makes it; compared with diff -r and stat: regular files of odd sizes
# through the engine, directories, symbolic links, hard links (linked
# again in each copy), a sparse file, a FIFO.

load helpers

# make_tree DIR: the tree every test copies.
make_tree() {
	local d=$1
	mkdir -p "$d/a/b/c" "$d/empty"
	make_file "$d/zero" 0
	make_file "$d/one" 1
	make_file "$d/a/page-1" 4095
	make_file "$d/a/b/page+1" 4097
	make_file "$d/a/b/c/chunk+1" $((1024 * 1024 + 1))
	make_file "$d/name with spaces" 1000
	ln "$d/a/page-1" "$d/a/b/hard-link"
	ln -s ../page-1 "$d/a/b/relative-link"
	ln -s /nonexistent/target "$d/dangling-link"
	truncate -s 64M "$d/sparse"
	write_at "$d/sparse" 32M 5000
	mkfifo "$d/fifo"
	chmod 0750 "$d/a"
	chmod 0700 "$d/a/b/c"
}

# assert_tree SRC COPY: the same names, types, link targets and bytes.
assert_tree() {
	diff -r --no-dereference -x fifo "$1" "$2" >&2 || fail "$2 differs from $1"
	local listing
	listing() { (cd "$1" && find . -printf '%P %y %l\n' | LC_ALL=C sort); }
	[[ $(listing "$1") == "$(listing "$2")" ]] ||
		fail "$2 has other names, types or link targets than $1"
	[[ -p $2/fifo ]] || fail "$2/fifo is not a FIFO"
	[[ $(stat -c %i "$2/a/page-1") == $(stat -c %i "$2/a/b/hard-link") ]] ||
		fail "$2: the hard links are two files"
	[[ $(stat -c %i "$2/a/page-1") != $(stat -c %i "$1/a/page-1") ]] ||
		fail "$2: linked to the source"
	(($(allocated_bytes "$2/sparse") < 8 * 1024 * 1024)) ||
		fail "$2/sparse is not sparse ($(allocated_bytes "$2/sparse") bytes)"
}

setup() {
	make_tree "$T/src"
}

@test "-r: the tree into an existing directory and to a new name, every kind of entry" {
	mkdir "$T/into"
	zccp -r "$T/src" "$T/into" "$T/new"
	assert_success
	assert_tree "$T/src" "$T/into/src"
	assert_tree "$T/src" "$T/new"
	local umask
	umask=$(umask)
	[[ $(stat -c %a "$T/new/a") == $(printf '%o' $((0750 & ~umask))) ]] ||
		fail "mode of a: $(stat -c %a "$T/new/a")"
	[[ $(stat -c %a "$T/new/a/b/c") == 700 ]] || fail "mode of a/b/c"
}

@test "-r -p: modes, and the times of files and directories" {
	touch -d "2001-02-03 04:05:06.5" "$T/src/a/b" "$T/src/one"
	touch -h -d "2003-01-01" "$T/src/a/b/relative-link"
	zccp -r -p "$T/src" "$T/copy"
	assert_success
	assert_tree "$T/src" "$T/copy"
	local f
	for f in a a/b a/b/c one a/b/c/chunk+1; do
		[[ $(stat -c '%a %Y' "$T/copy/$f") == $(stat -c '%a %Y' "$T/src/$f") ]] ||
			fail "$f: $(stat -c '%a %Y' "$T/copy/$f"), source $(stat -c '%a %Y' "$T/src/$f")"
	done
	[[ $(stat -c %Y "$T/copy/a/b/relative-link") == $(stat -c %Y "$T/src/a/b/relative-link") ]] ||
		fail "the link's own time was not kept"
}

@test "-r into an existing tree: merged, old files replaced, others kept" {
	mkdir -p "$T/copy/a"
	printf 'old\n' >"$T/copy/one"
	printf 'mine\n' >"$T/copy/a/extra"
	zccp -r "$T/src" "$T/copy"
	assert_success
	# the copy went into copy/src (cp -r semantics for an existing dir)
	assert_tree "$T/src" "$T/copy/src"
	[[ $(cat "$T/copy/a/extra") == mine ]] || fail "an unrelated file changed"
}

@test "-r -n: existing files in the destination tree are left alone" {
	mkdir -p "$T/copy/a"
	printf 'keep\n' >"$T/copy/one"
	printf 'keep too\n' >"$T/copy/a/page-1"
	zccp -r -n "$T/src/" "$T/copy/"
	assert_success
	[[ $(cat "$T/copy/src/one") != keep ]] || fail "wrong root"
	zccp -r -n "$T/src" "$T/copy/src2"
	assert_success
	rm -r "$T/copy/src" "$T/copy/src2"
	mkdir "$T/n"
	cp -a "$T/copy" "$T/n/src"
	zccp -r -n "$T/src" "$T/n"
	assert_success
	[[ $(cat "$T/n/src/one") == keep ]] || fail "-n replaced a file"
	[[ $(cat "$T/n/src/a/page-1") == "keep too" ]] || fail "-n replaced a/page-1"
	assert_same "$T/src/a/b/page+1" "$T/n/src/a/b/page+1"
}

@test "-r: a root inside the source is refused, nothing written" {
	zccp -r "$T/src" "$T/src/a/inner"
	assert_status 2
	assert_stderr_matches "^zccp: $T/src/a/inner: cannot copy a directory into itself$"
	assert_absent "$T/src/a/inner"
}

@test "-r: a root that is a bind mount of a source directory fails alone; no copy within a copy" {
	requires root mount
	mkdir -p "$T/dst"
	mount --bind "$T/src/a" "$T/dst" || fail "mount --bind"
	on_teardown umount -l "$T/dst"
	zccp -r "$T/src" "$T/dst" "$T/ok"
	assert_status 1
	assert_stderr_count 1 'into itself'
	assert_stderr_matches "^zccp: $T/dst/src: cannot copy a directory into itself \\(it is in the source tree\\)\$"
	# The other root copies the source as it was met (with the little
	# the refused root had made in it by then), and never a copy of a copy
	assert_same "$T/src/one" "$T/ok/one"
	assert_same "$T/src/a/b/page+1" "$T/ok/a/b/page+1"
	assert_absent "$T/ok/a/src/a/src"
}

@test "-r: a root that is a file fails alone, exit 1" {
	printf 'file\n' >"$T/plain"
	zccp -r "$T/src" "$T/plain" "$T/copy"
	assert_status 1
	assert_stderr_matches "^zccp: $T/plain: Not a directory$"
	[[ $(cat "$T/plain") == file ]] || fail "the file changed"
	assert_tree "$T/src" "$T/copy"
}

@test "-r: an unreadable file is reported (in --json, the source's failure with its path), the rest is copied, exit 1" {
	requires root nobody
	make_world_dir
	cp -a "$T/src" "$WORLD_DIR/src"
	chmod -R a+rX "$WORLD_DIR/src"
	chmod 0777 "$WORLD_DIR"
	chmod 0000 "$WORLD_DIR/src/one"
	as_nobody -r --json "$WORLD_DIR/src" "$WORLD_DIR/copy"
	assert_status 1
	assert_stderr_matches "^zccp: $WORLD_DIR/src/one: Permission denied$"
	assert_same "$T/src/a/b/c/chunk+1" "$WORLD_DIR/copy/a/b/c/chunk+1"
	jq -e '.source.error == "Permission denied" and
		.source.failures == [{"path": "'"$WORLD_DIR/src/one"'",
				      "error": "Permission denied"}] and
		.destinations[0].status == "ok"' <<<"$output" >/dev/null ||
		fail "summary: $output"
	assert_absent "$WORLD_DIR/copy/one"
}

@test "-r --on-error=abort: the walk stops at the first failure" {
	mkdir -p "$T/copy/a/b"
	printf 'in the way\n' >"$T/copy/a/b/c" # a file where a directory goes
	zccp -r --on-error=abort "$T/src/a" "$T/copy"
	assert_status 1
	assert_stderr_matches "^zccp: $T/copy/a/b/c: Not a directory$"
	assert_stderr_line_count 1
	# sorted walk: b/c fails before b/page+1 and b/relative-link
	assert_absent "$T/copy/a/b/page+1" "$T/copy/a/b/relative-link"
}

@test "-r --one-file-system: a mount point is made, empty" {
	requires root mount
	mount_tmpfs "$T/src/mnt" 8M
	make_file "$T/src/mnt/inside" 100
	zccp -r --one-file-system "$T/src" "$T/x"
	assert_success
	[[ -d $T/x/mnt ]] || fail "the mount point was not made"
	assert_dir_holds "$T/x/mnt"
	zccp -r "$T/src" "$T/all"
	assert_success
	assert_same "$T/src/mnt/inside" "$T/all/mnt/inside"
}

@test "-r --json: one object, a destination per root, files and bytes" {
	zccp -r --json "$T/src" "$T/copy" "$T/plain/sub"
	assert_status 1
	jq -e '.source.kind == "directory" and (.destinations | length) == 2' <<<"$output" >/dev/null ||
		fail "summary: $output"
	jq -e '.destinations[0].status == "ok" and .destinations[0].files == 7' <<<"$output" >/dev/null ||
		fail "first root: $output"
	jq -e '.destinations[1].status == "failed" and .destinations[1].error == "No such file or directory"' <<<"$output" >/dev/null ||
		fail "second root: $output"
}

@test "-r --json: the file's object (every key of it) plus the tree's counts, data bytes and each failure with its path" {
	local file_keys
	make_file "$T/one-file" 100
	file_keys=$("$ZCCP" -e "$ZCCP_ENGINE" --json "$T/one-file" "$T/one-copy" |
		jq -c '[keys, (.source | keys), (.destinations[0] | keys), (.totals | keys)]')
	mkdir -p "$T/bad/src/a"
	mkdir "$T/bad/src/a/page-1" # a directory where a file goes
	zccp -r --json "$T/src" "$T/copy" "$T/bad"
	assert_status 1
	# every key the file's object has, at every level
	jq -e --argjson f "$file_keys" '
		($f[0] - keys) == [] and ($f[1] - (.source | keys)) == [] and
		($f[2] - (.destinations[0] | keys)) == [] and
		($f[3] - (.totals | keys)) == []' <<<"$output" >/dev/null ||
		fail "keys missing from the tree's object: $output"
	# the sparse file counts 64 MiB of bytes but little data
	jq -e '.source.files == 7 and .source.bytes > 64 * 1048576 and
		.source.data_bytes < 2 * 1048576 and
		.destinations[0].status == "ok" and
		.destinations[0].bytes == .source.bytes and
		.destinations[0].data_bytes == .source.data_bytes and
		.destinations[0].failures == [] and
		.destinations[1].status == "failed" and
		.destinations[1].failures == [{"path": "'"$T/bad/src/a/page-1"'",
					       "error": "Is a directory"}] and
		.destinations[1].failures_not_listed == 0 and
		.totals.data_bytes_written == .destinations[0].data_bytes + .destinations[1].data_bytes' \
		<<<"$output" >/dev/null || fail "summary: $output"
}

@test "-r refuses --listen, --checksum and --dry-run; without -r a directory is refused" {
	zccp -r --checksum "$T/src" "$T/copy"
	assert_status 2
	assert_stderr_matches "^zccp: -r cannot be used with --checksum"
	zccp "$T/src" "$T/copy"
	assert_status 2
	assert_stderr_matches "^zccp: $T/src: Is a directory"
	assert_absent "$T/copy"
}

@test "-r never follows a symbolic link in the destination tree" {
	mkdir -p "$T/copy" "$T/outside"
	ln -s "$T/outside" "$T/copy/a" # where the tree has directory a
	zccp -r -p "$T/src/." "$T/copy"
	assert_status 1
	assert_stderr_matches "^zccp: $T/copy/a: Not a directory$"
	assert_dir_holds "$T/outside"
	[[ $(stat -c %a "$T/outside") == 755 ]] || fail "-p changed the mode through the link"
	[[ -L $T/copy/a ]] || fail "the link was replaced"
	assert_same "$T/src/one" "$T/copy/one"
}

@test "-r never writes through a symbolic link where the tree has a file (issue 16, item 10)" {
	mkdir -p "$T/copy/a/b" "$T/outside"
	make_old "$T/outside/target"
	ln -s "$T/outside/target" "$T/copy/one"            # a link to a file
	ln -s "$T/outside" "$T/copy/a/b/page+1"            # ... to a directory
	zccp -r "$T/src/." "$T/copy"
	assert_status 1
	assert_stderr_matches "^zccp: $T/copy/one: is a symbolic link: -r does not write through it$"
	assert_stderr_matches "^zccp: $T/copy/a/b/page\+1: is a symbolic link: -r does not write through it$"
	assert_same "$T/outside/target.orig" "$T/outside/target"
	assert_dir_holds "$T/outside" target target.orig
	[[ -L $T/copy/one && -L $T/copy/a/b/page+1 ]] || fail "a link was replaced"
	assert_same "$T/src/a/b/c/chunk+1" "$T/copy/a/b/c/chunk+1"
	# -n: left alone, as any existing name
	zccp -r -n "$T/src/." "$T/copy"
	assert_success
	assert_same "$T/outside/target.orig" "$T/outside/target"
}

# has_file_open PID PATH: PID holds PATH open.
has_file_open() {
	[[ -n $(find /proc/"$1"/fd -lname "$2" 2>/dev/null) ]]
}

# swapped_mid_walk SLOW DIR TARGET STATUS ZCCP_ARG...: zccp ZCCP_ARG... in
# the background; while it copies SLOW, DIR moves to $T/b.moved and a
# link to TARGET takes its place; zccp must then exit STATUS.  The walk
# holds each directory open: what it reads or writes after the swap is
# in the directory it opened (now b.moved), never through the link.
swapped_mid_walk() {
	local slow=$1 dir=$2 target=$3 status=$4 copier rc=0
	shift 4
	start_bg copier "$ZCCP" "$@" 2>"$T/stderr"
	wait_for 20 has_file_open "$copier" "$slow" ||
		fail "zccp never read $slow: $(cat "$T/stderr")"
	mv "$dir" "$T/b.moved"
	ln -s "$target" "$dir"
	wait "$copier" || rc=$?
	cat "$T/stderr" >&2
	[[ $rc -eq $status ]] || fail "exit status $rc, expected $status"
}

@test "-r: a destination directory swapped for a link mid-walk sends nothing outside the tree (issue 16, item 11)" {
	requires fuse
	# the source on faultfs: b/slow is read slowly, so the swap lands
	# while zccp is inside b, after it made b and before b/t1..t3
	mount_faultfs "$T/fs" --slow-read=slow
	mkdir -p "$T/fs.backing/b" "$T/outside" "$T/copy"
	make_file "$T/fs.backing/b/slow" $((3 * 1024 * 1024))
	for f in t1 t2 t3; do make_file "$T/fs.backing/b/$f" 5000; done
	# no -e: the walk is the same for every engine, and auto picks one
	# that reads a FUSE source right
	swapped_mid_walk "$T/fs/b/slow" "$T/copy/b" "$T/outside" 1 \
		-r "$T/fs/." "$T/copy"
	assert_dir_holds "$T/outside"
	[[ -L $T/copy/b ]] || fail "the link was replaced"
	# b's files went with the directory zccp made, and it says so
	grep -q "copy/b: moved or replaced while zccp wrote into it" "$T/stderr" ||
		fail "the move was not said"
	for f in t1 t2 t3; do assert_same "$T/fs.backing/b/$f" "$T/b.moved/$f"; done
}

@test "-r: a source directory swapped for a link mid-walk: nothing is read from outside the tree (issue 16, item 11)" {
	requires fuse
	# the copy of b/slow to faultfs is slow, so the swap lands while
	# zccp is inside src/b, after it listed b and before b/t1
	mount_faultfs "$T/fs" --slow-write=slow
	mkdir -p "$T/tree/b" "$T/secret"
	make_file "$T/tree/b/slow" $((2 * 1024 * 1024))
	make_file "$T/tree/b/t1" 5000
	make_file "$T/secret/t1" 6000
	# b is read from the directory the walk opened (b.moved now): the
	# tree's own files, so the copy is whole
	swapped_mid_walk "$T/tree/b/slow" "$T/tree/b" "$T/secret" 0 \
		-e "$ZCCP_ENGINE" -r "$T/tree/." "$T/fs/copy"
	assert_same "$T/b.moved/t1" "$T/fs.backing/copy/b/t1"
	assert_same "$T/b.moved/slow" "$T/fs.backing/copy/b/slow"
}

@test "-r: a file of the tree never lands inside a directory of the same name" {
	mkdir -p "$T/copy/one"
	zccp -r --json "$T/src/." "$T/copy"
	assert_status 1
	assert_stderr_matches "^zccp: $T/copy/one: Is a directory$"
	assert_dir_holds "$T/copy/one"
	jq -e '.destinations[0].status == "failed" and .destinations[0].error == "Is a directory"' <<<"$output" >/dev/null ||
		fail "summary: $output"
}

@test "-r -n: a new name of a hard link is not linked to a file left alone" {
	mkdir -p "$T/copy/a/b"
	printf 'OLD\n' >"$T/copy/a/page-1"
	zccp -r -n "$T/src/." "$T/copy"
	assert_success
	[[ $(cat "$T/copy/a/page-1") == OLD ]] || fail "-n replaced a/page-1"
	assert_same "$T/src/a/b/hard-link" "$T/copy/a/b/hard-link"
}

@test "-r: the same root twice is refused, nothing written" {
	zccp -r "$T/src" "$T/copy" "$T/./copy"
	assert_status 2
	assert_stderr_matches "^zccp: $T/./copy: destination given twice$"
	assert_absent "$T/copy"
}

@test "-r -n: when the first name of a hard link is left alone, the next is copied" {
	mkdir -p "$T/copy/a/b"
	printf 'OLD\n' >"$T/copy/a/b/hard-link" # sorts before a/page-1
	zccp -r -n "$T/src/." "$T/copy"
	assert_success
	[[ $(cat "$T/copy/a/b/hard-link") == OLD ]] || fail "-n replaced a/b/hard-link"
	assert_same "$T/src/a/page-1" "$T/copy/a/page-1"
}

@test "-r SOURCE/. into a symbolic link to a directory, named by the user" {
	mkdir "$T/real"
	ln -s "$T/real" "$T/link"
	zccp -r "$T/src/." "$T/link"
	assert_success
	assert_tree "$T/src" "$T/real"
}

@test "-r --inplace twice over hard links leaves no temporary behind" {
	zccp -r --inplace "$T/src/." "$T/copy"
	assert_success
	zccp -r --inplace "$T/src/." "$T/copy"
	assert_success
	assert_tree "$T/src" "$T/copy"
	[[ -z $(find "$T/copy" -name '.zccp-*') ]] || fail "left: $(find "$T/copy" -name '.zccp-*')"
}

@test "-r --on-error=abort --json: the roots the walk did not finish are aborted" {
	mkdir -p "$T/c1"
	printf 'in the way\n' >"$T/c1/a"
	zccp -r --on-error=abort --json "$T/src/." "$T/c1" "$T/c2"
	assert_status 1
	jq -e '.destinations[0].status == "failed" and .destinations[1].status == "aborted" and .totals.ok == 0' <<<"$output" >/dev/null ||
		fail "summary: $output"
}

# names DIR: every name below DIR but directories, with its inode and
# its inode's change time: a name replaced or a file touched changes it
names() {
	(cd "$1" && find . ! -type d -printf '%P %i %C@\n' | LC_ALL=C sort)
}

@test "-r -p -u twice: the second run replaces nothing; then only what changed or lost its size" {
	mkdir "$T/a" "$T/b" # both runs copy into them: a/src, b/src
	zccp -r -p -u "$T/src" "$T/a" "$T/b"
	assert_success
	local a b
	a=$(names "$T/a") b=$(names "$T/b")
	zccp -r -p -u -vv "$T/src" "$T/a" "$T/b"
	assert_success
	[[ $(names "$T/a") == "$a" && $(names "$T/b") == "$b" ]] ||
		fail "the second run replaced or touched something"
	assert_stderr_matches "^zccp: dest $T/a/src/a/b/c/chunk\+1 \(regular file\): up to date, not overwritten \(-u\)$"
	# a changed file (newer), and a copy cut short with the source's time
	make_file "$T/src/a/b/page+1" 4097
	touch -d '+1 min' "$T/src/a/b/page+1"
	truncate -s 10 "$T/b/src/name with spaces"
	touch -r "$T/src/name with spaces" "$T/b/src/name with spaces"
	zccp -r -p -u "$T/src" "$T/a" "$T/b"
	assert_success
	assert_tree "$T/src" "$T/a/src"
	assert_tree "$T/src" "$T/b/src"
	diff <(names "$T/a" | grep -v '^src/a/b/page+1 ') <(grep -v '^src/a/b/page+1 ' <<<"$a") >&2 ||
		fail "$T/a: more than the changed file was replaced"
	[[ $(names "$T/a" | grep '^src/a/b/page+1 ') != $(grep '^src/a/b/page+1 ' <<<"$a") ]] ||
		fail "$T/a/src/a/b/page+1 was not replaced"
	[[ $(stat -c %i "$T/b/src/name with spaces") != $(grep '^src/name with spaces ' <<<"$b" | cut -d' ' -f4) ]] ||
		fail "the cut copy was kept"
}

@test "-a is cp -a: the tree, modes, owners, times, links, hard links and xattrs, as cp -a keeps them" {
	local f xattr='import os, sys; os.setxattr(sys.argv[1], "user.zccp", b"kept")'
	python3 -c "$xattr" "$T/src/one" || fail "no user xattrs under $T"
	chown -h nobody "$T/src/a/b/relative-link"
	touch -d '2001-02-03 04:05:06' "$T/src/a" "$T/src/zero"
	zccp -a "$T/src" "$T/mine"
	assert_success
	cp -a "$T/src" "$T/theirs"
	assert_tree "$T/src" "$T/mine"
	for f in . a a/b/c zero one a/page-1 a/b/relative-link dangling-link; do
		[[ $(stat -c '%a %U %G %Y %F' "$T/mine/$f") == \
			$(stat -c '%a %U %G %Y %F' "$T/theirs/$f") ]] ||
			fail "$f: $(stat -c '%a %U %G %Y %F' "$T/mine/$f") against cp -a's $(stat -c '%a %U %G %Y %F' "$T/theirs/$f")"
	done
	[[ $(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.zccp").decode())' \
		"$T/mine/one") == kept ]] || fail "the xattr was not kept"
}

@test "-r --json into DEST/: the tree's path has one '/' between its parts" {
	mkdir -p "$T/copy"
	zccp -r --json "$T/src" "$T/copy/"
	assert_success
	jq -e --arg f "$T/copy/src" '.destinations[0].file == $f' <<<"$output" >/dev/null ||
		fail "summary: $output"
}

@test "-r -v: a line per entry copied, as cp -rv says them; nothing else" {
	rm "$T/src/fifo"
	zccp -r -v "$T/src" "$T/mine"
	assert_success
	[[ -z $stderr ]] || fail "-v wrote to stderr: $stderr"
	local theirs
	theirs=$(cp -rv "$T/src" "$T/theirs" | sed "s|$T/theirs|$T/mine|" | LC_ALL=C sort)
	[[ $(LC_ALL=C sort <<<"$output") == "$theirs" ]] ||
		fail "zccp -rv: $output; cp -rv: $theirs"
}
