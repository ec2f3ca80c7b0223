#!/bin/sh
# The installed tdxsim, as a user outside the tree meets it: `meson install --destdir` into a
# temporary directory, then, from another temporary directory, a guest of two files built with
# `pkg-config --cflags --libs tdxsim-guest` alone and again with `tdxsim build`, each run with
# the installed `tdxsim run` (exact output and exit status), `tdxsim build`'s refusals, and a
# host program built with `pkg-config --cflags --libs tdxsim` alone (libtdxsim.a, tdxsim/vmm.h)
# that measures the guest as the installed `tdxsim measure` does; and docs/API.md's worked
# example, its guest and its host program (tdxsim/tdxsim.h) taken from the page as they are
# printed there, built the same way and run: exactly the output the page shows.
#   test_install.sh BUILD_DIR PREFIX BINDIR LIBDIR DATADIR API_MD
set -u
unset CC # `tdxsim build` and this script both compile with cc
build=$1 prefix=$2 bindir=$3 libdir=$4 datadir=$5 api_md=$6
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
	"$root/$libdir/pkgconfig/tdxsim-guest.pc" "$root/$datadir/tdxsim/tdxsim-gdb.py" \
	"$root/$libdir/libtdxsim.a" "$root/include/tdxsim/vmm.h" "$root/include/tdxsim/tdxsim.h" \
	"$root/$libdir/pkgconfig/tdxsim.pc"; do
	[ -f "$f" ] || fail "not installed: ${f#"$root"/}"
done

# Outside the tree, with nothing but the install.
mkdir "$tmp/work" || fail "mkdir"
cd "$tmp/work" || fail "cd"
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
# The build directory's tdxsim finds the SDK in the build and source trees.
"$build/tools/tdxsim" build -o tree.elf -O1 -D UNUSED=1 main.c twice.c || fail "tree tdxsim build"
"$tdxsim" build --print-flags >flags.txt || fail "tdxsim build --print-flags"
# The same flags as tdxsim-guest.pc's, whose ${includedir} is the installed one.
want="cc $(pkg-config --cflags-only-other tdxsim-guest | sed 's/ *$//') -I$root/include"
[ "$(cat flags.txt)" = "$want" ] || fail "--print-flags: '$(cat flags.txt)', not '$want'"
[ "$(cd "$(pkg-config --variable=includedir tdxsim-guest)" && pwd)" = "$root/include" ] ||
	fail "tdxsim-guest.pc's includedir: $(pkg-config --variable=includedir tdxsim-guest)"

for elf in pc.elf build.elf tree.elf; do
	"$tdxsim" run --quiet "$elf" >out.txt 2>err.txt
	status=$?
	[ $status = 7 ] || { cat err.txt; fail "$elf: exit status $status, not 7"; }
	[ "$(cat out.txt)" = "out of tree: 42" ] || fail "$elf: output '$(cat out.txt)'"
done

# `run --gdb` runs gdb (here echo, which shows its arguments) with the installed gdb script.
TDXSIM_GDB="echo" "$tdxsim" run pc.elf --gdb >out.txt 2>&1 || fail "run --gdb: $(cat out.txt)"
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

# A host program on the VMM library: the MRTD of pc.elf, as `tdxsim measure` prints it.
cat >host.c <<'C'
#include <stdio.h>
#include <tdxsim/vmm.h>
int main(int argc, char **argv)
{
	struct vmm_td_config cfg;
	uint8_t mrtd[48];
	char err[256];

	vmm_td_config_default(&cfg);
	if (argc != 2 || vmm_td_measure(&cfg, argv[1], mrtd, err, sizeof(err))) {
		fprintf(stderr, "host: %s\n", argc == 2 ? err : "usage: host GUEST.elf");
		return 1;
	}
	for (int i = 0; i < 48; i++)
		printf("%02x", mrtd[i]);
	printf("\n");
	return 0;
}
C
flags=$(pkg-config --cflags --libs tdxsim) || fail "pkg-config tdxsim"
# shellcheck disable=SC2086
cc -Wall -Wextra -Werror host.c $flags -o host || fail "cc with pkg-config's flags: $flags"
./host pc.elf >host.txt || fail "host pc.elf: status $?"
"$tdxsim" measure pc.elf >measure.txt || fail "tdxsim measure pc.elf: status $?"
if [ "$(wc -c <host.txt)" != 97 ] || ! cmp -s host.txt measure.txt; then
	fail "host: '$(cat host.txt)', tdxsim measure: '$(cat measure.txt)'"
fi
./host missing.elf 2>err.txt && fail "host missing.elf: status 0"
grep -qF "host: missing.elf: No such file or directory" err.txt || fail "host: $(cat err.txt)"

# docs/API.md's worked example: the C blocks after <!-- guest.c --> and <!-- serve.c -->.
block() { # NAME OUT: the block of that name on the page into OUT
	awk -v m="<!-- $1 -->" '$0 == m { s = 1; next } s == 1 && $0 == "```c" { s = 2; next }
		s == 2 && $0 == "```" { exit } s == 2 { print }' "$api_md" >"$2" ||
		fail "docs/API.md: $api_md"
	[ -s "$2" ] || fail "docs/API.md: no $1 block"
}
block guest.c api_guest.c
block serve.c api_serve.c
# shellcheck disable=SC2046
cc -O2 api_guest.c $(pkg-config --cflags --libs tdxsim-guest) -o guest.elf || fail "API.md guest.c"
# shellcheck disable=SC2046
cc -O2 -Wall -Wextra -Werror api_serve.c $(pkg-config --cflags --libs tdxsim) -o serve ||
	fail "API.md serve.c"
./serve guest.elf >serve.txt 2>serve.err || { cat serve.err; fail "serve guest.elf: status $?"; }
cat >want.txt <<'T'
port 0x510: write 1 byte(s) 0x68
port 0x510: write 1 byte(s) 0x69
port 0x510: read 4 byte(s) 0x29
mmio 0xfe000000: write 4 byte(s) 0x2a
mmio 0xfe000004: read 4 byte(s) 0x7
stopped: poweroff, exit status 7
T
cmp -s serve.txt want.txt || fail "serve guest.elf printed: $(cat serve.txt)"
# The page shows the same output.
grep -qF "    mmio 0xfe000004: read 4 byte(s) 0x7" "$api_md" || fail "docs/API.md: not the output"
echo "PASS: installed under $prefix: tdxsim, the guest SDK, libtdxsim, tdxsim-guest.pc and"
echo "tdxsim.pc; pc.elf, build.elf and tree.elf ran; host measured $(cat host.txt); the"
echo "worked example of docs/API.md served its guest's port I/O and MMIO"
