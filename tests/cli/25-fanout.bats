#!/usr/bin/env bats
# --fanout: several ssh:// hosts (network namespaces on one switch, each
# with its own sshd; tests/hosts) fed as a chain, a star or a tree, each
# host writing its copy as it forwards, and a chain stepping over hosts
# that die, hang or lose their link.  Every host's copy is compared with
# the source; --json has one entry per host.  Runs once (auto).

load helpers
load net

setup() {
	make_file "$T/src" $((5 * 1024 * 1024 + 4097))
	export T ZCCP
}

# hosts_dests N [NAME]: DESTS=(ssh://host1/$T/NAME1 ...), FILES=($T/NAME1 ...)
hosts_dests() {
	local i
	DESTS=() FILES=()
	for ((i = 1; i <= $1; i++)); do
		DESTS+=("ssh://10.232.$i.2$T/${2:-r}$i")
		FILES+=("$T/${2:-r}$i")
	done
}

# q FILTER: jq -e FILTER over the captured stdout.
q() {
	jq -e "$1" <<<"$output" >/dev/null || fail "jq '$1' is false on: $output"
}

@test "a chain of 8 (the default from 2 hosts): every host holds the source" {
	local i
	ssh_hosts 8 200mbit
	hosts_dests 8
	on_snd -vv --json "$T/src" "${DESTS[@]}" "$T/local"
	assert_success
	assert_same "$T/src" "${FILES[@]}" "$T/local"
	assert_stderr_matches "^zccp: fanout chain: ${DESTS[0]} receives from this host$"
	for ((i = 1; i < 8; i++)); do
		assert_stderr_matches "^zccp: fanout chain: ${DESTS[i]} receives from ${DESTS[i - 1]}$"
	done
	# one entry per host: its own status, bytes and time
	q '.status == 0 and .totals.ok == 9 and (.destinations | length) == 9'
	q "[.destinations[] | select(.kind == \"socket\") | .status == \"ok\" and .bytes == $((5 * 1024 * 1024 + 4097)) and .seconds > 0] | length == 8 and all"
	q ".destinations[0].via == null and .destinations[0].engine != null"
	for ((i = 1; i < 8; i++)); do
		q ".destinations[$i].via == \"${DESTS[i - 1]}\" and .destinations[$i].engine == null"
	done
}

@test "--fanout=star and tree=2 give the same bytes, in their shapes" {
	ssh_hosts 5
	hosts_dests 5
	on_snd -vv --fanout=star "$T/src" "${DESTS[@]}"
	assert_success
	assert_same "$T/src" "${FILES[@]}"
	assert_stderr_count 5 "^zccp: fanout star: ssh://10\.232\.[1-5]\.2$T/r[1-5] receives from this host$"
	hosts_dests 5 t
	on_snd -vv --fanout=tree=2 "$T/src" "${DESTS[@]}"
	assert_success
	assert_same "$T/src" "${FILES[@]}"
	# node p sends to 2p+1 and 2p+2: us to 1 and 2, 1 to 3 and 4, 2 to 5
	assert_stderr_count 2 "^zccp: fanout tree=2: ssh://10\.232\.[12]\.2$T/t[12] receives from this host$"
	assert_stderr_count 2 "^zccp: fanout tree=2: ssh://10\.232\.[34]\.2$T/t[34] receives from ${DESTS[0]}$"
	assert_stderr_matches "^zccp: fanout tree=2: ${DESTS[4]} receives from ${DESTS[1]}$"
	# one host is a star whatever the shape
	on_snd -vv "$T/src" "ssh://10.232.1.2$T/one"
	assert_success
	assert_same "$T/src" "$T/one"
	assert_stderr_matches "^zccp: fanout star: ssh://10\.232\.1\.2$T/one receives from this host$"
}

