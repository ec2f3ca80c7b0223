#!/bin/sh
# shellcheck disable=SC2016 # the sh -c scripts expand their own arguments
# Debian's TDX guest kernel and the project's initramfs under plain QEMU (TCG, not a TD): the
# sanity check of docs/LINUX-BOOT.md. Everything but the TDX parts must run: /init reached,
# configfs and tsm loaded, the CPU flags printed, then (not a TD) no tdx_guest flag, the
# tdx-guest module refused, tdreport without /dev/tdx_guest, and the power-off.
# CPUID.CX16 is hidden: QEMU 7.2's TCG mishandles this kernel's CMPXCHG16B (docs/LINUX-BOOT.md).
# Skips (77) when the Debian mirror cannot be reached or QEMU is not installed.
# Usage: test_td_linux_qemu.sh SOURCE_ROOT TDREPORT WORKDIR
set -u
src=$1
tdreport=$2
work=$3
. "$(dirname "$0")/check.sh"

qemu=${TDXSIM_QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null || { echo "SKIP: $qemu is not installed"; exit 77; }
sh "$src/scripts/td-linux-fetch.sh"
status=$?
[ "$status" = 77 ] && { echo "SKIP: the Debian mirror cannot be reached"; exit 77; }
[ "$status" = 0 ] || { echo "FAIL: td-linux-fetch.sh exited with $status"; exit 1; }
k=${TDXSIM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tdxsim}/linux
mkdir -p "$work"
sh "$src/scripts/td-initramfs.sh" "$tdreport" "$k" "$work/qemu-initramfs.cpio.gz" ||
	{ echo "FAIL: td-initramfs.sh"; exit 1; }

start=$(date +%s%N)
timeout 300 "$qemu" -accel tcg -cpu qemu64,-cx16 -m 512 -display none -nodefaults \
	-no-user-config -serial stdio -no-reboot -kernel "$k/vmlinuz" \
	-initrd "$work/qemu-initramfs.cpio.gz" -append "console=ttyS0 panic=-1" \
	</dev/null >"$work/qemu.log" 2>&1
status=$?
end=$(date +%s%N)
grep 'tdx-init' "$work/qemu.log"
echo "QEMU ran $(((end - start) / 1000000)) ms and exited with $status"
check "QEMU exited by itself with 0 (the power-off)" test "$status" = 0
log=$work/qemu.log
check "/init ran" grep -q '^tdx-init: init after .* s of uptime, kernel 6\.12\.' "$log"
check "configfs.ko loaded" grep -q '^tdx-init: loaded configfs.ko' "$log"
check "tsm.ko loaded" grep -q '^tdx-init: loaded tsm.ko' "$log"
check "tdx-guest.ko refused (not a TD)" grep -q '^tdx-init: insmod tdx-guest.ko failed' "$log"
check "the CPU flags printed" grep -q '^tdx-init: cpu flags: fpu .* lm ' "$log"
check "no tdx_guest flag" grep -q '^tdx-init: tdx_guest: no' "$log"
check "tdreport: no /dev/tdx_guest" grep -q \
	'^tdx-init: tdreport: /dev/tdx_guest: No such file or directory' "$log"
check "tdreport's status 1" grep -q '^tdx-init: tdreport status 1' "$log"
check "powering off" grep -q '^tdx-init: powering off' "$log"
check "no kernel oops" sh -c '! grep -q -e "Oops" -e "Kernel panic" "$1"' - "$log"
[ "$fail" = 0 ] && echo "td_linux_qemu: every check passed"
exit "$fail"
