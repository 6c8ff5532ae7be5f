#!/usr/bin/env bats
# -g/--progress: a bar redrawn on a terminal (driven through tmux, whose
# pane we read back), replaced at the end by a last line that stays (as
# pv's; not with -q); nothing on a non-terminal
# unless asked; plain lines for logs; JSON lines for programs.  A slow
# FIFO reader (tests/helpers/slow_reader) makes the copy last; stopping
# it (SIGSTOP) holds the copy, and ZCCP_TEST_COMMIT_PAUSE holds it with
# every byte written, so nothing here depends on timing.

load helpers

setup() {
	make_file "$T/src" $((12 * 1024 * 1024 + 4097))
	SIZE=$(stat -c %s "$T/src")
	mkfifo "$T/fifo"
}

# slow_fifo RATE: a reader of $T/fifo at RATE bytes/s into $T/got.
slow_fifo() {
	start_bg READER "$ZCCP_HELPERS/slow_reader" "$T/fifo" "$T/got" "$1"
}

# held KNOB OUT ARGS...: zccp ARGS in the background, its stderr in OUT,
# until it waits at the test pause KNOB (a FIFO made here, $T/KNOB);
# the caller then reads OUT, and ends it with release_held.
held() {
	local knob=$1 out=$2
	shift 2
	HELD_PAUSE=$T/$knob
	mkfifo "$HELD_PAUSE"
	start_bg HELD "$knob=$HELD_PAUSE" bash -c '"${@:2}" 2>"$1"' _ "$out" \
		"$ZCCP" -e "$ZCCP_ENGINE" "$@"
	timeout 30 cat "$HELD_PAUSE" >/dev/null || fail "zccp never paused: $(cat "$out")"
}

# release_held: let it go on; it must exit 0.
release_held() {
	release "$HELD_PAUSE"
	wait "$HELD" || fail "zccp failed ($?)"
}

# in_terminal COMMAND: run it in a detached tmux pane 70 columns wide,
# then "EXIT=status"; the pane is read with pane.
in_terminal() {
	command -v tmux >/dev/null || fail "tmux missing: run scripts/deps"
	TMUX_SOCKET=zccp-$$-$BATS_TEST_NUMBER
	tmux -L "$TMUX_SOCKET" -f /dev/null new-session -d -x 70 -y 12 \
		"bash -c '$1; echo EXIT=\$?; sleep 600'" ||
		fail "tmux would not start"
	on_teardown tmux -L "$TMUX_SOCKET" kill-server
}

pane() {
	tmux -L "$TMUX_SOCKET" capture-pane -p
}

pane_has() {
	pane | grep -Eq -- "$1"
}

# the bar gives up cells (down to 10) in a narrow terminal
BAR='^\[[#.]{10,20}\] [0-9.]+ of 12\.0 MiB \([0-9]+%\) in [0-9]+:[0-9]{2}, [0-9.]+ (B|KiB|MiB)/s'

