#!/usr/bin/env bats
# ssh:// destinations: zccp starts each receiver through a real sshd
# (one per network namespace "host", with throw-away keys), hands it the
# transfer's key on the ssh channel, and sends the data over its own TCP
# connection.  Runs once (auto); the stream itself is 12-listen's.

load helpers
load net

setup() {
	make_file "$T/src" $((3 * 1024 * 1024 + 4097))
	export T ZCCP
}

@test "one host: a path, a directory/, USER@ and :PORT, beside a local file" {
	ssh_hosts 1
	mkdir "$T/h1" "$T/h1/dir"
	on_snd -vv "$T/src" "ssh://10.232.1.2$T/h1/a" "ssh://root@10.232.1.2:22$T/h1/dir/" \
		"$T/local"
	assert_success
	assert_same "$T/src" "$T/h1/a" "$T/h1/dir/src" "$T/local"
	assert_stderr_matches "^zccp: dest ssh://10.232.1.2$T/h1/a \(socket\): "
	# the data went over its own TCP connection, not through ssh
	assert_stderr_matches "^zccp: dest ssh://10.232.1.2$T/h1/a \(socket\): SEND_ZC"
}

@test "the key is on no command line: the receiver's is exactly its options and PATH" {
	local pid rpid args
	ssh_hosts 1
	# a source that pauses halfway, so the receiver can be looked at
	start_bg pid bash -c '{ head -c 1M "$1"; sleep 3; tail -c +1048577 "$1"; } |
		ip netns exec "$2" "$3" --rsh="$4" - "$5"' _ \
		"$T/src" "$SND" "$ZCCP" "$RSH" "ssh://10.232.1.2$T/r1"
	# ours: other suites may run beside this one
	wait_for 10 eval "pgrep -f -- '^zccp --serve .* $T/r1\$' >/dev/null" ||
		fail "no receiver started"
	rpid=$(pgrep -f -- "^zccp --serve .* $T/r1\$" | head -1)
	args=$(tr '\0' ' ' </proc/"$rpid"/cmdline)
	echo "receiver: $args" >&2
	[[ $args == "zccp --serve --timeout=30 --sparse=auto --direct=auto -- $T/r1 " ]] ||
		fail "unexpected receiver command line: $args"
	! tr '\0' '\n' </proc/"$rpid"/environ | grep -qi 'key' ||
		fail "something key-like in the receiver's environment"
	# and ssh's own: the remote command, quoted for the remote shell
	args=$(tr '\0' ' ' </proc/"$(pgrep -f -- "^ssh -F .* --serve .* '$T/r1'\$" | head -1)"/cmdline)
	echo "ssh: $args" >&2
	[[ $args == "$RSH 10.232.1.2 'zccp' --serve --timeout=30 --sparse=auto --direct=auto -- '$T/r1' " ]] ||
		fail "unexpected ssh command line: $args"
	wait_for 20 eval "! kill -0 $pid 2>/dev/null" || fail "the sender did not end"
	assert_same "$T/src" "$T/r1"
}

@test "four hosts mixed with local files; every copy the source's bytes" {
	local i dests=() files=()
	ssh_hosts 4
	for i in 1 2 3 4; do
		dests+=("ssh://10.232.$i.2$T/r$i")
		files+=("$T/r$i")
	done
	on_snd "$T/src" "${dests[@]:0:2}" "$T/l1" "${dests[@]:2}" "$T/l2"
	assert_success
	assert_same "$T/src" "${files[@]}" "$T/l1" "$T/l2"
}

@test "with --key-file, tcp:// and ssh:// side by side share the key" {
	local port pid
	ssh_hosts 1
	(umask 077 && head -c 32 /dev/urandom >"$T/key")
	port=$(free_port)
	start_bg pid ip netns exec "$HOST1" "$ZCCP" --key-file="$T/key" --timeout=20 \
		--listen "10.232.1.2:$port" "$T/t1"
	wait_for 5 eval "ip netns exec $HOST1 ss -Hltn 'sport = :$port' | grep -q ." ||
		fail "the tcp receiver did not listen"
	on_snd --key-file="$T/key" "$T/src" "ssh://10.232.1.2$T/s1" \
		"tcp://10.232.1.2:$port" "$T/l1"
	assert_success
	wait_for 10 eval "! kill -0 $pid 2>/dev/null" || fail "tcp receiver still running"
	assert_same "$T/src" "$T/s1" "$T/t1" "$T/l1"
}

