#!/usr/bin/env python3
"""The tree stands alone: every citation resolves inside it and nothing names this machine.

    check_refs.py SRCROOT      check the tree at SRCROOT (the 'refs' meson test)
    check_refs.py --self-test  show that each kind of fault below is caught

Faults, one line each (FILE:LINE: message), exit status 1 if there is any:
  - a citation "ABI §N" (also "[ABI §N, §M]", continued on the next comment line) naming a
    section docs/TDX-ABI.md does not have; inside docs/TDX-ABI.md, any "§N" it lacks;
  - the old citation forms of a file outside the repository ("facts §N", the facts file's
    name) and references to the folder beside the checkout or to absolute paths of a
    particular machine (/work, /home/<user>, /root).
Files are the ones git tracks, or, outside a git checkout, every file below SRCROOT except
build directories (build*) and hidden ones.
"""
import os
import re
import subprocess
import sys
import tempfile

DOC = "docs/TDX-ABI.md"
THIS = "scripts/check_refs.py"

# Patterns are written so that this file does not match itself.
FORBIDDEN = [
    (re.compile(r"\.\./shar" r"ed\b"), "names the folder beside the checkout"),
    (re.compile(r"(?<![\w.:/~-])/(?:wor" r"k|root|home/\w+)(?=/|\b)"),
     "names an absolute path of a particular machine"),
    (re.compile(r"tdx-abi-fac" r"ts"), "names a facts file outside the repository"),
    (re.compile(r"\bfac" r"ts(?:\s*(?:\*|#|//))?\s+§"), "old citation form: use [ABI §N]"),
    (re.compile(r"(?:\[|;\s)fac" r"ts\b(?!(?:\s*(?:\*|#|//))?\s+§)"),
     "old citation form: use [ABI §N]"),
    (re.compile(r"(?i)\bse" r"ed 00[0-9]\b"), "cites a review thread by a private number: "
     "say why, or cite docs/TDX-ABI.md §11"),
]

HEADING = re.compile(r"^#{2,4}\s+(\d+(?:\.\d+)*)\.?\s", re.M)
# A comment continuation: newline, indentation, an optional comment leader.
CONT = re.compile(r"[ \t]*\n[ \t]*(?:\*(?!/)|#|//)?[ \t]*")
CITE = re.compile(r"\bABI(?:\.md)?\s+(§\d+(?:\.\d+)*(?:\s*(?:,|and)\s*§\d+(?:\.\d+)*)*)")
SECT = re.compile(r"§(\d+(?:\.\d+)*)")


def tree_files(root):
    if os.path.exists(os.path.join(root, ".git")):
        try:
            out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True,
                                 capture_output=True).stdout
            return [f for f in out.decode().split("\0") if f]
        except (OSError, subprocess.CalledProcessError):
            pass
    files = []
    for d, dirs, names in os.walk(root):
        dirs[:] = sorted(x for x in dirs if not x.startswith((".", "build")))
        for n in sorted(names):
            files.append(os.path.relpath(os.path.join(d, n), root))
    return files