# elapsed LINE: the seconds of the bar's " in M:SS".
elapsed() {
	[[ $1 =~ \ in\ ([0-9]+):([0-9]{2}), ]] || fail "no elapsed time: $1"
	echo $((10#${BASH_REMATCH[1]} * 60 + 10#${BASH_REMATCH[2]}))
}

# bar_after SECONDS: the pane's bar says a later elapsed time.
bar_after() {
	local line
	line=$(pane | grep -E -- "$BAR") || return 1
	(($(elapsed "$line") > $1))
}

# release FIFO: let zccp go on from a ZCCP_TEST_*_PAUSE.
release() {
	timeout 30 sh -c ': >"$1"' sh "$1" || fail "zccp did not wait at $1"
}

@test "-g in a terminal: a bar with percent, rate and ETA, redrawn in place; at the end a last line stays" {
	slow_fifo 4M
	in_terminal "$(printf '%q ' "$ZCCP" -e "$ZCCP_ENGINE" -g "$T/src" "$T/fifo" "$T/d1")"
	wait_for 20 pane_has "$BAR" || fail "no bar in the pane: $(pane)"
	local first second
	first=$(pane | grep -E -- "$BAR")
	[[ $first == *", ETA "*", slowest $T/fifo" || $first == *", ETA "* ]] ||
		fail "no ETA: $first"
	[[ $(pane | grep -cE -- "$BAR") -eq 1 ]] || fail "more than one bar line: $(pane)"
	sleep 1
	second=$(pane | grep -E -- "$BAR")
	[[ $second != "$first" ]] || fail "the bar was not redrawn in a second: $second"
	wait_for 30 pane_has '^EXIT=' || fail "zccp did not end: $(pane)"
	pane_has '^EXIT=0$' || fail "zccp failed: $(pane)"
	! pane_has '\[[#.]{20}\]' || fail "the bar was not wiped: $(pane)"
	pane_has '^zccp: progress: 12\.0 MiB in [0-9]+:[0-9]{2}, [0-9.]+ (KiB|MiB)/s \(done\)$' ||
		fail "no last line: $(pane)"
	[[ $(pane | grep -cv '^$') -eq 2 ]] || fail "more than the last line and EXIT: $(pane)"
	wait "$READER"
	assert_same "$T/src" "$T/got" "$T/d1"
}

@test "-g in a terminal: the elapsed time advances; a destination that takes nothing is said stalled, without an ETA" {
	slow_fifo 2M
	in_terminal "$(printf '%q ' "$ZCCP" -e "$ZCCP_ENGINE" -g "$T/src" "$T/fifo" "$T/d1")"
	wait_for 20 pane_has "$BAR" || fail "no bar in the pane: $(pane)"
	kill -STOP "$READER" # the FIFO takes nothing: the copy is held
	local first line
	first=$(elapsed "$(pane | grep -E -- "$BAR")")
	wait_for 30 bar_after "$first" || fail "the elapsed time stayed at ${first}s: $(pane)"
	wait_for 30 pane_has "$BAR, stalled" ||
		fail "never said stalled: $(pane)"
	line=$(pane | grep -E -- "$BAR")
	[[ $line != *ETA* ]] || fail "an ETA while stalled: $line"
	kill -CONT "$READER"
	wait_for 30 pane_has '^EXIT=' || fail "zccp did not end: $(pane)"
	pane_has '^EXIT=0$' || fail "zccp failed: $(pane)"
	wait "$READER"
	assert_same "$T/src" "$T/got" "$T/d1"
}

@test "-g in a terminal: every byte written, the bar says finishing while the destination is put in place" {
	mkfifo "$T/pause"
	in_terminal "ZCCP_TEST_COMMIT_PAUSE=$(printf %q "$T/pause") $(printf '%q ' "$ZCCP" -e "$ZCCP_ENGINE" -g "$T/src" "$T/d1")"
	timeout 30 cat "$T/pause" >/dev/null || fail "zccp never paused: $(pane)"
	wait_for 30 pane_has '^\[#{10,20}\] 12\.0 of 12\.0 MiB \(100%\) in [0-9]+:[0-9]{2}, [0-9.]+ (B|KiB|MiB|GiB)/s, finishing$' ||
		fail "no finishing bar: $(pane)"
	! pane_has 'ETA' || fail "an ETA with every byte written: $(pane)"
	[[ ! -e $T/d1 ]] || fail "d1 in place before the pause ended"
	release "$T/pause"
	wait_for 30 pane_has '^EXIT=' || fail "zccp did not end: $(pane)"
	pane_has '^EXIT=0$' || fail "zccp failed: $(pane)"
	pane_has '^zccp: progress: 12\.0 MiB in [0-9]+:[0-9]{2}, [0-9.]+ (B|KiB|MiB|GiB)/s \(done\)$' ||
		fail "no last line: $(pane)"
	assert_same "$T/src" "$T/d1"
}

@test "--progress=plain --fsync: every byte written back, the lines say syncing" {
	held ZCCP_TEST_COMMIT_PAUSE "$T/progress" --progress=plain --fsync "$T/src" "$T/d1"
	wait_for 30 grep -q 'syncing$' "$T/progress" ||
		fail "no line says syncing: $(cat "$T/progress")"
	release_held
	grep -Eq '^zccp: progress: 12\.0 of 12\.0 MiB \(100%\) in [0-9]+:[0-9]{2}, [0-9.]+ (B|KiB|MiB|GiB)/s, syncing$' \
		"$T/progress" || fail "the syncing line: $(cat "$T/progress")"
	[[ $(tail -n 1 "$T/progress") == "zccp: progress: 12.0 MiB in "*"/s (done)" ]] ||
		fail "last line: $(cat "$T/progress")"
	assert_same "$T/src" "$T/d1"
}

@test "--progress=plain --verify: the lines say verifying while it reads back; done only once in place" {
	held ZCCP_TEST_VERIFY_PAUSE "$T/progress" --progress=plain --verify "$T/src" "$T/d1"
	wait_for 30 grep -q 'verifying$' "$T/progress" ||
		fail "no line says verifying: $(cat "$T/progress")"
	! grep -q '(done)' "$T/progress" ||
		fail "done before the copies were read back: $(cat "$T/progress")"
	[[ ! -e $T/d1 ]] || fail "d1 in place before it was verified"
	release_held
	[[ $(tail -n 1 "$T/progress") == "zccp: progress: 12.0 MiB in "*"/s (done)" ]] ||
		fail "last line: $(cat "$T/progress")"
	# the same, as --progress=json says it, of a source of unknown size
	rm "$HELD_PAUSE"
	mkfifo "$T/in"
	start_bg WRITER cp "$T/src" "$T/in"
	held ZCCP_TEST_VERIFY_PAUSE "$T/json" --progress=json --verify "$T/in" "$T/d2"
	wait_for 30 grep -q '"phase":"verifying"' "$T/json" ||
		fail "no object says verifying: $(cat "$T/json")"
	release_held
	jq -e '.done and .phase == null' <<<"$(tail -n 1 "$T/json")" >/dev/null ||
		fail "last object: $(tail -n 1 "$T/json")"
	assert_same "$T/src" "$T/d1" "$T/d2"
}

@test "-g: the bar never wraps in a narrow terminal; a message first wipes it" {
	slow_fifo 2M
	in_terminal "$(printf '%q ' "$ZCCP" -e "$ZCCP_ENGINE" -g "$T/src" "$T/fifo" "$T/d1")"
	wait_for 20 pane_has "$BAR" || fail "no bar: $(pane)"
	local line
	while IFS= read -r line; do
		((${#line} < 70)) || fail "a line as wide as the pane (wraps): $line"
	done < <(pane)
	# the bar's cells go before the ETA does
	wait_for 20 pane_has "$BAR, ETA [0-9]+:[0-9]{2}" || fail "the ETA was cut: $(pane)"
	kill "$READER" # the FIFO's reader goes: zccp reports a broken pipe
	wait_for 20 pane_has '^EXIT=' || fail "zccp did not end: $(pane)"
	pane_has "^zccp: $T/fifo: Broken pipe\$" ||
		fail "the message is not on a line of its own: $(pane)"
	pane_has '^EXIT=1$' || fail "expected exit 1: $(pane)"
	! pane_has '\[[#.]{20}\]' || fail "the bar was not wiped: $(pane)"
	assert_same "$T/src" "$T/d1"
}

@test "-g off a terminal: nothing on stderr" {
	zccp -g "$T/src" "$T/d1"
	assert_success
	assert_stderr_line_count 0
	assert_same "$T/src" "$T/d1"
}

@test "--progress=plain: lines for a log, the last one says done" {
	slow_fifo 4M
	zccp --progress=plain "$T/src" "$T/fifo" "$T/d1"
	assert_success
	assert_stdout_empty
	((${#stderr_lines[@]} >= 2)) || fail "expected periodic lines and a last one: $stderr"
	local i
	for ((i = 0; i < ${#stderr_lines[@]} - 1; i++)); do
		[[ ${stderr_lines[i]} =~ ^zccp:\ progress:\ [0-9.]+\ of\ 12\.0\ MiB\ \([0-9]+%\)\ in\ 0:0[0-9],\ [0-9.]+\ (B|KiB|MiB)/s ]] ||
			fail "line $i: ${stderr_lines[i]}"
	done
	[[ ${stderr_lines[-1]} =~ ^zccp:\ progress:\ 12\.0\ MiB\ in\ 0:0[0-9],\ [0-9.]+\ (KiB|MiB)/s\ \(done\)$ ]] ||
		fail "last line: ${stderr_lines[-1]}"
	wait "$READER"
	assert_same "$T/src" "$T/got" "$T/d1"
}

@test "--progress=json --fsync: one object per line, bytes only grow, the last is done" {
	slow_fifo 6M
	zccp --progress=json --fsync "$T/src" "$T/fifo" "$T/d1"
	assert_success
	((${#stderr_lines[@]} >= 2)) || fail "expected at least two lines: $stderr"
	local line prev=0 bytes
	for line in "${stderr_lines[@]}"; do
		bytes=$(jq -e '.bytes' <<<"$line") || fail "not JSON with bytes: $line"
		((bytes >= prev)) || fail "bytes went back: $prev then $bytes"
		prev=$bytes
		jq -e ".total == $SIZE and (.destinations | length) == 2 and has(\"phase\")" <<<"$line" >/dev/null ||
			fail "total, destinations or phase: $line"
		jq -e '(.eta == null) or (.phase == null)' <<<"$line" >/dev/null ||
			fail "an ETA and a phase at once: $line"
	done
	jq -e ".done == true and .bytes == $SIZE and .percent == 100 and .eta == null and .phase == null" \
		<<<"${stderr_lines[-1]}" >/dev/null || fail "last line: ${stderr_lines[-1]}"
	jq -e '[.destinations[].failed] == [false, false]' <<<"${stderr_lines[-1]}" >/dev/null ||
		fail "last line: ${stderr_lines[-1]}"
	wait "$READER"
	assert_same "$T/src" "$T/got" "$T/d1"
}

@test "--progress of a pipe: no size, so no percent and no ETA" {
	run_sh 'cat "$1" | "$ZCCP" -e "$ZCCP_ENGINE" --progress=json - "$2"' "$T/src" "$T/d1"
	assert_success
	jq -e ".total == null and .percent == null and .eta == null and .bytes == $SIZE and .done" \
		<<<"${stderr_lines[-1]}" >/dev/null || fail "last line: ${stderr_lines[-1]}"
	assert_same "$T/src" "$T/d1"
}

@test "--progress: a bad mode is refused" {
	zccp --progress=fancy "$T/src" "$T/d1"
	assert_status 2
	assert_stderr_matches "^zccp: invalid --progress 'fancy': want auto, bar, plain or json$"
	assert_absent "$T/d1"
}

# ---- -r: one progress for the tree (treeprogress.h) ----

# small_tree: $T/t with files a (4097 bytes) and sub/b (1), roots o1, o2
small_tree() {
	mkdir -p "$T/t/sub" "$T/o1" "$T/o2"
	make_file "$T/t/a" 4097
	make_file "$T/t/sub/b" 1
}

@test "-r --progress=plain and json: one progress for the tree, none per file, the last line done" {
	small_tree
	zccp -r --progress=plain "$T/t" "$T/o1"
	assert_success
	[[ ${stderr_lines[-1]} == "zccp: progress: 2 files, 4.0 KiB in 0:00, "*"/s (done)" ]] ||
		fail "last line: ${stderr_lines[-1]}"
	[[ $(grep -c '(done)' <<<"$stderr") == 1 ]] || fail "more than one (done): $stderr"
	zccp -r --progress=json "$T/t" "$T/o2"
	assert_success
	[[ $(wc -l <<<"$stderr") == 1 ]] || fail "another line than the last: $stderr"
	jq -e '.schema == 1 and .done and .counted and .files == 2 and
		.files_total == 2 and .bytes == 4098 and .bytes_total == 4098 and
		.percent == 100 and .current == null' <<<"$stderr" >/dev/null ||
		fail "last line: $stderr"
	assert_same "$T/t/a" "$T/o1/t/a" "$T/o2/t/a"
}

@test "-r --progress=json while a file is held: files and bytes done of the total, the current file" {
	local pid i
	small_tree
	mkfifo "$T/pause"
	# --on-error=abort: each file's replacements wait at the pause
	start_bg pid ZCCP_TEST_PUBLISH_PAUSE="$T/pause" bash -c \
		'"${@:2}" 2>"$1"' _ "$T/progress" "$ZCCP" -r --on-error=abort \
		--progress=json "$T/t" "$T/o1" "$T/o2"
	for i in 1 2 3 4; do # two files, two pauses each
		timeout 30 cat "$T/pause" >/dev/null || fail "zccp never paused ($i)"
		if ((i == 1)); then
			wait_for 10 grep -q '"done":false' "$T/progress" ||
				fail "no line while held: $(cat "$T/progress")"
		fi
		timeout 30 sh -c ': >"$1"' sh "$T/pause" || fail "zccp did not wait"
	done
	wait "$pid" || fail "zccp failed ($?)"
	# held at a's first pause for a second at least; later ones are brief
	jq -se 'map(select(.done | not)) | all(.schema == 1 and .files < 2) and
		any(.files == 0 and .files_total == 2 and .bytes == 0 and
		    .current == "a")' "$T/progress" >/dev/null ||
		fail "lines while held: $(cat "$T/progress")"
	jq -se 'last | .done and .files == 2' "$T/progress" >/dev/null ||
		fail "last line: $(cat "$T/progress")"
	assert_same "$T/t/sub/b" "$T/o1/t/sub/b" "$T/o2/t/sub/b"
}

@test "-g -q in a terminal: no last line" {
	in_terminal "$(printf '%q ' "$ZCCP" -e "$ZCCP_ENGINE" -g -q "$T/src" "$T/d1")"
	wait_for 30 pane_has '^EXIT=' || fail "zccp did not end: $(pane)"
	[[ $(pane | grep -v '^$') == "EXIT=0" ]] || fail "more than EXIT=0 in the pane: $(pane)"
	assert_same "$T/src" "$T/d1"
}

@test "-r --progress=plain while a file is held: the lines say the elapsed time, which advances" {
	local pid i first last
	small_tree
	mkfifo "$T/pause"
	start_bg pid ZCCP_TEST_PUBLISH_PAUSE="$T/pause" bash -c \
		'"${@:2}" 2>"$1"' _ "$T/progress" "$ZCCP" -r --on-error=abort \
		--progress=plain "$T/t" "$T/o1"
	for i in 1 2 3 4; do # two files, two pauses each
		timeout 30 cat "$T/pause" >/dev/null || fail "zccp never paused ($i)"
		if ((i == 1)); then # held: a line every 2 s
			wait_for 30 eval '(($(grep -c "^zccp: progress: 0 of" "$T/progress") >= 2))' ||
				fail "not two lines while held: $(cat "$T/progress")"
		fi
		release "$T/pause"
	done
	wait "$pid" || fail "zccp failed ($?)"
	grep -Eq '^zccp: progress: 0 of (at least )?2 files, 0 B of (at least )?4\.0 KiB( \(0%\))? in [0-9]+:[0-9]{2}, 0 B/s, a$' \
		"$T/progress" || fail "lines while held: $(cat "$T/progress")"
	first=$(elapsed "$(grep -m1 '^zccp: progress: 0 of' "$T/progress")")
	last=$(elapsed "$(grep '^zccp: progress: 0 of' "$T/progress" | tail -n 1)")
	((last > first)) || fail "the elapsed time stayed at ${first}s: $(cat "$T/progress")"
	[[ $(tail -n 1 "$T/progress") == "zccp: progress: 2 files, 4.0 KiB in "*"/s (done)" ]] ||
		fail "last line: $(cat "$T/progress")"
}
