#!/bin/sh
# shellcheck disable=SC2016 # the sh -c scripts expand their own arguments
# Issue 15's kernel and initramfs, made by the project's own scripts (docs/LINUX-BOOT.md):
# scripts/td-linux-fetch.sh downloads Debian's bookworm-backports cloud kernel (or finds it in
# the cache), scripts/td-initramfs.sh packs the busybox initramfs; this checks what they made.
# Skips (77) only when the Debian mirror cannot be reached.
# Then `tdxsim boot` builds the TD of that kernel and initramfs (and says it cannot run it yet).
# Usage: test_td_linux.sh SOURCE_ROOT TDREPORT WORKDIR TDXSIM
set -u
src=$1
tdreport=$2
work=$3
tdxsim=$4
. "$(dirname "$0")/check.sh"

out=$(sh "$src/scripts/td-linux-fetch.sh" 2>&1)
status=$?
printf '%s\n' "$out"
if [ "$status" = 77 ]; then
	echo "SKIP: the Debian mirror of this machine's apt sources cannot be reached"
	exit 77
fi
[ "$status" = 0 ] || { echo "FAIL: td-linux-fetch.sh exited with $status"; exit 1; }
cache=${TDXSIM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tdxsim}
k=$cache/linux

check "the kernel release is a 6.12 cloud kernel" grep -qx '6\.12\..*-cloud-amd64' "$k/release"
check "the package is linux-image-6.12.*-cloud-amd64-unsigned" \
	grep -qx 'linux-image-6\.12\..*-cloud-amd64-unsigned' "$k/release"
check "CONFIG_INTEL_TDX_GUEST=y" grep -qx 'CONFIG_INTEL_TDX_GUEST=y' "$k/config"
check "CONFIG_TDX_GUEST_DRIVER=m" grep -qx 'CONFIG_TDX_GUEST_DRIVER=m' "$k/config"
check "CONFIG_UNACCEPTED_MEMORY=y" grep -qx 'CONFIG_UNACCEPTED_MEMORY=y' "$k/config"
check "modules in load order: configfs tsm tdx-guest" \
	test "$(tr '\n' ' ' <"$k/modules/order")" = "configfs.ko tsm.ko tdx-guest.ko "
for m in configfs tsm tdx-guest; do
	check "$m.ko is an ELF relocatable (decompressed)" \
		test "$(od -An -c -N4 "$k/modules/$m.ko" | tr -d ' ')" = "177ELF"
	check "$m.ko is built for this kernel" \
		grep -q "vermagic=$(head -n 1 "$k/release") " "$k/modules/$m.ko"
done

# The bzImage's setup header (the Linux boot protocol): 0xAA55 at 0x1FE, "HdrS" at 0x202, a
# protocol version of at least 2.12 at 0x206, loadflags bit 0 (LOADED_HIGH) at 0x211,
# xloadflags bit 0 (XLF_KERNEL_64: a 64-bit entry at +0x200) at 0x236, relocatable at 0x234.
u8() { od -An -tu1 -j "$1" -N1 "$k/vmlinuz" | tr -d ' '; }
u16() { od -An -tu2 -j "$1" -N2 "$k/vmlinuz" | tr -d ' '; }
check "boot sector signature 0xAA55" test "$(u16 510)" = 43605
check "setup header magic HdrS" test "$(od -An -c -j 514 -N4 "$k/vmlinuz" | tr -d ' ')" = HdrS
check "boot protocol >= 2.12" test "$(u16 518)" -ge 524
check "LOADED_HIGH" test $(($(u8 529) & 1)) = 1
check "relocatable kernel" test "$(u8 564)" = 1
check "XLF_KERNEL_64" test $(($(u8 566) & 1)) = 1

