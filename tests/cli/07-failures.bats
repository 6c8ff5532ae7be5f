#!/usr/bin/env bats
# zccp-test: per-engine
# Failures during the copy: a full file system under one destination,
# SIGINT and SIGTERM mid-copy.  Old destinations must survive intact
# and no temporary may be left behind.

load helpers

MiB=$((1 << 20))

@test "ENOSPC on one destination: it fails alone, the others complete" {
	requires root mount
	mount_tmpfs "$T/small" 1m
	make_old "$T/small/full"
	make_file "$T/src" $((4 * MiB))
	zccp "$T/src" "$T/ok1" "$T/small/full" "$T/ok3"
	assert_status 1
	assert_stderr_count 1 'small/full'
	assert_stderr_matches "^zccp: cannot write the temporary in '.*/small' that would replace '.*/small/full': No space left on device"
	assert_stderr_not_matches 'ok[13]'
	assert_same "$T/src" "$T/ok1" "$T/ok3"
	# The old file is intact and no temporary is left in the small
	# file system (nor any space held by one).
	assert_same "$T/small/full.orig" "$T/small/full"
	assert_dir_holds "$T/small" full full.orig
	[[ $(df --output=used -B1 "$T/small" | tail -n1) -le 65536 ]] ||
		fail "$T/small still has $(df --output=used -B1 "$T/small" | tail -n1) bytes used"
}

@test "ENOSPC on a new destination: it is not created" {
	requires root mount
	mount_tmpfs "$T/small" 1m
	make_file "$T/src" $((3 * MiB + 1))
	zccp "$T/src" "$T/small/new" "$T/ok2"
	assert_status 1
	assert_stderr_count 1 'small/new'
	assert_same "$T/src" "$T/ok2"
	assert_dir_holds "$T/small"
}

@test "ENOSPC with a stdin pipe source: the others complete" {
	requires root mount
	mount_tmpfs "$T/small" 1m
	make_file "$T/src" $((4 * MiB))
	run_sh \
		'cat "$3" | "$1" -e "$2" - "$4" "$5"' \
		"$ZCCP" "$ZCCP_ENGINE" "$T/src" "$T/small/new" "$T/ok2"
	zccp_log "cat src | zccp - small/new ok2"
	assert_status 1
	assert_stderr_count 1 'small/new'
	assert_same "$T/src" "$T/ok2"
	assert_dir_holds "$T/small"
}

@test "ENOSPC with --on-error=abort: everything stops, nothing half-written" {
	requires root mount
	mount_tmpfs "$T/small" 1m
	make_old "$T/small/full"
	make_file "$T/src" $((4 * MiB))
	zccp --on-error=abort "$T/src" "$T/small/full" "$T/d2"
	[[ $status -eq 1 || $status -eq 2 ]] || fail "exit status $status, expected 1 or 2"
	assert_stderr_matches "^zccp: cannot write the temporary in '.*/small' that would replace '.*/small/full': No space left on device"
	assert_same "$T/small/full.orig" "$T/small/full"
	assert_dir_holds "$T/small" full full.orig
	# d2 either completed before the failure or does not exist.
	if [[ -e $T/d2 ]]; then
		assert_same "$T/src" "$T/d2"
	fi
	assert_dir_holds "$T" src small $(cd "$T" && ls d2 2>/dev/null)
}