@test "a host whose disk fills fails alone; it still forwards, and the exit status says so" {
	# before the hosts: their sshd's mount namespaces copy ours
	mount_tmpfs "$T/small" 2M
	ssh_hosts 4
	hosts_dests 4
	DESTS[1]="ssh://10.232.2.2$T/small/r2"
	on_snd --json "$T/src" "${DESTS[@]}"
	assert_status 1
	assert_same "$T/src" "${FILES[0]}" "${FILES[2]}" "${FILES[3]}"
	assert_absent "$T/small/r2"
	[[ -z $(ls -A "$T/small") ]] || fail "left in $T/small: $(ls -A "$T/small")"
	assert_stderr_matches "^zccp: ${DESTS[1]}: .*No space left on device"
	q '.status == 1 and .totals.ok == 3 and .totals.failed == 1'
	q '.destinations[1].status == "failed" and (.destinations[1].error | test("space"))'
}

@test "a host that does not start is left out: the host before it feeds the one after" {
	ssh_hosts 3
	hosts_dests 3
	rm "$T/ssh2/bin/zccp"
	on_snd -vv "$T/src" "${DESTS[@]}"
	assert_status 1
	assert_same "$T/src" "${FILES[0]}" "${FILES[2]}"
	assert_absent "${FILES[1]}"
	assert_stderr_matches "^zccp: ${DESTS[1]}: could not start zccp there: "
	assert_stderr_matches "^zccp: fanout chain: ${DESTS[2]} receives from ${DESTS[0]}$"
	# the first host missing: the sender feeds the second
	rm "${FILES[@]}" -f
	ln -s "$ZCCP" "$T/ssh2/bin/zccp"
	rm "$T/ssh1/bin/zccp"
	on_snd -vv "$T/src" "${DESTS[@]}"
	assert_status 1
	assert_same "$T/src" "${FILES[1]}" "${FILES[2]}"
	assert_stderr_matches "^zccp: fanout chain: ${DESTS[1]} receives from this host$"
}

@test "--fanout usage: a shape that is not one is refused, exit 2" {
	local bad
	for bad in ring tree=0 tree= tree=65 tree=2x ""; do
		zccp_plain --fanout="$bad" "$T/src" "$T/d"
		assert_status 2
		assert_stderr_matches "^zccp: invalid --fanout '$bad': want chain, star, tree=K \(K 1\.\.64\) or auto"
	done
	assert_absent "$T/d"
}

# ---- a host that goes mid-transfer: the chain steps over it ----

# chain_bg ZCCP_ARG...: the sender in the background, its status,
# stdout and stderr in $T/status, $T/out and $T/err
chain_bg() {
	start_bg SENDER bash -c '"$@" >"$T/out" 2>"$T/err"; echo $? >"$T/status"' _ \
		ip netns exec "$SND" "$ZCCP" --rsh="$RSH" "$@"
}

# chain_wait: the background sender's end, as bats' run would leave it
chain_wait() {
	wait_for 120 test -s "$T/status" || fail "the sender did not end"
	status=$(<"$T/status") output=$(<"$T/out") stderr=$(<"$T/err")
	mapfile -t stderr_lines <"$T/err"
	echo "status=$status" >&2
	cat "$T/err" >&2
}

