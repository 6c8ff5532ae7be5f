#!/usr/bin/env bats
# Engine choice and reporting: -v, --stats, and io_uring made
# unavailable by a seccomp filter (no_uring), as in containers.

load helpers

setup() {
	SIZE=$((2 * 1024 * 1024 + 77))
	make_file "$T/src" "$SIZE"
}

# assert_verbose_dest PATH: exactly one stderr line names PATH, and it
# says more than the name (how that destination is written, and why).
assert_verbose_dest() {
	local line n=0 found=
	for line in "${stderr_lines[@]}"; do
		if [[ $line == *"$1"* ]]; then
			n=$((n + 1))
			found=$line
		fi
	done
	[[ $n -eq 1 ]] || fail "-v: $n lines name $1, expected 1"
	local rest=${found/"$1"/}
	rest=${rest#zccp: }
	[[ ${#rest} -ge 10 ]] || fail "-v: the line for $1 gives no method or reason: $found"
}

@test "-v names the engine, with a reason, and each destination's method" {
	zccp_plain -vv "$T/src" "$T/d1" "$T/d2"
	assert_success
	assert_same "$T/src" "$T/d1" "$T/d2"
	assert_stderr_format
	assert_stderr_count 1 "^zccp: .*engine:? $ZCCP_ENGINE_RE\\b.*: .{10,}"
	assert_verbose_dest "$T/d1"
	assert_verbose_dest "$T/d2"
}

@test "-v with every explicit engine names that engine, per destination" {
	local e x others
	for e in "${ZCCP_ENGINE_NAMES[@]}"; do
		rm -f "$T/d1" "$T/d2"
		zccp_plain -vv -e "$e" "$T/src" "$T/d1" "$T/d2"
		assert_success
		assert_same "$T/src" "$T/d1" "$T/d2"
		assert_stderr_matches "^zccp: .*engine:? $e\\b"
		others=()
		for x in "${ZCCP_ENGINE_NAMES[@]}"; do
			[[ $x == "$e" ]] || others+=("$x")
		done
		assert_stderr_not_matches "^zccp: .*engine:? ($(IFS='|'; echo "${others[*]}"))\\b"
		assert_verbose_dest "$T/d1"
		assert_verbose_dest "$T/d2"
	done
}

@test "-v says which directory destination it resolved" {
	mkdir "$T/dir"
	zccp_plain -vv "$T/src" "$T/dir"
	assert_success
	assert_same "$T/src" "$T/dir/src"
	assert_verbose_dest "$T/dir/src"
}

@test "--stats prints a line per destination: name, bytes, engine" {
	zccp_plain -e rw --stats "$T/src" "$T/d1" "$T/d2" "$T/d3"
	assert_success
	assert_same "$T/src" "$T/d1" "$T/d2" "$T/d3"
	local d
	for d in d1 d2 d3; do
		assert_stderr_count 1 "$T/$d\\b.*\\b$SIZE\\b.*\\brw\\b"
	done
}

@test "--stats on a failed destination says so, the others count all bytes" {
	zccp_plain --stats "$T/src" "$T/d1" "$T/nodir/d2"
	assert_status 1
	assert_same "$T/src" "$T/d1"
	assert_stderr_count 1 "$T/d1\\b.*\\b$SIZE\\b"
	assert_stderr_matches "nodir/d2"
}

@test "no_uring: the filter is in force (io_uring_setup fails)" {
	requires seccomp
	# no_uring checks it itself before exec; a failure there is 125.
	run "$NO_URING" true
	assert_success
	run "$NO_URING" --errno=EPERM true
	assert_success
	run "$NO_URING" --errno=EBADF true
	assert_status 125
}

# auto_without_uring [--errno=E]: auto picks another engine and says why.
auto_without_uring() {
	zccp_under "$NO_URING" "$@" -- -vv -e auto "$T/src" "$T/d1" "$T/d2"
	assert_success
	assert_same "$T/src" "$T/d1" "$T/d2"
	assert_stderr_matches '^zccp: .*engine:? (splice|aio|rw)\b'
	assert_stderr_not_matches '^zccp: .*engine:? uring\b'
	# The reason names io_uring's absence.
	assert_stderr_matches 'uring.*(unavailable|not available|not implemented|not permitted|disabled|ENOSYS|EPERM)'
}

@test "io_uring blocked (ENOSYS): auto falls back, copies, -v says why" {
	requires seccomp
	auto_without_uring
}

@test "io_uring blocked (EPERM): auto falls back, copies, -v says why" {
	requires seccomp
	auto_without_uring --errno=EPERM
}

@test "io_uring blocked: auto to a pipe and a file" {
	requires seccomp
	run_sh \
		'"$1" "$2" -e auto "$3" - "$4" | cat >"$5"' \
		"$NO_URING" "$ZCCP" "$T/src" "$T/d1" "$T/out"
	zccp_log "no_uring zccp -e auto src - d1 | cat >out"
	assert_success
	assert_same "$T/src" "$T/out" "$T/d1"
}

@test "io_uring blocked: -e uring exits 2 naming uring, nothing written" {
	requires seccomp
	make_old "$T/d1"
	zccp_under "$NO_URING" -- -e uring "$T/src" "$T/d1" "$T/d2"
	assert_status 2
	assert_stderr_format
	assert_stderr_matches 'uring'
	assert_same "$T/d1.orig" "$T/d1"
	assert_dir_holds "$T" src d1 d1.orig
}

@test "io_uring blocked (EPERM): -e uring exits 2 naming uring" {
	requires seccomp
	zccp_under "$NO_URING" --errno=EPERM -- -e uring "$T/src" "$T/d1"
	assert_status 2
	assert_stderr_matches 'uring'
	assert_absent "$T/d1"
}

@test "io_uring blocked: the other engines do not need it" {
	requires seccomp
	local e
	for e in splice aio rw; do
		rm -f "$T/d1" "$T/d2"
		zccp_under "$NO_URING" -- -e "$e" "$T/src" "$T/d1" "$T/d2"
		assert_success
		assert_same "$T/src" "$T/d1" "$T/d2"
	done
}

@test "io_uring blocked: --version still works and reports uring differently" {
	requires seccomp
	zccp_plain --version
	assert_success
	local normal=$output
	zccp_under "$NO_URING" -- --version
	assert_success
	[[ $output == *uring* ]] || fail "--version does not mention uring"
	[[ $output != "$normal" ]] ||
		fail "--version says the same with and without io_uring"
}

# The group engine needs the SQE group series in kernel/; tests/kernel/
# runs it on that kernel under QEMU.  Here, on a stock kernel, it must be
# refused cleanly.
@test "-e group without SQE groups: exit 2, one line naming group, nothing written" {
	zccp_plain --version
	assert_success
	[[ $output == *"group(unavailable)"* ]] ||
		skip "this kernel has SQE groups: kernel/ tests cover it"
	make_old "$T/d1"
	zccp_plain -e group "$T/src" "$T/d1" "$T/d2"
	assert_status 2
	assert_stderr_format
	assert_stderr_line_count 1
	assert_stderr_matches '^zccp: engine group unavailable: .*SQE groups'
	assert_same "$T/d1.orig" "$T/d1"
	assert_dir_holds "$T" src d1 d1.orig
}

@test "auto on a kernel without SQE groups still copies (and does not pick group)" {
	zccp_plain -vv "$T/src" "$T/d1" "$T/d2"
	assert_success
	assert_same "$T/src" "$T/d1" "$T/d2"
	assert_stderr_not_matches '^zccp: engine group'
}
