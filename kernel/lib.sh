# Helpers shared by kernel/build and kernel/run-qemu.  Sourced, not run:
# the caller sets `prog` (its name in messages) and `die_status`.
# shellcheck shell=bash disable=SC2034,SC2154
# (SC2034: the variables set here are for the callers; SC2154: `prog`
# and `die_status` come from them.)

kernel_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# One cache for every work tree on the machine: the unpacked sources and
# kernel objects are large and slow to make, and nothing in them depends
# on which clone asked for them (the cache key covers the inputs).
cache=${ZCCP_KERNEL_CACHE:-/var/cache/zccp-kernel}
source_package=linux-source-6.12

die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit "${die_status:-1}"
}

say() {
	printf '%s: %s\n' "$prog" "$*"
}

# need_packages PKG...: install from Debian the packages that are missing,
# quietly when nothing is, with the whole apt output shown if it fails.
need_packages() {
	local pkg status missing=() as_root=() log
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
		[[ $status == ii* ]] || missing+=("$pkg")
	done
	((${#missing[@]} == 0)) && return 0
	command -v apt-get >/dev/null || die "install by hand: ${missing[*]}"
	if ((EUID != 0)); then
		command -v sudo >/dev/null || die "missing ${missing[*]}: run as root"
		as_root=(sudo)
	fi
	say "installing ${missing[*]}" >&2
	log=$(mktemp "${TMPDIR:-/tmp}/zccp-kernel-apt.XXXXXX")
	# --no-install-recommends: qemu-system-x86 would otherwise pull a GUI.
	if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y \
		-o DPkg::Lock::Timeout=300 install --no-install-recommends \
		"${missing[@]}" </dev/null >"$log" 2>&1; then
		# The package lists may be missing or stale on a fresh machine.
		"${as_root[@]}" apt-get -q update </dev/null >>"$log" 2>&1 || true
		if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y \
			-o DPkg::Lock::Timeout=300 install --no-install-recommends \
			"${missing[@]}" </dev/null >>"$log" 2>&1; then
			cat "$log" >&2
			rm -f "$log"
			die "apt-get install ${missing[*]} failed (output above)"
		fi
	fi
	rm -f "$log"
}

# The Debian version of the kernel source, e.g. 6.12.117-1~deb12u1.
source_version() {
	dpkg-query -W -f='${Version}' "$source_package" 2>/dev/null ||
		die "$source_package is not installed: run kernel/build"
}
