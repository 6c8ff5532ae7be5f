#!/usr/bin/env bats
# zccp-test: per-engine
# Network destinations: tcp://HOST:PORT and unix:PATH, written --raw to
# receivers on this machine (socat), mixed with files; connection
# failures fail their destination alone.

load helpers
load net

setup() {
	SIZE=$((3 * 1024 * 1024 + 4097))
	make_file "$T/src" "$SIZE"
	export T
}

@test "tcp: one receiver and a file" {
	local a
	RECEIVERS=()
	tcp_receiver a "$T/r1"
	zccp --raw --insecure "$T/src" "$a" "$T/d1"
	assert_success
	wait_receivers
	assert_same "$T/src" "$T/r1" "$T/d1"
}

@test "tcp: odd sizes 0, 1, 4097 and chunk + 1" {
	local a size
	for size in 0 1 4097 $((64 * 1024 + 1)); do
		RECEIVERS=()
		make_file "$T/s$size" "$size"
		tcp_receiver a "$T/r$size"
		zccp --raw --insecure -B 64K "$T/s$size" "$a"
		assert_success
		wait_receivers
		assert_same "$T/s$size" "$T/r$size"
	done
}

@test "tcp: 16 receivers" {
	local i a addrs=() files=()
	RECEIVERS=()
	for i in $(seq 16); do
		tcp_receiver a "$T/r$i"
		addrs+=("$a")
		files+=("$T/r$i")
	done
	zccp --raw --insecure "$T/src" "${addrs[@]}"
	assert_success
	wait_receivers
	assert_same "$T/src" "${files[@]}"
}

@test "unix: 4 receivers, mixed with tcp and a file" {
	local i a addrs=() files=()
	RECEIVERS=()
	for i in 1 2 3 4; do
		unix_receiver a "$T/u$i"
		addrs+=("$a")
		files+=("$T/u$i")
	done
	tcp_receiver a "$T/t1"
	zccp --raw --insecure "$T/src" "${addrs[@]}" "$a" "$T/d1"
	assert_success
	wait_receivers
	assert_same "$T/src" "${files[@]}" "$T/t1" "$T/d1"
}

@test "tcp: IPv6 in brackets, and a name (localhost)" {
	local a6 an
	RECEIVERS=()
	if ! ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
		skip "no IPv6 loopback (::1) on this machine"
	fi
	tcp_receiver a6 "$T/r6" ::1
	tcp_receiver an "$T/rn"
	an=${an/127.0.0.1/localhost}
	zccp --raw --insecure "$T/src" "$a6" "$an"
	assert_success
	wait_receivers
	assert_same "$T/src" "$T/r6" "$T/rn"
}

@test "a port nobody listens on: that destination fails alone, exit 1" {
	local a port
	RECEIVERS=()
	tcp_receiver a "$T/r1"
	port=$(free_port)
	zccp --raw --insecure "$T/src" "tcp://127.0.0.1:$port" "$a" "$T/d1"
	assert_status 1
	assert_stderr_matches "^zccp: tcp://127.0.0.1:$port: Connection refused$"
	assert_stderr_line_count 1
	wait_receivers
	assert_same "$T/src" "$T/r1" "$T/d1"
}

@test "a name that does not resolve, a malformed address: one line each, exit 1" {
	zccp --raw --insecure "$T/src" tcp://no-such-host.invalid:9 tcp://127.0.0.1 unix: "$T/d1"
	assert_status 1
	assert_stderr_matches '^zccp: tcp://no-such-host.invalid:9: host name does not resolve$'
	assert_stderr_matches '^zccp: tcp://127.0.0.1: not an address: want tcp://HOST:PORT'
	assert_stderr_matches '^zccp: unix:: not an address: '
	assert_stderr_line_count 3
	assert_same "$T/src" "$T/d1"
}

@test "a receiver that stops after 1 MB: it fails alone, the others complete" {
	local a b
	RECEIVERS=()
	tcp_receiver_to a "SYSTEM:head -c 1000000 >$T/cut"
	tcp_receiver b "$T/r1"
	make_file "$T/big" 64M
	zccp --raw --insecure "$T/big" "$a" "$b" "$T/d1"
	assert_status 1
	assert_stderr_matches "^zccp: $a: (Broken pipe|Connection reset by peer)$"
	assert_stderr_line_count 1
	# the one that stopped reading exits once zccp has closed its end
	wait_receivers
	assert_same "$T/big" "$T/r1" "$T/d1"
	assert_prefix_same "$T/big" "$T/cut" 1000000
}

