#!/bin/sh
# Run the test suite in the normal build and in the sanitizer build, then print one
# closing line "N passed, N failed" counting the test cases of both runs.
set -u
status=0
for dir in "$@"; do
	echo "== meson test -C $dir"
	meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
done
python3 - "$@" <<'PY' || status=1
import json, re, sys
passed = failed = 0
for d in sys.argv[1:]:
    try:
        lines = open(d + "/meson-logs/testlog.json").read().splitlines()
    except OSError:
        print("check: no test log in " + d); failed += 1; continue
    for line in lines:
        t = json.loads(line)
        out = (t.get("stdout") or "") + (t.get("stderr") or "")
        p = sum(int(n) for n in re.findall(r"\[  PASSED  \] (\d+) test", out))
        f = sum(int(n) for n in re.findall(r"\[  FAILED  \] (\d+) test", out))
        if t["result"] != "OK" and f == 0:
            f = 1  # a crash or time-out before cmocka could count
        passed += p; failed += f
print("check: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed or not passed else 0)
PY
exit $status
