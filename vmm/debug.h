/* SPDX-License-Identifier: MIT */
/*
 * vmm/debug.h - how a debugger finds a TD's guest code in this process, in the manner of the
 * dynamic loader's r_debug and gdb's JIT interface: the VMM calls tdxsim_debug_image_event()
 * once a guest image is in place (before any vCPU runs it) and again before the image goes
 * away; a debugger breaks on that function and reads its arguments. scripts/tdxsim-gdb.py is
 * the debugger side (docs/GUEST.md "Debugging a guest").
 */
#ifndef VMM_DEBUG_H
#define VMM_DEBUG_H

#include <stdint.h>

enum tdxsim_debug_event {
	TDXSIM_DEBUG_IMAGE_LOADED = 1,
	TDXSIM_DEBUG_IMAGE_UNLOADED = 2,
};

/*
 * The breakpoint site. Arguments, in the SysV registers a debugger reads at its first
 * instruction: the event (RDI), the guest ELF's absolute path (RSI), the load bias (RDX: ELF
 * address v runs at bias + v), and the executable pages of the image [lo, hi) in this
 * process (RCX, R8). Does nothing; never inlined or removed.
 */
void tdxsim_debug_image_event(unsigned int event, const char *path, uint64_t bias, uint64_t text_lo,
			      uint64_t text_hi);

#endif
