// SPDX-License-Identifier: MIT
/*
 * EXIT_REASON_MCE_DURING_VMENTRY: the CPU backend cannot go on running this guest faithfully
 * (it said why on stderr, e.g. a rewritten CPUID it has no record of). The TD is dead, as
 * after a machine check [ABI §10].
 */
#include "td.h"

void vmexit_mce_during_vmentry(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	(void)exit;
	td_fatal_machine_check(ctx, vp, 0);
}
