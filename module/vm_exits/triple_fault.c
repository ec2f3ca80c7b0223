// SPDX-License-Identifier: MIT
/*
 * EXIT_REASON_TRIPLE_FAULT: an event could be delivered neither as itself nor as #DF. The
 * vCPU is disabled and the host sees a non-recoverable vCPU exit [ABI §1.1].
 */
#include "td.h"

void vmexit_triple_fault(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	(void)exit;
	vp->state = VCPU_DISABLED;
	td_exit_async(ctx, TDX_NON_RECOVERABLE_VCPU | EXIT_REASON_TRIPLE_FAULT, 0, 0, 0, 0);
}
