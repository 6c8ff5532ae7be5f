# SPDX-License-Identifier: MIT
# Shared by every tests/cli/*.bats (`load helpers`), after runc's
# tests/integration/helpers.bash.
#
# Environment (set by tests/CMakeLists.txt):
#   ZCCP          the zccp binary under test (plain or -asan build)
#   ZCCP_ENGINE   auto or an engine (src/engine.c): what `zccp` passes to -e
#   ZCCP_HELPERS  directory holding the no_uring and slow_reader helpers
# setup_suite.bash fails the whole run loudly when these are unusable,
# and exports ZCCP_ENGINE_LIST: the engines `zccp --version` says this
# kernel runs.

bats_require_minimum_version 1.5.0

ZCCP_ENGINE=${ZCCP_ENGINE:-auto}
ZCCP_SOURCE_DIR=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
read -ra ZCCP_ENGINE_NAMES <<<"${ZCCP_ENGINE_LIST:-}"
# "(uring|splice|aio|rw)": any of them, in a regular expression.
ZCCP_ENGINE_RE="($(IFS='|'; echo "${ZCCP_ENGINE_NAMES[*]}"))"
NO_URING="$ZCCP_HELPERS/no_uring"
SLOW_READER="$ZCCP_HELPERS/slow_reader"
FAULTFS="$ZCCP_HELPERS/faultfs"
# Working directory of a test: on disk (/tmp), removed by bats.  Not
# BATS_TEST_TMPDIR itself, where `run --separate-stderr` keeps a file.
T=$BATS_TEST_TMPDIR/work
mkdir -p "$T"
# A hung zccp fails its test (status 124) instead of hanging the run;
# bats' own timeout is the last resort (it reports no test result).
ZCCP_TIMEOUT=${ZCCP_TIMEOUT:-120}
: "${BATS_TEST_TIMEOUT:=300}"

# ---------------------------------------------------------------------
# Running zccp

# zccp ARGS...: run "$ZCCP" -e "$ZCCP_ENGINE" ARGS through bats' run.
# Sets $status, $output and $lines (stdout), $stderr and $stderr_lines.
# Status and output are echoed to the test's log, which bats shows only
# when the test fails.
zccp() {
	run --separate-stderr timeout -k 5 "$ZCCP_TIMEOUT" "$ZCCP" -e "$ZCCP_ENGINE" "$@"
	zccp_log "zccp -e $ZCCP_ENGINE $*"
}

# zccp_plain ARGS...: the same without -e (option parsing, engine choice).
zccp_plain() {
	run --separate-stderr timeout -k 5 "$ZCCP_TIMEOUT" "$ZCCP" "$@"
	zccp_log "zccp $*"
}

