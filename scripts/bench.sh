#!/bin/sh
# Run every benchmark once; each prints its figures next to a baseline from the same run.
set -eu
build=${1:-build}
for b in "$build"/bench/bench_*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b"
done
