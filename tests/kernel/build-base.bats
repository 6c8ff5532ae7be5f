#!/usr/bin/env bats
# kernel/build and the version kernel/base pins: which version it
# installs, what it says when the archive no longer has it, and what
# --check-newest reports.  apt-get, apt-cache and dpkg-query are stubs
# (a directory first on PATH) that play an archive set by the test, so
# nothing here installs anything; the cache is a temporary directory.
# The drift case builds a fake newer source package from the unpacked
# pinned source kernel/build leaves in the real cache, and skips (with
# the reason) where there is none.

# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

KERNEL=$BATS_TEST_DIRNAME/../../kernel

setup() {
	[[ $EUID == 0 ]] || skip "needs root: kernel/build runs apt-get as root"
	REAL_CACHE=${ZCCP_KERNEL_CACHE:-/var/cache/zccp-kernel}
	read -r PKG PINNED < <(grep -v -E '^[[:space:]]*(#|$)' "$KERNEL/base")
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/zccp-build-base.XXXXXX")
	mkdir -p "$T/bin"
	export STUB_LOG=$T/apt.log STUB_ARCHIVE="" STUB_HIDDEN="" STUB_INSTALLED=""
	export STUB_REFUSE="" STUB_DEB=""
	export ZCCP_KERNEL_CACHE=$T/cache
	export PATH=$T/bin:$PATH
	make_stubs
}

teardown() {
	[[ -z ${T-} ]] || rm -rf "$T"
}