# start_interrupted_copy: zccp reading stdin from a pipe that a
# producer feeds 1 MiB and then holds open ({ head -c 1M; sleep; } |),
# with existing destinations old1 and old2 and a new one, new3.
# Returns once the producer has written its 1 MiB, i.e. zccp has read
# all but a pipe buffer of it; sets COPIER (zccp's pid).
start_interrupted_copy() {
	make_old "$T/out/old1" "$T/out/old2"
	mv "$T"/out/*.orig "$T/"
	# <(...) is an anonymous pipe, named /dev/fd/N for sh to open.
	start_bg COPIER sh -c 'exec <"$1" 2>"$2"; shift 2; exec "$@"' \
		_ <(head -c 1048576 /dev/urandom
			echo $BASHPID >"$T/started"
			exec sleep 60) \
		"$T/stderr" "$ZCCP" -e "$ZCCP_ENGINE" -B 64K \
		- "$T/out/old1" "$T/out/old2" "$T/out/new3"
	wait_for 20 test -s "$T/started" || fail "the producer never got its data into zccp"
	on_teardown kill "$(cat "$T/started")"
	# The copy started: zccp holds files open in out/ (temporaries,
	# named or O_TMPFILE) ...
	wait_for 10 fds_in "$COPIER" "$T/out" 3 ||
		fail "zccp has not opened its 3 destinations' files"
	sleep 0.2
	running "$COPIER" || fail "zccp ended before the signal"
	# ... and, incomplete, has not touched the destinations.
	assert_same "$T/old1.orig" "$T/out/old1"
	assert_same "$T/old2.orig" "$T/out/old2"
	assert_absent "$T/out/new3"
}

# fds_in PID DIR N: PID has at least N descriptors on files in DIR.
fds_in() {
	local fd n=0 target
	for fd in /proc/"$1"/fd/*; do
		target=$(readlink "$fd" 2>/dev/null) || continue
		[[ $target == "$2"/* ]] && n=$((n + 1))
	done
	((n >= $3))
}

# assert_interrupted SIGNAL: zccp died of SIGNAL, old destinations are
# intact, the new one does not exist, no temporary anywhere.
assert_interrupted() {
	local rc=0 want=$((128 + $(kill -l "$1")))
	kill -s "$1" "$COPIER"
	wait_for 10 eval '! running "$COPIER"' || fail "zccp still runs 10 s after SIG$1"
	wait "$COPIER" || rc=$?
	cat "$T/stderr" >&2
	[[ $rc -eq $want ]] || fail "zccp exit status $rc, expected $want (death by SIG$1)"
	assert_same "$T/old1.orig" "$T/out/old1"
	assert_same "$T/old2.orig" "$T/out/old2"
	assert_dir_holds "$T/out" old1 old2
}

@test "SIGINT mid-copy: status 130, old destinations intact, no temporaries" {
	mkdir "$T/out"
	start_interrupted_copy
	assert_interrupted INT
}

@test "SIGTERM mid-copy: status 143, old destinations intact, no temporaries" {
	mkdir "$T/out"
	start_interrupted_copy
	assert_interrupted TERM
}

@test "SIGTERM as zccp finishes: it still ends promptly, 0 or 143, nothing partial" {
	# The signal lands after the destinations are in place, while zccp
	# frees and exits (the sanitizer build's leak check makes that
	# window wide): the handler must not touch freed endpoints.
	local i pid rc
	make_file "$T/src" $((4 * MiB))
	mkdir "$T/out"
	for ((i = 0; i < 10; i++)); do
		rm -f "$T/out/d1" "$T/out/d2"
		start_bg pid "$ZCCP" -e "$ZCCP_ENGINE" "$T/src" "$T/out/d1" "$T/out/d2" 2>"$T/stderr"
		wait_for 20 test -e "$T/out/d2" -o ! -e "/proc/$pid" || true
		kill -TERM "$pid" 2>/dev/null || true
		wait_for 10 eval '! running "$pid"' ||
			fail "try $i: zccp still runs 10 s after SIGTERM (deadlocked in its handler?)"
		rc=0
		wait "$pid" || rc=$?
		cat "$T/stderr" >&2
		[[ $rc -eq 0 || $rc -eq 143 ]] || fail "try $i: exit status $rc, expected 0 or 143"
		if [[ -e $T/out/d1 || -e $T/out/d2 ]]; then
			assert_same "$T/src" "$T/out/d1" "$T/out/d2"
		fi
		assert_dir_holds "$T/out" $(cd "$T/out" && ls d1 d2 2>/dev/null)
	done
}

# slow_copy_killed SIGNAL READY OPTION...: zccp OPTION... copies $T/src
# (8 MiB) to a FIFO read at 256 KiB/s (it cannot end within 32 s),
# $T/out/old1 and $T/out/new2; once the command READY succeeds, SIGNAL:
# zccp must die of it.
slow_copy_killed() {
	local sig=$1 ready=$2 reader copier rc=0
	shift 2
	mkfifo "$T/slow"
	start_bg reader "$SLOW_READER" "$T/slow" /dev/null 256K
	start_bg copier sh -c 'exec 2>"$1"; shift; exec "$@"' _ "$T/stderr" \
		"$ZCCP" -e "$ZCCP_ENGINE" -B 64K -Q 2 "$@" "$T/src" "$T/slow" \
		"$T/out/old1" "$T/out/new2"
	wait_for 10 eval "$ready" || fail "not ready ($ready): $(cat "$T/stderr")"
	running "$copier" || fail "zccp ended before the signal"
	kill -s "$sig" "$copier"
	wait_for 10 eval '! running "$copier"' || fail "zccp still runs 10 s after SIG$sig"
	wait "$copier" || rc=$?
	cat "$T/stderr" >&2
	((rc == 128 + $(kill -l "$sig"))) || fail "zccp exit status $rc: not killed by SIG$sig"
}

@test "SIGINT mid-copy of a regular file to a slow FIFO: status 130, nothing replaced" {
	mkdir "$T/out"
	make_file "$T/src" $((8 * MiB))
	make_old "$T/out/old1"
	mv "$T/out/old1.orig" "$T/"
	slow_copy_killed INT 'sleep 0.5'
	assert_same "$T/old1.orig" "$T/out/old1"
	assert_dir_holds "$T/out" old1
}

@test "--inplace and SIGTERM mid-copy: a new file it made is removed, an existing one stays as written" {
	mkdir "$T/out"
	make_file "$T/src" $((8 * MiB))
	make_old "$T/out/old1"
	slow_copy_killed TERM 'test -s "$T/out/new2"' --inplace
	assert_dir_holds "$T/out" old1 old1.orig
	# written in place from the start, as zccp.1 says: part of the copy
	local got
	got=$(stat -c %s "$T/out/old1")
	((got > 0 && got < 8 * MiB)) || fail "old1 holds $got bytes"
}

# zccp_closing FD ARGS...: zccp ARGS with descriptor FD closed (bats' run
# would otherwise hand it a pipe of its own for stdout).
zccp_closing() {
	local fd=$1
	shift
	run --separate-stderr timeout -k 5 "$ZCCP_TIMEOUT" bash -c \
		'fd=$1; shift; exec {fd}>&-; exec "$@"' _ "$fd" \
		"$ZCCP" -e "$ZCCP_ENGINE" "$@"
	zccp_log "zccp -e $ZCCP_ENGINE $* (fd $fd closed)"
}

@test "a closed stdout named as a destination fails alone (EBADF), as cat does" {
	make_file "$T/src" $((MiB + 4097))
	zccp_closing 1 "$T/src" - "$T/ok"
	assert_status 1
	assert_stderr_matches '^zccp: standard output: Bad file descriptor$'
	assert_same "$T/src" "$T/ok"
}

@test "--checksum with stdout closed: the line cannot be printed, exit 1" {
	make_file "$T/src" 4095
	zccp_closing 1 --checksum "$T/src" "$T/ok"
	assert_status 1
	assert_stderr_matches '^zccp: standard output: write error'
	assert_same "$T/src" "$T/ok"
}

@test "a closed stdin as the source: refused (EBADF), nothing created" {
	zccp_closing 0 - "$T/new"
	assert_status 2
	assert_stderr_matches '^zccp: standard input: Bad file descriptor$'
	[[ ! -e $T/new ]] || fail "$T/new was created"
}

@test "ulimit -f: the file past the limit fails alone (EFBIG), a FIFO destination completes" {
	make_file "$T/src" $((4 * MiB + 1))
	make_old "$T/big"
	mkfifo "$T/fifo"
	# the reader is not under the limit: only zccp is
	start_bg reader bash -c 'cat "$1" >"$2"' _ "$T/fifo" "$T/piped"
	run --separate-stderr timeout -k 5 "$ZCCP_TIMEOUT" bash -c \
		'ulimit -f 2048; exec "$@"' _ "$ZCCP" -e "$ZCCP_ENGINE" \
		"$T/src" "$T/big" "$T/fifo"
	zccp_log "zccp -e $ZCCP_ENGINE (ulimit -f 2048) src big fifo"
	wait "$reader"
	assert_status 1
	assert_stderr_matches '^zccp: .*/big: File too large$'
	assert_same "$T/src" "$T/piped"
	assert_same "$T/big.orig" "$T/big"
}

