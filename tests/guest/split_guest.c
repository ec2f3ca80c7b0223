// SPDX-License-Identifier: MIT
/*
 * MMIO accesses at the edge of an MMIO page (guest_rt.h): the page before it is shared
 * memory the guest mapped, so only the decoded operand tells an access that starts there and
 * runs into the MMIO page (the #VE's GLA is the MMIO page's start either way). Scenario in
 * boot option bits 15:8; a straddling access must end fatally, so returning is status 99.
 */
#include "tdxguest/tdxguest.h"

#include "guest_rt.h"

int main(void)
{
	unsigned int scenario = (tdx_boot_regs[1] >> GRT_SCN_SHIFT) & 0xFF;
	volatile u8 *prev, *mmio;
	u64 s;

	s = tdx_accept_memory(GRT_SPLIT_PREV_GPA, GRT_SPLIT_MMIO_GPA);
	if (!s)
		s = tdx_set_memory_shared(GRT_SPLIT_PREV_GPA, 1);
	if (s)
		tdx_panic(0, "split: conversion 0x%lx", (unsigned long)s);
	prev = __va(GRT_SPLIT_PREV_GPA | tdx_shared_mask());
	mmio = __va(GRT_SPLIT_MMIO_GPA | tdx_shared_mask());
	for (unsigned int i = 0; i < 4096; i++)
		prev[i] = 0xEE;
	tdx_printf("split: scenario %u\n", scenario);
	switch (scenario) {
	case GRT_SPLIT_OK:
		tdx_printf("8 at 0: 0x%lx\n", (unsigned long)*(volatile u64 *)mmio);
		tdx_printf("4 at 0xffc: 0x%x\n", *(volatile u32 *)(mmio + 0xFFC));
		tdx_printf("8 before: 0x%lx\n", (unsigned long)*(volatile u64 *)(mmio - 8));
		*(volatile u16 *)(mmio + 0xFFE) = 0xABCD;
		return 0;
	case GRT_SPLIT_LOAD:
		tdx_printf("read 0x%lx\n", (unsigned long)*(volatile u64 *)(mmio - 4));
		break;
	case GRT_SPLIT_STORE:
		*(volatile u32 *)(mmio - 2) = 0x12345678;
		break;
	}
	return 99;
}
