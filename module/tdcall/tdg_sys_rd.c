// SPDX-License-Identifier: MIT
/*
 * TDG.SYS.RD: the guest reads one global (SYS-scope) metadata element [M tdg_sys_rd.c;
 * ABI §2]. RDX = field ID; R8 = value, RDX = next. The rules are TDH.SYS.RD's with the
 * guest's read masks: only fields the module marks guest-readable (VENDOR_ID, MINOR_VERSION,
 * MAJOR_VERSION, SYS_ATTRIBUTES, NUM_TDX_FEATURES, TDX_FEATURES0 of what tdxsim answers)
 * can be read; any other known field is METADATA_FIELD_NOT_READABLE (R8 = 0, RDX = -1), and
 * the next-element walk (and the null ID's first element) skips them.
 */
#include "td.h"

uint64_t tdg_sys_rd(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs, unsigned int version)
{
	(void)vp;
	(void)tdcs;
	(void)version;
	return md_sys_rd_regs(ctx->gpr, MD_READER_GUEST);
}
