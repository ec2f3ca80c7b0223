#!/bin/sh
# Debian's OVMF (TDVF) booted as a TD on the system CPU backend (docs/LINUX-BOOT.md "TDVF
# boot"): `tdxsim boot --cpu system --firmware` builds the TD from the firmware's sections and
# runs it. What is reached today, exactly: the layout printed (sections, TD HOB, memory map,
# 538 pages, 480 measured), the firmware accepting its memory from the TD HOB, programming
# the x2APIC, reading the CMOS memory size; no console output (Debian's build prints nothing
# before its boot manager); when the run gets that far within the time (16 s here), the DXE
# phase reading the ACPI PM timer of an absent ICH9 LPC bridge at port 0x6 in a loop; the
# timeout's 124. When the boot gets further, this test says so by failing.
# Skips (77) without QEMU or Debian's ovmf package.
# Usage: test_tdvf_system.sh WORKDIR TDXSIM
set -u
work=$1
tdxsim=$2
. "$(dirname "$0")/check.sh"

qemu=${TDXSIM_QEMU:-qemu-system-x86_64}
fw=/usr/share/OVMF/OVMF_CODE.fd
command -v "$qemu" >/dev/null || { echo "SKIP: $qemu is not installed"; exit 77; }
[ -r "$fw" ] && [ -r /usr/share/OVMF/OVMF_VARS.fd ] || { echo "SKIP: no $fw (ovmf)"; exit 77; }
mkdir -p "$work"
out=$work/tdvf-system.out
err=$work/tdvf-system.err
trace=$work/tdvf-system.trace
"$tdxsim" boot --cpu system --firmware "$fw" --memory 512M --timeout 40 --trace "$trace" \
	>"$out" 2>"$err"
status=$?
cat "$err"
check "the timeout's status 124 (got $status)" test "$status" = 124
check "the stop: the timeout" grep -q '^tdxsim boot: stopped: interrupted (vCPU 0): --timeout 40 expired' "$err"
check "the BFV measured" grep -qx 'section BFV     GPA 0xffe20000 + 0x1e0000, measured' "$out"
check "the TD HOB" grep -qx 'TD HOB  at 0x809000, 448 bytes' "$out"
check "the unaccepted top of memory" grep -qx 'memory  0x0000820000-0x001fffffff unaccepted' "$out"
check "the pages" grep -qx 'pages   538 added, 480 measured, 1 vCPU, 512 MiB' "$out"
check "the MRTD" grep -qx 'MRTD    4c7206f0f483c524f12c366c711e9049030a8d47c471ee5aa9c4999a08de4057fb887fed0744d5631a212967fb231c47' "$out"
check "the firmware ran" grep -qx 'tdxsim boot: running the firmware on the system CPU backend' "$err"
check "no console output: the layout's 18 lines alone" test "$(wc -l <"$out")" = 18

# What the firmware did, from the trace (one JSON line per TDCALL and exit).
vmcall() { grep '"tdcall":"TDG.VP.VMCALL"' "$trace" | grep -q "$1"; }
check "TDG.VP.INFO first" sh -c 'grep -m1 "\"tdcall\"" "$1" | grep -q "TDG.VP.INFO"' sh "$trace"
check "the first 2 MiB of the HOB's unaccepted memory accepted" \
	grep -q '"tdcall":"TDG.MEM.PAGE.ACCEPT".*"status":"0x0","in":{"rcx":"0x1",' "$trace"
check "x2APIC SVR read (RDMSR 0x80f)" vmcall '"r11":"0x1f","r12":"0x80f"'
check "CMOS register 0x34 selected" vmcall '"r11":"0x1e","r12":"0x1","r13":"0x1","r14":"0x70","r15":"0x34"'
pm=$(grep '"tdcall":"TDG.VP.VMCALL"' "$trace" | grep -c '"r11":"0x1e","r12":"0x4","r13":"0x0","r14":"0x6"')
if [ "$pm" -gt 0 ]; then
	echo "ok: reached the PM timer loop ($pm reads of port 0x6)"
	check "PMBASE read from 00:1f.0 first" vmcall '"r14":"0xcf8","r15":"0x8000f840"'
else
	echo "note: the PM timer loop not reached within 40 s (a loaded machine)"
fi
exit $fail
