#!/usr/bin/env bats
# --encrypt: a zccp stream in TLS 1.3 from the receiver's welcome on,
# under a pre-shared key made from the transfer's key.  This host's
# kernel has no CONFIG_TLS, so the records are sealed in user space
# here; the engines still see a socket.  Runs once; the tests name the
# engines (every one that can show zccp the data, as 12-listen).

load helpers
load net

ENGINES=(uring splice aio rw)
# What a capture must not hold: it is all over the source.
MARK=zccp-plaintext-marker

setup() {
	# a source a reader on the path would recognise at once
	yes "$MARK" | head -c $((2 * 1024 * 1024 + 4097)) >"$T/src"
	stream_setup
}

@test "--encrypt: odd sizes, every engine at both ends, the bytes arrive; -v says how" {
	local e size a
	for e in "${ENGINES[@]}"; do
		for size in 0 1 4097 $((2 * 1024 * 1024 + 4097)); do
			head -c "$size" "$T/src" >"$T/s$size"
			listen_receiver a 127.0.0.1 "$e" --encrypt -- "$T/r$e$size"
			zccp_plain -vv -e "$e" --encrypt --key-file="$KEY" "$T/s$size" "$a"
			assert_success
			assert_stderr_matches "^zccp: $a: encrypted: TLS 1\.3, (kernel TLS|user-space TLS)"
			wait_listeners 0
			assert_same "$T/s$size" "$T/r$e$size"
		done
	done
}

@test "--encrypt: nobody on the path reads the data, whatever the engines (without it, they do)" {
	local a m e off
	listen_receiver a 127.0.0.1 uring -- "$T/plain"
	through_mitm m "$a" --record "$T/cap.plain"
	zccp_plain --key-file="$KEY" "$T/src" "$m"
	assert_success
	wait_listeners 0
	grep -q "$MARK" "$T/cap.plain" || fail "the check cannot fail: no marker in plain text"

	for e in "${ENGINES[@]}"; do
		listen_receiver a 127.0.0.1 "$e" -- "$T/secret.$e"
		through_mitm m "$a" --record "$T/cap.$e"
		zccp_plain -e "$e" --encrypt --key-file="$KEY" "$T/src" "$m"
		assert_success
		wait_listeners 0
		assert_same "$T/src" "$T/secret.$e"
		(($(stat -c %s "$T/cap.$e") > $(stat -c %s "$T/src"))) ||
			fail "$e: the recording is not the whole stream"
		! grep -q "$MARK" "$T/cap.$e" || fail "$e: the payload crossed in plain text"
		# nor anything long of the source: 64 bytes at a few places
		for off in 0 4096 1000000 2097152; do
			! grep -qF "$(tail -c +$((off + 1)) "$T/src" | head -c 64 | tr -d '\n')" \
				"$T/cap.$e" || fail "$e: source bytes at $off crossed in plain text"
		done
	done
}

@test "--encrypt: a record changed or cut on the way is refused, the old file stays" {
	local a m p n size
	size=$(stat -c %s "$T/src")
	mkdir "$T/out"
	# 96-byte hello, then TLS: the handshake, the records
	for n in 200 5000 $((size / 2)); do
		for how in --flip --cut; do
			make_old "$T/out/d1"
			listen_receiver a 127.0.0.1 rw -- "$T/out/d1"
			p=${LISTENERS[0]}
			through_mitm m "$a" "$how" "$n"
			zccp_plain --encrypt --key-file="$KEY" "$T/src" "$m"
			assert_status 1
			wait_listeners 2
			grep -Eq "^zccp: (--listen )?tcp://127.0.0.1:[0-9]+: (stream cut short: nothing written|TLS failed \(--encrypt\).*)$" \
				"$T/err.$p" || fail "$how $n: the receiver did not say why"
			assert_same "$T/out/d1.orig" "$T/out/d1"
			assert_dir_holds "$T/out" d1 d1.orig
		done
	done
}

@test "a receiver with --encrypt refuses a plain sender, says so, and waits on" {
	local a p
	make_old "$T/d1"
	listen_receiver a 127.0.0.1 uring --encrypt --timeout=3 -- "$T/d1"
	p=${LISTENERS[0]}
	zccp_plain --key-file="$KEY" "$T/src" "$a"
	assert_status 1
	assert_stderr_matches "^zccp: $a: the receiver takes only encrypted streams \(--encrypt\)$"
	wait_listeners 2
	grep -Eq "refused tcp://127.0.0.1:[0-9]+: the receiver takes only encrypted streams" \
		"$T/err.$p" || fail "the receiver did not name the refused sender"
	assert_same "$T/d1.orig" "$T/d1"
}

@test "a receiver without --encrypt follows an encrypting sender" {
	local a
	listen_receiver a 127.0.0.1 splice -- "$T/r1"
	zccp_plain --encrypt --key-file="$KEY" "$T/src" "$a"
	assert_success
	wait_listeners 0
	assert_same "$T/src" "$T/r1"
}

@test "a relay passes an encrypted stream on encrypted, though not told --encrypt" {
	local a b pb
	listen_receiver b 127.0.0.1 rw -vv -- "$T/last"
	pb=${LISTENERS[0]}
	listen_receiver a 127.0.0.1 uring -- "$T/first" "$b"
	zccp_plain --encrypt --key-file="$KEY" "$T/src" "$a"
	assert_success
	wait_listeners 0
	assert_same "$T/src" "$T/first" "$T/last"
	grep -Eq "^zccp: tcp://127.0.0.1:[0-9]+: encrypted: TLS 1\.3, " "$T/err.$pb" ||
		fail "the relay's stream to the last receiver was not encrypted"
}

@test "--encrypt needs a key: refused with --insecure, --raw, or no --key-file" {
	zccp_plain --encrypt --insecure "$T/src" tcp://127.0.0.1:9
	assert_status 2
	assert_stderr_matches '^zccp: --encrypt cannot be used with --insecure$'
	zccp_plain --encrypt --raw "$T/src" tcp://127.0.0.1:9
	assert_status 2
	assert_stderr_matches '^zccp: --encrypt cannot be used with --raw'
	zccp_plain --encrypt "$T/src" "unix:$T/sock"
	assert_status 2
	assert_stderr_matches '^zccp: --encrypt needs --key-file=FILE: its TLS key is made from it \(ssh:// makes its own\)$'
	zccp_plain --encrypt --listen=127.0.0.1:9 "$T/d"
	assert_status 2
	assert_stderr_matches '^zccp: --encrypt needs --key-file=FILE'
	[[ ! -e $T/d ]] || fail "a refused command made its destination"
}

@test "--encrypt to local files only: nothing to encrypt, the copy is made" {
	zccp_plain --encrypt "$T/src" "$T/d1"
	assert_success
	assert_same "$T/src" "$T/d1"
}