def read_text(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if b"\0" in data:
        return None
    return data.decode("utf-8", errors="replace")


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def check(root):
    """Return the list of faults (strings) in the tree at root."""
    faults = []
    doc = read_text(os.path.join(root, DOC))
    if doc is None:
        return [DOC + ": missing"]
    sections = set(HEADING.findall(doc))
    for rel in tree_files(root):
        text = read_text(os.path.join(root, rel))
        if text is None:
            continue
        if rel != THIS:
            for rx, msg in FORBIDDEN:
                for m in rx.finditer(text):
                    faults.append("%s:%d: %s: %r" % (rel, line_of(text, m.start()), msg,
                                                     m.group(0)))
        # Citations may continue on the next comment line: join lines, keep positions
        # approximately by mapping back through the original text.
        joined, starts = [], []
        pos = 0
        for m in CONT.finditer(text):
            joined.append(text[pos:m.start()])
            starts.append(pos)
            joined.append(" ")
            starts.append(m.start())
            pos = m.end()
        joined.append(text[pos:])
        starts.append(pos)
        flat = "".join(joined)
        offsets = []
        acc = 0
        for piece, start in zip(joined, starts):
            offsets.append((acc, start))
            acc += len(piece)

        def orig(p):
            best = (0, 0)
            for a, s in offsets:
                if a > p:
                    break
                best = (a, s)
            return best[1] + (p - best[0])

        found = [(m.start(), m.group(1)) for m in CITE.finditer(flat)]
        if rel == DOC:
            found = [(m.start(), m.group(0)) for m in SECT.finditer(flat)]
        for p, group in found:
            for n in SECT.findall(group):
                if n not in sections:
                    faults.append("%s:%d: cites §%s, which %s does not have" %
                                  (rel, line_of(text, orig(p)), n, DOC))
    return faults


def self_test():
    doc = "# T\n\n## 0. Zero\n\n## 1. One\n\n### 1.1 One one\n\nSee §1.1 and §0.\n"
    good = ("/* a [ABI §1.1]; b [M x.c; ABI §0, §1] and ABI §1 */\n"
            "/*\n * c [M y.c; ABI\n * §1.1, §0].\n */\n# d ABI §1 and §0\n"
            "/* e docs/TDX-ABI.md §1.1 */\n")
    cases = [
        ("x.c", "/* [ABI §2] */\n", "cites §2"),
        ("x.c", "/*\n * [M y.c; ABI\n * §1.2] */\n", "cites §1.2"),
        ("x.c", "/* [ABI §1, §3] */\n", "cites §3"),
        ("x.c", "/* as docs/TDX-ABI.md §7 says */\n", "cites §7"),
        ("x.c", "/* [facts" " §1.1] */\n", "old citation"),
        ("x.c", "/* [M y.c; facts\n * §1.1] */\n", "old citation"),
        ("x.c", "/* [M y; fac" "ts: MEM.TRACK] */\n", "old citation"),
        ("x.sh", "cat ../" "shared/x\n", "folder beside"),
        ("x.h", "/* from /" "work/x.md */\n", "absolute path"),
        ("x.h", "/* /" "home/someone/x */\n", "absolute path"),
        ("x.md", "see tdx-abi-" "facts.md\n", "facts file"),
        ("x.c", "/* as asked (se" "ed 004) */\n", "review thread"),
        (DOC, doc + "And §9.\n", "cites §9"),
    ]
    failed = 0
    with tempfile.TemporaryDirectory() as t:
        os.makedirs(os.path.join(t, "docs"))
        with open(os.path.join(t, DOC), "w") as f:
            f.write(doc)
        with open(os.path.join(t, "good.c"), "w") as f:
            f.write(good)
        base = check(t)
        if base:
            print("self-test: a clean tree gave faults: %s" % base)
            failed += 1
        for name, body, want in cases:
            path = os.path.join(t, name)
            saved = read_text(path)
            with open(path, "w") as f:
                f.write(body)
            faults = check(t)
            if len(faults) != 1 or want not in faults[0]:
                print("self-test: %r in %s: expected one fault with %r, got %s" %
                      (body, name, want, faults))
                failed += 1
            if saved is None:
                os.remove(path)
            else:
                with open(path, "w") as f:
                    f.write(saved)
    # Counted like cmocka's summary by scripts/check.sh.
    print("[  PASSED  ] %d test(s)." % (len(cases) + 1 - failed))
    if failed:
        print("[  FAILED  ] %d test(s)." % failed)
    return 1 if failed else 0


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    faults = check(argv[1])
    for f in faults:
        print(f)
    print("check_refs: %d fault(s)" % len(faults))
    print("[  %s  ] 1 test(s)." % ("FAILED" if faults else "PASSED"))
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
