#!/bin/sh
# zccp's group engine on a kernel with SQE groups (run in the guest by
# kernel/run-qemu, busybox sh): every copy case, contents compared, in
# both of its variants: the page cache leader (READ_PAGES lends the
# source's pages, members write from them) and registered buffers
# (ZCCP_GROUP_PAGES=0).  Prints one line per case; exits 1 if any
# failed, 0 otherwise.
# Usage: zccp-group.sh [ZCCP]   (default: zccp on PATH); ENGINE=uring
# runs the same cases with another engine (to check the script itself).

ZCCP=${1:-zccp}
ENGINE=${ENGINE:-group}
T=$(mktemp -d /tmp/zccp-group.XXXXXX) || exit 1
# ok, not_ok, check
# shellcheck source-path=SCRIPTDIR source=tap.sh
. "$(dirname "$0")/tap.sh"

# same SRC DEST...: every DEST holds SRC's bytes.
same() {
	src=$1
	shift
	for d in "$@"; do
		cmp "$src" "$d" || return 1
	done
}

make_file() { # PATH BYTES
	head -c "$2" /dev/urandom >"$1"
}

# verbose_says TEXT ARGS...: zccp -vv ARGS succeeds and says TEXT (-vv:
# how zccp copies; -v says only what it copied).
verbose_says() {
	text=$1
	shift
	"$ZCCP" -vv "$@" 2>"$T/verbose" && grep -q "$text" "$T/verbose" ||
		{ cat "$T/verbose"; return 1; }
}

