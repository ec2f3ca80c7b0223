// SPDX-License-Identifier: MIT
/*
 * TDG.VP.WR: the guest writes one element of its own vCPU's metadata
 * [M tdg_vp_rd_wr.c; ABI §2]. RCX = 0, RDX = field ID, R8 = value, R9 = mask; R8 = the old
 * value. Writable: CPUID_SUPERVISOR_VE and CPUID_USER_VE (as TDG.VP.CPUIDVE.SET).
 */
#include "td.h"

uint64_t tdg_vp_wr(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs, unsigned int version)
{
	(void)version;
	return md_tdg_rdwr(ctx, vp, tdcs, MD_CTX_VP, true, false);
}