# The stubs.  STUB_ARCHIVE: the versions the archive offers; STUB_HIDDEN:
# the one of them an apt pin holds back (priority -1); STUB_INSTALLED: the
# version installed (none if empty); STUB_REFUSE=1: apt-get install fails;
# STUB_DEB: the .deb that apt-get download fetches.  Every apt-get call
# is logged.
make_stubs() {
	cat >"$T/bin/apt-cache" <<'EOF'
#!/bin/bash
[[ $1 == policy ]] || exit 100
printf '%s:\n  Installed: %s\n  Candidate: (stub)\n  Version table:\n' \
	"$2" "${STUB_INSTALLED:-(none)}"
for v in $STUB_ARCHIVE; do
	mark="   " priority=500
	[[ $v != "$STUB_INSTALLED" ]] || mark="***"
	[[ $v != "$STUB_HIDDEN" ]] || priority=-1
	printf ' %s %s %s\n        500 http://stub bookworm-security/main amd64 Packages\n' \
		"$mark" "$v" "$priority"
	[[ $v != "$STUB_INSTALLED" ]] || printf '        100 /var/lib/dpkg/status\n'
done
EOF
	cat >"$T/bin/apt-get" <<'EOF'
#!/bin/bash
printf '%s\n' "$*" >>"$STUB_LOG"
args=" $* "
case $args in
*" update "*) exit 0 ;;
*" download "*) cp "$STUB_DEB" . && exit 0; exit 100 ;;
esac
want=${args##* linux-source-6.12=}
want=${want%% *}
if [[ -z $STUB_REFUSE && " $STUB_ARCHIVE " == *" $want "* ]]; then
	exit 0
fi
echo "E: Version '$want' for 'linux-source-6.12' was not found"
exit 100
EOF
	cat >"$T/bin/dpkg-query" <<'EOF'
#!/bin/bash
# dpkg-query -W -f=FORMAT PACKAGE
if [[ ${@: -1} == linux-source-6.12 ]]; then
	[[ -n $STUB_INSTALLED ]] || exit 1
	printf 'ii |%s' "$STUB_INSTALLED"
else
	printf 'ii '
fi
EOF
	chmod +x "$T/bin"/*
}

@test "installs exactly the pinned version over another one, downgrading if need be" {
	STUB_ARCHIVE="6.12.999-1~deb12u1 $PINNED" STUB_INSTALLED=6.12.999-1~deb12u1
	STUB_REFUSE=1 # stop right after the install: nothing is built
	run -3 --separate-stderr "$KERNEL/build" patched
	echo "$output" "$stderr"
	[[ $output == *"installing $PKG $PINNED, pinned in kernel/base (installed: 6.12.999-1~deb12u1)"* ]]
	grep -qxF -- "-q -y -o DPkg::Lock::Timeout=300 install --no-install-recommends --allow-downgrades $PKG=$PINNED" "$STUB_LOG"
	[[ $(tail -n 1 <<<"$stderr") == "kernel/build: apt-get install $PKG=$PINNED (kernel/base) failed: E: Version '$PINNED' for 'linux-source-6.12' was not found" ]]
}

@test "the pinned version gone from the archive: one line, the newest named, exit 3" {
	STUB_ARCHIVE="6.12.998-1~deb12u1 6.12.999-1~deb12u1" STUB_INSTALLED=6.12.998-1~deb12u1
	run -3 --separate-stderr "$KERNEL/build" patched
	echo "$stderr"
	[[ $(wc -l <<<"$stderr") == 1 ]]
	[[ $stderr == "kernel/build: $PKG $PINNED (kernel/base) is no longer in the archive, which offers 6.12.999-1~deb12u1: rebase the series onto 6.12.999-1~deb12u1 (kernel/README.md, \"Rebasing\")" ]]
	# it looked again after refreshing the package lists, and installed nothing
	grep -qx -- "-q update" "$STUB_LOG"
	run ! grep -q install "$STUB_LOG"
}

@test "the pinned version held back by an apt pin: one line, nothing installed, exit 3" {
	STUB_ARCHIVE="6.12.1-1 $PINNED 6.12.999-1~deb12u1" STUB_HIDDEN=$PINNED
	STUB_INSTALLED=6.12.1-1
	run -3 --separate-stderr "$KERNEL/build" patched
	echo "$stderr"
	[[ $(wc -l <<<"$stderr") == 1 ]]
	[[ $stderr == "kernel/build: $PKG $PINNED (kernel/base) is held back by an apt pin on this machine (priority -1, see apt-cache policy $PKG): lift the pin, or rebase the series onto a version apt may install (kernel/README.md, \"Rebasing\")" ]]
	run ! grep -q install "$STUB_LOG"
}

@test "--check-newest: the pinned version is the newest" {
	STUB_ARCHIVE="6.12.1-1 $PINNED"
	run -0 "$KERNEL/build" --check-newest
	[[ $output == *"the newest $PKG in the archive, $PINNED, is the version kernel/base pins: nothing to rebase"* ]]
}

@test "--check-newest: nothing offered, cannot tell (exit 3)" {
	STUB_ARCHIVE=""
	run -3 --separate-stderr "$KERNEL/build" --check-newest
	[[ $stderr == *"cannot tell: the archive offers no $PKG"* ]]
}

# fake_package VERSION SED_SCRIPT FILE: a .deb of $PKG VERSION whose
# source holds the files the series touches, from the pinned source, with
# SED_SCRIPT applied to FILE.
fake_package() {
	local stock=$REAL_CACHE/src/stock root=$T/deb-root files patches
	[[ $(cat "$stock.version" 2>/dev/null) == "$PINNED" ]] ||
		skip "no unpacked $PKG $PINNED in $REAL_CACHE/src/stock (run kernel/build)"
	mapfile -t patches < <(grep -v -E '^[[:space:]]*(#|$)' "$KERNEL/series" |
		sed "s|^|$KERNEL/patches/|")
	mapfile -t files < <(awk '/^diff --git /{ f = substr($4, 3) }
		/^new file mode/{ new[f] = 1 } /^--- a\//{ old[substr($2, 3)] = 1 }
		END { for (f in old) if (!(f in new)) print f }' "${patches[@]}")
	mkdir -p "$T/src/$PKG" "$root/usr/src" "$root/DEBIAN"
	(cd "$stock" && cp --parents "${files[@]}" "$T/src/$PKG/")
	sed -i "$2" "$T/src/$PKG/$3"
	tar -cJf "$root/usr/src/$PKG.tar.xz" -C "$T/src" "$PKG"
	printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: test <t@t>\nDescription: fake\n' \
		"$PKG" "$1" >"$root/DEBIAN/control"
	dpkg-deb -b -Zgzip "$root" "$T/${PKG}_$1_all.deb" >/dev/null
	STUB_DEB=$T/${PKG}_$1_all.deb
}

@test "--check-newest: the archive's newest, even where an apt pin holds it back here" {
	STUB_ARCHIVE="$PINNED 6.12.999-1~deb12u1" STUB_HIDDEN=6.12.999-1~deb12u1
	STUB_DEB=/nonexistent # the download fails: the check cannot tell
	run -3 --separate-stderr "$KERNEL/build" --check-newest
	[[ $stderr == *"cannot tell: apt-get download $PKG=6.12.999-1~deb12u1 failed"* ]]
}

@test "--check-newest: a newer source the series applies to" {
	fake_package 6.12.999-1~deb12u1 's/^$/&/' drivers/block/ublk_drv.c
	STUB_ARCHIVE="$PINNED 6.12.999-1~deb12u1"
	run -0 "$KERNEL/build" --check-newest
	echo "$output"
	[[ $output == *"the series applies without fuzz to the newest $PKG, 6.12.999-1~deb12u1 (kernel/base pins $PINNED)"* ]]
	grep -qx -- "-q download $PKG=6.12.999-1~deb12u1" "$STUB_LOG"
}

@test "--check-newest: a newer source where a hunk fails names the patch, the file and the hunk (exit 1)" {
	# what patch 7 expects to find before its declaration of
	# ublk_provide_io_buf() changes in the newer source
	fake_package 6.12.999-1~deb12u1 \
		'/^static int __ublk_ch_uring_cmd(struct io_uring_cmd \*cmd,$/i /* moved on */' \
		drivers/block/ublk_drv.c
	STUB_ARCHIVE="$PINNED 6.12.999-1~deb12u1"
	run -1 "$KERNEL/build" --check-newest
	echo "$output"
	[[ $(tail -n 1 <<<"$output") == "kernel/build: the series does not apply to the newest $PKG, 6.12.999-1~deb12u1 (kernel/base pins $PINNED): 0007-ublk-zero-copy-through-SQE-group-kernel-buffers.patch: drivers/block/ublk_drv.c: Hunk #2 FAILED at "* ]]
}
