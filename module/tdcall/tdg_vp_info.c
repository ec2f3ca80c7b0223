// SPDX-License-Identifier: MIT
/*
 * TDG.VP.INFO: the TD's execution environment [M tdg_vp_info.c; ABI §2]: RCX[5:0] = GPAW,
 * RDX = ATTRIBUTES, R8 = NUM_VCPUS | MAX_VCPUS << 32, R9 = this vCPU's index, R10 bit 0 =
 * TDG.SYS.RD is available, R11 = 0.
 */
#include "td.h"

uint64_t tdg_vp_info(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
		     unsigned int version)
{
	(void)version;
	ctx->gpr[REG_RCX_] = tdcs->gpaw & TDG_VP_INFO_GPAW_MASK;
	ctx->gpr[REG_RDX_] = tdcs->attributes;
	ctx->gpr[REG_R8_] = tdcs->num_vcpus | (uint64_t)tdcs->max_vcpus << 32;
	ctx->gpr[REG_R9_] = vp->vcpu_index;
	ctx->gpr[REG_R10_] = TDG_VP_INFO_SYS_RD_AVAILABLE;
	ctx->gpr[REG_R11_] = 0;
	return TDX_SUCCESS;
}