# zccp_under WRAPPER... -- ARGS...: the same with "$ZCCP" run through a
# wrapper command (no_uring, setpriv ...); no -e is added.
zccp_under() {
	local wrapper=()
	while [[ $# -gt 0 && $1 != -- ]]; do
		wrapper+=("$1")
		shift
	done
	[[ $# -gt 0 ]] || fail "zccp_under: missing --"
	shift
	run --separate-stderr timeout -k 5 "$ZCCP_TIMEOUT" "${wrapper[@]}" "$ZCCP" "$@"
	zccp_log "${wrapper[*]} zccp $*"
}

# run_sh SCRIPT [ARG...]: bats' run of bash -c SCRIPT (pipefail, the
# same time limit), for pipes and redirections around zccp; log it
# with zccp_log.
run_sh() {
	local script=$1
	shift
	run --separate-stderr timeout -k 5 "$ZCCP_TIMEOUT" \
		bash -c "set -o pipefail; $script" _ "$@"
}

zccp_log() {
	{
		echo "\$ $1"
		echo "status=$status$( ((status == 124)) && echo " (timed out after $ZCCP_TIMEOUT s)")"
		echo "--- stdout (${#lines[@]} lines):"
		printf '%s\n' "${output:0:4000}"
		echo "--- stderr (${#stderr_lines[@]} lines):"
		printf '%s\n' "${stderr:0:8000}"
		echo "---"
	} >&2
}

# ---------------------------------------------------------------------
# Assertions (no bats-assert on Debian's bats 1.8.2)

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	return 1
}

assert_status() {
	[[ $status -eq $1 ]] || fail "expected exit status $1, got $status"
}

assert_success() { assert_status 0; }

# assert_stderr_matches ERE: some stderr line matches.
assert_stderr_matches() {
	local line
	for line in "${stderr_lines[@]}"; do
		[[ $line =~ $1 ]] && return 0
	done
	fail "no stderr line matches /$1/"
}

assert_stderr_not_matches() {
	local line
	for line in "${stderr_lines[@]}"; do
		[[ $line =~ $1 ]] && fail "stderr line matches /$1/: $line"
	done
	return 0
}

# assert_stderr_count N ERE: exactly N stderr lines match.
assert_stderr_count() {
	local want=$1 re=$2 line n=0
	for line in "${stderr_lines[@]}"; do
		[[ $line =~ $re ]] && n=$((n + 1))
	done
	[[ $n -eq $want ]] || fail "expected $want stderr line(s) matching /$re/, got $n"
}

# assert_output_line LINE: stdout has exactly this line.
assert_output_line() {
	local line
	for line in "${lines[@]}"; do
		[[ $line == "$1" ]] && return 0
	done
	fail "no stdout line '$1' in: $output"
}

assert_stderr_line_count() {
	[[ ${#stderr_lines[@]} -eq $1 ]] ||
		fail "expected $1 line(s) on stderr, got ${#stderr_lines[@]}"
}

assert_stdout_empty() {
	[[ -z $output ]] || fail "expected nothing on stdout"
}

# Every message is one line "zccp: ..." (docs/contract.md: "zccp: WHAT:
# reason"; usage errors may have no WHAT).
assert_stderr_format() {
	local line
	for line in "${stderr_lines[@]}"; do
		[[ $line =~ ^zccp:\ .+ || $line == "$TRY_HELP" ]] ||
			fail "stderr line does not start with 'zccp: ': $line"
	done
}

# A usage error's last line, as coreutils ends one.
TRY_HELP="Try 'zccp --help' for more information."

# assert_usage_error: exit 2, one message, then $TRY_HELP.
assert_usage_error() {
	assert_status 2
	assert_stderr_line_count 2
	assert_stderr_format
	[[ ${stderr_lines[1]} == "$TRY_HELP" ]] ||
		fail "usage error without '$TRY_HELP': $stderr"
}

# assert_same EXPECTED FILE...: each FILE has exactly EXPECTED's bytes.
assert_same() {
	local want=$1 f
	shift
	[[ $# -gt 0 ]] || fail "assert_same: no file to compare"
	for f; do
		[[ -e $f ]] || fail "$f does not exist"
		cmp -- "$want" "$f" >&2 || fail "$f differs from $want"
	done
}

# assert_same_sparse EXPECTED FILE...: as assert_same, but ranges that
# are holes in both files are not read (cmp needs tens of seconds for
# two 5 GiB sparse files).
assert_same_sparse() {
	local want=$1 f
	shift
	[[ $# -gt 0 ]] || fail "assert_same_sparse: no file to compare"
	for f; do
		[[ -e $f ]] || fail "$f does not exist"
		perl "$BATS_TEST_DIRNAME/sparse-cmp.pl" "$want" "$f" >&2 ||
			fail "$f differs from $want"
	done
}

# assert_prefix_same EXPECTED FILE N: the first N bytes are equal.
assert_prefix_same() {
	cmp -n "$3" -- "$1" "$2" >&2 || fail "first $3 bytes of $2 differ from $1"
}

assert_absent() {
	local f
	for f; do
		[[ ! -e $f && ! -L $f ]] || fail "$f exists, should not"
	done
}

# assert_dir_holds DIR NAME...: DIR holds these names and nothing else,
# hidden names included (a named temporary is a dot-file; an O_TMPFILE
# one has no name, and /proc of a finished zccp no longer holds it).
assert_dir_holds() {
	local dir=$1 got want
	shift
	got=$(cd "$dir" && LC_ALL=C ls -A | LC_ALL=C sort)
	want=
	if [[ $# -gt 0 ]]; then
		want=$(printf '%s\n' "$@" | LC_ALL=C sort)
	fi
	[[ $got == "$want" ]] || {
		echo "in $dir, expected:" >&2
		printf '  %s\n' $want >&2
		echo "found:" >&2
		printf '  %s\n' $got >&2
		fail "$dir holds unexpected names (a temporary left behind?)"
	}
}

assert_size() {
	local got
	got=$(stat -c %s -- "$1")
	[[ $got -eq $2 ]] || fail "$1: size $got, expected $2"
}

# ---------------------------------------------------------------------
# Files

# make_file PATH SIZE: SIZE random bytes (SIZE: bytes or K/M/G).
make_file() {
	local bytes
	bytes=$(to_bytes "$2")
	head -c "$bytes" /dev/urandom >"$1"
	assert_size "$1" "$bytes"
}

# make_old PATH...: a small "old content" file, and PATH.orig a copy of
# it to compare with later.
make_old() {
	local f
	for f; do
		printf 'old content of %s\n' "$f" >"$f"
		cp -- "$f" "$f.orig"
	done
}

# to_bytes 4K -> 4096 (K, M, G: powers of 1024).
to_bytes() {
	local n=${1%[KMGkmg]}
	case $1 in
	*[Kk]) echo $((n << 10)) ;;
	*[Mm]) echo $((n << 20)) ;;
	*[Gg]) echo $((n << 30)) ;;
	*) echo $((n)) ;;
	esac
}

# Bytes the file system really allocated.
allocated_bytes() {
	local blocks unit
	read -r blocks unit < <(stat -c '%b %B' -- "$1")
	echo $((blocks * unit))
}

# write_at FILE OFFSET SIZE: SIZE random bytes at OFFSET, in place.
write_at() {
	head -c "$3" /dev/urandom |
		dd of="$1" bs=64K seek="$2" oflag=seek_bytes conv=notrunc \
			status=none
}

# ---------------------------------------------------------------------
# Environment

# requires TAG...: skip with the reason unless every TAG holds; an
# unknown TAG is a failure (a typo must not turn into a silent skip).
requires() {
	local tag
	for tag; do
		case $tag in
		root)
			[[ $EUID -eq 0 ]] || skip "test requires root"
			;;
		loopdev)
			[[ $EUID -eq 0 && -e /dev/loop-control ]] &&
				command -v losetup >/dev/null ||
				skip "test requires loopdev"
			;;
		mount)
			[[ $EUID -eq 0 ]] && command -v mount >/dev/null ||
				skip "test requires mount"
			;;
		holes)
			# The scratch file system stores holes.
			truncate -s 64M "$T/.holes-probe" &&
				[[ $(allocated_bytes "$T/.holes-probe") -eq 0 ]] ||
				skip "test requires a file system with sparse files under $T"
			rm -f "$T/.holes-probe"
			;;
		seccomp)
			grep -q '^Seccomp:' /proc/self/status ||
				skip "test requires seccomp"
			;;
		fuse)
			# mount_faultfs: root, /dev/fuse, and the helper built
			[[ $EUID -eq 0 && -c /dev/fuse && -x $FAULTFS ]] ||
				skip "test requires fuse (root, /dev/fuse, $FAULTFS)"
			;;
		fish | zsh)
			# a shell whose completion file we ship (scripts/deps)
			command -v "$tag" >/dev/null ||
				skip "test requires $tag (scripts/deps installs it)"
			;;
		nobody)
			# Running zccp as an unprivileged user: as_nobody.
			if [[ $EUID -eq 0 ]]; then
				command -v setpriv >/dev/null ||
					skip "test requires setpriv"
				setpriv --reuid=65534 --regid=65534 --clear-groups \
					test -x "$ZCCP" ||
					skip "test requires $ZCCP executable by uid 65534"
			fi
			;;
		*)
			fail "requires: unknown tag '$tag'"
			;;
		esac
	done
}

