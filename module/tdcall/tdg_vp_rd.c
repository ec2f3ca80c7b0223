// SPDX-License-Identifier: MIT
/*
 * TDG.VP.RD: the guest reads one element of its own vCPU's metadata
 * [M tdg_vp_rd_wr.c; ABI §2]. RCX = 0, RDX = field ID; R8 = value and, in every version,
 * RDX = the next guest-readable element.
 */
#include "td.h"

uint64_t tdg_vp_rd(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs, unsigned int version)
{
	(void)version;
	return md_tdg_rdwr(ctx, vp, tdcs, MD_CTX_VP, false, true);
}
