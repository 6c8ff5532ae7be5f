# Sourced by the guest test scripts (busybox sh): one TAP-style line per
# case, counted in $cases and $failed.  The script sets $T, its scratch
# directory, before calling check.
failed=0
cases=0

ok() { cases=$((cases + 1)); echo "ok $cases - $*"; }
not_ok() { cases=$((cases + 1)); failed=$((failed + 1)); echo "not ok $cases - $*"; }

# check NAME CMD...: run CMD, which must succeed; on failure, the last
# lines it printed.
check() {
	name=$1
	shift
	if "$@" >"$T/out" 2>"$T/err"; then
		ok "$name"
	else
		not_ok "$name (status $?)"
		sed 's/^/#   /' "$T/out" "$T/err" | tail -n 20
	fi
}
