// SPDX-License-Identifier: MIT
/*
 * hello: the smallest useful TD guest built with the guest SDK. It prints on the serial
 * console (COM1, through #VE or direct TDVMCALLs as `tdxsim run --io-path` says), reads its
 * GPA width with TDG.VP.INFO, reads a PCI test device register through MMIO, and exits with
 * status 0.
 *
 *   tdxsim run build/examples/guests/hello.elf
 */
#include "tdxguest/tdxguest.h"

#define TESTDEV_BAR0 0xFEB00000ULL /* the VMM's PCI test device (docs/VMM.md) */

int main(void)
{
	volatile void *bar0 = __va(TESTDEV_BAR0 | tdx_shared_mask());
	u64 m = tdx_mmio_read(8, bar0); /* #VE or a direct TDVMCALL: #VE.RequestMMIO */
	char name[9];

	memcpy(name, &m, 8);
	name[8] = 0;
	tdx_printf("hello from a TD: GPAW %u, I/O path %s, MMIO path %s\n", tdx_gpaw(),
		   tdx_io_path == TDX_IO_TDVMCALL ? "direct" : "#VE",
		   tdx_mmio_path == TDX_MMIO_TDVMCALL ? "direct" : "#VE");
	tdx_printf("PCI test device says \"%s\"\n", name);
	return 0;
}
