#!/bin/sh
# zccp under the kernel's own fault injection (run in the guest by
# kernel/run-qemu, busybox sh; ctest kernel/zccp-faults/VARIANT).  The
# guest kernel has device-mapper with the error, linear, flakey and dust
# targets built in (kernel/config); dmctl (tests/kernel/dmctl.c) sets
# them up, as the guest has no dmsetup.  For every engine named:
#
#   source EIO     a dm-dust device (over a loop device) whose block at
#                  5 MiB of 16 fails reads: exit 2, the error said once,
#                  naming the source; existing destination files keep
#                  their old content, a new one does not appear, nothing
#                  else is left in their directory
#   source file    the same under a file on ext4 (fibmap finds its
#   EIO            block): the group engine lends a file's page cache
#   dest EIO       a block device of dm linear for 5 MiB, then dm error,
#                  among two files and a good block device (dm linear):
#                  exit 1, one error line, naming the failing device; the
#                  others hold the source's bytes
#   fs dest EIO    a file on ext4 on dm, whose table is swapped for
#                  dm-flakey error_writes after mount, with --fsync
#                  (without it the kernel takes buffered writes into the
#                  page cache and a later writeback fails, which no copy
#                  sees): that destination fails alone (exit 1), naming
#                  it; the others complete; umount succeeds, and with a
#                  linear table again the disk holds the old file and no
#                  temporary; dm removal and loop detach succeed
#
# group runs twice: lending the page cache and with registered buffers
# (ZCCP_GROUP_PAGES=0); only a regular file source has its page cache
# lent, a block device source gets registered buffers either way.  Kernel splats (KASAN, lockdep, WARNING, ...)
# fail the run in kernel/run-qemu, which checks the guest's log.
# Prints one line per case; exits 1 if any failed, 0 otherwise.
# Usage: zccp-faults.sh ENGINE...   (ZCCP, DMCTL, FIBMAP, MKFS override
# the tools)

