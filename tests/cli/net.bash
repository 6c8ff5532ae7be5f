# SPDX-License-Identifier: MIT
# Sockets for the network suites (`load net` after `load helpers`):
# free ports, socat receivers, and two hosts joined by veth.

# free_port: a TCP port nobody uses now, below the ephemeral range that
# connecting sockets take theirs from (ip_local_port_range).
free_port() {
	local port low
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((10000 + RANDOM % (low - 10000)))
		if ! ss -Hatn "sport = :$port" | grep -q .; then
			echo "$port"
			return 0
		fi
	done
	fail "no free TCP port found"
}

# listening PORT: some socket listens on PORT.
listening() { ss -Hltn "sport = :$1" | grep -q .; }

# tcp_receiver_to VAR SOCAT_ADDRESS [HOST]: a socat that accepts one
# connection on a free port of HOST (default 127.0.0.1) and passes what
# it receives to SOCAT_ADDRESS; VAR gets the address to give zccp.
tcp_receiver_to() {
	local var=$1 to=$2 host=${3:-127.0.0.1} port pid listen
	port=$(free_port)
	listen="TCP-LISTEN:$port,bind=$host,reuseaddr"
	if [[ $host == *:* ]]; then
		host="[$host]"
		listen="TCP6-LISTEN:$port,bind=$host,reuseaddr"
	fi
	start_bg pid socat -u "$listen" "$to"
	wait_for 5 listening "$port" || fail "socat did not listen on $port"
	printf -v "$var" 'tcp://%s:%s' "$host" "$port"
	RECEIVERS+=("$pid")
}

# tcp_receiver VAR FILE [HOST]: the same, writing to FILE.
tcp_receiver() {
	tcp_receiver_to "$1" "OPEN:$2,creat,trunc" "${3:-127.0.0.1}"
}

# unix_receiver_to VAR SOCAT_ADDRESS: a socat on a unix stream socket
# in $T that passes what it receives to SOCAT_ADDRESS.
unix_receiver_to() {
	local var=$1 to=$2 sock pid
	sock=$(mktemp -u "$T/sock.XXXXXX")
	start_bg pid socat -u "UNIX-LISTEN:$sock" "$to"
	wait_for 5 test -S "$sock" || fail "socat did not listen on $sock"
	printf -v "$var" 'unix:%s' "$sock"
	RECEIVERS+=("$pid")
}

# unix_receiver VAR FILE: the same, writing to FILE.
unix_receiver() {
	unix_receiver_to "$1" "OPEN:$2,creat,trunc"
}

# wait_receivers: every receiver has written its file and exited.
wait_receivers() {
	local pid
	for pid in "${RECEIVERS[@]}"; do
		wait_for 10 eval "! kill -0 $pid 2>/dev/null" ||
			fail "receiver $pid still running"
	done
	RECEIVERS=()
}

# two_hosts: network namespaces $SND and $RCV, each with its loopback up,
# joined by a veth pair: 10.231.0.1 (sender) and 10.231.0.2 (receiver).
# Removed in teardown.
two_hosts() {
	local id=$$$RANDOM
	requires root
	SND=zccp-snd-$id RCV=zccp-rcv-$id
	ip netns add "$SND" || fail "ip netns add"
	on_teardown ip netns del "$SND"
	ip netns add "$RCV" || fail "ip netns add"
	on_teardown ip netns del "$RCV"
	# interface names: at most 15 characters
	ip -n "$SND" link add "zs$id" type veth peer name "zr$id" \
		netns "$RCV" || fail "ip link add veth"
	ip -n "$SND" addr add 10.231.0.1/24 dev "zs$id"
	ip -n "$RCV" addr add 10.231.0.2/24 dev "zr$id"
	ip -n "$SND" link set "zs$id" up
	ip -n "$RCV" link set "zr$id" up
	ip -n "$SND" link set lo up
	ip -n "$RCV" link set lo up
}

