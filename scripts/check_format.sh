#!/bin/sh
# The tree follows .clang-format: every C source and header git tracks is as clang-format
# would write it (`make format` rewrites them). Prints each file that is not, and fails.
# Usage: scripts/check_format.sh SOURCE_ROOT
set -u
cd "$1" || exit 1
command -v clang-format >/dev/null || { echo "check_format: clang-format is not installed (make deps)"; exit 1; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files '*.c' '*.h')
else # a tree without git (an unpacked tarball): every C file but build directories'
	files=$(find . -path './build*' -prune -o \( -name '*.c' -o -name '*.h' \) -print)
fi
# One clang-format for all files; it names each file it would change.
# shellcheck disable=SC2086
out=$(clang-format --dry-run -Werror $files 2>&1)
bad=$(printf '%s\n' "$out" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error:.*/\1/p' | sort -u)
if [ -n "$out" ] && [ -z "$bad" ]; then
	printf '%s\n' "$out"
	exit 1
fi
for f in $bad; do
	echo "check_format: $f is not formatted as .clang-format says (clang-format -i $f)"
done
[ -z "$bad" ] && echo "check_format: every C file follows .clang-format"
[ -z "$bad" ]
