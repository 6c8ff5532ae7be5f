# SPDX-License-Identifier: MIT
# bats runs this once before any suite in tests/cli (conmon-style): a
# broken test environment stops the run loudly here, instead of turning
# into failures, or worse skips, in every test.

setup_suite() {
	local version engines helper

	if [[ -z ${ZCCP:-} ]]; then
		echo "setup_suite: ZCCP is not set; run the suites through ctest" \
			"(ctest -L cli), which sets ZCCP, ZCCP_ENGINE and ZCCP_HELPERS" >&2
		return 1
	fi
	if [[ ! -f $ZCCP || ! -x $ZCCP ]]; then
		echo "setup_suite: ZCCP=$ZCCP is not an executable file" >&2
		return 1
	fi
	# The binary starts at all (a broken sanitizer runtime, a missing
	# shared library): say so once.
	if ! version=$("$ZCCP" --version); then
		echo "setup_suite: '$ZCCP --version' fails" >&2
		return 1
	fi
	# The engines this kernel runs, for helpers.bash's ZCCP_ENGINE_NAMES.
	engines=$(sed -n 's/^engines://p' <<<"$version")
	ZCCP_ENGINE_LIST=$(tr ' ' '\n' <<<"$engines" | grep -v -e '^$' -e '(unavailable)$' | xargs)
	export ZCCP_ENGINE_LIST
	if [[ -z $ZCCP_ENGINE_LIST ]]; then
		echo "setup_suite: '$ZCCP --version' names no engine this kernel runs: $version" >&2
		return 1
	fi
	# run-suite skips an unavailable engine before bats starts.
	if [[ " auto $ZCCP_ENGINE_LIST " != *" ${ZCCP_ENGINE:-} "* ]]; then
		echo "setup_suite: ZCCP_ENGINE='${ZCCP_ENGINE:-}' is not one of: auto $ZCCP_ENGINE_LIST" \
			"(zccp --version: engines:$engines)" >&2
		return 1
	fi
	for helper in no_uring slow_reader; do
		if [[ ! -x ${ZCCP_HELPERS:-}/$helper ]]; then
			echo "setup_suite: ZCCP_HELPERS=${ZCCP_HELPERS:-} has no executable $helper" >&2
			return 1
		fi
	done
}
