#!/usr/bin/env bats
# Command line: help, version, usage errors.  Nothing here copies data
# except to prove that a refused command wrote nothing.

load helpers

setup() {
	make_file "$T/src" 8K
}

# Usage errors must leave nothing behind: no destination, no temporary.
assert_nothing_written() {
	assert_dir_holds "$T" src
}

@test "--help: exit 0, usage on stdout, nothing on stderr" {
	zccp_plain --help
	assert_success
	[[ ${lines[0]} == *"zccp [OPTION]... SOURCE DEST..."* ]] ||
		fail "first line of --help is not the synopsis"
	[[ -z $stderr ]] || fail "--help wrote to stderr"
}

@test "-h is --help" {
	zccp_plain --help
	local long=$output
	zccp_plain -h
	assert_success
	[[ $output == "$long" ]] || fail "-h and --help differ"
}

@test "--help lists every long option of docs/contract.md" {
	local contract="$ZCCP_SOURCE_DIR/docs/contract.md" opts opt
	# The options block of the CLI section.
	opts=$(sed -n '/^## CLI/,/^## /p' "$contract" |
		grep -oE -- '--[a-z][a-z-]+' | sort -u)
	[[ $(wc -l <<<"$opts") -ge 12 ]] ||
		fail "found only these options in $contract: $opts"
	zccp_plain --help
	assert_success
	for opt in $opts; do
		grep -qE -- "(^|[^a-z-])$opt([^a-z-]|$)" <<<"$output" ||
			fail "--help does not mention $opt"
	done
}

@test "every long option of --help is in zccp.1 and each completion file" {
	local opts opt f name
	zccp_plain --help
	assert_success
	opts=$(grep -oE -- '--[a-z][a-z-]+' <<<"$output" | sort -u)
	[[ $(wc -l <<<"$opts") -ge 12 ]] || fail "--help lists only: $opts"
	local files=("$ZCCP_SOURCE_DIR/zccp.1" "$ZCCP_SOURCE_DIR"/completions/*)
	[[ ${#files[@]} -ge 2 && -f ${files[1]} ]] || fail "no completion files"
	for f in "${files[@]}"; do
		for opt in $opts; do
			name=${opt#--}
			# troff escapes hyphens (\-); fish says -l NAME.
			sed 's/\\-/-/g' "$f" |
				grep -qE -- "(--|-l +)$name([^a-z-]|$)" ||
				fail "${f#"$ZCCP_SOURCE_DIR"/} does not mention $opt"
		done
	done
}

@test "--help names the short options of docs/contract.md" {
	local contract="$ZCCP_SOURCE_DIR/docs/contract.md" pair short long
	zccp_plain --help
	assert_success
	# "-B, --block-size" in the contract: the same pair in --help.
	while read -r pair; do
		short=${pair%%,*}
		long=${pair##* }
		grep -qE -- "$short, $long" <<<"$output" ||
			fail "--help does not pair $short with $long"
	done < <(sed -n '/^## CLI/,/^## /p' "$contract" |
		grep -oE -- '-[A-Za-z], --[a-z-]+')
}

@test "--version: exit 0, the version and the engines" {
	local version
	version=$(sed -n 's/^project(zccp VERSION \([0-9.]*\).*/\1/p' \
		"$ZCCP_SOURCE_DIR/CMakeLists.txt")
	[[ -n $version ]] || fail "no version in CMakeLists.txt"
	zccp_plain --version
	assert_success
	[[ $output == *"$version"* ]] || fail "--version does not say $version"
	# Every engine of src/engine.c's registry, available or not.
	local e registry
	registry=$(sed -n 's/^\tX(\([a-z0-9_]*\)).*/\1/p' "$ZCCP_SOURCE_DIR/src/engine.c")
	[[ $(wc -w <<<"$registry") -ge 4 ]] || fail "src/engine.c registers only: $registry"
	for e in $registry; do
		grep -qE "^engines:.* $e(\(unavailable\))?( |\$)" <<<"$output" ||
			fail "--version does not list engine $e: $output"
	done
	[[ -z $stderr ]] || fail "--version wrote to stderr"
}

# engine_documented FILE ENGINE: FILE describes ENGINE where it lists
# the engines (hand-written, unlike --help and the bash completion).
engine_documented() {
	local f=$ZCCP_SOURCE_DIR/$1 e=$2
	case $1 in
	zccp.1) # the ENGINES section has an entry for it
		sed -n '/^\.SH ENGINES/,/^\.SH /p' "$f" | grep -A1 -x '\.TP' | grep -qx "\.B $e" ;;
	completions/zccp.zsh) grep -qF " $e\\:\"" "$f" ;;
	completions/zccp.fish) grep -q "^$e\\\\t'" "$f" ;;
	docs/contract.md) grep -E -- '--engine=NAME' "$f" | grep -qw -- "$e" ;;
	README.md) # a row of the engines table and a value of --engine
		grep -qF "| \`$e\` |" "$f" &&
			grep -F -- '`--engine=NAME`' "$f" | grep -qF "\`$e\`" ;;
	*) return 2 ;;
	esac
}

