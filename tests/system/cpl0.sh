#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: cpl0.sh TDXSIM CPL0_GUEST.elf. The CPL0 guest (tests/system/cpl0_guest.c) through
# `tdxsim run`: natively (CPL3) it must take a UD2 in its own handler and stop with status
# 100 and its line; with `--cpu system` every part must pass with exactly the lines below
# and status 0. Skips (77) only while the system backend is not there: tdxsim without --cpu,
# or no QEMU. The tiny machine: the system backend has one QEMU serial port per LP, at most 4.
tdxsim=$1
guest=$2
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

status=0
"$tdxsim" run --machine tiny --quiet "$guest" >"$out" 2>"$err" || status=$?
native='trap: UD2 taken by the program'"'"'s handler
cpl0: not at CPL0 (CS RPL 3): run with --cpu system'
if [ "$status" != 100 ] || [ "$(cat "$out")" != "$native" ]; then
	echo "native run: status $status (want 100), output:"
	cat "$out" "$err"
	exit 1
fi

status=0
"$tdxsim" run --cpu system --machine tiny --quiet "$guest" >"$out" 2>"$err" || status=$?
if [ "$status" != 0 ] && grep -Eq "unknown option --cpu|cannot find QEMU" "$err"; then
	echo "SKIP: the system backend is not available: $(head -n 1 "$err")"
	exit 77
fi
want='trap: UD2 taken by the program'"'"'s handler
cpl0: CS 0x8, window at 0x200000000000
pf: own tables, #PF with CR2 and error codes 0x0 0x2 0x3 0x11
sse: XMM0-15 and MXCSR kept across 200 x 2 exits
avx: XCR0 0x3, VXORPS is #UD
dt: LGDT/SGDT, LIDT/SIDT, INT3 through each IDT
cr: #VE for CR4.MCE, CR4.VMXE, CR0.CD; #GP for CR4[15], CR0.NE, PE, PG
ve: CPUID 0x40000000 at CPL0, frame CS 0x8 SS 0x10, exit reason 10
cpl0: 0 mismatches'
if [ "$status" != 0 ] || [ "$(cat "$out")" != "$want" ]; then
	echo "--cpu system: status $status (want 0), output:"
	cat "$out" "$err"
	echo "wanted:"
	echo "$want"
	exit 1
fi
echo "native: refused at CPL3; --cpu system: every CPL0 part passed"