@test "--on-error=abort: a destination that fails at the last step (append-only) publishes none" {
	requires root
	make_file "$T/src" $((MiB + 4097))
	make_old "$T/d1" "$T/locked" "$T/d4"
	chattr +a "$T/locked" || skip "chattr +a is not supported under $T"
	on_teardown chattr -a "$T/locked"
	zccp --on-error=abort "$T/src" "$T/d1" "$T/new2" "$T/locked" "$T/d4"
	assert_status 1
	assert_stderr_matches '^zccp: .*/locked: Operation not permitted$'
	# the ones put in place before it are back as they were
	assert_same "$T/d1.orig" "$T/d1"
	assert_same "$T/locked.orig" "$T/locked"
	assert_same "$T/d4.orig" "$T/d4"
	assert_dir_holds "$T" src d1 d1.orig locked locked.orig d4 d4.orig
}

@test "--on-error=abort: every destination put in place when all succeed, old contents gone" {
	make_file "$T/src" $((MiB + 4097))
	make_old "$T/d1" "$T/d3"
	zccp --on-error=abort "$T/src" "$T/d1" "$T/new2" "$T/d3"
	assert_success
	assert_same "$T/src" "$T/d1" "$T/new2" "$T/d3"
	assert_dir_holds "$T" src d1 d1.orig new2 d3 d3.orig
}

