# Helpers shared by kernel/build, kernel/run-qemu and the scripts that
# boot the kernels.  Sourced, not run: the caller sets `prog` (its name in
# messages), `die_status` and, if it differs, `unavailable_status`.
# shellcheck shell=bash disable=SC2034,SC2154
# (SC2034: the variables set here are for the callers; SC2154: `prog`
# and `die_status` come from them.)

kernel_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# One cache for every work tree on the machine: the unpacked sources and
# kernel objects are large and slow to make, and nothing in them depends
# on which clone asked for them (the cache key covers the inputs).
cache=${ZCCP_KERNEL_CACHE:-/var/cache/zccp-kernel}
# kernel/base is the one place that names the Debian source package and
# the exact version of it the series is written for.
read -r source_package source_version < <(grep -v -E '^[[:space:]]*(#|$)' \
	"$kernel_dir/base")

die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit "${die_status:-1}"
}

# unavailable REASON: this machine cannot make or boot the kernels, which
# is not a defect of the project: one line, then exit with the caller's
# `unavailable_status` (kernel/build: 3, which scripts/test reports as
# skipped kernel tests outside CI).
unavailable() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit "${unavailable_status:-${die_status:-1}}"
}

say() {
	printf '%s: %s\n' "$prog" "$*"
}

# as_root: the prefix that runs apt-get as root, in the array `as_root`.
as_root() {
	as_root=()
	command -v apt-get >/dev/null || unavailable "no apt-get: install by hand: $*"
	((EUID == 0)) && return 0
	command -v sudo >/dev/null || unavailable "not root and no sudo: install by hand: $*"
	as_root=(sudo)
}

# apt_install ARG...: apt-get install ARG..., tried again after apt-get
# update (the package lists may be missing or stale on a fresh machine).
# Returns apt's status; its output is in the file $apt_log (the caller
# removes it).
apt_install() {
	local -a apt
	as_root "$@"
	apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y
		-o DPkg::Lock::Timeout=300)
	apt_log=$(mktemp "${TMPDIR:-/tmp}/zccp-kernel-apt.XXXXXX")
	# --no-install-recommends: qemu-system-x86 would otherwise pull a GUI.
	"${apt[@]}" install --no-install-recommends "$@" </dev/null >"$apt_log" 2>&1 &&
		return 0
	"${apt[@]}" update </dev/null >>"$apt_log" 2>&1 || true
	"${apt[@]}" install --no-install-recommends "$@" </dev/null >>"$apt_log" 2>&1
}

# need_packages PKG...: install from Debian the packages that are missing,
# quietly when nothing is, with the whole apt output shown if it fails.
need_packages() {
	local pkg status missing=()
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
		[[ $status == ii* ]] || missing+=("$pkg")
	done
	((${#missing[@]} == 0)) && return 0
	say "installing ${missing[*]}" >&2
	if ! apt_install "${missing[@]}"; then
		cat "$apt_log" >&2
		rm -f "$apt_log"
		unavailable "apt-get install ${missing[*]} failed (output above)"
	fi
	rm -f "$apt_log"
}

# archive_policy: "VERSION PRIORITY" for each version of $source_package
# that a package list offers (apt-cache policy's table, without versions
# only dpkg's status knows), in no order.  A negative priority is an apt
# pin that holds the version back on this machine.
archive_policy() {
	apt-cache policy "$source_package" 2>/dev/null | awk '
		/Version table:/ { table = 1; next }
		!table { next }
		{ sub(/^[ *]*/, "") }
		/^-?[0-9]+ / { if ($2 != "/var/lib/dpkg/status") offered[version] = priority; next }
		{ version = $1; priority = $2 }
		END { for (v in offered) print v, offered[v] }'
}

# archive_versions: the versions of $source_package apt may install,
# newest first, one a line.
archive_versions() {
	archive_policy | awk '$2 >= 0 { print $1 }' | sort_versions
}

# refresh_package_lists: apt-get update, quietly; 1 if it failed.
refresh_package_lists() {
	as_root
	"${as_root[@]}" apt-get -q update </dev/null >/dev/null 2>&1
}

# sort_versions: the Debian versions on stdin, newest first.
sort_versions() {
	local -a versions
	local i j t
	mapfile -t versions
	for ((i = 1; i < ${#versions[@]}; i++)); do
		for ((j = i; j > 0; j--)); do
			dpkg --compare-versions "${versions[j - 1]}" ge "${versions[j]}" && break
			t=${versions[j]}
			versions[j]=${versions[j - 1]}
			versions[j - 1]=$t
		done
	done
	((${#versions[@]} == 0)) || printf '%s\n' "${versions[@]}"
}

# kernel_release VARIANT: the release of the built VARIANT, e.g.
# 6.12.118-zccp-patched, from the record kernel/build keeps beside it.
kernel_release() {
	local image
	image=$("$kernel_dir/build" --print-image "$1") || return 1
	sed -n 's/^release: //p' "$(dirname "$image")/info"
}