# ---------------------------------------------------------------------
# Cleanup: mounts, loop devices and background processes are undone in
# teardown, last registered first, whatever the test's outcome.

ZCCP_CLEANUP=()

on_teardown() {
	ZCCP_CLEANUP+=("$(printf '%q ' "$@")")
}

zccp_cleanup() {
	local i
	for ((i = ${#ZCCP_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${ZCCP_CLEANUP[i]}" >&2 || echo "cleanup failed: ${ZCCP_CLEANUP[i]}" >&2
	done
	ZCCP_CLEANUP=()
}

teardown() {
	zccp_cleanup
}

# A scratch directory an unprivileged user can reach (the parents of
# BATS_TEST_TMPDIR are private), in $WORLD_DIR; removed in teardown.
make_world_dir() {
	WORLD_DIR=$(mktemp -d /tmp/zccp-test.XXXXXX) || fail "mktemp"
	chmod 0755 "$WORLD_DIR"
	on_teardown rm -rf "$WORLD_DIR"
}

# as_nobody ARGS...: zccp ARGS as uid/gid 65534 when root (requires
# nobody), else as ourselves, who are unprivileged anyway.
as_nobody() {
	if [[ $EUID -eq 0 ]]; then
		zccp_under setpriv --reuid=65534 --regid=65534 --clear-groups \
			-- -e "$ZCCP_ENGINE" "$@"
	else
		zccp "$@"
	fi
}

# kill_bg PID: end a background process we started, and reap it; one
# that ignores or deadlocks on SIGTERM gets SIGKILL after 2 s.
kill_bg() {
	local i
	kill "$1" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		running "$1" || break
		sleep 0.02
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# new_loop SIZE [losetup options]: an image of random bytes, a copy of
# it ($T/image.orig) and a loop device over it ($LOOPDEV).
new_loop() {
	local size=$1
	shift
	make_file "$T/image" "$size"
	cp "$T/image" "$T/image.orig"
	LOOPDEV=$(losetup -f --show "$@" "$T/image") || fail "losetup $*"
	on_teardown losetup -d "$LOOPDEV"
	[[ -b $LOOPDEV ]] || fail "$LOOPDEV is not a block device"
}

# mount_tmpfs DIR SIZE: a small file system, unmounted in teardown.
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2,mode=0755" zccp-test "$1" || fail "mount tmpfs on $1"
	on_teardown umount -l "$1"
}

# mount_faultfs DIR FAULT...: the faultfs helper (tests/helpers/faultfs.c)
# serving DIR.backing on DIR with the FAULTs it takes, e.g.
# --fail-flush=NAME; unmounted in teardown.  Requires fuse.
mount_faultfs() {
	local dir=$1 pid
	shift
	mkdir -p "$dir" "$dir.backing"
	start_bg pid "$FAULTFS" "$@" "$dir.backing" "$dir"
	on_teardown umount -l "$dir"
	wait_for 10 mountpoint -q "$dir" || fail "faultfs did not mount on $dir"
}

# start_bg VAR CMD...: run CMD in the background, with SIGINT and
# SIGQUIT at their defaults (a non-interactive shell ignores them in
# background jobs) and away from bats' fd 3; its pid goes to VAR and
# it is killed in teardown if still running.
start_bg() {
	local var=$1
	shift
	env --default-signal=INT,QUIT,TERM "$@" 3>&- &
	printf -v "$var" %s "$!"
	on_teardown kill_bg "$!"
}

# wait_for TIMEOUT_SECONDS CMD...: poll CMD every 20 ms until it
# succeeds; 1 on timeout.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.02
	done
}

running() {
	kill -0 "$1" 2>/dev/null
}
