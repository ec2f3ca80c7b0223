// SPDX-License-Identifier: MIT
/*
 * The guest runtime's #VE path built for the host, for fuzz_guest_ve: tdx.c, ve.c, io.c,
 * mmio.c, mem.c (accept of a pending page), console.c and format.c as one translation unit, unchanged, so the harness can reset their
 * static state (the cached GPA width, the "already dying" flag) between inputs.
 *
 * What the host build replaces (fuzz_guest_ve.c): __tdcall (the TDX module and, behind
 * TDG.VP.VMCALL, the VMM), tdx_exc_stubs, the image bounds and tdx_handle_irq (smp.c: external
 * interrupts are not fuzzed here). The guest's own memset, memcpy
 * and strlen are renamed (meson.build) so they do not replace the C library's in the fuzzer.
 */
#include "guest/lib/tdx.c"
#include "guest/lib/ve.c"
#include "guest/lib/io.c"
#include "guest/lib/mmio.c"
#include "guest/lib/mem.c"
#include "guest/lib/console.c"
#include "guest/lib/format.c"

#include "guest_ve_host.h"

void guest_ve_reset(void)
{
	gpaw = 0;
	in_fatal = false;
	tdx_io_path = TDX_IO_VE;
	tdx_mmio_path = TDX_MMIO_VE;
	tdx_accept_on_ve = false;
	tdx_ve_accept_count = 0;
}
