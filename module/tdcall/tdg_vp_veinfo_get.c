// SPDX-License-Identifier: MIT
/*
 * TDG.VP.VEINFO.GET: hand the guest the VE info of the #VE it is handling, and free it for
 * the next one [M tdg_vp_veinfo_get.c; ABI §2, §5]. RCX = exit reason, RDX = exit
 * qualification, R8 = GLA, R9 = GPA, R10 = instruction length | information << 32.
 */
#include "td.h"

uint64_t tdg_vp_veinfo_get(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
			   unsigned int version)
{
	struct ve_info *ve = &vp->ve_info;

	(void)tdcs;
	(void)version;
	if (ve->valid != VE_INFO_VALID) {
		ctx->gpr[REG_RCX_] = ctx->gpr[REG_RDX_] = 0;
		ctx->gpr[REG_R8_] = ctx->gpr[REG_R9_] = ctx->gpr[REG_R10_] = 0;
		return TDX_NO_VALID_VE_INFO;
	}
	ctx->gpr[REG_RCX_] = ve->exit_reason;
	ctx->gpr[REG_RDX_] = ve->exit_qualification;
	ctx->gpr[REG_R8_] = ve->gla;
	ctx->gpr[REG_R9_] = ve->gpa;
	ctx->gpr[REG_R10_] = ve->instruction_length | (uint64_t)ve->instruction_info << 32;
	ve->valid = VE_INFO_FREE;
	return TDX_SUCCESS;
}
