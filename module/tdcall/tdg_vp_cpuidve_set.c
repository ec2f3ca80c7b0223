// SPDX-License-Identifier: MIT
/*
 * TDG.VP.CPUIDVE.SET: make every CPUID a #VE, at CPL 0 (RCX bit 0) and/or above (bit 1)
 * [M tdg_vp_cpuidve_set.c; ABI §2]. Other bits are reserved.
 */
#include "td.h"

uint64_t tdg_vp_cpuidve_set(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
			    unsigned int version)
{
	uint64_t flags = ctx->gpr[REG_RCX_];

	(void)tdcs;
	(void)version;
	if (flags & ~(TDG_CPUIDVE_SUPERVISOR | TDG_CPUIDVE_USER))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	vp->cpuidve = flags;
	return TDX_SUCCESS;
}