# Every case, for the variant ZCCP_GROUP_PAGES selects.
run_cases() {
	# -vv must say the group engine ran (and not fall back to another).
	check "-vv names engine $ENGINE" sh -c \
		"head -c 12345 /dev/urandom >$T/v.src &&
		 $ZCCP -vv -e $ENGINE $T/v.src $T/v.d 2>&1 | grep -q '^zccp: engine $ENGINE'"

	# Which variant runs, and why: files only lend pages unless told not to;
	# a stream destination never does (its writes come after the group).
	if [ "$ENGINE" = group ]; then
		if [ "${ZCCP_GROUP_PAGES:-}" = 0 ]; then
			check "-vv: registered buffers, as told" verbose_says \
				'registered buffers.*pages not lent: ZCCP_GROUP_PAGES=0' \
				-e group "$T/v.src" "$T/v.d"
		else
			check "-vv: page cache leader" verbose_says \
				'source .*group (page cache leader)' \
				-e group "$T/v.src" "$T/v.d"
			check "-vv: members write from the leader's pages" verbose_says \
				"dest .*from the leader's pages" \
				-e group "$T/v.src" "$T/v.d"
			check "-vv: a stream destination keeps registered buffers" \
				verbose_says 'pages not lent: a destination is a stream' \
				-e group "$T/v.src" "$T/v.d" - </dev/null
			# measured faster than uring: auto takes it for files
			# past the size where starting an engine dominates
			head -c 3000000 /dev/urandom >"$T/v.big"
			check "auto picks group for files of some MiB" verbose_says \
				'^zccp: engine group: auto' "$T/v.big" "$T/v.d"
			check "auto starts a cheaper engine for a small file" \
				verbose_says '^zccp: engine .*: auto: .*small' \
				"$T/v.src" "$T/v.d"
			# ... unless a digest must see the data
			check "--checksum: auto passes group over" verbose_says \
				'group out: --checksum must see the data' \
				--checksum "$T/v.big" "$T/v.d"
			check "--checksum: the digest, as sha256sum prints it" \
				sh -c "[ \"\$($ZCCP --checksum $T/v.src $T/v.d)\" = \
				\"\$(sha256sum $T/v.src)\" ]"
			check "--verify: auto passes group over, reads back" \
				verbose_says "verified: read back" \
				--verify "$T/v.big" "$T/v.d"
			check "--version: SQE groups and kernel buffers found" \
				sh -c "$ZCCP --version | grep -q 'SQE groups  *yes' &&
				$ZCCP --version | grep -q 'kernel buffers  *yes'"
		fi
	fi

	for size in 0 1 4095 4096 4097 65535 1048575 1048576 1048577 5242883; do
		rm -f "$T"/src "$T"/d*
		make_file "$T/src" "$size"
		check "size $size to 3 files" sh -c \
			"$ZCCP -e $ENGINE $T/src $T/d1 $T/d2 $T/d3"
		check "size $size contents" same "$T/src" "$T/d1" "$T/d2" "$T/d3"
	done

	# Block size and depth: chunks of 4 KiB, 64 in flight; one of 1 chunk.
	make_file "$T/src" 3000001
	for geometry in "-B 4K -Q 64" "-B 64K -Q 1" "-B 1M -Q 2"; do
		rm -f "$T"/d*
		check "geometry $geometry" sh -c \
			"$ZCCP -e $ENGINE $geometry $T/src $T/d1 $T/d2"
		check "geometry $geometry contents" same "$T/src" "$T/d1" "$T/d2"
	done

	# Holes: kept in files, written as zeros to streams.
	rm -f "$T"/src "$T"/d*
	make_file "$T/src" 70000
	dd if=/dev/urandom of="$T/src" bs=4096 seek=600 count=3 conv=notrunc 2>/dev/null
	truncate -s 8M "$T/src"
	check "sparse source to 2 files" sh -c "$ZCCP -e $ENGINE $T/src $T/d1 $T/d2"
	check "sparse contents" same "$T/src" "$T/d1" "$T/d2"

	# Streams: a FIFO and stdout next to files (writes that wait for the
	# leader, short writes to a pipe).
	rm -f "$T"/d* "$T"/fifo
	make_file "$T/src" 2500000
	mkfifo "$T/fifo"
	cat "$T/fifo" >"$T/from-fifo" &
	reader=$!
	check "FIFO, stdout and a file" sh -c \
		"$ZCCP -e $ENGINE $T/src $T/fifo - $T/d1 >$T/from-stdout"
	wait $reader
	check "FIFO contents" same "$T/src" "$T/from-fifo" "$T/from-stdout" "$T/d1"

	# A pipe as the source: reads cannot be grouped, the copy still works.
	rm -f "$T"/d*
	check "pipe source" sh -c "cat $T/src | $ZCCP -e $ENGINE - $T/d1 $T/d2"
	check "pipe source contents" same "$T/src" "$T/d1" "$T/d2"

	# Many destinations: members beyond one per CPU, one group each chunk.
	rm -f "$T"/d*
	make_file "$T/src" 1234567
	set --
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do set -- "$@" "$T/d$i"; done
	check "16 destinations" "$ZCCP" -e $ENGINE "$T/src" "$@"
	check "16 destinations contents" same "$T/src" "$@"

	# A block device gets O_DIRECT (--direct=auto; the tmpfs source does
	# not): the unaligned tail of the last chunk goes buffered after the
	# aligned part, a write that comes after its group.  With lent pages
	# the engine reads that chunk into the buffer again (-vv says so).
	rm -f "$T"/d*
	truncate -s 8M "$T/disk"
	if dev=$(losetup -f 2>"$T/err") && losetup "$dev" "$T/disk" 2>"$T/err"; then
		make_file "$T/src" 3149835
		check "block device, O_DIRECT, unaligned tail" \
			verbose_says 'dest .*O_DIRECT' -B 64K -e $ENGINE \
			"$T/src" "$dev" "$T/d1"
		if [ "$ENGINE" = group ] && [ "${ZCCP_GROUP_PAGES:-}" != 0 ]; then
			check "block device tail: chunk read again for it" \
				grep -q 'chunk(s) read into the buffer again' "$T/verbose"
		fi
		check "block device contents" sh -c \
			"head -c 3149835 $dev | cmp - $T/src && cmp $T/src $T/d1"
		losetup -d "$dev"
	else
		not_ok "losetup $T/disk: $(cat "$T/err")"
	fi
	rm -f "$T/disk"

	# A destination that fills up fails alone (exit 1); the rest complete
	# and the full one is not renamed into place.
	rm -f "$T"/d*
	mkdir -p "$T/small"
	if mount -t tmpfs -o size=512k tmpfs "$T/small"; then
		make_file "$T/src" 2000000
		"$ZCCP" -e $ENGINE "$T/src" "$T/d1" "$T/small/full" "$T/d2" 2>"$T/err"
		status=$?
		if [ "$status" -eq 1 ] && same "$T/src" "$T/d1" "$T/d2" &&
		   [ ! -e "$T/small/full" ]; then
			ok "full destination fails alone"
		else
			not_ok "full destination fails alone (status $status)"
			sed 's/^/#   /' "$T/err"
		fi
		umount "$T/small"
	else
		not_ok "mount a small tmpfs"
	fi
}

# The group engine: both variants, in one boot.
if [ "$ENGINE" = group ] && [ -z "${ZCCP_GROUP_PAGES+set}" ]; then
	for ZCCP_GROUP_PAGES in 1 0; do
		export ZCCP_GROUP_PAGES
		echo "# ZCCP_GROUP_PAGES=$ZCCP_GROUP_PAGES"
		run_cases
	done
else
	run_cases
fi

rm -rf "$T"
echo "# $cases cases, $failed failed"
[ "$cases" -gt 0 ] && [ "$failed" -eq 0 ]
