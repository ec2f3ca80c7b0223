// SPDX-License-Identifier: MIT
/*
 * A guest with three TD exits and nothing else: one port write, one MMIO read, one halt that
 * nothing ends (interrupts blocked, no other vCPU), so that the VMM stops the TD for no
 * progress. The picture tests (tests/pictures/) know its trace event by event.
 */
#include "tdxguest/tdxguest.h"

#define EXITS_PORT 0x80		/* POST codes: no device, the write is dropped */
#define EXITS_MMIO 0xFED00000UL /* in the MMIO hole, no device: the read gives all ones */

int main(void)
{
	outb(0x5A, EXITS_PORT);
	(void)readl(__va(EXITS_MMIO | tdx_shared_mask()));
	tdx_halt();
	return 0;
}