@test "every engine of --version is described in zccp.1, zsh, fish, contract.md, README" {
	local engines e f
	zccp_plain --version
	assert_success
	engines=$(sed -n 's/^engines://p' <<<"$output" | sed 's/(unavailable)//g')
	[[ $(wc -w <<<"$engines") -ge 4 ]] || fail "--version lists only: $engines"
	for f in zccp.1 completions/zccp.zsh completions/zccp.fish docs/contract.md README.md; do
		for e in $engines; do
			engine_documented "$f" "$e" || fail "$f does not describe engine $e"
		done
	done
}

@test "--version names the kernel features it found" {
	zccp_plain --version
	assert_success
	local feature
	for feature in "io_uring" "io_uring SQE groups" "SQE group kernel buffers" "libaio" "splice and tee"; do
		grep -qE "^  $feature +(yes|no: .+)\$" <<<"$output" ||
			fail "--version does not say whether it found $feature: $output"
	done
	grep -q "^kernel features (Linux $(uname -r)):\$" <<<"$output" ||
		fail "--version does not name the running kernel: $output"
	# This machine's kernel has io_uring; stock kernels have no SQE groups.
	grep -qE '^  io_uring +yes$' <<<"$output" || fail "io_uring not found: $output"
}

@test "--help fits one screen: at most 40 lines of at most 80 columns" {
	zccp_plain --help
	assert_success
	((${#lines[@]} <= 40)) || fail "--help has ${#lines[@]} lines"
	local line
	for line in "${lines[@]}"; do
		((${#line} <= 80)) || fail "wider than 80 columns: $line"
	done
}

@test "zccp.1 is lint-clean and has the usual sections" {
	local man=$ZCCP_SOURCE_DIR/zccp.1 section warnings
	warnings=$(groff -man -ww -z "$man" 2>&1) || fail "groff failed: $warnings"
	[[ -z $warnings ]] || fail "groff -man -ww: $warnings"
	if command -v mandoc >/dev/null; then
		warnings=$(mandoc -Tlint "$man" 2>&1) || fail "mandoc -Tlint: $warnings"
		[[ -z $warnings ]] || fail "mandoc -Tlint: $warnings"
	elif [[ ${CI-} == true ]]; then
		fail "mandoc missing: run scripts/deps"
	else
		echo "# mandoc not installed: only groff checked" >&3
	fi
	for section in NAME SYNOPSIS DESCRIPTION OPTIONS ENGINES "EXIT STATUS" EXAMPLES ENVIRONMENT "SEE ALSO"; do
		grep -qx "\.SH \"\?$section\"\?" "$man" || fail "zccp.1 has no $section section"
	done
}

@test "-V is --version" {
	zccp_plain --version
	local long=$output
	zccp_plain -V
	assert_success
	[[ $output == "$long" ]] || fail "-V and --version differ"
}

@test "no arguments: exit 2, one line and coreutils' Try line" {
	zccp_plain
	assert_usage_error
	assert_stdout_empty
}

@test "SOURCE without DEST: exit 2, one line, nothing written" {
	zccp_plain "$T/src"
	assert_usage_error
	assert_stderr_matches 'DEST'
	assert_nothing_written
}

@test "unknown option: exit 2, names it, nothing written" {
	zccp_plain --frobnicate "$T/src" "$T/d"
	assert_usage_error
	assert_stderr_matches "^zccp: unrecognized option '--frobnicate'$"
	assert_nothing_written
	zccp_plain -Z "$T/src" "$T/d"
	assert_usage_error
	assert_stderr_matches "^zccp: invalid option -- 'Z'$"
	zccp_plain "$T/src" "$T/d" -B
	assert_usage_error
	assert_stderr_matches "^zccp: option requires an argument -- 'B'$"
	# the letter inside a group, not the word before it, is at fault
	zccp_plain --verbose -vZ "$T/src" "$T/d"
	assert_usage_error
	assert_stderr_matches "^zccp: invalid option -- 'Z'$"
	zccp_plain --verbose=3 "$T/src" "$T/d"
	assert_usage_error
	assert_stderr_matches "^zccp: option '--verbose' doesn't allow an argument$"
	zccp_plain --ver "$T/src" "$T/d"
	assert_usage_error
	assert_stderr_matches "^zccp: option '--ver' is ambiguous$"
	assert_nothing_written
}

@test "option without its value: exit 2, names it" {
	zccp_plain "$T/src" "$T/d" --block-size
	assert_usage_error
	assert_stderr_matches 'block-size'
	assert_nothing_written
}

# bad_value REGEX ARGS...: zccp ARGS src d refuses with exit 2, a message
# matching REGEX and the Try line; nothing written.
bad_value() {
	local re=$1
	shift
	zccp_plain "$@" "$T/src" "$T/d"
	assert_usage_error
	assert_stdout_empty
	assert_stderr_matches "$re"
	assert_nothing_written
}

@test "-B 0 is refused" {
	bad_value '(-B|block-size).*0' -B 0
}

@test "-B 1000 (not a multiple of 4K) is refused" {
	bad_value '(-B|block-size).*1000' -B 1000
}

@test "-B 2X (bad suffix) is refused" {
	bad_value '(-B|block-size).*2X' -B 2X
}

@test "-B 6K (not a multiple of 4K) is refused" {
	bad_value '(-B|block-size).*6K' -B 6K
}

@test "-B 2G (over 1G) is refused" {
	bad_value '(-B|block-size).*2G' -B 2G
}

@test "--block-size=-4K is refused" {
	bad_value 'block-size.*-4K' --block-size=-4K
}

@test "-Q 0 is refused" {
	bad_value '(-Q|queue-depth).*0' -Q 0
}

@test "-Q 1025 is refused" {
	bad_value '(-Q|queue-depth).*1025' -Q 1025
}

@test "-Q eight is refused" {
	bad_value '(-Q|queue-depth).*eight' -Q eight
}

@test "--engine=nope is refused" {
	bad_value 'engine.*nope' --engine=nope
}

@test "-e nope is refused" {
	bad_value 'engine.*nope' -e nope
}

# Both lists come from the registry: "auto, uring, group, ... or rw".
@test "--help and a bad --engine list auto and every engine of --version" {
	local engines list
	zccp_plain --version
	assert_success
	engines=$(sed -n 's/^engines: //p' <<<"$output" | sed 's/(unavailable)//g')
	list=$(sed -E 's/ /, /g; s/, ([^,]*)$/ or \1/' <<<"$engines")
	[[ $list == *", "*" or "* ]] || fail "--version lists only: $engines"
	zccp_plain --help
	assert_success
	assert_output_line "  -e, --engine=NAME      auto (default), $list"
	bad_value "^zccp: invalid --engine 'nope': want auto, $list\$" -e nope
}

@test "--sparse=maybe is refused" {
	bad_value 'sparse.*maybe' --sparse=maybe
}

@test "--on-error=ignore is refused" {
	bad_value 'on-error.*ignore' --on-error=ignore
}

@test "--lag larger than the ring is refused" {
	# The ring holds 2 x 64 KiB: a 1 MiB lag cannot be honoured.
	bad_value 'lag' -B 64K -Q 2 --lag=1M
}

@test "--lag larger than the default ring (8 x 1M) is refused" {
	bad_value 'lag' --lag=9M
}

@test "--lag=0 is refused" {
	bad_value 'lag.*0' --lag=0
}

@test "--lag of exactly the ring is accepted" {
	zccp_plain -B 64K -Q 2 --lag=128K "$T/src" "$T/d"
	assert_success
	assert_same "$T/src" "$T/d"
}

@test "sizes take suffixes: -B 4K, 4096, 64K, 1M copy" {
	local b
	for b in 4K 4096 64K 1M; do
		rm -f "$T/d"
		zccp_plain -B "$b" "$T/src" "$T/d"
		assert_success
		assert_same "$T/src" "$T/d"
	done
}

@test "-q prints nothing on success" {
	zccp_plain -q "$T/src" "$T/d"
	assert_success
	[[ -z $stderr && -z $output ]] || fail "-q printed something"
	assert_same "$T/src" "$T/d"
}

@test "a plain copy prints nothing on stdout" {
	zccp_plain "$T/src" "$T/d"
	assert_success
	assert_stdout_empty
	assert_same "$T/src" "$T/d"
}

@test "missing source: exit 2, names it, nothing created" {
	zccp_plain "$T/no-such-file" "$T/d1" "$T/d2"
	assert_status 2
	assert_stderr_line_count 1
	assert_stderr_matches "^zccp: cannot stat '.*no-such-file': No such file or directory$"
	assert_nothing_written
}

@test "a file's name in a message is quoted as coreutils quotes it, on one line" {
	zccp_plain "$T/no"$'\n'"such" "$T/d1"
	assert_status 2
	assert_stderr_line_count 1
	[[ ${stderr_lines[0]} == "zccp: cannot stat '$T/no'\$'\\n''such': No such file or directory" ]] ||
		fail "not coreutils' quoting: $stderr"
	# where the name needs no verb, quoted only where a shell needs it
	mkdir "$T/a dir"
	zccp_plain "$T/src" "$T/a dir/missing/d" "$T/plain/d"
	assert_status 1
	assert_stderr_line_count 2
	assert_stderr_matches "^zccp: cannot create regular file '$T/a dir/missing/d': No such file or directory$"
	assert_stderr_matches "^zccp: cannot create regular file '$T/plain/d': No such file or directory$"
	cp -- "$T/src" "$T/it's"
	zccp_plain "$T/it's" "$T/it's"
	assert_status 2
	[[ ${stderr_lines[0]} == "zccp: \"$T/it's\": "*" \"$T/it's\"" ]] ||
		fail "not coreutils' quoting: $stderr"
}

@test "options after operands are options (GNU getopt)" {
	zccp_plain "$T/src" "$T/d" -q
	assert_success
	assert_same "$T/src" "$T/d"
}

@test "-- ends options: a destination named -q" {
	cd "$T"
	zccp_plain -- src -q
	assert_success
	assert_same "$T/src" "$T/-q"
}

@test "short options take no value: -gv is -g -v, -pg is -p -g" {
	zccp_plain -gv "$T/src" "$T/d1"
	assert_success
	[[ $output == "'$T/src' -> '$T/d1'" ]] || fail "-v did not say the copy: $output"
	zccp_plain -pg "$T/src" "$T/d2"
	assert_success
	assert_same "$T/src" "$T/d1" "$T/d2"
}

@test "a value after an option that takes it only with '=': a hint, exit 2, nothing written" {
	local slip
	cd "$T"
	for slip in "-g plain" "--progress json" "--checksum sha256" \
		"--preserve mode,timestamps" "--update older" "-u none"; do
		# shellcheck disable=SC2086 # the slip is two words
		zccp_plain $slip src d
		assert_usage_error
		local opt=${slip% *} word=${slip#* }
		[[ $opt == -g ]] && opt=--progress
		[[ $opt == -u ]] && opt=--update
		assert_stderr_matches "^zccp: $word: taken as a file, and there is none; for the value write $opt=$word \(a file of that name: \./$word\)$"
		[[ ! -e d ]] || fail "$slip: d was written"
	done
	# a file of that name is a file
	cp src plain
	zccp_plain -g plain d
	assert_success
	assert_same src d
}

# doc_commands: every zccp command line README.md and zccp.1 show, one a
# line (a prompt "host$ " taken off, troff's \- as -).
doc_commands() {
	sed -n 's/^    \([a-z0-9-]*\$ \)\{0,1\}\(zccp .*\)/\2/p' "$ZCCP_SOURCE_DIR/README.md"
	sed -n 's/^\([a-z]\$ \)\{0,1\}\(zccp .*\)/\2/p' "$ZCCP_SOURCE_DIR/zccp.1" |
		sed 's/\\-/-/g'
}

@test "documented commands quote '*' and '[ ]' in addresses: zsh would take them for file patterns" {
	local line bare n=0
	while IFS= read -r line; do
		n=$((n + 1))
		# what is left outside quotes, and before a comment
		bare=$(sed -e "s/'[^']*'//g" -e 's/"[^"]*"//g' -e 's/ #.*//' <<<"$line")
		! grep -qE '(--listen=|tcp://)[^ ]*[][*?]' <<<"$bare" ||
			fail "unquoted pattern characters in: $line"
	done < <(doc_commands)
	((n >= 20)) || fail "found only $n documented commands"
	if command -v zsh >/dev/null; then
		# and the quoted forms reach zccp intact under zsh's nomatch
		run zsh -f -c 'setopt nomatch; print -r -- --listen='"'*:9000'"' '"'tcp://[::1]:9000'"
		assert_success
		[[ $output == "--listen=*:9000 tcp://[::1]:9000" ]] || fail "zsh: $output"
	fi
}
