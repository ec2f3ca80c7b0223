#!/bin/sh
# Run the test suite in the normal build and in the sanitizer build, then print one
# closing line "N passed, N failed" that covers both.
set -u
total_pass=0
total_fail=0
for dir in "$@"; do
	echo "== meson test -C $dir"
	meson test -C "$dir" --print-errorlogs --num-processes 2
	log="$dir/meson-logs/testlog.json"
	if [ -f "$log" ]; then
		p=$(grep -c '"result": "OK"' "$log")
		f=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log")
	else
		p=0; f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
done
echo "check: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