ZCCP=${ZCCP:-zccp}
DMCTL=${DMCTL:-dmctl}
FIBMAP=${FIBMAP:-fibmap}
MKFS=${MKFS:-mkfs.ext4}
TIMEOUT=${TIMEOUT:-300}  # seconds for one zccp run
[ $# -gt 0 ] || { echo "usage: zccp-faults.sh ENGINE..." >&2; exit 2; }
T=$(mktemp -d /tmp/zccp-faults.XXXXXX) || exit 1
# ok, not_ok, check
# shellcheck source-path=SCRIPTDIR source=tap.sh
. "$(dirname "$0")/tap.sh"

MiB=1048576
# Devices, set by loop and dm (through eval).
where='' lo='' lo_bad='' lo_good='' src='' bad='' good='' fsdev=''
dm_names=   # dm devices to remove, newest first
loops=      # loop devices to detach
mounted=    # mount point to unmount

# Undo whatever set-up is left, newest first; say what did not go.
teardown() {
	if [ -n "$mounted" ]; then
		umount "$mounted" || echo "# teardown: umount $mounted failed"
		mounted=
	fi
	for name in $dm_names; do
		"$DMCTL" remove "$name" || echo "# teardown: dmctl remove $name failed"
	done
	dm_names=
	for dev in $loops; do
		losetup -d "$dev" || echo "# teardown: losetup -d $dev failed"
	done
	loops=
}
trap 'teardown; rm -rf "$T"' EXIT

# loop VAR FILE: attach FILE to a free loop device, named in VAR.
# (Not in $(...): the list teardown reads must be this shell's.)
loop() {
	dev=$(losetup -f) && losetup "$dev" "$2" || return 1
	loops="$dev $loops"
	eval "$1=\$dev"
}

# dm VAR NAME LINE...: a dm device of those table lines, its node in VAR.
dm() {
	var=$1
	shift
	# shellcheck disable=SC2034 # read by the eval
	node=$("$DMCTL" create "$@") || return 1
	dm_names="$1 $dm_names"
	eval "$var=\$node"
}

# ext4_on_dm NAME TARGET ARGS [MKFS_OPTION...]: a 64 MiB ext4 on dm device
# NAME ("0 131072 TARGET LOOP ARGS" over $T/fs.img), its node in fsdev,
# mounted on $T/mnt; if that fails, "$what: set-up failed" and 1.
ext4_on_dm() {
	name=$1 target=$2 args=$3
	shift 3
	truncate -s $((64 * MiB)) "$T/fs.img"
	if ! loop lo "$T/fs.img" ||
	   ! dm fsdev "$name" "0 131072 $target $lo $args" ||
	   ! "$MKFS" -q -F "$@" "$fsdev" >"$T/mkfs" 2>&1 ||
	   ! mount -t ext4 "$fsdev" "$T/mnt"; then
		not_ok "$what: set-up failed"
		sed 's/^/#   /' "$T/mkfs" 2>/dev/null
		teardown
		return 1
	fi
	mounted=$T/mnt
}

make_file() { # PATH BYTES
	head -c "$2" /dev/urandom >"$1"
}

# run_zccp ARGS...: zccp with a time limit, stderr to $T/err; sets
# $status.
run_zccp() {
	timeout "$TIMEOUT" "$ZCCP" "$@" 2>"$T/err"
	status=$?
}

# said_once PATH: exactly one line of $T/err is an I/O error, and it
# names PATH.
said_once() {
	[ "$(grep -c 'Input/output error' "$T/err")" -eq 1 ] &&
		grep 'Input/output error' "$T/err" | grep -qF "$1"
}

# listing DIR: its entries, on one line.
listing() {
	# shellcheck disable=SC2012 # our own plain names
	ls -A "$1" | tr '\n' ' '
}

# fail_with NAME: a failed case, with zccp's status and stderr.
fail_with() {
	not_ok "$1 (status $status)"
	sed 's/^/#   /' "$T/err" | tail -n 20
}

# source EIO: dm-dust fails the read of the block at 5 MiB of 16.
case_source() {
	what="$1: source EIO at 5 MiB (dm-dust)"
	shift
	make_file "$T/src.img" $((16 * MiB))
	rm -rf "$T/out" && mkdir "$T/out"
	make_file "$T/old1" 100000
	make_file "$T/old2" 3000
	cp "$T/old1" "$T/out/d1" && cp "$T/old2" "$T/out/d2"
	if ! loop lo "$T/src.img" ||
	   ! dm src zf-src "0 32768 dust $lo 0 4096" ||
	   ! "$DMCTL" message zf-src 0 "addbadblock 1280" >/dev/null ||
	   ! "$DMCTL" message zf-src 0 enable >/dev/null; then
		not_ok "$what: set-up failed"
		teardown
		return
	fi
	run_zccp "$@" "$src" "$T/out/d1" "$T/out/d2" "$T/out/d3"
	if [ "$status" -eq 2 ] && said_once "$src" &&
	   cmp -s "$T/old1" "$T/out/d1" && cmp -s "$T/old2" "$T/out/d2" &&
	   [ "$(listing "$T/out")" = "d1 d2 " ]; then
		ok "$what: exit 2, said once, old files kept, nothing left"
	else
		fail_with "$what"
		echo "#   want exit 2, one error naming $src; $T/out holds: $(listing "$T/out")"
		cmp "$T/old1" "$T/out/d1" | sed 's/^/#   /'
		cmp "$T/old2" "$T/out/d2" | sed 's/^/#   /'
	fi
	# The same device read without the fault: the data were there.
	if "$DMCTL" message zf-src 0 disable >/dev/null &&
	   head -c $((16 * MiB)) "$src" | cmp -s - "$T/src.img"; then
		ok "$what: the device reads whole without the fault"
	else
		not_ok "$what: the device reads whole without the fault"
	fi
	teardown
	rm -f "$T/src.img"
}

# source EIO in a file: a file on ext4 on dm-dust, the device block that
# holds its byte at 5 MiB (fibmap) bad, the page cache dropped.  A
# regular file is what the group engine lends the page cache of
# (READ_PAGES), which a block device source does not get.
case_source_fs() {
	what="$1: source file on ext4, EIO at 5 MiB (dm-dust)"
	shift
	rm -rf "${T:?}/out" "${T:?}/mnt" && mkdir "$T/out" "$T/mnt"
	make_file "$T/old1" 100000
	cp "$T/old1" "$T/out/d1"
	ext4_on_dm zf-sfs dust "0 4096" -b 4096 || return
	make_file "$T/mnt/src" $((16 * MiB))
	sync
	if ! where=$("$FIBMAP" "$T/mnt/src" $((5 * MiB))) ||
	   [ "${where#* }" != 4096 ] ||
	   ! echo 3 >/proc/sys/vm/drop_caches ||
	   ! "$DMCTL" message zf-sfs 0 "addbadblock ${where% *}" >/dev/null ||
	   ! "$DMCTL" message zf-sfs 0 enable >/dev/null; then
		not_ok "$what: bad block set-up failed (fibmap: $where)"
		teardown
		return
	fi
	run_zccp "$@" "$T/mnt/src" "$T/out/d1" "$T/out/d2"
	if [ "$status" -eq 2 ] && said_once "$T/mnt/src" &&
	   cmp -s "$T/old1" "$T/out/d1" &&
	   [ "$(listing "$T/out")" = "d1 " ]; then
		ok "$what: exit 2, said once, old file kept, nothing left"
	else
		fail_with "$what"
		echo "#   want exit 2, one error naming $T/mnt/src; $T/out holds: $(listing "$T/out")"
		cmp "$T/old1" "$T/out/d1" 2>&1 | sed 's/^/#   /'
	fi
	teardown
	rm -f "$T/fs.img"
}

# dest EIO: a block device whose writes fail from 5 MiB on, among good
# destinations (two files, a good dm linear device).
case_dest() {
	what="$1: destination block device EIO at 5 MiB (dm linear + error)"
	shift
	make_file "$T/src" $((12 * MiB + 12345))
	rm -rf "$T/out" && mkdir "$T/out"
	truncate -s $((16 * MiB)) "$T/bad.img" "$T/good.img"
	if ! loop lo_bad "$T/bad.img" || ! loop lo_good "$T/good.img" ||
	   ! dm bad zf-bad "0 10240 linear $lo_bad 0" "10240 22528 error" ||
	   ! dm good zf-good "0 32768 linear $lo_good 0"; then
		not_ok "$what: set-up failed"
		teardown
		return
	fi
	run_zccp "$@" "$T/src" "$T/out/d1" "$bad" "$good" "$T/out/d2"
	if [ "$status" -eq 1 ] && said_once "$bad" &&
	   cmp -s "$T/src" "$T/out/d1" && cmp -s "$T/src" "$T/out/d2" &&
	   head -c $((12 * MiB + 12345)) "$good" | cmp -s - "$T/src"; then
		ok "$what: exit 1, it alone named, the others complete"
	else
		fail_with "$what"
		echo "#   want exit 1, one error naming $bad"
		for d in "$T/out/d1" "$T/out/d2"; do
			cmp "$T/src" "$d" 2>&1 | sed 's/^/#   /'
		done
		head -c $((12 * MiB + 12345)) "$good" | cmp - "$T/src" 2>&1 |
			sed 's/^/#   good device: /'
	fi
	# What reached the failing device before the error is the source's.
	head -c $((5 * MiB)) "$T/src" >"$T/src.5m"
	if head -c $((5 * MiB)) "$lo_bad" | cmp -s - "$T/src.5m"; then
		ok "$what: its first 5 MiB were written"
	else
		not_ok "$what: its first 5 MiB were written"
	fi
	teardown
	rm -f "$T/bad.img" "$T/good.img" "$T/src.5m"
}

# fs dest EIO: ext4 on dm; once mounted and holding the old file, the
# table becomes dm-flakey failing every write.
case_fs() {
	what="$1: destination on ext4 whose device fails writes (dm-flakey)"
	shift
	make_file "$T/src" $((8 * MiB + 777))
	make_file "$T/old" 50000
	rm -rf "${T:?}/out" "${T:?}/mnt" && mkdir "$T/out" "$T/mnt"
	ext4_on_dm zf-fs linear 0 || return
	cp "$T/old" "$T/mnt/dst" && sync
	before=$(listing "$T/mnt")
	if ! "$DMCTL" reload zf-fs \
	     "0 131072 flakey $lo 0 0 3600 1 error_writes"; then
		not_ok "$what: dm-flakey reload failed"
		teardown
		return
	fi
	run_zccp "$@" --fsync "$T/src" "$T/out/d1" "$T/mnt/dst" "$T/out/d2"
	if [ "$status" -eq 1 ] && said_once "$T/mnt/dst" &&
	   cmp -s "$T/src" "$T/out/d1" && cmp -s "$T/src" "$T/out/d2"; then
		ok "$what: exit 1, it alone named, the others complete"
		sed 's/^/#   zccp said: /' "$T/err"
	else
		fail_with "$what"
		echo "#   want exit 1, one error naming $T/mnt/dst"
		for d in "$T/out/d1" "$T/out/d2"; do
			cmp "$T/src" "$d" 2>&1 | sed 's/^/#   /'
		done
	fi
	# Torn down cleanly though the writes fail: umount works.  Then,
	# with the table linear again, the disk holds the old file and no
	# temporary, and the rest of the teardown works.
	if umount "$T/mnt"; then
		mounted=
		ok "$what: umount while the device fails writes"
	else
		not_ok "$what: umount while the device fails writes"
		teardown
		return
	fi
	if "$DMCTL" reload zf-fs "0 131072 linear $lo 0" &&
	   mount -t ext4 "$fsdev" "$T/mnt"; then
		mounted=$T/mnt
		if cmp -s "$T/old" "$T/mnt/dst" &&
		   [ "$(listing "$T/mnt")" = "$before" ]; then
			ok "$what: on disk, old file kept, no temporary left"
		else
			not_ok "$what: on disk, old file kept, no temporary left"
			echo "#   before: $before; after: $(listing "$T/mnt")"
			cmp "$T/old" "$T/mnt/dst" 2>&1 | sed 's/^/#   /'
		fi
		if umount "$T/mnt"; then
			mounted=
		else
			not_ok "$what: umount after remount"
		fi
	else
		not_ok "$what: remount with a linear table"
	fi
	if [ -z "$mounted" ] && "$DMCTL" remove zf-fs; then
		dm_names=
		if losetup -d "$lo"; then
			loops=
			ok "$what: dm remove, loop detach"
		else
			not_ok "$what: losetup -d $lo"
		fi
	else
		not_ok "$what: dmctl remove zf-fs"
	fi
	teardown
	rm -f "$T/fs.img"
}

# run_engine LABEL ZCCP-OPTIONS...: every case (each takes the same).
run_engine() {
	case_source "$@"
	case_source_fs "$@"
	case_dest "$@"
	case_fs "$@"
}

# The engines this kernel must have, from zccp --version.
engines=$("$ZCCP" --version | sed -n 's/^engines://p')
echo "# $(uname -r); zccp engines:$engines"
if ! [ -e /dev/mapper/control ] && ! [ -e /sys/class/misc/device-mapper ]; then
	echo "# SKIP: no device-mapper in this kernel (kernel/config: CONFIG_BLK_DEV_DM)"
	exit 77
fi
for engine in "$@"; do
	case " $engines " in
	*" $engine "*) ;;
	*)
		not_ok "engine $engine available (zccp --version:$engines)"
		continue
		;;
	esac
	if [ "$engine" = group ]; then
		for pages in 1 0; do
			echo "# engine group, ZCCP_GROUP_PAGES=$pages"
			export ZCCP_GROUP_PAGES=$pages
			run_engine "group/pages=$pages" -e group
		done
		unset ZCCP_GROUP_PAGES
	else
		echo "# engine $engine"
		run_engine "$engine" -e "$engine"
	fi
done

echo "# $cases cases, $failed failed"
[ "$cases" -gt 0 ] && [ "$failed" -eq 0 ]
