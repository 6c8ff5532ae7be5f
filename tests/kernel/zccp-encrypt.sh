#!/bin/sh
# zccp --encrypt on the project's kernel, which has kernel TLS
# (CONFIG_TLS, kernel/config): run in the guest by kernel/run-qemu
# (busybox sh).  The sender's records must go to the kernel (its -v says
# "kernel TLS", and /proc/net/tls_stat counts the sockets), every engine
# that shows zccp the data must feed it (splice through the TLS socket
# included), and the bytes must arrive.  With --time, 32 MiB with and
# without --encrypt are also timed (the sender's wall and CPU), side by
# side, and printed (never asserted: the guest is emulated; goals live
# in bench/).
# Usage: zccp-encrypt.sh [--time]

ZCCP=${ZCCP:-zccp}
T=$(mktemp -d /tmp/zccp-encrypt.XXXXXX) || exit 1
# ok, not_ok, check
# shellcheck source-path=SCRIPTDIR source=tap.sh
. "$(dirname "$0")/tap.sh"

(umask 077 && head -c 32 /dev/urandom >"$T/key")
port=9100

# listening PORT: a socket listens on 127.0.0.1:PORT (no ss here).
listening() {
	grep -q "0100007F:$(printf %04X "$1") 00000000:0000 0A" /proc/net/tcp
}

# transfer ENGINE SRC DEST OPTION...: a receiver on loopback writes DEST,
# a sender (-v, to $T/send.err) sends SRC; both must exit 0.
transfer() {
	engine=$1 src=$2 dest=$3
	shift 3
	port=$((port + 1))
	"$ZCCP" -e "$engine" --key-file="$T/key" "$@" \
		--listen="127.0.0.1:$port" "$dest" 2>"$T/recv.err" &
	rpid=$!
	i=0
	while ! listening "$port" && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	# $timed: a file for the sender's wall, user and system seconds
	${timed:+time -o "$timed" -f "%e %U %S"} \
		"$ZCCP" -v -e "$engine" --key-file="$T/key" "$@" "$src" \
		"tcp://127.0.0.1:$port" 2>"$T/send.err"
	sent=$?
	wait "$rpid"
	received=$?
	[ "$sent" -eq 0 ] && [ "$received" -eq 0 ] && return 0
	echo "sender $sent, receiver $received"
	cat "$T/send.err" "$T/recv.err"
	return 1
}

# tx_sockets: how many TLS sockets the kernel has sealed for (device or
# software), from /proc/net/tls_stat.
tx_sockets() {
	awk '$1 == "TlsTxSw" || $1 == "TlsTxDevice" { n += $2 } END { print n + 0 }' \
		/proc/net/tls_stat
}

# every_size ENGINE: odd sizes through kernel TLS, compared.
every_size() {
	for size in 0 1 4095 4097 1048575 3145729; do
		head -c "$size" /dev/urandom >"$T/src"
		rm -f "$T/dst"
		transfer "$1" "$T/src" "$T/dst" --encrypt || return 1
		grep -q ': encrypted: TLS 1.3, kernel TLS$' "$T/send.err" || {
			echo "size $size: the sender did not use kernel TLS"
			cat "$T/send.err"
			return 1
		}
		cmp "$T/src" "$T/dst" || return 1
	done
}

if [ -r /proc/net/tls_stat ]; then
	ok "the kernel has TLS (/proc/net/tls_stat)"
else
	not_ok "the kernel has TLS (/proc/net/tls_stat)"
fi
before=$(tx_sockets)
for engine in uring splice aio rw; do
	check "--encrypt, engine $engine: kernel TLS, odd sizes arrive" \
		every_size "$engine"
done
after=$(tx_sockets)
if [ "$after" -ge $((before + 24)) ]; then
	ok "the kernel sealed for every sender ($before -> $after TLS sockets)"
else
	not_ok "the kernel sealed for every sender ($before -> $after TLS sockets)"
fi

if [ "${1:-}" = --time ]; then
	head -c $((32 * 1024 * 1024)) /dev/urandom >"$T/big"
	timed=$T/time
	for round in 1 2 3; do
		for mode in plain encrypt; do
			opt=
			[ $mode = encrypt ] && opt=--encrypt
			transfer uring "$T/big" /dev/null $opt >/dev/null ||
				mode="$mode FAILED"
			read -r wall user sys <"$timed"
			echo "# time: round $round, 32 MiB, $mode: wall $wall s, sender user $user s, system $sys s"
		done
	done
	timed=
fi

rm -rf "$T"
echo "# $cases cases, $failed failed"
[ "$cases" -gt 0 ] && [ "$failed" -eq 0 ]
