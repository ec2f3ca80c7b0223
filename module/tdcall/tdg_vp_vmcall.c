// SPDX-License-Identifier: MIT
/*
 * TDG.VP.VMCALL: exit to the VMM with the GPRs the guest chose to expose [M tdg_vp_vmcall.c;
 * ABI §3]. RCX bits 15:0 select GPRs (never RAX, RCX, RSP; RBP not with NO_RBP_MOD), bits
 * 31:16 XMM registers, bits 63:32 are reserved. Everything the guest did not expose stays in
 * the TDVPS, out of the VMM's sight.
 *
 * XMM selections (bits 31:16) are accepted but expose nothing: the VMM library, like KVM,
 * takes no XMM arguments, so the guest's XMM registers stay in the TDVPS with the rest of
 * its extended state.
 */
#include "td.h"
#include "tdx/ghci.h"

uint64_t tdg_vp_vmcall(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
		       unsigned int version)
{
	uint64_t mask = ctx->gpr[REG_RCX_];

	(void)version;
	if ((mask & TDVMCALL_CONTROL_RESERVED) || (mask & TDVMCALL_GPR_FORBIDDEN) ||
	    ((tdcs->config_flags & TDX_CONFIG_FLAGS_NO_RBP_MOD) && (mask & TDX_RBP)))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	vp->vmcall_mask = mask;
	td_exit_vmcall(ctx, vp);
	return TDCALL_EXITED;
}
