#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: printf_refused.sh CC SOURCE [CFLAGS...]. The source must compile as it is, and each
# of its BAD_1..BAD_5 calls must be refused by -Werror=format (the SDK's format(printf)
# attribute), with the compiler naming that warning.
set -e
cc=$1
src=$2
shift 2
err=$(mktemp)
trap 'rm -f "$err"' EXIT
"$cc" "$@" -fsyntax-only -Werror=format "$src"
for n in 1 2 3 4 5; do
	if "$cc" "$@" -fsyntax-only -Werror=format -DBAD_$n "$src" 2>"$err"; then
		echo "BAD_$n compiled: the format attribute did not refuse it"
		exit 1
	fi
	if ! grep -Eq 'Werror=format|-Wformat' "$err"; then
		echo "BAD_$n failed for another reason:"
		cat "$err"
		exit 1
	fi
done
echo "all 5 refused"
