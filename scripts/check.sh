#!/bin/sh
# Run the test suite in each build directory given (DIR, or DIR:SUITE for one suite only,
# e.g. build-tsan:concurrency, and either with @SETUP for a meson test setup, e.g.
# build@cpuid_rewrite), then with `--fuzz DIR` every fuzzer for FUZZ_SMOKE_TIME seconds
# (scripts/fuzz.sh), and print one closing line "N passed, N failed" counting the test
# cases of every run, plus one case per fuzzer, after a list of the runs that failed.
set -u
status=0
dirs=""
fuzz=""
while [ $# -gt 0 ]; do
	case $1 in
	--fuzz) fuzz=$2; shift 2 ;;
	*) dirs="$dirs $1"; shift ;;
	esac
done
for arg in $dirs; do
	setup=""
	case $arg in *@*) setup="--setup ${arg#*@}"; arg=${arg%@*} ;; esac
	dir=${arg%%:*}
	suite=""
	[ "$dir" != "$arg" ] && suite="--suite ${arg#*:}"
	echo "== meson test -C $dir $suite $setup"
	start=$(date +%s)
	# shellcheck disable=SC2086
	meson test -C "$dir" $suite $setup --print-errorlogs --num-processes 2 || status=1
	echo "== $dir $setup: $(($(date +%s) - start)) s"
done
if [ -n "$fuzz" ]; then
	echo "== fuzz smoke: $fuzz, ${FUZZ_SMOKE_TIME:-20} s each"
	scripts/fuzz.sh "$fuzz" "${FUZZ_SMOKE_TIME:-20}" || status=1
fi
python3 - "$fuzz" $dirs <<'PY' || status=1
import json, re, sys
passed = failed = 0
failures = []
fuzz = sys.argv[1]
for arg in sys.argv[2:]:
    arg, _, setup = arg.partition("@")
    d = arg.split(":")[0]
    log = d + "/meson-logs/testlog" + ("-" + setup if setup else "") + ".json"
    try:
        lines = open(log).read().splitlines()
    except OSError:
        print("check: no test log " + log); failed += 1; continue
    for line in lines:
        t = json.loads(line)
        out = (t.get("stdout") or "") + (t.get("stderr") or "")
        p = sum(int(n) for n in re.findall(r"\[  PASSED  \] (\d+) test", out))
        f = sum(int(n) for n in re.findall(r"\[  FAILED  \] (\d+) test", out))
        if t["result"] != "OK" and f == 0:
            f = 1  # a crash or time-out before cmocka could count
        if t["result"] != "OK" or f:
            cases = re.findall(r"^\[  FAILED  \] (\w+)$", out, re.M)
            tail = "\n".join("    | " + l for l in out.rstrip().splitlines()[-12:])
            failures.append("%s%s: %s %s %s\n%s" % (d, "@" + setup if setup else "",
                                                    t["name"], t["result"], " ".join(cases),
                                                    tail))
        passed += p; failed += f
if fuzz:
    try:
        for line in open(fuzz + "/fuzz-results.txt"):
            if line.split()[1] == "ok":
                passed += 1
            else:
                failed += 1
                failures.append("fuzz: " + line.strip())
    except (OSError, IndexError):
        print("check: no fuzz results in " + fuzz); failed += 1
# The failures again at the very end, where a CI log's tail shows them.
for f in failures:
    print("check: FAILED " + f)
print("check: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed or not passed else 0)
PY
exit $status
