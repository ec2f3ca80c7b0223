# SPDX-License-Identifier: MIT
# Sourced by the suite's shell tests: check DESCRIPTION COMMAND... runs COMMAND and prints
# one line, "ok: DESCRIPTION" or "FAIL: DESCRIPTION"; a failure sets $fail to 1, which the
# test's exit status reports at the end.
fail=0
check() {
	what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		echo "FAIL: $what"
		fail=1
	fi
}
