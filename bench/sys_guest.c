// SPDX-License-Identifier: MIT
/*
 * The guest of bench_system.c: one phase of N operations, then exit. Boot option bits 15:8
 * the phase, bits 31:16 N / 256. The same image runs on both CPU backends (CPL3 natively,
 * CPL0 under QEMU).
 *  0 nothing (the TD's fixed cost)
 *  1 a port write (outb to 0x80) by direct TDVMCALL<Instruction.IO>: one TD exit to the VMM
 *  2 a readl of the test device's VERSION through #VE (EPT violation -> #VE -> VEINFO.GET ->
 *    TDVMCALL<#VE.RequestMMIO> -> device -> IRETQ)
 *  3 compute: N iterations of a 4-instruction loop (IMUL, ADD, DEC, JNZ), no exit
 */
#include "tdxguest/tdxguest.h"

int main(void)
{
	u64 opts = tdx_boot_regs[1];
	unsigned int phase = (opts >> 8) & 0xFF;
	u64 n = ((opts >> 16) & 0xFFFF) * 256;
	volatile u32 *version = (volatile u32 *)((u8 *)__va(0xFEB00000ULL | tdx_shared_mask()) + 8);
	u64 x = 1, m = 6364136223846793005ULL, c = 1442695040888963407ULL;
	u32 sum = 0;

	tdx_mmio_path = TDX_MMIO_VE;
	tdx_io_path = TDX_IO_TDVMCALL;
	if (phase == 1) {
		for (u64 i = 0; i < n; i++)
			outb((u8)i, 0x80);
	} else if (phase == 2) {
		for (u64 i = 0; i < n; i++)
			sum += readl(version);
		return sum != n; /* VERSION reads 1 */
	} else if (phase == 3 && n) {
		__asm__ volatile("1: imul %[m], %[x]\n\t"
				 "add %[c], %[x]\n\t"
				 "dec %[n]\n\t"
				 "jnz 1b"
				 : [x] "+r"(x), [n] "+r"(n)
				 : [m] "r"(m), [c] "r"(c)
				 : "cc");
	}
	return 0;
}
