// SPDX-License-Identifier: MIT
/*
 * The P2 guest (bench_mmio.c): N accesses of one kind, then exit. Boot option bits 15:8 the
 * kind, bits 31:16 N / 256, bit 7 every TDCALL as the trapping instruction (no gate).
 *  0 nothing (the TD's fixed cost)    1 readl of the test device's VERSION through #VE
 *  2 the same by direct TDVMCALL      3 outb to port 0x80 through #VE
 *  4 the same by direct TDVMCALL
 */
#include "tdxguest/tdxguest.h"

int main(void)
{
	u64 opts = tdx_boot_regs[1];
	unsigned int kind = (opts >> 8) & 0xFF;
	u64 n = ((opts >> 16) & 0xFFFF) * 256;
	volatile u32 *version = (volatile u32 *)((u8 *)__va(0xFEB00000ULL | tdx_shared_mask()) + 8);
	u32 sum = 0;

	tdx_force_tdcall_insn = opts & (1 << 7);
	tdx_mmio_path = kind == 2 ? TDX_MMIO_TDVMCALL : TDX_MMIO_VE;
	tdx_io_path = kind == 4 ? TDX_IO_TDVMCALL : TDX_IO_VE;
	for (u64 i = 0; i < n; i++) {
		if (kind == 1 || kind == 2)
			sum += readl(version);
		else if (kind == 3 || kind == 4)
			outb((u8)i, 0x80);
	}
	tdx_force_tdcall_insn = false;
	return kind == 1 || kind == 2 ? (sum != n) : 0; /* VERSION reads 1 */
}
