// SPDX-License-Identifier: MIT
/*
 * TDG.SYS.RD: the guest reads a global (SYS-scope) metadata field, exactly as TDH.SYS.RD
 * gives it to the host [M tdg_sys_rd.c; facts §2]. RDX = field ID; R8 = value, RDX = next.
 */
#include "td.h"

uint64_t tdg_sys_rd(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs, unsigned int version)
{
	(void)vp;
	(void)tdcs;
	(void)version;
	return md_sys_rd_regs(ctx->gpr);
}