# ssh_hosts N [RATE]: tests/hosts' namespace hosts (on one switch, host i
# at 10.232.i.2, each with its own sshd; links shaped to RATE), zccp on
# their PATH being $ZCCP; sets $SND, $HOST1.., $LINK1.. and $RSH (the
# --rsh value) as tests/hosts says.  Everything is undone in teardown.
ssh_hosts() {
	requires root
	[[ -x /usr/sbin/sshd ]] ||
		skip "no sshd (openssh-server; scripts/deps installs it)"
	on_teardown "$ZCCP_SOURCE_DIR/tests/hosts" down "$T"
	"$ZCCP_SOURCE_DIR/tests/hosts" up "$T" "$1" "${2:-}" "$ZCCP" ||
		fail "tests/hosts up $1 ${2:-} failed"
	# shellcheck source=/dev/null
	. "$T/hosts.env"
}

# on_snd ZCCP_ARG...: zccp (through bats' run), as the sender in $SND
# of ssh_hosts, with its ssh
on_snd() {
	zccp_under ip netns exec "$SND" -- --rsh="$RSH" "$@"
}

# zccp --listen receivers for the stream suites, each of whose setup
# calls stream_setup: no receivers yet, no namespace, a fresh key $KEY.
stream_setup() {
	LISTENERS=()
	NS=
	KEY=$T/key
	(umask 077 && head -c 32 /dev/urandom >"$KEY")
	export T ZCCP KEY
}

# run_listener ZCCP_ARG...: "$ZCCP" ZCCP_ARG... in the background (in
# network namespace $NS when set); its status and stderr land in
# $T/rc.PID and $T/err.PID, for wait_listeners.
run_listener() {
	local pid in_ns=()
	[[ -n $NS ]] && in_ns=(ip netns exec "$NS")
	start_bg pid "${in_ns[@]}" bash -c \
		'"$@" 2>"$T/err.$$"; echo $? >"$T/rc.$$"' _ \
		timeout -k 5 "$ZCCP_TIMEOUT" "$ZCCP" "$@"
	LISTENERS+=("$pid")
}

# listen_receiver VAR HOST ENGINE [OPTION...] -- DEST...: zccp -e ENGINE
# --listen HOST:PORT DEST... (run_listener) on a free port, with
# --key-file=$KEY (--insecure with --raw); VAR gets the address to send to.
listen_receiver() {
	local var=$1 host=$2 engine=$3 port opts=() in_ns=() key=--key-file=$KEY
	shift 3
	while [[ $1 != -- ]]; do
		[[ $1 == --raw || $1 == --insecure ]] && key=--insecure
		opts+=("$1")
		shift
	done
	opts+=("$key")
	shift
	port=$(free_port)
	[[ -n $NS ]] && in_ns=(ip netns exec "$NS")
	run_listener -e "$engine" "${opts[@]}" --listen "$host:$port" "$@"
	wait_for 5 eval "${in_ns[*]} ss -Hltn 'sport = :$port' | grep -q ." ||
		fail "zccp did not listen on $host:$port"
	printf -v "$var" 'tcp://%s:%s' "$host" "$port"
}

# wait_listeners STATUS: every receiver started since the last call
# exited with STATUS (their stderr goes to the log).
wait_listeners() {
	local want=$1 pid rc
	for pid in "${LISTENERS[@]}"; do
		wait_for 30 test -s "$T/rc.$pid" ||
			fail "receiver $pid still running"
		rc=$(<"$T/rc.$pid")
		{
			echo "receiver $pid: status $rc, stderr:"
			cat "$T/err.$pid"
		} >&2
		[[ $rc == "$want" ]] || fail "receiver $pid exited $rc, want $want"
	done
	LISTENERS=()
}

# through_mitm VAR ADDR MITM_OPTION...: a man in the middle (mitm.py) on
# a free port, passing what comes to ADDR; VAR gets its address.
through_mitm() {
	local var=$1 to=$2 port pid
	shift 2
	port=$(free_port)
	start_bg pid python3 "$BATS_TEST_DIRNAME/mitm.py" "$port" "${to#tcp://}" "$@"
	wait_for 5 listening "$port" || fail "mitm.py did not listen on $port"
	printf -v "$var" 'tcp://127.0.0.1:%s' "$port"
}