out=$(sh "$src/scripts/td-initramfs.sh" "$tdreport" "$k" "$work/initramfs.cpio.gz" 2>&1)
status=$?
printf '%s\n' "$out"
[ "$status" = 0 ] || { echo "FAIL: td-initramfs.sh exited with $status"; exit 1; }
list=$(gzip -dc "$work/initramfs.cpio.gz" | cpio -it --quiet)
for f in init bin/busybox bin/sh bin/tdreport lib/modules/order lib/modules/configfs.ko \
	lib/modules/tsm.ko lib/modules/tdx-guest.ko dev proc sys; do
	check "the archive has /$f" sh -c "printf '%s\n' \"\$1\" | grep -qx \"\$2\"" - "$list" "$f"
done
rm -rf "$work/root"
mkdir -p "$work/root"
(cd "$work/root" && gzip -dc "$work/initramfs.cpio.gz" | cpio -id --quiet)
check "/init is executable" test -x "$work/root/init"
check "/init loads the modules, gets the report and powers off" sh -c \
	'grep -q insmod "$1" && grep -q "tdreport --quote" "$1" && grep -q "poweroff -f" "$1"' - \
	"$work/root/init"
check "/bin/tdreport is the build's, static" sh -c \
	'cmp -s "$1" "$2" && ! readelf -l "$1" | grep -q "program interpreter"' - \
	"$work/root/bin/tdreport" "$tdreport"
check "/bin/busybox is static" sh -c '! readelf -l "$1" | grep -q "program interpreter"' - \
	"$work/root/bin/busybox"
check "the modules are the fetched ones" cmp -s "$work/root/lib/modules/tdx-guest.ko" \
	"$k/modules/tdx-guest.ko"
rm -rf "$work/root"

# tdxsim boot: the layout, the MRTD, and 125 with the reason it does not run the kernel.
out=$("$tdxsim" boot --kernel "$k/vmlinuz" --initrd "$work/initramfs.cpio.gz" --vcpus 2 \
	--memory 512M 2>"$work/boot.err")
status=$?
printf '%s\n' "$out"
cat "$work/boot.err"
check "tdxsim boot exits with 125" test "$status" = 125
check "the kernel at 0x1000000, entry 0x1000200" sh -c 'printf "%s\n" "$1" |
	grep -q "GPA 0x1000000, 64-bit entry 0x1000200"' - "$out"
check "the e820 map's high RAM ends at 512 MiB" sh -c 'printf "%s\n" "$1" |
	grep -qx "e820    0x0000100000-0x001fffffff RAM"' - "$out"
check "a 96-digit MRTD" sh -c 'printf "%s\n" "$1" | grep -qE "^MRTD    [0-9a-f]{96}$"' - "$out"
check "the same MRTD twice" test "$(printf '%s\n' "$out" | grep '^MRTD')" = \
	"$("$tdxsim" boot --kernel "$k/vmlinuz" --initrd "$work/initramfs.cpio.gz" --vcpus 2 \
		2>/dev/null | grep '^MRTD')"
check "another command line, another MRTD" test "$(printf '%s\n' "$out" | grep '^MRTD')" != \
	"$("$tdxsim" boot --kernel "$k/vmlinuz" --initrd "$work/initramfs.cpio.gz" --vcpus 2 \
		--cmdline "console=ttyS0 quiet" 2>/dev/null | grep '^MRTD')"
check "the native backend's reason" grep -q \
	"the native CPU backend cannot run a Linux kernel" "$work/boot.err"
"$tdxsim" boot --kernel "$k/config" >/dev/null 2>"$work/boot.err"
check "a file that is not a bzImage: 125 and why" sh -c 'test "$1" = 125 &&
	grep -q "not a Linux bzImage" "$2"' - "$?" "$work/boot.err"
"$tdxsim" boot --kernel "$k/vmlinuz" --memory 64M >/dev/null 2>"$work/boot.err"
check "64M is too small for this kernel: 125 and why" sh -c 'test "$1" = 125 &&
	grep -q "the kernel needs memory up to 0x" "$2"' - "$?" "$work/boot.err"
[ "$fail" = 0 ] && echo "td_linux: every check passed"
exit "$fail"
