// SPDX-License-Identifier: MIT
/*
 * A recursion without bound, on the boot stack (scenario 0) or on vCPU 1's AP stack
 * (scenario 1, boot option bits 15:8): it must run into the guard page below that stack
 * and the VMM stop the TD ("stack overflow"); getting back here is status 99. The guest
 * prints the guard page's GPA first, for the test to check the stop against.
 */
#include "tdxguest/tdxguest.h"

#include "guest_rt.h"

extern char __stack_bottom[], __tdx_ap_stack_1[];

static volatile unsigned long depth;

/* A real call per level, whatever the optimiser (gcc: noipa; clang has no noipa: optnone). */
#ifdef __clang__
#define NO_IPA __attribute__((noinline, optnone))
#else
#define NO_IPA __attribute__((noinline, noipa))
#endif

static NO_IPA unsigned long recurse(unsigned long n)
{
	volatile char frame[200];

	frame[0] = (char)n;
	depth = n;
	if (n == ~0UL) /* never: keeps the compiler from calling this infinite */
		return 0;
	return recurse(n + 1) + (unsigned long)frame[0];
}

static void ap_main(void *arg)
{
	(void)arg;
	recurse(0);
}

int main(void)
{
	unsigned int scenario = (tdx_boot_regs[1] >> GRT_SCN_SHIFT) & 0xFF;

	if (scenario == 0) {
		tdx_printf("stack: boot, guard 0x%lx\n",
			   (unsigned long)__pa(__stack_bottom) - 4096);
		recurse(0);
		return 99;
	}
	tdx_printf("stack: vCPU 1, guard 0x%lx\n", (unsigned long)__pa(__tdx_ap_stack_1) - 4096);
	if (tdx_smp_start(1, ap_main, NULL))
		return 98;
	for (;;)
		tdx_halt();
}
