#!/usr/bin/env bats
# --dry-run: the plan on stdout (engine, ring, per destination how it
# would be written, reflink, O_DIRECT, what would fail); nothing is
# created, written, opened for writing or connected.

load helpers

setup() {
	make_file "$T/src" $((1024 * 1024 + 1))
}

@test "--dry-run: the plan, and nothing written" {
	make_old "$T/d1"
	mkdir "$T/dir"
	zccp --dry-run "$T/src" "$T/d1" "$T/d2" "$T/dir/" /dev/null
	assert_success
	[[ ${lines[0]} == "dry run: nothing is written" ]] || fail "first line: ${lines[0]}"
	[[ ${lines[1]} == "source $T/src (regular file, $((1024 * 1024 + 1)) bytes)" ]] ||
		fail "source line: ${lines[1]}"
	[[ ${lines[2]} =~ ^engine\ $ZCCP_ENGINE_RE:\ . ]] || fail "engine line: ${lines[2]}"
	[[ ${lines[3]} =~ ^ring:\ [0-9]+\ chunks\ of\ [0-9]+\ bytes ]] || fail "ring line: ${lines[3]}"
	[[ ${lines[4]} =~ ^dest\ $T/d1\ \(regular\ file\):\ written\ to\ a\ temporary\ beside\ it,\ renamed\ over\ it\ when\ complete\;\ reflink:\ no\ \(.+\)\;\ (buffered|O_DIRECT) ]] ||
		fail "d1 line: ${lines[4]}"
	[[ ${lines[5]} =~ ^dest\ $T/d2\ \(regular\ file,\ new\):\ written\ to\ a\ temporary ]] ||
		fail "d2 line: ${lines[5]}"
	[[ ${lines[6]} =~ ^dest\ $T/dir/src\ \(regular\ file,\ new\): ]] || fail "dir line: ${lines[6]}"
	[[ ${lines[7]} == "dest /dev/null (character device): written in place, never truncated" ]] ||
		fail "null line: ${lines[7]}"
	[[ ${#lines[@]} -eq 8 ]] || fail "${#lines[@]} lines"
	assert_same "$T/d1.orig" "$T/d1"
	assert_dir_holds "$T" src d1 d1.orig dir
	assert_dir_holds "$T/dir"
}

@test "--dry-run: a destination that would fail says why, exit 1" {
	zccp --dry-run "$T/src" "$T/missing/d1" "$T/d2"
	assert_status 1
	assert_output_line "dest $T/missing/d1: would fail: No such file or directory"
	assert_stderr_matches "^zccp: cannot create regular file '$T/missing/d1': No such file or directory$"
	assert_dir_holds "$T" src
}

@test "--dry-run as another user: a directory we may not write would fail" {
	requires root nobody
	make_world_dir
	cp "$T/src" "$WORLD_DIR/src"
	chmod 0644 "$WORLD_DIR/src"
	mkdir -m 0755 "$WORLD_DIR/ro"
	as_nobody --dry-run "$WORLD_DIR/src" "$WORLD_DIR/ro/d1"
	assert_status 1
	assert_output_line "dest $WORLD_DIR/ro/d1: would fail: Permission denied"
}

@test "--dry-run connects to nothing and opens no FIFO" {
	mkfifo "$T/fifo"
	# Nothing listens on port 1: a connect would be refused.
	zccp --dry-run --insecure "$T/src" tcp://127.0.0.1:1 "$T/fifo"
	assert_success
	assert_output_line "dest tcp://127.0.0.1:1 (socket): connected when the copy starts"
	assert_output_line "dest $T/fifo (pipe): written in place, never truncated"
}

@test "--dry-run -n --inplace: what is left alone, what is written in place" {
	make_old "$T/d1"
	zccp --dry-run -n --inplace -e rw "$T/src" "$T/d1" "$T/d2"
	assert_success
	assert_output_line "dest $T/d1 (regular file): exists, not overwritten (-n)"
	assert_output_line "engine rw: chosen by --engine"
	[[ $output == *"dest $T/d2 (regular file, new): written in place; reflink: no ("* ]] ||
		fail "d2: $output"
	assert_dir_holds "$T" src d1 d1.orig
}

@test "--dry-run refuses --json (but with -r and a directory) and --listen" {
	zccp --dry-run --json "$T/src" "$T/d1"
	assert_status 2
	assert_stderr_matches "^zccp: --dry-run cannot be used with --json but with -r$"
	zccp -r --dry-run --json "$T/src" "$T/d1"
	assert_status 2
	assert_stderr_matches "^zccp: --dry-run --json: $T/src is not a directory \(one file's plan is text\)$"
	zccp --dry-run --listen=:9 "$T/d1"
	assert_status 2
	assert_stderr_matches "^zccp: --dry-run cannot be used with --listen"
	assert_dir_holds "$T" src
}

@test "--dry-run of a FIFO source does not wait for a writer" {
	mkfifo "$T/in"
	zccp --dry-run "$T/in" "$T/d1"
	assert_success
	assert_output_line "source $T/in (pipe)"
}

@test "--dry-run -f --inplace: a writable file in a directory we may not write is fine" {
	requires root nobody
	make_world_dir
	cp "$T/src" "$WORLD_DIR/src"
	chmod 0644 "$WORLD_DIR/src"
	mkdir -m 0777 "$WORLD_DIR/ro"
	printf 'old\n' >"$WORLD_DIR/ro/d1"
	chmod 0666 "$WORLD_DIR/ro/d1"
	chmod 0755 "$WORLD_DIR/ro"
	as_nobody --dry-run -f --inplace "$WORLD_DIR/src" "$WORLD_DIR/ro/d1"
	assert_success
	[[ $output == *"dest $WORLD_DIR/ro/d1 (regular file): written in place;"* ]] || fail "plan: $output"
	as_nobody -f --inplace "$WORLD_DIR/src" "$WORLD_DIR/ro/d1"
	assert_success
	assert_same "$T/src" "$WORLD_DIR/ro/d1"
}

# ---- -r: what the walk would do, per entry and root ----

# small_tree DIR: a file, a directory with a file and a link, a .git
small_tree() {
	mkdir -p "$1/sub/.git"
	make_file "$1/top" 4097
	make_file "$1/sub/f" 1
	make_file "$1/sub/.git/HEAD" 1
	ln -s f "$1/sub/link"
}

@test "-r --dry-run: create, replace, skip (-u), exclude, refuse, the counts; nothing written" {
	small_tree "$T/tree"
	mkdir -p "$T/old/tree/sub/f" # a directory where a file goes
	cp -p "$T/tree/top" "$T/old/tree/top" # up to date
	mkdir -p "$T/new"
	zccp -r --dry-run -u --exclude=.git "$T/tree" "$T/old" "$T/new/copy"
	assert_status 1 # something would be refused
	local want
	want="dry run: nothing is written
create $T/new/copy/
exclude $T/tree/sub/.git
refuse $T/old/tree/sub/f: Is a directory
create $T/new/copy/sub/f
create $T/old/tree/sub/link
create $T/new/copy/sub/link
create $T/new/copy/sub/
skip $T/old/tree/top: up to date, not overwritten (-u)
create $T/new/copy/top
would create 6, replace 0, skip 1, exclude 1, refuse 1"
	diff <(sort <<<"$want") <(sort <<<"$output") >&2 || fail "another plan"
	[[ ${lines[0]} == "dry run: nothing is written" && ${lines[-1]} == "would "* ]] ||
		fail "first or last line: $output"
	assert_absent "$T/new/copy" "$T/old/tree/sub/link"
}

@test "-r --dry-run --json: one object, the same entries and counts" {
	small_tree "$T/tree"
	mkdir "$T/out"
	zccp -r -p "$T/tree" "$T/out"
	assert_success
	touch -d '+1 min' "$T/tree/sub/f"
	zccp -r -u --dry-run --json "$T/tree" "$T/out"
	assert_success
	jq -e --arg o "$T/out/tree" '.dry_run == true and
		([.entries[] | select(.action == "replace") | .path] == [$o + "/sub/f"]) and
		.counts == {"create":0,"replace":1,"skip":3,"exclude":0,"refuse":0}' \
		<<<"$output" >/dev/null || fail "plan: $output"
}
