#!/usr/bin/env bats
# zccp streams: zccp sending to zccp --listen receivers (challenge,
# hello, MAC trailer, reply, all under --key-file), relays, and the
# faults and forgeries a receiver must refuse.  Runs
# once; the tests name their engines: every engine that can show zccp
# the data to checksum (uring, aio, rw, splice); the group engine cannot,
# and a test checks that it says so.

load helpers
load net

ENGINES=(uring splice aio rw)

setup() {
	make_file "$T/src" $((2 * 1024 * 1024 + 4097))
	stream_setup
}

@test "a receiver that would send to its own listening address: refused, the address named" {
	zccp_plain --timeout=2 --listen="unix:$T/sock" "unix:$T/sock"
	assert_status 2
	assert_stderr_matches "^zccp: unix:$T/sock: is the same file as the source unix:$T/sock\$"
	assert_stderr_not_matches '\(null\)'
}

@test "odd sizes, file and pipe sources, every engine that checksums" {
	local v e zc size a
	# uring+zc: the uring engine sending with SEND_ZC, forced on loopback
	for v in "${ENGINES[@]}" uring+zc; do
		e=${v%+zc} zc=0
		[[ $v == *+zc ]] && zc=1
		# 65504 + 32: the trailer ends the 64K chunk; 65520: it straddles
		for size in 0 1 31 4095 4097 65504 65520 65535 65537 200000; do
			make_file "$T/s" "$size"
			listen_receiver a 127.0.0.1 "$e" -B 64K -- "$T/r.file"
			ZCCP_SEND_ZC=$zc zccp -e "$e" -B 64K --key-file="$KEY" "$T/s" "$a"
			assert_success
			wait_listeners 0
			assert_same "$T/s" "$T/r.file"
			listen_receiver a 127.0.0.1 "$e" -B 64K -- "$T/r.pipe"
			run_sh 'cat "$1" | ZCCP_SEND_ZC=$4 "$ZCCP" -e "$2" -B 64K --key-file="$KEY" - "$3"' \
				"$T/s" "$e" "$a" "$zc"
			zccp_log "cat s | ZCCP_SEND_ZC=$zc zccp -e $e -B 64K - $a"
			assert_success
			wait_listeners 0
			assert_same "$T/s" "$T/r.pipe"
		done
	done
}

@test "16 receivers, each writing two files, and a file beside them" {
	local i a addrs=() files=()
	for i in $(seq 16); do
		listen_receiver a 127.0.0.1 "${ENGINES[i % 4]}" -- \
			"$T/r$i" "$T/q$i"
		addrs+=("$a")
		files+=("$T/r$i" "$T/q$i")
	done
	zccp_plain --key-file="$KEY" "$T/src" "${addrs[@]}" "$T/d1"
	assert_success
	wait_listeners 0
	assert_same "$T/src" "${files[@]}" "$T/d1"
}

@test "-v: the receiver names the stream; the sender skips group, and SEND_ZC on loopback" {
	local a p
	listen_receiver a 127.0.0.1 uring -vv -- "$T/r1"
	p=${LISTENERS[0]}
	zccp_plain -vv --key-file="$KEY" "$T/src" "$a"
	assert_success
	assert_stderr_matches 'group out: a zccp stream.s MAC must see the data'
	assert_stderr_not_matches 'splice out'
	# loopback: the kernel would copy SEND_ZC's pages on delivery anyway
	assert_stderr_matches "^zccp: dest $a \(socket\): .*no SEND_ZC: the peer is on this host"
	wait_listeners 0
	assert_same "$T/src" "$T/r1"
	grep -q "^zccp: tcp://127.0.0.1:[0-9]*: zccp stream of $(stat -c %s "$T/src") bytes, authenticated$" \
		"$T/err.$p" || fail "the receiver did not name the stream's size"
}

