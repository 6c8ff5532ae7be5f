#!/usr/bin/env bats
# zccp-test: per-engine
# Streams: stdin and FIFOs as the source; FIFOs and stdout as
# destinations; a slow destination must not hold back a fast one.

load helpers

setup() {
	SIZE=$((3 * 1024 * 1024 + 4097))
	make_file "$T/src" "$SIZE"
	export T
}

# zccp_sh SCRIPT: run SCRIPT with bash (pipefail) through bats' run; the
# script calls zccp as "$ZCCP" -e "$ZCCP_ENGINE" and finds files in $T.
zccp_sh() {
	run_sh "$1"
	zccp_log "$1"
}

@test "stdin pipe source: cat src | zccp - d1 d2" {
	zccp_sh 'cat "$T/src" | "$ZCCP" -e "$ZCCP_ENGINE" - "$T/d1" "$T/d2"'
	assert_success
	assert_same "$T/src" "$T/d1" "$T/d2"
	assert_dir_holds "$T" src d1 d2
}

@test "stdin pipe source written in small pieces" {
	# dd with a small obs and a pipe: many short reads for zccp.
	zccp_sh 'dd if="$T/src" bs=1000 status=none | "$ZCCP" -e "$ZCCP_ENGINE" -B 64K - "$T/d1" "$T/d2"'
	assert_success
	assert_same "$T/src" "$T/d1" "$T/d2"
}

@test "empty stdin pipe: empty destinations" {
	: >"$T/empty"
	make_old "$T/d2"
	zccp_sh 'true | "$ZCCP" -e "$ZCCP_ENGINE" - "$T/d1" "$T/d2"'
	assert_success
	assert_same "$T/empty" "$T/d1" "$T/d2"
}

@test "stdin redirected from a regular file" {
	zccp_sh '"$ZCCP" -e "$ZCCP_ENGINE" - "$T/d1" "$T/d2" <"$T/src"'
	assert_success
	assert_same "$T/src" "$T/d1" "$T/d2"
}

@test "stdin redirected from a regular file, already partly read" {
	# The copy starts at stdin's position, as cat would.
	tail -c +1001 "$T/src" >"$T/rest"
	zccp_sh '{ head -c 1000 >/dev/null; "$ZCCP" -e "$ZCCP_ENGINE" - "$T/d1"; } <"$T/src"'
	assert_success
	assert_same "$T/rest" "$T/d1"
}

@test "FIFO source" {
	local writer
	mkfifo "$T/fifo"
	start_bg writer cp "$T/src" "$T/fifo"
	zccp "$T/fifo" "$T/d1" "$T/d2"
	assert_success
	wait "$writer" || fail "the writer failed"
	assert_same "$T/src" "$T/d1" "$T/d2"
}

@test "FIFO destinations, read by cat" {
	local r1 r2
	mkfifo "$T/f1" "$T/f2"
	start_bg r1 sh -c 'exec cat "$1" >"$2"' _ "$T/f1" "$T/out1"
	start_bg r2 sh -c 'exec cat "$1" >"$2"' _ "$T/f2" "$T/out2"
	zccp "$T/src" "$T/f1" "$T/d3" "$T/f2"
	assert_success
	wait "$r1" || fail "reader 1 failed"
	wait "$r2" || fail "reader 2 failed"
	assert_same "$T/src" "$T/out1" "$T/out2" "$T/d3"
	[[ -p $T/f1 && -p $T/f2 ]] || fail "a FIFO was replaced"
}

@test "a FIFO destination whose reader stops early fails alone (EPIPE)" {
	local r
	mkfifo "$T/f"
	start_bg r sh -c 'exec head -c 1000 "$1" >"$2"' _ "$T/f" "$T/out"
	zccp "$T/src" "$T/f" "$T/d2"
	assert_status 1
	assert_stderr_count 1 "$T/f: "
	assert_stderr_matches "$T/f: .*Broken pipe"
	assert_same "$T/src" "$T/d2"
	wait "$r" || true
	assert_prefix_same "$T/src" "$T/out" 1000
}

@test "stdout as a pipe: zccp src - d2 | cat" {
	zccp_sh '"$ZCCP" -e "$ZCCP_ENGINE" "$T/src" - "$T/d2" | cat >"$T/out"'
	assert_success
	assert_same "$T/src" "$T/out" "$T/d2"
	assert_dir_holds "$T" src out d2
}

@test "stdout as a pipe read slowly in small pieces" {
	zccp_sh '"$ZCCP" -e "$ZCCP_ENGINE" -B 64K "$T/src" - "$T/d2" | dd bs=777 status=none >"$T/out"'
	assert_success
	assert_same "$T/src" "$T/out" "$T/d2"
}

@test "stdout redirected to a file" {
	zccp_sh '"$ZCCP" -e "$ZCCP_ENGINE" "$T/src" - "$T/d2" >"$T/out"'
	assert_success
	assert_same "$T/src" "$T/out" "$T/d2"
}

