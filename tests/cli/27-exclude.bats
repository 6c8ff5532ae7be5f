#!/usr/bin/env bats
# --exclude=PATTERN and --exclude-from=FILE with -r: shell patterns
# matched against the path relative to the source's root, as rsync and
# tar users write them (exclude.h): a name at any depth, a path's end,
# a path from the root with a leading '/', '**' across directories, a
# trailing '/' for directories only.  What is left out is never written
# and never walked; --json counts it per root.

load helpers

setup() {
	local d=$T/src
	mkdir -p "$d/a/.git" "$d/a/sub/build/tmp" "$d/build/tmp" "$d/c/deep/er"
	make_file "$d/a/x.o" 4095
	make_file "$d/a/x.c" 4097
	make_file "$d/a/.git/HEAD" 1
	make_file "$d/a/sub/build/tmp/t" 10
	make_file "$d/a/sub/build/keep" 10
	make_file "$d/build/tmp/t" 10
	make_file "$d/build/top" 10
	make_file "$d/c/deep/er/x.log" 10
	make_file "$d/c/log" 10 # a file named like the directory pattern below
	mkdir "$d/c/logs"
	make_file "$d/c/logs/today" 10
	mkdir "$T/out"
}

# files DIR: every file and directory below DIR, sorted
files() {
	(cd "$1" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort)
}

# expect_left_out NAME...: $T/out/src holds the source but NAME... (and
# what is below them), byte for byte
expect_left_out() {
	local want name
	want=$(files "$T/src")
	for name; do
		want=$(grep -vE "^$name(/|$)" <<<"$want" || true)
	done
	diff <(echo "$want") <(files "$T/out/src") >&2 || fail "other names than expected"
	while read -r name; do
		[[ -d $T/src/$name ]] || cmp "$T/src/$name" "$T/out/src/$name" >&2 ||
			fail "$name differs"
	done <<<"$want"
}

@test "--exclude: a name at any depth, a path's end, a path from the root, a directory only" {
	zccp -r -vv --json --exclude='*.o' --exclude=.git --exclude=build/tmp \
		--exclude=/build/top --exclude='logs/' --exclude='log/' \
		"$T/src" "$T/out"
	assert_success
	expect_left_out a/x.o a/.git a/sub/build/tmp build/tmp build/top c/logs
	assert_stderr_matches "^zccp: $T/src/a/\.git: excluded$"
	jq -e '.destinations[0].excluded == 6' <<<"$output" >/dev/null ||
		fail "summary: $output"
}

@test "--exclude with **: across directories; without it * stops at /" {
	zccp -r --exclude='c/*/x.log' --exclude='a/**/t' "$T/src" "$T/out"
	assert_success
	expect_left_out a/sub/build/tmp/t
}

@test "--exclude-from=FILE: a pattern a line; # comments and blank lines are not patterns" {
	printf '# objects\n*.o\n\n/build/\n#*.c\n' >"$T/list"
	zccp -r --exclude-from="$T/list" --exclude=HEAD "$T/src" "$T/out"
	assert_success
	expect_left_out a/x.o build a/.git/HEAD
}

@test "--exclude without -r, an unreadable --exclude-from: exit 2, named, nothing written" {
	zccp --exclude='*.o' "$T/src/a/x.c" "$T/out/x.c"
	assert_status 2
	assert_stderr_matches "^zccp: --exclude applies to a tree: add -r$"
	zccp -r --exclude-from="$T/missing" "$T/src" "$T/out"
	assert_status 2
	assert_stderr_matches "^zccp: --exclude-from $T/missing: No such file or directory$"
	assert_absent "$T/out/x.c" "$T/out/src"
}