@test "zccp missing on one host, a refused login, an unknown host key: each fails alone, one line naming it" {
	ssh_hosts 3
	rm "$T/ssh2/bin/zccp"
	# host 3's key is not the one known
	sed -i '/^10\.232\.3\.2 /d' "$T/ssh/known_hosts"
	ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/other" || fail "ssh-keygen"
	make_old "$T/r2"
	on_snd "$T/src" "ssh://10.232.1.2$T/r1" "ssh://10.232.2.2$T/r2" \
		"ssh://10.232.3.2$T/r3" "$T/l1"
	assert_status 1
	assert_same "$T/src" "$T/r1" "$T/l1"
	assert_same "$T/r2.orig" "$T/r2"
	assert_absent "$T/r3"
	assert_stderr_matches "^zccp: ssh://10.232.2.2$T/r2: could not start zccp there: .*zccp: command not found$"
	assert_stderr_matches "^zccp: ssh://10.232.3.2$T/r3: could not start zccp there: Host key verification failed\.$"
	assert_stderr_line_count 2
	# a key sshd does not accept
	sed "s|IdentityFile .*|IdentityFile $T/ssh/other|" "$T/ssh/config" >"$T/ssh/config.other"
	zccp_under ip netns exec "$SND" -- --rsh="ssh -F $T/ssh/config.other" \
		"$T/src" "ssh://10.232.1.2$T/r4" "$T/l4"
	assert_status 1
	assert_same "$T/src" "$T/l4"
	assert_stderr_matches "^zccp: ssh://10.232.1.2$T/r4: could not start zccp there: .*Permission denied \(publickey\)\.$"
	assert_stderr_line_count 1
}

@test "the receiver's own failure comes back named by the destination, exit 1" {
	ssh_hosts 1
	on_snd "$T/src" "ssh://10.232.1.2$T/no/such/dir/f" "$T/l1"
	assert_status 1
	assert_same "$T/src" "$T/l1"
	assert_stderr_matches "^zccp: ssh://10.232.1.2$T/no/such/dir/f: .*No such file or directory$"
}

@test "ssh:// usage: malformed, --raw, and tcp:// beside it without --key-file are refused" {
	zccp_plain "$T/src" "ssh://host" "$T/l1"
	assert_status 1
	assert_stderr_matches "^zccp: ssh://host: not an address: want ssh://\[USER@\]HOST\[:PORT\]/PATH$"
	assert_same "$T/src" "$T/l1"
	# a host that is an option to ssh: refused, nothing run
	cd "$T"
	zccp_plain src "ssh://-oProxyCommand=touch pwned/x" "ssh://-l@h/x" "$T/l2"
	assert_status 1
	assert_stderr_matches "^zccp: ssh://-oProxyCommand=touch pwned/x: not an address"
	assert_stderr_matches "^zccp: ssh://-l@h/x: not an address"
	assert_absent "$T/pwned"
	assert_same "$T/src" "$T/l2"
	zccp_plain --raw --insecure "$T/src" "ssh://h/x"
	assert_status 2
	assert_stderr_matches "^zccp: ssh://h/x: ssh:// sends a zccp stream: it cannot be used with --raw$"
	zccp_plain --insecure "$T/src" "ssh://h/x" tcp://127.0.0.1:9
	assert_status 2
	assert_stderr_matches "^zccp: tcp://127.0.0.1:9: beside ssh:// destinations, needs --key-file=FILE"
	zccp_plain - "ssh://h/dir/" </dev/null
	assert_status 1
	assert_stderr_matches "^zccp: ssh://h/dir/: a directory needs the source's name"
}

@test "--serve is for ssh:// senders: by hand it is refused, exit 2" {
	zccp_plain --serve "$T/d1" </dev/null
	assert_status 2
	assert_stderr_matches "^zccp: --serve: only an ssh:// sender starts it"
	assert_absent "$T/d1"
}

@test "--encrypt: ssh:// receivers get it too, and the bytes arrive" {
	ssh_hosts 2
	mkdir "$T/h1" "$T/h2"
	on_snd -vv --encrypt --fanout=star "$T/src" "ssh://10.232.1.2$T/h1/a" \
		"ssh://10.232.2.2$T/h2/b"
	assert_success
	assert_same "$T/src" "$T/h1/a" "$T/h2/b"
	assert_stderr_count 2 "^zccp: ssh://10\.232\.[12]\.2$T/h[12]/[ab]: encrypted: TLS 1\.3, "
	# a chain: host 2 hears host 1, and takes only an encrypted stream
	# (a --encrypt receiver refuses a plain one: 24-encrypt)
	rm "$T/h1/a" "$T/h2/b"
	on_snd -vv --encrypt --fanout=chain "$T/src" "ssh://10.232.1.2$T/h1/a" \
		"ssh://10.232.2.2$T/h2/b"
	assert_success
	assert_same "$T/src" "$T/h1/a" "$T/h2/b"
	assert_stderr_matches "^zccp: fanout chain: ssh://10\.232\.2\.2$T/h2/b receives from ssh://10\.232\.1\.2$T/h1/a$"
}
