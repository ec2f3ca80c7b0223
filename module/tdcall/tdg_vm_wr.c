// SPDX-License-Identifier: MIT
/*
 * TDG.VM.WR: the guest writes one TD-scope metadata element [M tdg_vm_rd_wr.c;
 * ABI §2]. RCX = 0, RDX = field ID, R8 = value, R9 = mask; R8 = the old value. The guest
 * may write NOTIFY_ENABLES bit 0 and TD_CTLS.PENDING_VE_DISABLE (the latter only with
 * CONFIG_FLAGS.FLEXIBLE_PENDING_VE, else METADATA_FIELD_VALUE_NOT_VALID).
 */
#include "td.h"

uint64_t tdg_vm_wr(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs, unsigned int version)
{
	(void)version;
	return md_tdg_rdwr(ctx, vp, tdcs, MD_CTX_TD, true, false);
}