@test "group cannot checksum a stream: refused, exit 2; --raw can" {
	local port
	port=$(free_port)
	zccp_plain -e group --key-file="$KEY" "$T/src" "tcp://127.0.0.1:$port" "$T/d1"
	assert_status 2
	assert_stderr_matches "^zccp: engine group: a zccp stream.s MAC must see the data \(--raw does not\)$"
	assert_absent "$T/d1"
	zccp_plain -e group --key-file="$KEY" --listen "127.0.0.1:$port" "$T/d1"
	assert_status 2
	assert_stderr_matches "^zccp: engine group: a zccp stream.s MAC must see the data \(--raw does not\)$"
	assert_absent "$T/d1"
	# a stock kernel has no group engine; where it runs, --raw lets it
	if "$ZCCP" --version | grep -q '^engines:.* group\( \|$\)'; then
		listen_receiver a 127.0.0.1 rw --raw -- "$T/r1"
		zccp_plain -e group --raw --insecure "$T/src" "$a"
		assert_success
		wait_listeners 0
		assert_same "$T/src" "$T/r1"
	fi
}

@test "--raw: nc and socat into zccp --listen --raw, every engine" {
	local e a
	for e in "${ENGINES[@]}" splice; do
		listen_receiver a 127.0.0.1 "$e" --raw -- "$T/r.$e" "$T/q.$e"
		socat -u "OPEN:$T/src" "TCP:${a#tcp://}"
		wait_listeners 0
		assert_same "$T/src" "$T/r.$e" "$T/q.$e"
	done
	if command -v nc >/dev/null; then
		listen_receiver a 127.0.0.1 rw --raw -- "$T/r.nc"
		nc -N 127.0.0.1 "${a##*:}" <"$T/src"
		wait_listeners 0
		assert_same "$T/src" "$T/r.nc"
	fi
}

@test "unix: --listen unix:PATH; the socket file goes once the sender is in" {
	local sock=$T/listen.sock
	run_listener --listen "unix:$sock" "$T/r1"
	wait_for 5 test -S "$sock" || fail "zccp did not listen on $sock"
	zccp_plain "$T/src" "unix:$sock"
	assert_success
	wait_listeners 0
	assert_same "$T/src" "$T/r1"
	assert_absent "$sock"
}

