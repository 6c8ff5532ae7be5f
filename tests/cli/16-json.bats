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

# JSON_NAMES: Python that reads stdin as a strict script would (UTF-8,
# no NaN) into doc, and name(obj, key): a name's exact bytes by zccp.1's
# rule (KEY_base64 when the object has it, else KEY in UTF-8), checking
# that KEY beside it has each byte that is not UTF-8 as U+FFFD.
JSON_NAMES='
import base64, codecs, json, os, sys
def refuse(word):
    raise ValueError("not JSON: " + word)
doc = json.loads(sys.stdin.buffer.read().decode("utf-8"),
                 parse_constant=refuse)
codecs.register_error("each", lambda e: ("\ufffd", e.start + 1))
def name(obj, key):
    text, raw = obj[key], obj.get(key + "_base64")
    if raw is None:
        return text.encode("utf-8")
    exact = base64.b64decode(raw, validate=True)
    assert exact.decode("utf-8", "each") == text, (key, text, exact)
    assert text.encode("utf-8") != exact, (key, "UTF-8 given twice")
    return exact
def arg(i):
    return os.fsencode(sys.argv[i])
'

# names_ok SCRIPT [ARG...] <JSON: SCRIPT after JSON_NAMES, the ARGs in
# sys.argv[1:]; an exception fails the test.
names_ok() {
	local script=$1 json
	shift
	json=$(cat)
	python3 -c "$JSON_NAMES$script" "$@" <<<"$json" ||
		fail "names do not come back exactly: $json"
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
	assert_stderr_matches "^zccp: cannot create regular file '$T/missing/d2': No such file or directory$"
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

@test "--json: names that are not UTF-8: valid JSON, U+FFFD in the name, its bytes in KEY_base64" {
	# \xff alone; lead bytes F5 and F8; a sequence cut short; overlong
	# C0 AF and a surrogate ED A0 80 (not UTF-8 either)
	local names=($'bad\xffname' $'f5\xf5\x80\x80-f8\xf8\x88\x80-cut\xe2\x82'
		     $'over\xc0\xaf-sur\xed\xa0\x80')
	zccp --json "$T/src" "${names[@]/#/$T/}"
	assert_success
	jq -e . <<<"$output" >/dev/null || fail "jq refuses it: $output"
	[[ $(jq -r '.destinations[0].path' <<<"$output") == "$T/bad"$'\ufffd'"name" ]] ||
		fail "the byte is not U+FFFD: $output"
	names_ok '
for d, i in zip(doc["destinations"], range(1, 4)):
    assert name(d, "path") == arg(i) and name(d, "file") == arg(i), d
    assert "path_base64" in d and "file_base64" in d, d
assert doc["destinations"][1]["path"].endswith("cut\ufffd\ufffd")
' "${names[@]/#/$T/}" <<<"$output"
	assert_same "$T/src" "$T/${names[0]}" "$T/${names[1]}" "$T/${names[2]}"
}

@test "--json: every name comes back exactly by zccp.1's rule, the source's and each destination's" {
	local src=$T/$'source-caf\xe9'
	local names=($'ff\xffname' $'latin1-caf\xe9' $'lone\x80' 'utf8-café-名' $'new\nline')
	mv "$T/src" "$src"
	mkdir "$T/dir"$'\xe9'
	zccp --json "$src" "${names[@]/#/$T/}" "$T/dir"$'\xe9/'
	assert_success
	jq -e . <<<"$output" >/dev/null || fail "jq refuses it: $output"
	names_ok '
assert name(doc["source"], "path") == arg(1)
ds = doc["destinations"]
assert len(ds) == len(sys.argv) - 2, ds
for d, i in zip(ds[:-1], range(2, len(sys.argv) - 1)):
    assert name(d, "path") == arg(i) and name(d, "file") == arg(i), d
    assert os.path.basename(arg(i)) in os.listdir(os.path.dirname(arg(i)))
# a directory: the file made in it
assert name(ds[-1], "path") == arg(len(sys.argv) - 1)
assert name(ds[-1], "file") == arg(len(sys.argv) - 1) + os.path.basename(arg(1))
assert os.path.isfile(name(ds[-1], "file"))
# valid UTF-8 (a newline too): no second key
for d in ds[3], ds[4]:
    assert "path_base64" not in d and "file_base64" not in d, d
assert ds[4]["path"].endswith("new\nline")
' "$src" "${names[@]/#/$T/}" "$T/dir"$'\xe9/' <<<"$output"
	assert_same "$src" "$T/${names[0]}" "$T/${names[4]}" "$T/dir"$'\xe9'"/source-caf"$'\xe9'
}

@test "--progress=json: a destination's name comes back exactly, its and the slowest's" {
	local name=$T/$'latin1-caf\xe9'
	zccp --progress=json "$T/src" "$name" "$T/plain"
	assert_success
	names_ok '
assert [name(d, "path") for d in doc["destinations"]] == [arg(1), arg(2)]
assert name(doc, "slowest") in (arg(1), arg(2))
assert "path_base64" not in doc["destinations"][1]
' "$name" "$T/plain" <<<"${stderr_lines[-1]}"
}

@test "-r --json: names in a tree come back exactly, roots and failures" {
	local tree=$T/$'tree\xe9' dir=$'d\xff' file=$'f\x80' root=$T/$'out\xff'
	mkdir -p "$tree/$dir"
	echo data >"$tree/$dir/$file"
	echo data >"$tree/"$'new\nline'
	# a directory where the file goes: a failure with its name
	mkdir -p "$root/"$'tree\xe9'"/$dir/$file"
	zccp -r --json "$tree" "$root/"
	assert_status 1
	jq -e . <<<"$output" >/dev/null || fail "jq refuses it: $output"
	names_ok '
tree, dir, file, root = (arg(i) for i in range(1, 5))
assert name(doc["source"], "path") == tree
d = doc["destinations"][0]
assert name(d, "path") == root + b"/"
assert name(d, "file") == root + b"/" + os.path.basename(tree)
f = d["failures"]
assert [name(x, "path") for x in f] == [name(d, "file") + b"/" + dir + b"/" + file], f
assert os.path.isdir(name(f[0], "path"))
' "$tree" "$dir" "$file" "$root" <<<"$output"
	assert_same "$tree/"$'new\nline' "$root/"$'tree\xe9/new\nline'
}

@test "-r --dry-run --json: every entry's name comes back exactly" {
	local tree=$T/$'tree\xe9'
	mkdir -p "$tree/"$'d\xff/sub'
	echo data >"$tree/"$'d\xff/f\x80'
	echo data >"$tree/"$'new\nline'
	echo data >"$tree/utf8-é"
	zccp -r --dry-run --json "$tree" "$T/"$'plan\xe9'
	assert_success
	jq -e . <<<"$output" >/dev/null || fail "jq refuses it: $output"
	names_ok '
tree, root = arg(1), arg(2)
assert name(doc, "source") == tree
want = {root + b"/"}
for top, dirs, files in os.walk(tree):
    rel = os.path.relpath(top, tree)
    at = root + (b"" if rel == b"." else b"/" + rel)
    want |= {at + b"/" + d + b"/" for d in dirs}
    want |= {at + b"/" + f for f in files}
got = [name(e, "path") for e in doc["entries"]]
assert len(got) == 6 and set(got) == want, (got, want)
assert all(e["action"] == "create" for e in doc["entries"])
' "$tree" "$T/"$'plan\xe9' <<<"$output"
	[[ ! -e $T/$'plan\xe9' ]] || fail "the dry run wrote"
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
