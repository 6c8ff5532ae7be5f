#!/bin/sh
# Our ublk server (ublk-loop, copy or zero-copy mode) in the guest (run by
# kernel/run-qemu, busybox sh): patterns written through /dev/ublkbN at
# several block sizes and offsets, buffered and O_DIRECT, read back and
# found in the backing file; then an ext4 made, checked, mounted, written
# and checked again; then the server stopped with SIGTERM, which must
# exit 0 and take the device away.
# Prints one line per case; exits 0 pass, 1 fail, 77 skip (no ublk).
# Usage: ublk-loop.sh [BLOCK_SIZE [MODE]]   (512 or 4096, default 4096;
#        copy (default) or zero-copy: the server's --zero-copy)

BS=${1:-4096}
MODE=${2:-copy}
case $MODE in
copy) mode_arg= ;;
zero-copy) mode_arg=--zero-copy ;;
*) echo "ublk-loop.sh: unknown mode $MODE" >&2; exit 2 ;;
esac
echo "# block size $BS, $MODE"
SERVER=${SERVER:-ublk-loop}
MKFS=${MKFS:-mkfs.ext4}
FSCK=${FSCK:-e2fsck}

if [ ! -c /dev/ublk-control ]; then
	echo "SKIP: no /dev/ublk-control (kernel without CONFIG_BLK_DEV_UBLK)"
	exit 77
fi

T=$(mktemp -d /tmp/ublk-loop.XXXXXX) || exit 1
# ok, not_ok, check
# shellcheck source-path=SCRIPTDIR source=tap.sh
. "$(dirname "$0")/tap.sh"
pid=
dev=
mounted=

# End here, leaving no server or mount behind.
finish() {
	[ -z "$mounted" ] || umount "$T/mnt"
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid"
	fi
	rm -rf "$T"
	echo "# $cases cases, $failed failed"
	[ "$cases" -gt 0 ] && [ "$failed" -eq 0 ]
	exit $?
}

# 67 MiB and 3 blocks: not a power of two, a whole number of blocks.
SIZE=$((67 * 1024 * 1024 + 3 * BS))
head -c $((8 * 1024 * 1024)) /dev/urandom >"$T/rand"
truncate -s "$SIZE" "$T/backing" "$T/expect"