@test "a file we may write in a directory we may not: the temporary is named, the old file stays, --inplace writes it" {
	requires nobody
	make_world_dir
	local dir=$WORLD_DIR
	make_file "$dir/src" 4097
	mkdir "$dir/ro"
	make_old "$dir/ro/d"
	chown 65534:65534 "$dir/ro/d"
	chmod 0555 "$dir/ro"
	as_nobody "$dir/src" "$dir/ro/d"
	assert_status 1
	assert_stderr_matches "^zccp: cannot make a temporary in '$dir/ro' to replace '$dir/ro/d': Permission denied \(--inplace writes it in place\)$"
	assert_same "$dir/ro/d.orig" "$dir/ro/d"
	as_nobody --inplace "$dir/src" "$dir/ro/d"
	assert_success
	assert_same "$dir/src" "$dir/ro/d"
	assert_dir_holds "$dir/ro" d d.orig
}

@test "-r: a small file's temporary that cannot be made is named the same way" {
	requires nobody
	make_world_dir
	local dir=$WORLD_DIR
	mkdir -p "$dir/tree" "$dir/out/tree"
	make_file "$dir/tree/f" 4097
	make_file "$dir/tree/new" 100
	make_old "$dir/out/tree/f"
	chown 65534:65534 "$dir/out/tree/f"
	chmod 0555 "$dir/out/tree"
	as_nobody -r "$dir/tree" "$dir/out/"
	assert_status 1
	assert_stderr_matches "^zccp: cannot make a temporary in '$dir/out/tree' to replace '$dir/out/tree/f': Permission denied \(--inplace writes it in place\)$"
	assert_stderr_matches "^zccp: cannot create regular file '$dir/out/tree/new': Permission denied$"
	assert_same "$dir/out/tree/f.orig" "$dir/out/tree/f"
	assert_dir_holds "$dir/out/tree" f f.orig
}

# small_tmpfs DIR MiB: a tmpfs of that size at DIR, unmounted in teardown.
small_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=${2}m" zccp-test "$1" || fail "mount tmpfs"
	on_teardown umount -l "$1"
}

@test "replacing needs room for two copies: said, the old file stays, --inplace needs room for one" {
	requires root mount
	small_tmpfs "$T/fs" 8
	make_file "$T/src" $((5 * MiB + 1))
	make_file "$T/fs/d" $((5 * MiB))
	cp "$T/fs/d" "$T/d.orig"
	zccp "$T/src" "$T/fs/d"
	assert_status 1
	assert_stderr_matches "^zccp: cannot write the temporary in '$T/fs' that would replace '$T/fs/d': No space left on device \(the old file keeps its room until then; --inplace writes it in place\)$"
	assert_same "$T/d.orig" "$T/fs/d"
	assert_dir_holds "$T/fs" d
	zccp --inplace "$T/src" "$T/fs/d"
	assert_success
	assert_same "$T/src" "$T/fs/d"
}

@test "-r: a small file's replacement out of room says so the same way" {
	requires root mount
	small_tmpfs "$T/fs" 4
	mkdir "$T/tree" "$T/fs/tree"
	make_file "$T/tree/f" $((3 * MiB))
	make_file "$T/fs/tree/f" $((3 * MiB - 1))
	cp "$T/fs/tree/f" "$T/f.orig"
	zccp -r "$T/tree" "$T/fs/"
	assert_status 1
	assert_stderr_matches "^zccp: cannot write the temporary in '$T/fs/tree' that would replace '$T/fs/tree/f': No space left on device \(the old file keeps its room until then; --inplace writes it in place\)$"
	assert_same "$T/f.orig" "$T/fs/tree/f"
	assert_dir_holds "$T/fs/tree" f
}

@test "a replaced file's other hard links keep the old content; --inplace writes through them" {
	make_file "$T/src" 4097
	make_old "$T/d"
	ln "$T/d" "$T/other"
	zccp "$T/src" "$T/d"
	assert_success
	assert_same "$T/src" "$T/d"
	assert_same "$T/d.orig" "$T/other"
	[[ $(stat -c %h "$T/other") -eq 1 ]] || fail "other still has $(stat -c %h "$T/other") links"
	ln -f "$T/other" "$T/d"
	zccp --inplace "$T/src" "$T/d"
	assert_success
	assert_same "$T/src" "$T/d" "$T/other"
	[[ $(stat -c %i "$T/d") == $(stat -c %i "$T/other") ]] || fail "d and other are no longer one file"
}