@test "--listen binds where it is told and takes one connection" {
	local port pid
	# HOST:PORT: that address only
	listen_receiver a 127.0.0.1 rw -- "$T/r1"
	port=${a##*:}
	run ss -Hltn "sport = :$port"
	echo "$output" >&2
	[[ ${#lines[@]} -eq 1 && ${lines[0]} == *" 127.0.0.1:$port "* ]] ||
		fail "not bound to 127.0.0.1:$port alone"
	# one connection: a sender that is still sending, then another
	start_bg pid bash -c '{ head -c 1000 "$1"; sleep 2; } |
		"$ZCCP" --key-file="$KEY" - "$2"' _ "$T/src" "$a"
	wait_for 5 eval "! ss -Hltn 'sport = :$port' | grep -q ." ||
		fail "still listening after the first connection"
	zccp_plain --key-file="$KEY" "$T/src" "$a"
	assert_status 1
	assert_stderr_matches "^zccp: $a: Connection refused$"
	wait_listeners 0
	# :PORT: loopback only, never every address
	port=$(free_port)
	start_bg pid "$ZCCP" --timeout=5 --key-file="$KEY" --listen ":$port" "$T/r2"
	wait_for 5 listening "$port" || fail "zccp did not listen on :$port"
	run ss -Hltn "sport = :$port"
	echo "$output" >&2
	for line in "${lines[@]}"; do
		[[ $line == *" 127.0.0.1:$port "* || $line == *" [::1]:$port "* ]] ||
			fail "':$port' bound beyond loopback: $line"
	done
	kill "$pid"
	# *:PORT: every address, IPv4 and IPv6 alike
	port=$(free_port)
	start_bg pid "$ZCCP" --timeout=5 --key-file="$KEY" --listen "*:$port" "$T/r3"
	wait_for 5 listening "$port" || fail "zccp did not listen on *:$port"
	run ss -Hltn "sport = :$port"
	echo "$output" >&2
	[[ $output == *" 0.0.0.0:$port "* ]] || fail "'*:$port' did not bind 0.0.0.0"
	kill "$pid"
}

@test "--listen [::1]:PORT: IPv6, sent to tcp://[::1]:PORT" {
	local a
	if ! ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
		skip "no IPv6 loopback (::1) on this machine"
	fi
	listen_receiver a "[::1]" rw -- "$T/r1"
	[[ $a == "tcp://[::1]:"* ]] || fail "unexpected address $a"
	zccp_plain --key-file="$KEY" "$T/src" "$a"
	assert_success
	wait_listeners 0
	assert_same "$T/src" "$T/r1"
}

@test "no sender within --timeout: exit 2, one line, nothing written" {
	local port
	port=$(free_port)
	make_old "$T/d1"
	SECONDS=0
	zccp_plain --timeout=1 --key-file="$KEY" --listen "127.0.0.1:$port" "$T/d1"
	assert_status 2
	assert_stderr_matches "^zccp: --listen 127.0.0.1:$port: no sender within 1 s \(--timeout\)$"
	assert_stderr_line_count 1
	((SECONDS <= 10)) || fail "took $SECONDS s with --timeout=1"
	assert_same "$T/d1.orig" "$T/d1"
}

# tampered ENGINE ERE MITM_OPTION...: a sender through a man in the
# middle to a receiver writing $T/out/d1 (old content), which must refuse
# the stream, saying ERE: exit 2, the old file intact, no temporary left.
tampered() {
	local e=$1 ere=$2 a m p
	shift 2
	mkdir -p "$T/out"
	make_old "$T/out/d1"
	listen_receiver a 127.0.0.1 "$e" -- "$T/out/d1"
	p=${LISTENERS[0]}
	through_mitm m "$a" "$@"
	zccp_plain --key-file="$KEY" "$T/src" "$m"
	assert_status 1
	wait_listeners 2
	grep -Eq "^zccp: tcp://127.0.0.1:[0-9]+: $ere$" "$T/err.$p" ||
		fail "$e $*: the receiver did not say: $ere"
	[[ $(wc -l <"$T/err.$p") -eq 1 ]] || fail "$e $*: more than one line"
	assert_same "$T/out/d1.orig" "$T/out/d1"
	assert_dir_holds "$T/out" d1 d1.orig
}

@test "a stream cut short or changed on the way: refused, the old file stays" {
	local n e size
	size=$(stat -c %s "$T/src")
	for e in "${ENGINES[@]}"; do
		# the wire: 96-byte hello, the payload, a 48-byte trailer
		for n in 100 100000 $((96 + size)) $((96 + size + 47)); do
			tampered "$e" 'stream cut short: nothing written' --cut "$n"
		done
		# one bit of the payload, of the trailer's tag
		for n in 5000 $((96 + size + 40)); do
			tampered "$e" 'stream corrupted or forged \(its MAC does not match\): nothing written' --flip "$n"
		done
		# the trailer's count: a larger one reads as a cut, a smaller one
		# as a change (neither end can tell which)
		tampered "$e" 'stream (cut short|corrupted or forged \(its MAC does not match\)): nothing written' \
			--flip $((96 + size + 14))
	done
}

@test "a corrupted stream to an --inplace receiver: the file it changed is named, never 'nothing written'" {
	local a m p e
	mkdir "$T/out"
	for e in "${ENGINES[@]}"; do
		make_old "$T/out/d1"
		listen_receiver a 127.0.0.1 "$e" --inplace -- "$T/out/d1" "$T/out/new"
		p=${LISTENERS[0]}
		through_mitm m "$a" --flip 5000
		zccp_plain --key-file="$KEY" "$T/src" "$m"
		assert_status 1
		wait_listeners 2
		grep -Eq "^zccp: tcp://127.0.0.1:[0-9]+: stream corrupted or forged \(its MAC does not match\)$" \
			"$T/err.$p" || fail "$e: the receiver did not say the stream was corrupted"
		grep -Fxq "zccp: $T/out/d1: written in place before the source failed: it holds part of the copy, unchecked" \
			"$T/err.$p" || fail "$e: the receiver did not say it changed d1"
		[[ $(wc -l <"$T/err.$p") -eq 2 ]] || fail "$e: not two lines"
		! grep -q 'nothing written' "$T/err.$p" || fail "$e: 'nothing written', yet d1 was"
		! cmp -s "$T/out/d1.orig" "$T/out/d1" || fail "$e: d1 unchanged: the test shows nothing"
		# the file --inplace made goes, as on any failure
		assert_dir_holds "$T/out" d1 d1.orig
		rm "$T/out/d1" "$T/out/d1.orig"
	done
}

@test "a changed hello is refused, named, and the receiver waits on for the real sender" {
	local a m p
	listen_receiver a 127.0.0.1 uring -- "$T/r1"
	p=${LISTENERS[0]}
	# the size, in the header the hello's tag covers
	through_mitm m "$a" --flip 12
	zccp_plain --key-file="$KEY" "$T/src" "$m"
	assert_status 1
	assert_stderr_matches "^zccp: $m: the receiver refused this sender"
	zccp_plain --key-file="$KEY" "$T/src" "$a"
	assert_success
	wait_listeners 0
	assert_same "$T/src" "$T/r1"
	grep -Eq "^zccp: --listen 127.0.0.1:[0-9]+: refused tcp://127.0.0.1:[0-9]+: not authenticated: another key, a replay, or changed on the way$" \
		"$T/err.$p" || fail "the receiver did not name the refused peer"
}

@test "a forged reply: the sender does not count the destination done" {
	local a m
	listen_receiver a 127.0.0.1 rw -- "$T/r1"
	# after the challenge (40 bytes) and the welcome (40): the count
	through_mitm m "$a" --flip-reply $((40 + 40 + 8))
	zccp_plain --key-file="$KEY" "$T/src" "$m"
	assert_status 1
	assert_stderr_matches "^zccp: $m: not authenticated: another key, a replay, or changed on the way$"
	wait_listeners 0
}

@test "a replayed stream is refused, by the same receiver and by another" {
	local a m p
	# record a whole good transfer on the way
	listen_receiver a 127.0.0.1 rw -- "$T/r1"
	through_mitm m "$a" --record "$T/cap"
	zccp_plain --key-file="$KEY" "$T/src" "$m"
	assert_success
	wait_listeners 0
	assert_same "$T/src" "$T/r1"
	[[ $(stat -c %s "$T/cap") -eq $(($(stat -c %s "$T/src") + 96 + 48)) ]] ||
		fail "the recording is not one whole stream"
	# to a new receiver: refused; it goes on waiting, then times out
	make_old "$T/d1"
	listen_receiver a 127.0.0.1 uring --timeout=3 -- "$T/d1"
	p=${LISTENERS[0]}
	socat -u "OPEN:$T/cap" "TCP:${a#tcp://}" 2>/dev/null || true
	wait_listeners 2
	grep -Eq "refused tcp://127.0.0.1:[0-9]+: not authenticated" "$T/err.$p" ||
		fail "the replay was not refused as such"
	grep -Eq "no sender within 3 s" "$T/err.$p" || fail "did not wait on"
	assert_same "$T/d1.orig" "$T/d1"
}

@test "strangers first: refused and named, the real sender still gets in" {
	local a p pid
	make_old "$T/d1"
	listen_receiver a 127.0.0.1 rw -- "$T/d1"
	p=${LISTENERS[0]}
	# one that connects and says nothing, one that talks HTTP, one with
	# another key, one without a key (the sender refuses it itself)
	start_bg pid socat -u "EXEC:sleep 20" "TCP:${a#tcp://}"
	printf 'GET / HTTP/1.0\r\n\r\n' | socat -t 2 - "TCP:${a#tcp://}" >/dev/null || true
	(umask 077 && head -c 32 /dev/urandom >"$T/other.key")
	zccp_plain --key-file="$T/other.key" "$T/src" "$a"
	assert_status 1
	assert_stderr_matches "^zccp: $a: the receiver refused this sender \(not its --key-file\?\)$"
	zccp_plain --insecure "$T/src" "$a"
	assert_status 1
	assert_stderr_matches "^zccp: $a: one end has a key and the other not \(--key-file on both\)$"
	zccp_plain --key-file="$KEY" "$T/src" "$a"
	assert_success
	wait_listeners 0
	assert_same "$T/src" "$T/d1"
	cat "$T/err.$p" >&2
	[[ $(grep -Ec "^zccp: --listen 127.0.0.1:[0-9]+: refused tcp://127.0.0.1:[0-9]+: " "$T/err.$p") -eq 4 ]] ||
		fail "not four refusals, each naming its peer"
}

@test "a sender killed mid-stream: the receiver renames nothing, exit 2" {
	local a p pid
	mkdir "$T/out"
	make_old "$T/out/d1"
	mkfifo "$T/fifo"
	start_bg pid bash -c 'cat "$1" >"$2"' _ "$T/fifo" "$T/seen"
	# the FIFO shows how far the receiver got (what a stream destination
	# receives cannot be taken back; a file is only renamed when whole)
	listen_receiver a 127.0.0.1 uring -B 64K -- "$T/out/d1" "$T/fifo"
	p=${LISTENERS[0]}
	# a stream source is sent in whole chunks; the receiver holds back
	# its newest chunk until the next begins (the trailer may be in it)
	start_bg pid bash -c '{ head -c 2000000 "$1"; sleep 30; } |
		exec "$2" -B 64K --key-file="$KEY" - "$3"' _ "$T/src" "$ZCCP" "$a"
	on_teardown pkill -KILL -xf "$ZCCP -B 64K --key-file=$KEY - $a"
	wait_for 10 eval "[[ \$(stat -c %s '$T/seen') -ge 1800000 ]]" ||
		fail "the receiver did not get the first 1.8 MB"
	pkill -KILL -xf "$ZCCP -B 64K --key-file=$KEY - $a" || fail "the sender was not found"
	wait_listeners 2
	# the FIFO had bytes: said so, and not "nothing written"
	grep -Eq "^zccp: tcp://127.0.0.1:[0-9]+: stream cut short$" \
		"$T/err.$p" || fail "the receiver did not say the stream was cut short"
	grep -Fxq "zccp: $T/fifo: written in place before the source failed: it holds part of the copy, unchecked" \
		"$T/err.$p" || fail "the receiver did not name the FIFO it wrote"
	assert_same "$T/out/d1.orig" "$T/out/d1"
	assert_dir_holds "$T/out" d1 d1.orig
}

@test "a receiver killed mid-stream fails alone; the others complete" {
	local a b pid
	make_file "$T/big" 16M
	# --inplace: its file shows how far it got
	listen_receiver a 127.0.0.1 uring --inplace -- "$T/k1"
	listen_receiver b 127.0.0.1 rw -- "$T/r2"
	start_bg pid bash -c '{ head -c 4M "$1"; while [[ ! -e $3 ]]; do
		sleep 0.05; done; tail -c +4194305 "$1"; } |
		"$ZCCP" --key-file="$KEY" - "$2" "$4" "$5" 2>"$T/sender.err"
		echo $? >"$T/sender.rc"' _ "$T/big" "$a" "$T/go" "$b" "$T/d1"
	on_teardown pkill -KILL -f "$ZCCP --key-file=$KEY - $a $b"
	# 4 chunks sent; the receiver holds the last back (the trailer)
	wait_for 10 eval "[[ \$(stat -c %s '$T/k1' 2>/dev/null) -ge 3145728 ]]" ||
		fail "the first receiver never got 3 MiB"
	pkill -KILL -f -- "--listen 127.0.0.1:${a##*:}" || fail "receiver not found"
	touch "$T/go"
	wait_for 30 test -s "$T/sender.rc" || fail "the sender did not end"
	cat "$T/sender.err" >&2
	[[ $(<"$T/sender.rc") == 1 ]] || fail "sender exited $(<"$T/sender.rc"), want 1"
	grep -Eq "^zccp: $a: (Broken pipe|Connection reset by peer|receiver closed without confirming.*)$" \
		"$T/sender.err" || fail "the sender did not name the killed receiver"
	[[ $(wc -l <"$T/sender.err") -eq 1 ]] || fail "more than one line"
	LISTENERS=("${LISTENERS[1]}")
	wait_listeners 0
	assert_same "$T/big" "$T/r2" "$T/d1"
}

@test "a slow receiver: its trailer waits for room, the others go on" {
	local a b pid
	mkfifo "$T/slow.fifo"
	start_bg pid "$SLOW_READER" "$T/slow.fifo" "$T/slow" 2M
	# its socket is full when its last write completes: the trailer
	# goes out after the copy, while the fast one completes
	listen_receiver a 127.0.0.1 uring -- "$T/slow.fifo"
	listen_receiver b 127.0.0.1 rw -- "$T/fast"
	zccp_plain --key-file="$KEY" "$T/src" "$a" "$b" "$T/d1"
	assert_success
	wait_listeners 0
	wait_for 10 eval "! kill -0 $pid 2>/dev/null" || fail "slow reader still running"
	assert_same "$T/src" "$T/slow" "$T/fast" "$T/d1"
}

@test "an idle sender: the receiver gives up after --timeout, writes nothing" {
	local a p pid
	make_old "$T/d1"
	listen_receiver a 127.0.0.1 rw --timeout=2 -- "$T/d1"
	p=${LISTENERS[0]}
	SECONDS=0
	start_bg pid bash -c '{ head -c 100000 "$1"; sleep 30; } |
		exec "$3" --key-file="$KEY" - "$2"' _ "$T/src" "$a" "$ZCCP"
	on_teardown pkill -KILL -xf "$ZCCP --key-file=$KEY - $a"
	wait_listeners 2
	((SECONDS <= 15)) || fail "took $SECONDS s with --timeout=2"
	grep -Eq "^zccp: tcp://127.0.0.1:[0-9]+: the sender sent nothing for --timeout seconds$" \
		"$T/err.$p" || fail "the receiver did not say why"
	assert_same "$T/d1.orig" "$T/d1"
}

@test "a relay whose destination fails: the sender hears it, exit 1" {
	local c b
	listen_receiver c 127.0.0.1 uring -- "$T/missing/c1"
	listen_receiver b 127.0.0.1 rw -- "$T/b1" "$c"
	zccp_plain --key-file="$KEY" "$T/src" "$b" "$T/a1"
	assert_status 1
	assert_stderr_matches "^zccp: $b: receiver could not write its destinations$"
	assert_stderr_line_count 1
	wait_listeners 1
	assert_same "$T/src" "$T/a1" "$T/b1"
}

@test "two hosts: a relay chain of three across veth, every engine" {
	local e b c
	two_hosts
	for e in "${ENGINES[@]}"; do
		# sender (SND) -> relay (RCV) -> last (SND), each with a file
		NS=$SND listen_receiver c 10.231.0.1 "$e" -- "$T/c.$e"
		NS=$RCV listen_receiver b 10.231.0.2 "$e" -- "$T/b.$e" "$c"
		run_sh 'cat "$1" | ip netns exec "$2" "$ZCCP" -vv -e "$3" --key-file="$KEY" - "$4" "$5"' \
			"$T/src" "$SND" "$e" "$b" "$T/a.$e"
		zccp_log "cat src | zccp -vv -e $e - $b a.$e (in $SND)"
		assert_success
		# a peer on another host: uring sends from its buffers in place
		[[ $e != uring ]] ||
			assert_stderr_matches "^zccp: dest $b \(socket\): SEND_ZC from the registered buffer \(peer on another host"
		wait_listeners 0
		assert_same "$T/src" "$T/a.$e" "$T/b.$e" "$T/c.$e"
	done
}

@test "--listen: a directory destination needs a name; DEST is required" {
	mkdir "$T/dir"
	zccp_plain --insecure --listen :1 "$T/dir"
	assert_status 2
	assert_stderr_matches "^zccp: $T/dir: Is a directory$"
	zccp_plain --listen :1
	assert_status 2
	assert_stderr_matches "^zccp: missing DEST$"
	zccp_plain --listen= "$T/d1"
	assert_status 2
	assert_stderr_matches "^zccp: invalid --listen '': want HOST:PORT or unix:PATH$"
}

@test "--key-file: refused as ssh refuses a key, one line naming it, exit 2" {
	local port
	port=$(free_port)
	make_old "$T/d1"
	cp "$KEY" "$T/open.key"
	chmod 0644 "$T/open.key"
	zccp_plain --key-file="$T/open.key" --listen "127.0.0.1:$port" "$T/d1"
	assert_status 2
	assert_stderr_matches "^zccp: --key-file $T/open.key: readable or writable by others than its owner \(chmod 600 it\)$"
	assert_stderr_line_count 1
	zccp_plain --key-file="$T/open.key" "$T/src" "tcp://127.0.0.1:$port"
	assert_status 2
	assert_stderr_matches "^zccp: --key-file $T/open.key: readable"
	(umask 077 && head -c 31 /dev/urandom >"$T/short.key")
	zccp_plain --key-file="$T/short.key" "$T/src" "tcp://127.0.0.1:$port"
	assert_status 2
	assert_stderr_matches "^zccp: --key-file $T/short.key: key too short: want at least 32 bytes"
	zccp_plain --key-file="$T/none.key" "$T/src" "tcp://127.0.0.1:$port"
	assert_status 2
	assert_stderr_matches "^zccp: --key-file $T/none.key: No such file or directory$"
	mkfifo "$T/fifo.key"
	zccp_plain --key-file="$T/fifo.key" "$T/src" "tcp://127.0.0.1:$port"
	assert_status 2
	assert_stderr_matches "^zccp: --key-file $T/fifo.key: not a regular file$"
	assert_same "$T/d1.orig" "$T/d1"
}

@test "TCP without a key needs --insecure, loopback included; with it, any zccp gets in" {
	local port a
	port=$(free_port)
	make_old "$T/d1"
	for spec in ":$port" "127.0.0.1:$port" "*:$port" "tcp://[::1]:$port"; do
		zccp_plain --listen "$spec" "$T/d1"
		assert_status 2
		assert_stderr_matches "^zccp: --listen=$(printf '%s' "$spec" | sed 's/[]*.[]/\\&/g'): TCP needs --key-file=FILE \(the same secret at both ends\), or --insecure to let anyone send$"
		assert_usage_error
	done
	zccp_plain "$T/src" "tcp://127.0.0.1:$port"
	assert_status 2
	assert_stderr_matches "^zccp: tcp://127.0.0.1:$port: TCP needs --key-file=FILE"
	zccp_plain --raw "$T/src" "tcp://127.0.0.1:$port"
	assert_status 2
	zccp_plain --raw --key-file="$KEY" "$T/src" "tcp://127.0.0.1:$port"
	assert_status 2
	assert_stderr_matches "^zccp: --key-file cannot be used with --raw \(it carries no key\)$"
	assert_same "$T/d1.orig" "$T/d1"
	# both ends --insecure: a stream, still checked end to end
	listen_receiver a 127.0.0.1 rw --insecure -- "$T/d1"
	zccp_plain --insecure "$T/src" "$a"
	assert_success
	wait_listeners 0
	assert_same "$T/src" "$T/d1"
}

@test "unix: without a key admits its own user only; the socket file is 0600" {
	local sock p
	requires nobody
	make_world_dir
	sock=$WORLD_DIR/listen.sock
	cp "$T/src" "$WORLD_DIR/src" && chmod 0644 "$WORLD_DIR/src"
	run_listener --timeout=10 --listen "unix:$sock" "$T/r1"
	p=${LISTENERS[0]}
	wait_for 5 test -S "$sock" || fail "zccp did not listen on $sock"
	[[ $(stat -c %a "$sock") == 600 ]] || fail "socket mode $(stat -c %a "$sock")"
	# nobody cannot even connect: the file's mode
	as_nobody "$WORLD_DIR/src" "unix:$sock"
	assert_status 1
	assert_stderr_matches "^zccp: unix:$sock: Permission denied$"
	# were the mode lost, the peer's user id still keeps nobody out
	chmod 0666 "$sock"
	as_nobody "$WORLD_DIR/src" "unix:$sock"
	assert_status 1
	assert_stderr_matches "^zccp: unix:$sock: receiver closed without confirming"
	zccp_plain "$T/src" "unix:$sock"
	assert_success
	wait_listeners 0
	assert_same "$T/src" "$T/r1"
	grep -Fxq "zccp: --listen unix:$sock: refused unix:$sock: another user, and no --key-file" \
		"$T/err.$p" || fail "the receiver did not name the refused user"
}

@test "a receiver that is not zccp (socat): no challenge, that destination fails after --timeout" {
	local a
	RECEIVERS=()
	tcp_receiver a "$T/got"
	make_old "$T/d1"
	SECONDS=0
	zccp_plain --key-file="$KEY" --timeout=2 "$T/src" "$a" "$T/d1"
	assert_status 1
	assert_stderr_matches "^zccp: $a: the receiver sent no challenge within --timeout \(not a zccp --listen\? then --raw\)$"
	assert_stderr_line_count 1
	((SECONDS <= 15)) || fail "took $SECONDS s with --timeout=2"
	assert_same "$T/src" "$T/d1"
	# not one byte of the source went to a receiver that proved nothing
	wait_receivers
	assert_size "$T/got" 0
}