# start_server FILE NAME: serve FILE in the background (pid), wait until
# it prints the device (60 s: debug kernels) and print that.
start_server() {
	# shellcheck disable=SC2086 # $mode_arg: nothing or one word
	"$SERVER" --queue-depth 32 --block-size "$BS" $mode_arg "$1" \
		>"$T/$2.out" 2>"$T/$2.err" &
	pid=$!
	i=0
	while [ ! -s "$T/$2.out" ] && kill -0 "$pid" 2>/dev/null &&
	      [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	head -n 1 "$T/$2.out"
}

if [ "$MODE" = zero-copy ]; then
	check "zero copy without user copy refused at ADD_DEV" \
		"$SERVER" --check-add-dev
fi
start_server "$T/backing" server >"$T/dev"
dev=$(cat "$T/dev")
if [ -n "$dev" ] && [ -b "$dev" ]; then
	ok "server up: $dev"
else
	not_ok "server up (no device; server said:)"
	sed 's/^/#   /' "$T/server.err"
	finish
fi
check "size $SIZE" test "$(blockdev --getsize64 "$dev")" -eq "$SIZE"
check "logical block size $BS" test "$(blockdev --getss "$dev")" -eq "$BS"

# put NAME BS SRC_OFF DST_OFF LEN [direct]: LEN bytes of rand from
# SRC_OFF to the device at DST_OFF, BS at a time; the same into expect.
put() {
	flag=seek_bytes
	[ -z "$6" ] || flag=seek_bytes,direct
	check "write $1: bs $2, $5 bytes at $4${6:+, O_DIRECT}" \
		dd if="$T/rand" of="$dev" bs="$2" skip="$3" count="$5" \
		iflag=skip_bytes,count_bytes,fullblock seek="$4" oflag=$flag
	dd if="$T/rand" of="$T/expect" bs="$2" skip="$3" count="$5" \
		iflag=skip_bytes,count_bytes,fullblock seek="$4" \
		oflag=seek_bytes conv=notrunc 2>/dev/null
}

K=1024
M=$((K * K))
put first-blocks 4096 0 0 $((64 * K))
put large 1M $((1 * M)) $((5 * M + BS)) $((3 * M))
put odd-size 12345 777 $((33 * M + 4321)) 1000000
put small 512 4096 $((40 * M + 512)) $((37 * 512))
put direct-64k 65536 $((2 * M)) $((20 * M)) $((2 * M)) direct
put direct-block "$BS" 12288 $((50 * M + 7 * BS)) $((9 * BS)) direct
put direct-2m 2M 0 $((60 * M)) $((4 * M)) direct
put last-blocks "$BS" 8192 $((SIZE - 3 * BS)) $((3 * BS)) direct
check "flush" sync

# Read back: O_DIRECT straight from the server, then buffered after
# dropping the device's page cache, then the backing file itself.
check "read back O_DIRECT" sh -c \
	"dd if=$dev bs=1M iflag=direct 2>/dev/null | cmp - $T/expect"
check "read back buffered" sh -c \
	"blockdev --flushbufs $dev && cmp $dev $T/expect"
check "read back unaligned" sh -c \
	"dd if=$dev bs=7777 skip=$((5 * M + 99)) count=$((3 * M)) \
	    iflag=skip_bytes,count_bytes 2>/dev/null >$T/part &&
	 dd if=$T/expect bs=7777 skip=$((5 * M + 99)) count=$((3 * M)) \
	    iflag=skip_bytes,count_bytes 2>/dev/null | cmp - $T/part"
check "backing file holds the data" cmp "$T/backing" "$T/expect"
rm -f "$T/expect" "$T/part"

# A file system on it: made, clean, written through a mount, clean.
mkdir "$T/mnt"
check "mkfs.ext4" "$MKFS" -q -F "$dev"
check "e2fsck after mkfs" "$FSCK" -f -n "$dev"
if mount -t ext4 "$dev" "$T/mnt"; then
	mounted=1
	ok "mount"
	check "copy a file in" cp "$T/rand" "$T/mnt/rand"
	check "sync" sync
	if umount "$T/mnt"; then
		mounted=
		ok "umount"
	else
		not_ok "umount"
	fi
else
	not_ok "mount"
fi
check "e2fsck after writes" "$FSCK" -f -n "$dev"
if [ -z "$mounted" ] && mount -t ext4 -o ro "$dev" "$T/mnt"; then
	check "file intact after remount" cmp "$T/rand" "$T/mnt/rand"
	umount "$T/mnt"
else
	not_ok "remount read-only"
fi

# The backing file shrinks under the device: its last MiB reads as zeros
# (as the loop driver's would), never as what the request's pages held.
# read-filled reads into a buffer full of a pattern, which O_DIRECT
# leaves wherever nobody wrote; zero copy relies on the kernel zeroing
# what a short read left of the request's pages.
check "backing file shrinks by 1 MiB - $BS" \
	truncate -s $((SIZE - M + BS)) "$T/backing"
check "past its end: zeros" sh -c \
	"read-filled $dev $((SIZE - M)) $M >$T/tail &&
	 tail -c $BS $T/backing >$T/want &&
	 head -c $BS $T/tail | cmp - $T/want &&
	 head -c $((M - BS)) /dev/zero >$T/want &&
	 tail -c $((M - BS)) $T/tail | cmp - $T/want"

# SIGTERM: STOP_DEV, DEL_DEV, exit 0; the device nodes go.
kill -TERM "$pid"
wait "$pid"
status=$?
pid=
if [ "$status" -eq 0 ]; then
	ok "server exits 0 on SIGTERM"
else
	not_ok "server exits 0 on SIGTERM (status $status)"
	sed 's/^/#   /' "$T/server.err"
fi
n=${dev#/dev/ublkb}
check "device gone" sh -c \
	"! test -e $dev && ! test -e /dev/ublkc$n && ! test -e /sys/block/ublkb$n"

# A server killed in the middle of O_DIRECT writes (SIGKILL: no STOP_DEV;
# with zero copy, groups may hold requests' pages): the kernel fails what
# was in flight and what follows, so the writer ends instead of hanging,
# and nothing splats (run-qemu fails the test on any).  The dead device
# stays until the guest ends: nobody is left to delete it.
truncate -s 64M "$T/backing2"
start_server "$T/backing2" killed >"$T/dev"
dev=$(cat "$T/dev")
if [ -n "$dev" ] && [ -b "$dev" ]; then
	(while dd if="$T/rand" of="$dev" bs=65536 oflag=direct 2>/dev/null
	 do :; done) &
	writer=$!
	sleep 1
	kill -KILL "$pid"
	wait "$pid"
	pid=
	i=0
	while kill -0 "$writer" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$writer" 2>/dev/null; then
		not_ok "writer ends after the server is killed (still running)"
		kill -KILL "$writer"
	else
		ok "writer ends after the server is killed"
	fi
else
	not_ok "second server up"
fi
finish
