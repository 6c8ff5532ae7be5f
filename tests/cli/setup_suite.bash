# SPDX-License-Identifier: MIT
# bats runs this once before any suite in tests/cli (conmon-style): a
# broken test environment stops the run loudly here, instead of turning
# into failures, or worse skips, in every test.

setup_suite() {
	local engines="auto uring splice aio rw" helper

	if [[ -z ${ZCCP:-} ]]; then
		echo "setup_suite: ZCCP is not set; run the suites through ctest" \
			"(ctest -L cli), which sets ZCCP, ZCCP_ENGINE and ZCCP_HELPERS" >&2
		return 1
	fi
	if [[ ! -f $ZCCP || ! -x $ZCCP ]]; then
		echo "setup_suite: ZCCP=$ZCCP is not an executable file" >&2
		return 1
	fi
	if [[ " $engines " != *" ${ZCCP_ENGINE:-} "* ]]; then
		echo "setup_suite: ZCCP_ENGINE='${ZCCP_ENGINE:-}' is not one of: $engines" >&2
		return 1
	fi
	for helper in no_uring slow_reader; do
		if [[ ! -x ${ZCCP_HELPERS:-}/$helper ]]; then
			echo "setup_suite: ZCCP_HELPERS=${ZCCP_HELPERS:-} has no executable $helper" >&2
			return 1
		fi
	done
	# The binary starts at all (a broken sanitizer runtime, a missing
	# shared library): say so once.
	if ! "$ZCCP" --version >/dev/null; then
		echo "setup_suite: '$ZCCP --version' fails" >&2
		return 1
	fi
}
