#!/bin/sh
# shellcheck disable=SC2016 # the sh -c scripts expand their own arguments
# Debian's TDX guest kernel booted as a TD on the system CPU backend (docs/LINUX-BOOT.md,
# "Running it"): `tdxsim boot --cpu system` builds the TD on the module and runs it, COM1 on
# stdout. What is reached today, exactly: the decompressor's line, the kernel's first lines
# ("tdx: Guest detected", its banner, the TSC), KVM's identity and x2APIC kept, no oops, and
# the milestones reached in the time (NR_IRQS, the APIC set-up, /init), until --timeout (124).
# When the boot gets further (a power-off), this test says so by failing.
# Skips (77) when the kernel is not cached and the Debian mirror cannot be reached, or QEMU
# is not installed.
# Usage: test_td_linux_system.sh SOURCE_ROOT TDREPORT WORKDIR TDXSIM
set -u
src=$1
tdreport=$2
work=$3
tdxsim=$4
. "$(dirname "$0")/check.sh"

qemu=${TDXSIM_QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null || { echo "SKIP: $qemu is not installed"; exit 77; }
sh "$src/scripts/td-linux-fetch.sh" >/dev/null
status=$?
[ "$status" = 77 ] && { echo "SKIP: the Debian mirror cannot be reached"; exit 77; }
[ "$status" = 0 ] || { echo "FAIL: td-linux-fetch.sh exited with $status"; exit 1; }
k=${TDXSIM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tdxsim}/linux
mkdir -p "$work"
sh "$src/scripts/td-initramfs.sh" "$tdreport" "$k" "$work/system-initramfs.cpio.gz" >/dev/null ||
	{ echo "FAIL: td-initramfs.sh"; exit 1; }

out=$work/system-boot.out
err=$work/system-boot.err
start=$(date +%s%N)
"$tdxsim" boot --cpu system --kernel "$k/vmlinuz" --initrd "$work/system-initramfs.cpio.gz" \
	--cmdline "console=ttyS0 earlyprintk=serial,ttyS0 nokaslr" --memory 512M --timeout 100 \
	</dev/null >"$out" 2>"$err"
status=$?
end=$(date +%s%N)
grep -v -e '^e820' "$out" | head -n 40
cat "$err"
echo "tdxsim boot ran $(((end - start) / 1000000)) ms and exited with $status"
check "the TD ran on the system backend" grep -q \
	'^tdxsim boot: running the kernel on the system CPU backend$' "$err"
check "the decompressor's line on the console (COM1 on stdout)" grep -q \
	"^KASLR disabled: 'nokaslr' on cmdline\." "$out"
check "the kernel found it is a TD" grep -q '^\[ *0\.000000\] tdx: Guest detected' "$out"
check "the kernel's banner" grep -q '^\[ *0\.000000\] Linux version 6\.12\.' "$out"
check "its command line" grep -q \
	'^\[ *0\.000000\] Command line: console=ttyS0 earlyprintk=serial,ttyS0 nokaslr' "$out"
# The PIT (vmm/dev_pit.c) counts in wall time while each port read is a #VE, so the quick PIT
# calibration fails at once (or, on a fast machine, succeeds); the TSC is CPUID 0x15's.
check "the PIT calibration ended" grep -q \
	-e '^\[ *0\.000000\] tsc: Fast TSC calibration failed' \
	-e '^\[ *0\.000000\] tsc: Fast TSC calibration using PIT' "$out"
check "the TSC frequency" grep -q '^\[ *0\.000000\] tsc: Detected [0-9]*\.[0-9]* MHz processor' "$out"
# A TD that is not an SDK guest sees KVM's CPUID signature, so the kernel keeps x2APIC.
check "KVM's identity at CPUID 0x40000000" grep -q '^\[ *0\.000000\] Hypervisor detected: KVM' "$out"
check "x2APIC kept" grep -q '^\[ *[0-9.]*\] x2apic: enabled by BIOS, switching to x2apic ops' "$out"
check "no xAPIC fallback" sh -c '! grep -q "x2apic disabled" "$1"' - "$out"
# No oops on the way: INVPCID (#UD), MCG_STATUS (MCA panic), XRSTORS ("Bad FPU state"),
# SYSCALL through an LSTAR of 0 (double fault) each stopped an earlier boot.
check "no early exception, oops, panic or bad FPU state" sh -c '! grep -q \
	-e "^PANIC: early exception" -e "Oops:" -e "Kernel panic" -e "Bad FPU state" "$1"' - "$out"
# How far it got in the time: each milestone, when reached, in order.
for m in 'NR_IRQS: ' 'APIC: Switched APIC routing to: physical x2apic' \
	'Run /init as init process'; do
	if grep -q "^\[ *[0-9.]*\] $m" "$out"; then
		echo "reached: $m"
	else
		echo "note: not reached within the time: $m"
	fi
done
# /init runs (user space, SYSCALL) but its console output has not come out yet: the 8250 has
# no IRQ in a TD and is polled by a kernel timer (the TD's APIC timer: docs/LINUX-BOOT.md).
if grep -q '^\[ *[0-9.]*\] Run /init as init process' "$out"; then
	if grep -q '^tdx-init: ' "$out"; then
		echo "FAIL: /init printed (the boot got further: update this test)"
		fail=1
	else
		echo "ok: /init ran; none of its lines yet"
	fi
fi
check "the TD ran until --timeout: 124" sh -c 'test "$1" = 124 &&
	grep -q "^tdxsim boot: stopped: interrupted (vCPU 0): --timeout 100 expired" "$2"' \
	- "$status" "$err"
# The summary's paths (docs/LINUX-BOOT.md "Reading the summary"): the decompressor's port
# I/O by direct TDVMCALL; the kernel's by #VE, all of it through exc_virtualization_exception,
# which Linux puts in the IDT for TDX at the start of setup_arch (idt_setup_early_traps),
# before its first port I/O, so none is left for the early path (tdx_early_handle_ve).
n='\([0-9]*\)'
paths() {
	sed -n "s/^tdxsim boot: port I\/O by path: $n by direct TDVMCALL (decompressor), $n by early \
#VE, $n by runtime #VE, $n other\$/\1 \2 \3 \4/p" "$err"
}
check "port I/O by path: decompressor and runtime #VE above 0, early #VE 0, nothing unnamed" \
	sh -c 'set -- $1; test "${1:-0}" -gt 0 && test "${2:-1}" = 0 && test "${3:-0}" -gt 0 &&
	test "${4:-1}" = 0' - "$(paths)"
check "the PIT's port 0x42 read through #VEs" grep -Eq \
	'^tdxsim boot:   port 0x42 in8: [1-9][0-9]* by runtime #VE$' "$err"
check "the COM1 writes of the decompressor by direct TDVMCALL" grep -Eq \
	'^tdxsim boot:   port 0x3f8 out8: [1-9][0-9]* by direct TDVMCALL$' "$err"
check "#VEs by reason and TD exits per second" sh -c '
	grep -Eq "^tdxsim boot: #VEs by reason:.* IO_INSTRUCTION [1-9]" "$1" &&
	grep -Eq "^tdxsim boot: [1-9][0-9]* TD exits, [1-9][0-9]* per second$" "$1"' - "$err"
[ "$fail" = 0 ] && echo "td_linux_system: every check passed"
exit "$fail"
