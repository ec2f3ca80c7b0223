#!/bin/sh
# Run every libFuzzer harness of a build-fuzz directory for a bounded time:
#   scripts/fuzz.sh BUILD_FUZZ SECONDS [RUNS]
# Each fuzzer starts from its seed corpus fuzz/corpus/<name>/ (read only) and keeps what it
# finds in BUILD_FUZZ/corpus/<name>/; a crash is saved in BUILD_FUZZ/artifacts/. Prints one
# line a fuzzer (runs, execs/s, cov, ft) and writes "<name> ok|FAIL" lines to
# BUILD_FUZZ/fuzz-results.txt for scripts/check.sh. Exit status 1 if any fuzzer failed.
set -u
dir=$1
secs=${2:-20}
runs=${3:-${FUZZ_RUNS:-50000000}}
src=$(cd "$(dirname "$0")/.." && pwd)
status=0
mkdir -p "$dir/artifacts"
: >"$dir/fuzz-results.txt"
found=0
for exe in "$dir"/fuzz/fuzz_*; do
	[ -x "$exe" ] && [ -f "$exe" ] || continue
	found=1
	name=$(basename "$exe" | sed 's/^fuzz_//')
	corpus="$dir/corpus/$name"
	mkdir -p "$corpus"
	set -- -max_total_time="$secs" -runs="$runs" -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/$name-"
	[ -f "$src/fuzz/$name.dict" ] && set -- "$@" -dict="$src/fuzz/$name.dict"
	log="$dir/fuzz-$name.log"
	"$exe" "$@" "$corpus" "$src/fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	# The last status line: "#N DONE cov: C ft: F corp: ... exec/s: E ..."
	line=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	n=$(echo "$line" | sed -n 's/^#\([0-9]*\).*/\1/p')
	cov=$(echo "$line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$line" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	eps=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
	if [ $rc -eq 0 ]; then
		echo "fuzz $name: ok, ${n:-?} runs in <=${secs}s, ${eps:-?} execs/s, cov ${cov:-?}, ft ${ft:-?}"
		echo "$name ok" >>"$dir/fuzz-results.txt"
	else
		echo "fuzz $name: FAILED (exit $rc), ${n:-?} runs; log $log:"
		grep -E 'ERROR|fuzz_|SUMMARY|Test unit written' "$log" | head -n 20
		echo "$name FAIL" >>"$dir/fuzz-results.txt"
		status=1
	fi
done
if [ $found -eq 0 ]; then
	echo "fuzz: no fuzzers in $dir/fuzz (is $dir configured with CC=clang?)"
	echo "none FAIL" >>"$dir/fuzz-results.txt"
	status=1
fi
exit $status
