// SPDX-License-Identifier: MIT
/*
 * TDG.VM.RD: the guest reads one TD-scope metadata element [M tdg_vm_rd_wr.c;
 * ABI §2]. RCX = VM index, must be 0 (else OPERAND_INVALID|RCX); RDX = field ID; R8 =
 * value; version 1 also returns the next guest-readable element in RDX.
 */
#include "td.h"

uint64_t tdg_vm_rd(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs, unsigned int version)
{
	return md_tdg_rdwr(ctx, vp, tdcs, MD_CTX_TD, false, version > 0);
}
