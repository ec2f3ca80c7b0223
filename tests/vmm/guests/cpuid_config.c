// SPDX-License-Identifier: MIT
/*
 * A guest that prints what the TD's configuration made of CPUID leaf 1 (EAX, EBX), and its
 * boot RDX, which TDH.VP.INIT sets to the platform's CPUID(1).EAX as sampled at TDH.SYS.INIT,
 * not the TD's configured value [ABI §1.1; M tdh_vp_init.c].
 */
#include "tdxguest/tdxguest.h"

static void cpuid(u32 leaf, u32 sub, u32 r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

int main(void)
{
	u32 l1[4];

	cpuid(1, 0, l1);
	tdx_printf("1: %08x %08x rdx %08x\n", l1[0], l1[1], (u32)tdx_boot_regs[2]);
	return 0;
}
