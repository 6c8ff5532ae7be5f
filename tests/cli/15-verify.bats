#!/usr/bin/env bats
# zccp-test: per-engine
# --verify: every file and block device is read back (O_DIRECT where the
# file system has it) and its digest compared with the source's before
# it replaces anything.  Corruption is made from outside: zccp stops
# before reading back (ZCCP_TEST_VERIFY_PAUSE, a FIFO), the test flips a
# byte of what zccp wrote, then lets it go on.

load helpers

setup() {
	make_file "$T/src" $((2 * 1024 * 1024 + 4097))
}

# flip_byte FILE OFFSET: invert one byte in place, and make it durable
# (O_DIRECT reads what the device holds).
flip_byte() {
	perl -e 'open(my $f, "+<", $ARGV[0]) or die "$ARGV[0]: $!";
		binmode $f; seek($f, $ARGV[1], 0); read($f, my $c, 1) == 1
		or die "$ARGV[0]: nothing at $ARGV[1]"; seek($f, $ARGV[1], 0);
		print $f chr(ord($c) ^ 0xff); close($f) or die' "$1" "$2" ||
		fail "could not flip byte $2 of $1"
	sync -- "$1"
}

# temporary_of PID N: zccp PID's Nth temporary in $T (in the order the
# destinations were given): O_TMPFILE ones have no name until they are
# renamed into place, so through /proc; a named one (no O_TMPFILE) too.
temporary_of() {
	local fd n=0 target
	for fd in $(ls /proc/"$1"/fd | sort -n); do
		target=$(readlink "/proc/$1/fd/$fd") || continue
		if [[ $target == "$T"/\#*' (deleted)' || $target == "$T"/.*.zccp-* ]]; then
			n=$((n + 1))
			((n == $2)) && { echo "/proc/$1/fd/$fd"; return 0; }
		fi
	done
	return 1
}

# verify_with_corruption TARGET ARGS...: zccp --verify ARGS, paused
# before its read-back while byte 1000 of TARGET is flipped: a path, or
# "temporary N" for zccp's Nth temporary; sets status and stderr.
verify_with_corruption() {
	local target=$1 pid file
	shift
	mkfifo "$T/pause"
	start_bg pid ZCCP_TEST_VERIFY_PAUSE="$T/pause" \
		"$ZCCP" -e "$ZCCP_ENGINE" --verify "$@" 2>"$T/stderr"
	timeout 30 cat "$T/pause" >/dev/null ||
		fail "zccp never reached its read-back"
	file=$target
	if [[ $target == "temporary "* ]]; then
		file=$(temporary_of "$pid" "${target#temporary }") ||
			fail "zccp holds no $target in $T"
	fi
	[[ -e $file ]] || fail "nothing to corrupt: $target"
	flip_byte "$file" 1000
	timeout 30 sh -c ': >"$1"' sh "$T/pause" || fail "zccp did not wait"
	status=0
	wait "$pid" || status=$?
	mapfile -t stderr_lines <"$T/stderr"
	stderr=$(cat "$T/stderr")
	zccp_log "zccp --verify $* (byte 1000 of $target flipped)"
}

@test "--verify: odd sizes read back identical, old files replaced" {
	local size
	for size in 0 1 4095 4097 $((64 * 1024 - 1)) $((64 * 1024 + 1)); do
		make_file "$T/s$size" "$size"
		make_old "$T/a$size"
		zccp -B 64K --verify -vv "$T/s$size" "$T/a$size" "$T/b$size"
		assert_success
		assert_same "$T/s$size" "$T/a$size" "$T/b$size"
		assert_stderr_count 2 "^zccp: $T/[ab]$size: verified: read back with O_DIRECT$"
	done
}

@test "--verify: a corrupted copy fails alone, its old file intact, no temporary left" {
	make_old "$T/d1"
	verify_with_corruption "temporary 1" "$T/src" "$T/d1" "$T/d2"
	assert_status 1
	assert_stderr_matches "^zccp: $T/d1: read back differs from the source \(--verify\)$"
	assert_stderr_line_count 1
	assert_same "$T/d1.orig" "$T/d1"
	assert_same "$T/src" "$T/d2"
	assert_dir_holds "$T" src d1 d1.orig d2 pause stderr
}

@test "--verify --on-error=abort: one bad read-back and nothing is replaced" {
	make_old "$T/d1" "$T/d2"
	verify_with_corruption "temporary 2" --on-error=abort "$T/src" "$T/d1" "$T/d2"
	assert_status 1
	assert_stderr_matches "^zccp: $T/d2: read back differs from the source \(--verify\)$"
	assert_same "$T/d1.orig" "$T/d1"
	assert_same "$T/d2.orig" "$T/d2"
	assert_dir_holds "$T" src d1 d1.orig d2 d2.orig pause stderr
}

@test "--verify --inplace: the corruption is found in the destination itself" {
	verify_with_corruption "$T/d1" --inplace "$T/src" "$T/d1"
	assert_status 1
	assert_stderr_matches "^zccp: $T/d1: read back differs from the source \(--verify\)$"
}

@test "--verify on a block device: read back from the device" {
	requires root loopdev
	new_loop $((4 * 1024 * 1024))
	zccp --verify -vv "$T/src" "$LOOPDEV"
	assert_success
	assert_stderr_matches "^zccp: $LOOPDEV: verified: read back with O_DIRECT$"
	assert_prefix_same "$T/src" "$LOOPDEV" "$(stat -c %s "$T/src")"
	verify_with_corruption "$LOOPDEV" "$T/src" "$LOOPDEV"
	assert_status 1
	assert_stderr_matches "^zccp: $LOOPDEV: read back differs from the source \(--verify\)$"
}

@test "--verify: streams and character devices cannot be read back; -v says so" {
	run_sh '"$ZCCP" -e "$ZCCP_ENGINE" -vv --verify "$1" - "$2" /dev/null | cat >"$3"' \
		"$T/src" "$T/d1" "$T/out"
	zccp_log "zccp -vv --verify src - d1 /dev/null | cat"
	assert_success
	assert_same "$T/src" "$T/d1" "$T/out"
	assert_stderr_matches "^zccp: $T/d1: verified: read back with O_DIRECT$"
	assert_stderr_matches "^zccp: -: not verified: a pipe cannot be read back$"
	assert_stderr_matches "^zccp: /dev/null: not verified: a character device cannot be read back$"
}

@test "--verify --checksum: one digest, printed as sha256sum does" {
	zccp --verify --checksum "$T/src" "$T/d1"
	assert_success
	[[ $output == "$(sha256sum "$T/src")" ]] ||
		fail "got '$output', sha256sum says '$(sha256sum "$T/src")'"
	assert_same "$T/src" "$T/d1"
}

@test "--verify of a pipe source: what came through is what was read back" {
	run_sh 'cat "$1" | "$ZCCP" -e "$ZCCP_ENGINE" --verify - "$2" "$3"' \
		"$T/src" "$T/d1" "$T/d2"
	zccp_log "cat src | zccp --verify - d1 d2"
	assert_success
	assert_same "$T/src" "$T/d1" "$T/d2"
}

@test "--verify with 400 destinations under a limit of 1024 descriptors" {
	make_file "$T/small" 4097
	mkdir "$T/many"
	local dests=() i
	for ((i = 0; i < 400; i++)); do dests+=("$T/many/d$i"); done
	run --separate-stderr prlimit --nofile=1024:1024 "$ZCCP" -e "$ZCCP_ENGINE" \
		--verify --direct=always "$T/small" "${dests[@]}"
	zccp_log "prlimit --nofile=1024:1024 zccp --verify --direct=always small d0..d399"
	assert_success
	for ((i = 0; i < 400; i += 57)); do assert_same "$T/small" "$T/many/d$i"; done
	assert_same "$T/small" "$T/many/d399"
}