@test "stdout redirected to a file in append mode" {
	printf 'header\n' >"$T/out"
	{ printf 'header\n'; cat "$T/src"; } >"$T/expected"
	zccp_sh '"$ZCCP" -e "$ZCCP_ENGINE" "$T/src" - >>"$T/out"'
	assert_success
	assert_same "$T/expected" "$T/out"
}

@test "stdout to /dev/null" {
	zccp_sh '"$ZCCP" -e "$ZCCP_ENGINE" "$T/src" - "$T/d2" >/dev/null'
	assert_success
	assert_same "$T/src" "$T/d2"
}

@test "stdin to stdout: cat src | zccp - - d2 | cat" {
	zccp_sh 'cat "$T/src" | "$ZCCP" -e "$ZCCP_ENGINE" - - "$T/d2" | cat >"$T/out"'
	assert_success
	assert_same "$T/src" "$T/out" "$T/d2"
}

@test "a slow FIFO destination does not hold back a fast file destination" {
	local reader copier
	make_file "$T/src4" 4M
	mkfifo "$T/slow"
	# 4 MiB at 1 MiB/s: about 4 s for the slow one.  The ring
	# (-B 1M -Q 8 = 8 MiB) holds the whole source, so the lag window
	# lets the file destination finish long before.
	start_bg reader "$SLOW_READER" "$T/slow" "$T/slow.out" 1M
	start_bg copier "$ZCCP" -e "$ZCCP_ENGINE" -B 1M -Q 8 \
		"$T/src4" "$T/slow" "$T/fast" 2>"$T/stderr"
	fast_done() { [[ -f $T/fast && $(stat -c %s "$T/fast") -eq $((4 << 20)) ]]; }
	wait_for 20 fast_done || fail "the fast destination never completed"
	# Right then, the slow reader has had at most half of the data
	# (it gets about 1 MiB/s; the fast file needs well under 1 s).
	local slow_got
	slow_got=$(stat -c %s "$T/slow.out" 2>/dev/null || echo 0)
	[[ $slow_got -le $((2 << 20)) ]] ||
		fail "the fast destination completed only when the slow one had $slow_got bytes"
	running "$reader" || fail "the slow reader ended before the fast destination completed"
	assert_same "$T/src4" "$T/fast"
	local rc=0
	wait "$copier" || rc=$?
	cat "$T/stderr" >&2
	[[ $rc -eq 0 ]] || fail "zccp exited $rc"
	wait "$reader" || fail "slow_reader failed"
	assert_same "$T/src4" "$T/slow.out" "$T/fast"
}

@test "--lag bounds how far a fast destination leads a slow one" {
	local reader copier fast slow
	make_file "$T/src4" 4M
	mkfifo "$T/slow"
	# The ring (64 x 64K) holds the whole source: only --lag keeps the
	# file (--inplace, so its size shows its progress) near the FIFO,
	# which takes 256 KiB/s.
	start_bg reader "$SLOW_READER" "$T/slow" "$T/slow.out" 256K
	start_bg copier "$ZCCP" -e "$ZCCP_ENGINE" -B 64K -Q 64 --lag=128K \
		--inplace "$T/src4" "$T/slow" "$T/fast" 2>"$T/stderr"
	sleep 1.5
	fast=$(stat -c %s "$T/fast" 2>/dev/null || echo 0)
	slow=$(stat -c %s "$T/slow.out" 2>/dev/null || echo 0)
	running "$copier" || fail "zccp ended early: $(cat "$T/stderr")"
	[[ $fast -gt 0 ]] || fail "nothing reached the fast destination"
	# The FIFO may buffer up to 1 MiB (fs.pipe-max-size) beyond what
	# the reader has; then the lag and a chunk in flight.
	((fast <= slow + (1 << 20) + 2 * 131072)) ||
		fail "the fast destination is at $fast bytes, the slow reader at $slow: more than --lag=128K ahead"
}

@test "an empty source to a FIFO, stdout and a file" {
	local r
	: >"$T/empty"
	mkfifo "$T/f"
	start_bg r sh -c 'exec cat "$1" >"$2"' _ "$T/f" "$T/out1"
	zccp_sh '"$ZCCP" -e "$ZCCP_ENGINE" "$T/empty" "$T/f" - "$T/d3" | cat >"$T/out2"'
	assert_success
	wait "$r" || fail "the FIFO reader failed"
	assert_same "$T/empty" "$T/out1" "$T/out2" "$T/d3"
}

@test "--fsync with a FIFO, stdout (a pipe) and a file" {
	local r
	mkfifo "$T/f"
	start_bg r sh -c 'exec cat "$1" >"$2"' _ "$T/f" "$T/out1"
	zccp_sh '"$ZCCP" -e "$ZCCP_ENGINE" --fsync "$T/src" "$T/f" - "$T/d3" | cat >"$T/out2"'
	assert_success
	wait "$r" || fail "the FIFO reader failed"
	assert_same "$T/src" "$T/out1" "$T/out2" "$T/d3"
}