# one_gone N...: hosts N... failed (named, absent), the others hold the
# source, exit 1
one_gone() {
	local i gone=" $* "
	assert_status 1
	for ((i = 1; i <= ${#FILES[@]}; i++)); do
		if [[ $gone == *" $i "* ]]; then
			assert_absent "${FILES[i - 1]}"
			q ".destinations[$((i - 1))].status == \"failed\""
			assert_stderr_matches "^zccp: ${DESTS[i - 1]}: "
		else
			assert_same "$T/big" "${FILES[i - 1]}"
			q ".destinations[$((i - 1))].status == \"ok\""
		fi
	done
	q ".totals.failed == $# and .totals.ok == $((${#FILES[@]} - $#))"
}

# kill_at|wait_at NAME BYTES: once the receiver writing $T/NAME has
# BYTES, kill -9 it, or just go on; PID is its pid (tests/hosts)
kill_at() {
	PID=$("$ZCCP_SOURCE_DIR/tests/hosts" kill "$T/$1" "$2") ||
		fail "$1's receiver never had $2 bytes"
}
wait_at() {
	PID=$("$ZCCP_SOURCE_DIR/tests/hosts" wait "$T/$1" "$2") ||
		fail "$1's receiver never had $2 bytes"
}

# big_chain N: hosts_dests N on links slow enough (4 s for the file)
# that a test can catch a host mid-transfer, however loaded the machine
big_chain() {
	make_file "$T/big" $((24 * 1024 * 1024 + 4097))
	ssh_hosts "$1" 50mbit
	hosts_dests "$1"
}

# killed_mid_transfer N K...: a chain of N hosts; hosts K... are killed
# (kill -9, the first once it holds 6 MiB, the others then); every other
# host completes, those alone fail.  CHAIN_OPTS: more options
killed_mid_transfer() {
	local n=$1 k
	shift
	big_chain "$n"
	chain_bg --json --timeout=10 ${CHAIN_OPTS:-} "$T/big" "${DESTS[@]}"
	kill_at "r$1" $((6 * 1024 * 1024))
	for k in "${@:2}"; do
		kill_at "r$k" 0
	done
	chain_wait
	one_gone "$@"
}

@test "kill -9 the receiver on host 3 of 5 mid-transfer: host 2 goes on with host 4, host 3 fails alone" {
	killed_mid_transfer 5 3
	q '.destinations[2].error | test("went away")'
}

@test "the first host dies: the sender goes on with the second from its source" {
	killed_mid_transfer 4 1
	assert_stderr_matches "^zccp: ${DESTS[0]}: .*; going on through 10\.232\.2\.2$"
}

@test "the last host dies: the others complete" {
	killed_mid_transfer 4 4
}

@test "two adjacent hosts die: the one before them goes on with the one after" {
	killed_mid_transfer 6 3 4
}

@test "--encrypt: the host after a dead one resumes in a new TLS session" {
	CHAIN_OPTS=--encrypt killed_mid_transfer 4 2
}

# ---- a tree: the sender resumes a dead relay's hosts itself ----

# orphans_resumed N...: the sender said it resumed hosts N... itself
orphans_resumed() {
	local i
	for i in "$@"; do
		assert_stderr_matches "^zccp: ${DESTS[i - 1]}: its sender went at byte [0-9]+; sending it the rest from here$"
	done
}

@test "tree=2: the sender's child (host 1 of 6) dies: its hosts 3 and 4 are resumed from the source" {
	CHAIN_OPTS=--fanout=tree=2 killed_mid_transfer 6 1
	orphans_resumed 3 4
}

@test "tree=2 --encrypt: a relay another host feeds (3 of 8) dies: its hosts 7 and 8 are resumed from the source" {
	CHAIN_OPTS="--fanout=tree=2 --encrypt" killed_mid_transfer 8 3
	orphans_resumed 7 8
}

@test "host 3's link is cut (ip link set down): found within --timeout, stepped over" {
	big_chain 5
	chain_bg --json --timeout=4 "$T/big" "${DESTS[@]}"
	wait_at r3 $((6 * 1024 * 1024))
	ip -n "$HOST3" link set "$LINK3" down
	chain_wait
	one_gone 3
}

@test "host 3 stops reading (SIGSTOP): after --timeout it is stepped over" {
	big_chain 5
	chain_bg --json --timeout=4 "$T/big" "${DESTS[@]}"
	wait_at r3 $((6 * 1024 * 1024))
	kill -STOP "$PID"
	on_teardown kill -9 "$PID"
	chain_wait
	one_gone 3
}

@test "-g: the hosts another host feeds say how far they are; the slowest host is named" {
	local mid
	big_chain 3
	on_snd --progress=json --timeout=10 "$T/big" "${DESTS[@]}"
	assert_success
	assert_same "$T/big" "${FILES[@]}"
	# host 3 (fed by host 2) counted while the copy ran, not only at
	# the end: a line where it held some of the file and not all
	mid=$(grep '^{' <<<"$stderr" | jq -s --arg h "${DESTS[2]}" \
		'[.[] | select(.done == false) | .destinations[] |
		  select(.path == $h and .bytes > 0 and .bytes < 25169921)] | length')
	[[ $mid -gt 0 ]] || fail "no progress line with host 3 part way: $stderr"
	# the slowest is a host (the last of a chain holds least)
	grep '^{' <<<"$stderr" | jq -e -s --arg h "${DESTS[2]}" \
		'[.[] | select(.done == false and .bytes > 0) | .slowest == $h] | any' >/dev/null ||
		fail "host 3 never the slowest: $stderr"
}
