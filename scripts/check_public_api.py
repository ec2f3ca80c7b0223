#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tools/ and tests/vmm/ use libtdxsim's public API alone (docs/API.md): no file there
includes a header of vmm/, platform/, host/, module/ or shim/, or tools/machine.h. The
headers they may include are the public ones (tdxsim/, tdx/, tdxguest/), the C library's,
cmocka, and their own directory's and tests/support/'s, which are checked the same way
when they are in tests/vmm/.

Tests of internals on purpose live in tests/vmm_internal/ and the unit suites. The files
listed in PENDING still include internals until they are converted; each entry says why. An entry whose file no longer includes any is an error too, so the list only
shrinks.

usage: check_public_api.py SOURCE_ROOT | --self-test
"""
import os
import re
import subprocess
import sys
import tempfile

CHECKED = ["tools", "tests/vmm"]
LOCAL = re.compile(r'^\s*#\s*include\s*"(tests/[^"]+)"')
INTERNAL = re.compile(r'^\s*#\s*include\s*[<"]((vmm|platform|host|module|shim)/[^">]+|tools/machine\.h)[">]')

# file -> why it still includes internal headers (to be converted to the public API)
PENDING = {}


def internal_includes(path, root, seen=None):
    """(line, header) of each internal header @path includes, directly or through the
    tests' own headers it includes ("tests/...")."""
    seen = set() if seen is None else seen
    found = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = INTERNAL.match(line)
            if m:
                found.append((n, m.group(1)))
                continue
            m = LOCAL.match(line)
            sub = os.path.join(root, m.group(1)) if m else None
            if sub and sub not in seen and os.path.exists(sub):
                seen.add(sub)
                found += [(n, f"{hdr} (through {m.group(1)})")
                          for _, hdr in internal_includes(sub, root, seen)]
    return found


def self_test():
    """An internal include in tools/ and in tests/vmm/ is caught; a public one is not."""
    with tempfile.TemporaryDirectory() as root:
        for d in CHECKED:
            os.makedirs(os.path.join(root, d))
        ok = os.path.join(root, "tools", "ok.c")
        with open(ok, "w") as f:
            f.write('#include <tdxsim/tdxsim.h>\n#include "tdx/ghci.h"\n')
        if run(root) != 0:
            print("self-test: a public include was refused")
            return 1
        for d, hdr in (("tools", '"vmm/bus.h"'), ("tests/vmm", "<platform/platform.h>"),
                       ("tools", '"tools/machine.h"')):
            bad = os.path.join(root, d, "bad.c")
            with open(bad, "w") as f:
                f.write(f"#include {hdr}\n")
            if run(root) == 0:
                print(f"self-test: {d}/bad.c including {hdr} passed")
                return 1
            os.unlink(bad)
        # through a header of the tests' own
        os.makedirs(os.path.join(root, "tests", "support"))
        with open(os.path.join(root, "tests", "support", "x.h"), "w") as f:
            f.write('#include "host/tdh.h"\n')
        with open(os.path.join(root, "tests", "vmm", "bad.c"), "w") as f:
            f.write('#include "tests/support/x.h"\n')
        if run(root) == 0:
            print("self-test: an internal header through tests/support/x.h passed")
            return 1
    print("self-test: ok")
    return 0


def run(root):
    return subprocess.run([sys.executable, __file__, root], stdout=subprocess.DEVNULL).returncode


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    root = sys.argv[1]
    bad = 0
    for d in CHECKED:
        for dirpath, _, files in os.walk(os.path.join(root, d)):
            for name in sorted(files):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                found = internal_includes(path, root)
                if found and rel not in PENDING:
                    for n, hdr in found:
                        print(f"{rel}:{n}: includes the internal header {hdr}; use "
                              "include/tdxsim/tdxsim.h (docs/API.md)")
                    bad += 1
                elif not found and rel in PENDING:
                    print(f"{rel}: uses the public API alone now; remove it from PENDING "
                          "in scripts/check_public_api.py")
                    bad += 1
    real_tree = os.path.exists(os.path.join(root, "meson.build"))  # not the self-test's
    for rel in PENDING:
        if real_tree and not os.path.exists(os.path.join(root, rel)):
            print(f"{rel}: listed in PENDING but gone; remove it")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
