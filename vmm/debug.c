// SPDX-License-Identifier: MIT
/* The debugger's breakpoint site for guest images (vmm/debug.h). */
#include "vmm/debug.h"

__attribute__((noinline, used)) void tdxsim_debug_image_event(unsigned int event, const char *path,
							      uint64_t bias, uint64_t text_lo,
							      uint64_t text_hi)
{
	/* An empty asm with the arguments as inputs keeps the call and the arguments real. */
	__asm__ volatile(""
			 :
			 : "r"(event), "r"(path), "r"(bias), "r"(text_lo), "r"(text_hi)
			 : "memory");
}
