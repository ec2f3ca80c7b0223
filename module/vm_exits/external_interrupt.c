// SPDX-License-Identifier: MIT
/*
 * EXIT_REASON_EXTERNAL_INTERRUPT: an interrupt reached the LP while the vCPU ran. The
 * posted-interrupt notification is processed in the TD (td_apic.c); anything else is a TD
 * exit with the same reason [ABI §1.1].
 */
#include "td.h"

void vmexit_external_interrupt(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	if (td_vapic_notified(vp, exit))
		return; /* td_vm_exit delivers what was posted */
	td_exit_async(ctx, EXIT_REASON_EXTERNAL_INTERRUPT, 0, 0, 0, 0);
}
