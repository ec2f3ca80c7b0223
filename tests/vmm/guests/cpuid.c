// SPDX-License-Identifier: MIT
/*
 * A guest that executes CPUID: leaf 0x21 (answered by the TDX module: "IntelTDX    ") and
 * leaf 0x40000000 (a #VE, then TDVMCALL<Instruction.CPUID> to the VMM: "tdxsim"). Used to
 * check that the MRTD and the guest's behaviour are the same whether the machine traps CPUID
 * by faulting or by rewriting code (docs/ARCHITECTURE.md "CPUID").
 */
#include "tdxguest/tdxguest.h"

static void cpuid(u32 leaf, u32 r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
}

static void show(u32 leaf)
{
	u32 r[4];
	char sig[13];

	cpuid(leaf, r);
	/* The signature is in EBX, EDX, ECX for 0x21 and EBX, ECX, EDX for 0x40000000. */
	memcpy(sig, &r[1], 4);
	memcpy(sig + 4, leaf == TDX_CPUID_LEAF_ID ? &r[3] : &r[2], 4);
	memcpy(sig + 8, leaf == TDX_CPUID_LEAF_ID ? &r[2] : &r[3], 4);
	sig[12] = 0;
	tdx_printf("cpuid %x: eax %x \"%s\"\n", leaf, r[0], sig);
}

int main(void)
{
	show(TDX_CPUID_LEAF_ID);
	show(0x40000000);
	tdx_printf("#VEs %lu\n", (unsigned long)tdx_ve_count);
	return 0;
}