@test "--timeout: a listener that never accepts makes connect give up" {
	local port
	port=$(free_port)
	# backlog 0: the first connection fills the queue, later SYNs are
	# dropped, so a connect waits until zccp's timeout
	start_bg pid python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(0)
c = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(2)]
time.sleep(60)' "$port"
	wait_for 5 listening "$port" || fail "the listener did not start"
	sleep 0.5
	SECONDS=0
	zccp --raw --insecure --timeout=1 "$T/src" "tcp://127.0.0.1:$port" "$T/d1"
	assert_status 1
	assert_stderr_matches "^zccp: tcp://127.0.0.1:$port: Connection timed out$"
	((SECONDS <= 10)) || fail "took $SECONDS s with --timeout=1"
	assert_same "$T/src" "$T/d1"
}

@test "--timeout: a tcp receiver that stops reading fails alone" {
	local a b
	RECEIVERS=()
	# socat stops reading once the pipe to sleep is full
	tcp_receiver_to a "SYSTEM:sleep 60"
	tcp_receiver b "$T/r1"
	make_file "$T/big" 64M
	SECONDS=0
	zccp --raw --insecure --timeout=2 "$T/big" "$a" "$b" "$T/d1"
	assert_status 1
	assert_stderr_matches "^zccp: $a: Connection timed out$"
	assert_stderr_line_count 1
	((SECONDS <= 20)) || fail "took $SECONDS s with --timeout=2"
	# sleep 60 holds the stalled receiver: only wait for the other
	RECEIVERS=("${RECEIVERS[1]}")
	wait_receivers
	assert_same "$T/big" "$T/r1" "$T/d1"
}

@test "two hosts (network namespaces, veth): one sender, 4 receivers" {
	local i port pid files=() addrs=()
	RECEIVERS=()
	two_hosts
	for i in 1 2 3 4; do
		port=$(free_port)
		start_bg pid ip netns exec "$RCV" socat -u \
			"TCP-LISTEN:$port,bind=10.231.0.2,reuseaddr" \
			"OPEN:$T/h$i,creat,trunc"
		wait_for 5 eval "ip netns exec $RCV ss -Hltn 'sport = :$port' | grep -q ." ||
			fail "socat did not listen in $RCV"
		files+=("$T/h$i")
		addrs+=("tcp://10.231.0.2:$port")
		RECEIVERS+=("$pid")
	done
	zccp_under ip netns exec "$SND" -- -e "$ZCCP_ENGINE" --raw --insecure "$T/src" \
		"${addrs[@]}" "$T/d1"
	assert_success
	wait_receivers
	assert_same "$T/src" "${files[@]}" "$T/d1"
}

@test "--timeout: a unix receiver that stops reading fails alone; a slow one does not" {
	local a b c pid
	RECEIVERS=()
	unix_receiver_to a "SYSTEM:sleep 60"
	# 1 MiB/s: 5 s for the whole source, each second's bytes well
	# within --timeout=2
	mkfifo "$T/slow.fifo"
	start_bg pid "$SLOW_READER" "$T/slow.fifo" "$T/slow" 1M
	unix_receiver_to b "OPEN:$T/slow.fifo"
	tcp_receiver c "$T/r1"
	make_file "$T/s5" 5M
	SECONDS=0
	zccp --raw --insecure --timeout=2 "$T/s5" "$a" "$b" "$c" "$T/d1"
	assert_status 1
	assert_stderr_matches "^zccp: $a: the receiver read nothing for --timeout seconds$"
	assert_stderr_line_count 1
	((SECONDS <= 30)) || fail "took $SECONDS s with --timeout=2"
	# sleep 60 holds the stalled receiver: only wait for the others
	RECEIVERS=("${RECEIVERS[@]:1}" "$pid")
	wait_receivers
	assert_same "$T/s5" "$T/slow" "$T/r1" "$T/d1"
}

@test "./tcp://NAME and ./unix:NAME are files" {
	mkdir "$T/tcp:"
	cd "$T"
	zccp --raw --insecure src ./tcp://x ./unix:y
	assert_success
	assert_same src "tcp:/x" "unix:y"
}

@test "the same address twice is refused, exit 2, nothing written" {
	zccp --raw --insecure "$T/src" tcp://127.0.0.1:9 tcp://127.0.0.1:9 "$T/d1"
	assert_status 2
	assert_stderr_matches '^zccp: tcp://127.0.0.1:9: destination given twice$'
	assert_absent "$T/d1"
}

@test "--timeout takes whole seconds" {
	zccp --raw --insecure --timeout=1.5 "$T/src" "$T/d1"
	assert_status 2
	assert_stderr_matches "^zccp: invalid --timeout '1.5': want whole seconds"
	assert_absent "$T/d1"
}
