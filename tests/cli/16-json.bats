#!/usr/bin/env bats
# --json: one summary object on stdout at the end (schema in zccp.1,
# JSON SUMMARY), parsed here with jq as a backup script would.

load helpers

setup() {
	command -v jq >/dev/null || fail "jq missing: run scripts/deps"
	make_file "$T/src" $((1024 * 1024 + 4097))
	SIZE=$(stat -c %s "$T/src")
}

# q FILTER: jq -e FILTER over the captured stdout (exit 1 if false/null).
q() {
	jq -e "$1" <<<"$output" >/dev/null ||
		fail "jq '$1' is false on: $output"
}

@test "--json: one object, every destination's path, status, bytes, engine, error" {
	zccp --json "$T/src" "$T/d1" "$T/missing/d2" "$T/d3"
	assert_status 1
	[[ $(jq -s length <<<"$output") -eq 1 ]] || fail "not one JSON value: $output"
	q '.schema == 1 and .status == 1 and (.zccp | type) == "string"'
	q ".source.path == \"$T/src\" and .source.kind == \"regular file\""
	q ".source.bytes == $SIZE and .source.error == null"
	q ".engine == \"$ZCCP_ENGINE\" or \"$ZCCP_ENGINE\" == \"auto\""
	q '(.engine | type) == "string" and .checksum == null'
	q '(.seconds | type) == "number" and .seconds >= 0'
	q '.destinations | length == 3'
	q ".destinations[0] | .path == \"$T/d1\" and .status == \"ok\" and .bytes == $SIZE and .error == null and .kind == \"regular file\""
	q ".destinations[1] | .path == \"$T/missing/d2\" and .status == \"failed\" and .error == \"No such file or directory\""
	q ".destinations[2] | .status == \"ok\" and .bytes == $SIZE and .verified == null"
	q ".totals == {destinations: 3, ok: 2, failed: 1, skipped: 0, aborted: 0, bytes_written: $((2 * SIZE))}"
	assert_stderr_matches "^zccp: $T/missing/d2: No such file or directory$"
	assert_same "$T/src" "$T/d1" "$T/d3"
}

@test "--json --checksum --verify: the digest is in the object, not on a line of its own" {
	zccp --json --checksum --verify "$T/src" "$T/d1" /dev/null
	assert_success
	[[ $(jq -s length <<<"$output") -eq 1 ]] || fail "not one JSON value: $output"
	q ".checksum == {algorithm: \"sha256\", digest: \"$(sha256sum <"$T/src" | cut -d' ' -f1)\"}"
	q '.destinations[0].verified == true and .destinations[1].verified == false'
	q '.destinations[1].kind == "character device" and .destinations[1].status == "ok"'
}

@test "--json when the source cannot be opened: status 2, destinations untouched" {
	make_old "$T/d1"
	zccp --json "$T/nosuch" "$T/d1"
	assert_status 2
	q ".status == 2 and .source.error == \"No such file or directory\" and .source.kind == null"
	q '.engine == null and .destinations[0].status == "aborted"'
	q ".destinations[0].path == \"$T/d1\" and .totals.aborted == 1"
	assert_same "$T/d1.orig" "$T/d1"
}

@test "--json --on-error=abort: the others are reported aborted" {
	make_old "$T/d1"
	zccp --json --on-error=abort "$T/src" "$T/d1" "$T/missing/d2"
	assert_status 1
	q '.destinations[0].status == "aborted" and .destinations[0].error == null'
	q '.destinations[1].status == "failed" and .totals.ok == 0'
	assert_same "$T/d1.orig" "$T/d1"
}

@test "--json with standard output as a destination: refused, nothing on stdout" {
	zccp --json "$T/src" "$T/d1" -
	assert_status 2
	assert_stdout_empty
	assert_stderr_matches "^zccp: -: --json prints to standard output, which is a destination$"
	assert_absent "$T/d1"
}

@test "--json escapes names: quotes, backslashes, newlines come back intact" {
	local name=$'we"ird\\na\nme'
	zccp --json "$T/src" "$T/$name"
	assert_success
	[[ $(jq -r '.destinations[0].path' <<<"$output") == "$T/$name" ]] ||
		fail "path did not survive: $(jq '.destinations[0].path' <<<"$output")"
	assert_same "$T/src" "$T/$name"
}

@test "--json with a directory destination: file names the copy made in it" {
	mkdir "$T/dir"
	zccp --json "$T/src" "$T/dir/"
	assert_success
	q ".destinations[0].path == \"$T/dir/\" and .destinations[0].file == \"$T/dir/src\""
	assert_same "$T/src" "$T/dir/src"
}

@test "--json of a pipe source: the bytes that came through" {
	run_sh 'cat "$1" | "$ZCCP" -e "$ZCCP_ENGINE" --json - "$2"' "$T/src" "$T/d1"
	zccp_log "cat src | zccp --json - d1"
	assert_success
	q ".source.path == \"-\" and .source.kind == \"pipe\" and .source.bytes == $SIZE"
	q ".destinations[0].bytes == $SIZE and .destinations[0].status == \"ok\""
	assert_same "$T/src" "$T/d1"
}

@test "--json: names that are not UTF-8 still give valid JSON" {
	# \xff alone; lead bytes F5 and F8; a sequence cut short
	local names=($'bad\xffname' $'f5\xf5\x80\x80-f8\xf8\x88\x80-cut\xe2\x82')
	zccp --json "$T/src" "${names[@]/#/$T/}"
	assert_success
	python3 -c 'import json, sys; json.loads(sys.stdin.buffer.read().decode("utf-8"))' <<<"$output" ||
		fail "not valid UTF-8 JSON: $output"
	[[ $(jq -r '.destinations[0].path' <<<"$output") == "$T/bad"$'\u00ff'"name" ]] ||
		fail "the byte is not \\u00ff: $output"
	assert_same "$T/src" "$T/${names[0]}" "$T/${names[1]}"
}

@test "--json: a destination refused as the source, or given twice, says why" {
	zccp --json "$T/src" "$T/src" "$T/d1"
	assert_status 2
	q '.destinations[0].status == "failed" and .destinations[0].error == "is the same file as the source"'
	q '.destinations[1].status == "aborted" and .destinations[1].error == null'
	zccp --json "$T/src" "$T/d2" "$T/d2"
	assert_status 2
	q '.destinations[1].status == "failed" and .destinations[1].error == "destination given twice"'
	[[ ! -e $T/d1 && ! -e $T/d2 ]] || fail "a destination was written"
}

@test "--progress=json lines carry a schema number" {
	zccp --progress=json "$T/src" "$T/d1"
	assert_success
	jq -se 'length >= 1 and all(.schema == 1)' <<<"$stderr" >/dev/null ||
		fail "progress lines: $stderr"
}

@test "--json with a usage error: one object, status 2, the error, nothing started" {
	zccp --json -B 0 "$T/src" "$T/d1"
	assert_status 2
	q '.status == 2 and .error == "invalid --block-size '"'0'"': want 4K..1G, a multiple of 4K" and .destinations == [] and .totals.destinations == 0'
	[[ ! -e $T/d1 ]] || fail "d1 was written"
}
