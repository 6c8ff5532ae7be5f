#!/usr/bin/env bats
# cmake --install puts what zccp ships where Debian expects it, and the
# bash completion completes.

load helpers

@test "cmake --install into a DESTDIR: binary, man page, completions" {
	local build=$T/build root=$T/root
	cmake -S "$ZCCP_SOURCE_DIR" -B "$build" -DZCCP_SANITIZED_TWIN=OFF \
		-DZCCP_KERNEL_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr >"$T/log" 2>&1 ||
		{ cat "$T/log" >&2; fail "cmake configure"; }
	cmake --build "$build" --target zccp -j2 >>"$T/log" 2>&1 ||
		{ cat "$T/log" >&2; fail "cmake build"; }
	DESTDIR=$root cmake --install "$build" >>"$T/log" 2>&1 ||
		{ cat "$T/log" >&2; fail "cmake --install"; }
	[[ -x $root/usr/bin/zccp ]] || fail "no usr/bin/zccp"
	cmp "$ZCCP_SOURCE_DIR/zccp.1" "$root/usr/share/man/man1/zccp.1"
	cmp "$ZCCP_SOURCE_DIR/completions/zccp.bash" \
		"$root/usr/share/bash-completion/completions/zccp"
	cmp "$ZCCP_SOURCE_DIR/completions/zccp.zsh" \
		"$root/usr/share/zsh/vendor-completions/_zccp"
	cmp "$ZCCP_SOURCE_DIR/completions/zccp.fish" \
		"$root/usr/share/fish/vendor_completions.d/zccp.fish"
	run "$root/usr/bin/zccp" --version
	assert_success
	[[ ${lines[0]} == "zccp "* ]] || fail "unexpected --version: $output"
}

# complete_words LINE: what the bash completion offers for LINE (the
# cursor at its end), one per line.  $ZCCP is the zccp on its PATH,
# unless PATH is set otherwise in the environment of the call.
complete_words() {
	mkdir -p "$T/bin"
	ln -sf "$ZCCP" "$T/bin/zccp"
	PATH=${COMPLETE_PATH-$T/bin:$PATH} "$BASH" -c '
		source "$1"
		complete -p zccp >/dev/null || exit 3
		read -ra COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$2 COMP_POINT=${#2}
		# compopt complains outside a real completion: its words stay
		_zccp zccp "${COMP_WORDS[COMP_CWORD]}" \
			"${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "$ZCCP_SOURCE_DIR/completions/zccp.bash" "$1"
}

@test "bash completion: registered, completes options, values and files" {
	run complete_words "zccp --eng"
	assert_success
	[[ $output == "--engine=" ]] || fail "--eng: '$output'"
	run complete_words "zccp -e "
	assert_success
	local engines
	engines=$("$ZCCP" --version | sed -n 's/^engines://p' | sed 's/(unavailable)//g')
	[[ $(wc -w <<<"$engines") -ge 4 ]] || fail "--version lists only: $engines"
	for e in auto $engines; do
		grep -qx "$e" <<<"$output" || fail "-e: no $e in '$output'"
	done
	[[ $(wc -l <<<"$output") -eq $(($(wc -w <<<"$engines") + 1)) ]] ||
		fail "-e: more than auto and the engines: '$output'"
	run complete_words "zccp --on-error "
	[[ $output == $'continue\nabort' ]] || fail "--on-error: '$output'"
	run complete_words "zccp --progress=p"
	[[ $output == "plain" ]] || fail "--progress=p: '$output'"
	run complete_words "zccp --preserve=mode,ti"
	[[ $output == "mode,timestamps" ]] || fail "--preserve=mode,ti: '$output'"
	# a list offers only the words it lacks
	run complete_words "zccp --preserve=mode,xattr,"
	[[ $output == $'mode,xattr,ownership\nmode,xattr,timestamps\nmode,xattr,all' ]] ||
		fail "--preserve=mode,xattr,: '$output'"
	run complete_words "zccp --one"
	[[ $output == "--one-file-system" ]] || fail "--one: '$output'"
	touch "$T/some-file"
	run complete_words "zccp $T/some-f"
	[[ $output == "$T/some-file" ]] || fail "files: '$output'"
}

@test "bash completion without zccp on PATH: -e offers auto alone, no error" {
	mkdir -p "$T/empty"
	COMPLETE_PATH=$T/empty run --separate-stderr complete_words "zccp -e "
	assert_success
	[[ $output == auto ]] || fail "-e: '$output'"
	[[ -z $stderr ]] || fail "stderr: $stderr"
}

# fish_words LINE: what the fish completion offers for LINE, one a line.
fish_words() {
	fish --no-config -c 'source $argv[1]; complete -C $argv[2]' \
		"$ZCCP_SOURCE_DIR/completions/zccp.fish" "$1" | cut -f1
}

@test "fish completion: -g offers no values; --preserve's list offers only the words it lacks" {
	requires fish
	# -g takes no value: fish offers other letters after it (-gv is
	# -g -v), never a mode
	run fish_words "zccp -g"
	assert_success
	! grep -qE '^-g(auto|bar|plain|json)$' <<<"$output" || fail "-g offers modes: $output"
	grep -qx -- -gv <<<"$output" || fail "-g: no -gv in: $output"
	make_file "$T/src" 100
	zccp_plain -gv "$T/src" "$T/d"
	assert_success
	run fish_words "zccp --progress="
	grep -qx -- "--progress=plain" <<<"$output" || fail "--progress=: $output"
	run fish_words "zccp --preserve=mode,"
	assert_success
	for w in ownership timestamps xattr all; do
		grep -qx -- "--preserve=mode,$w" <<<"$output" ||
			fail "--preserve=mode,: no $w in: $output"
	done
	! grep -q "mode,mode" <<<"$output" || fail "mode offered twice: $output"
}

@test "zsh completion: the file parses" {
	requires zsh
	zsh -n "$ZCCP_SOURCE_DIR/completions/zccp.zsh" || fail "zsh -n failed"
}
