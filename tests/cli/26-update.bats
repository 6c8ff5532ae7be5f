#!/usr/bin/env bats
# -u/--update[=older|none|all], cp's (coreutils 9.1): -u replaces an
# existing destination only when it is older than the source, or (unlike
# cp, as rsync's quick check) a file of another size; --update=none is
# -n, which wins over -u; --update=all is the default.  Trees: see
# 21-recursive.bats.

load helpers

setup() {
	make_file "$T/src" $((1024 * 1024 + 1))
	touch -d '2020-01-01' "$T/src"
}

# stamp FILE DATE: FILE's modification time
stamp() {
	touch -d "$2" "$1"
}

@test "-u: a newer copy is kept; an older one, one of another size and a missing one are written" {
	cp "$T/src" "$T/newer"
	stamp "$T/newer" 2021-01-01
	make_file "$T/older" $((1024 * 1024 + 1))
	stamp "$T/older" 2019-01-01
	make_file "$T/shorter" 4095
	stamp "$T/shorter" 2021-01-01
	local ino
	ino=$(stat -c '%i %Y' "$T/newer")
	zccp -u -vv --json "$T/src" "$T/newer" "$T/older" "$T/shorter" "$T/new"
	assert_success
	[[ $(stat -c '%i %Y' "$T/newer") == "$ino" ]] || fail "the newer copy was replaced"
	assert_same "$T/src" "$T/older" "$T/shorter" "$T/new"
	assert_stderr_matches "^zccp: dest $T/newer \(regular file\): up to date, not overwritten \(-u\)$"
	jq -e '[.destinations[].status] == ["skipped", "ok", "ok", "ok"] and .totals.skipped == 1' \
		<<<"$output" >/dev/null || fail "summary: $output"
}

@test "-u: the same time is up to date; a second later in the source is not" {
	cp -p "$T/src" "$T/same"
	cp -p "$T/src" "$T/stale"
	stamp "$T/src" '2020-01-01 00:00:01'
	stamp "$T/same" '2020-01-01 00:00:01'
	make_old "$T/stale"
	truncate -s $((1024 * 1024 + 1)) "$T/stale" # its size, not its bytes
	stamp "$T/stale" 2020-01-01
	local ino
	ino=$(stat -c %i "$T/same")
	zccp -u "$T/src" "$T/same" "$T/stale"
	assert_success
	assert_same "$T/src" "$T/same" "$T/stale"
	[[ $(stat -c %i "$T/same") == "$ino" ]] || fail "the up-to-date copy was replaced"
}

@test "--update=none is -n; -n wins over -u; --update=all replaces a newer copy" {
	make_old "$T/d1"
	stamp "$T/d1" 2019-01-01
	zccp --update=none "$T/src" "$T/d1"
	assert_success
	assert_same "$T/d1.orig" "$T/d1"
	zccp -u -n "$T/src" "$T/d1"
	assert_success
	assert_same "$T/d1.orig" "$T/d1"
	stamp "$T/d1" 2021-01-01
	zccp --update=all "$T/src" "$T/d1"
	assert_success
	assert_same "$T/src" "$T/d1"
}

@test "-u from a pipe: no time to compare, so every destination is written" {
	make_old "$T/d1"
	stamp "$T/d1" 2030-01-01
	zccp -u - "$T/d1" <"$T/src"
	assert_success
	assert_same "$T/src" "$T/d1"
}

@test "-u and -p are bare letters (no value); --update=WHEN takes one; a bad one is named, exit 2" {
	zccp -pu "$T/src" "$T/d1"
	assert_success
	assert_same "$T/src" "$T/d1"
	[[ $(stat -c %Y "$T/d1") == $(stat -c %Y "$T/src") ]] || fail "-p did not keep the time"
	zccp --update=sometimes "$T/src" "$T/d2"
	assert_status 2
	assert_stderr_matches "^zccp: invalid --update 'sometimes': want older, none or all$"
	assert_absent "$T/d2"
}
