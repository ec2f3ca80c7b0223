#!/bin/sh
# The installed tdxsim, as a user outside the tree meets it: `meson install --destdir` into a
# temporary directory, then, from another temporary directory, a guest of two files built with
# `pkg-config --cflags --libs tdxsim-guest` alone and again with `tdxsim build`, each run with
# the installed `tdxsim run` (exact output and exit status), and `tdxsim build`'s refusals.
#   test_install.sh BUILD_DIR PREFIX BINDIR LIBDIR DATADIR
set -u
unset CC # `tdxsim build` and this script both compile with cc
build=$1 prefix=$2 bindir=$3 libdir=$4 datadir=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}

meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/dest" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; fail "meson install"; }
root=$tmp/dest$prefix
tdxsim=$root/$bindir/tdxsim
for f in "$tdxsim" "$root/$libdir/tdxsim/libtdxguest.a" "$root/$libdir/tdxsim/libtdxguest_crt.a" \
	"$root/$libdir/tdxsim/tdxguest.ld" "$root/include/tdxguest/tdxguest.h" \
	"$root/include/tdx/tdx.h" "$root/include/tdxsim/boot.h" \
	"$root/$libdir/pkgconfig/tdxsim-guest.pc" "$root/$datadir/tdxsim/tdxsim-gdb.py"; do
	[ -f "$f" ] || fail "not installed: ${f#"$root"/}"
done

# Outside the tree, with nothing but the install.
mkdir "$tmp/work" && cd "$tmp/work" || fail "cd"
cat >main.c <<'C'
#include "tdxguest/tdxguest.h"
int twice(int x);
int main(void)
{
	tdx_printf("out of tree: %d\n", twice(21));
	return 7;
}
C
cat >twice.c <<'C'
int twice(int x)
{
	return 2 * x;
}
C
export PKG_CONFIG_PATH="$root/$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs tdxsim-guest) || fail "pkg-config tdxsim-guest"
# shellcheck disable=SC2086
cc -O2 main.c twice.c $flags -o pc.elf || fail "cc with pkg-config's flags: $flags"
"$tdxsim" build -o build.elf main.c twice.c || fail "tdxsim build"

for elf in pc.elf build.elf; do
	"$tdxsim" run --quiet "$elf" >out.txt 2>err.txt
	status=$?
	[ $status = 7 ] || { cat err.txt; fail "$elf: exit status $status, not 7"; }
	[ "$(cat out.txt)" = "out of tree: 42" ] || fail "$elf: output '$(cat out.txt)'"
done

# `run --gdb` runs gdb (here echo, which shows its arguments) with the installed gdb script.
TDXSIM_GDB=echo "$tdxsim" run pc.elf --gdb >out.txt 2>&1 || fail "run --gdb: $(cat out.txt)"
grep -qF -- "-x $root/$datadir/tdxsim/tdxsim-gdb.py -ex run" out.txt ||
	fail "run --gdb: not the installed script: $(cat out.txt)"

# Refusals: exit status 125 and a message naming the fault.
refuse() { # EXPECTED-MESSAGE ARGS...
	want=$1
	shift
	"$tdxsim" build "$@" >/dev/null 2>err.txt
	status=$?
	[ $status = 125 ] || fail "tdxsim build $*: status $status, not 125"
	grep -qF "$want" err.txt || fail "tdxsim build $*: no '$want' in: $(cat err.txt)"
}
refuse "tdxsim build: no source files" -o x.elf
refuse "tdxsim build: missing.c: No such file or directory" -o x.elf main.c missing.c
refuse "tdxsim build: no output file" main.c twice.c
echo "int main(void) { return undeclared; }" >bad.c
refuse "tdxsim build: the compiler (cc) failed with status 1; no x.elf" -o x.elf bad.c
[ ! -e x.elf ] || fail "x.elf exists after a failed build"
echo "PASS: installed under $prefix: tdxsim, the guest SDK, tdxsim-guest.pc; pc.elf, build.elf"
