// SPDX-License-Identifier: MIT
/*
 * TDH.MR.EXTEND: measure 256 bytes of a private page added by PAGE.ADD [M tdh_mr_extend.c;
 * ABI §1.1, §9]. RCX = GPA (256-byte aligned), RDX = TDR. The MRTD takes a 128-byte block
 * ("MR.EXTEND", GPA) followed by the 256 bytes as the TD will see them.
 */
#include "td.h"

uint64_t tdh_mr_extend_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t gpa = regs[REG_RCX_], tdr_pa = regs[REG_RDX_];
	struct page_ref tdr_ref;
	struct sept_walk w;
	struct tdcs *tdcs;
	struct tdr *tdr;
	uint64_t status;

	(void)version;
	(void)lp;
	regs[REG_RCX_] = 0;
	regs[REG_RDX_] = 0;
	status = tdr_get(tdr_pa, TDX_OPERAND_ID_RDX, false, &tdr_ref, &tdr);
	if (status)
		return status;
	status = td_state_check(tdr, TDH_MR_EXTEND);
	if (status)
		goto out;
	tdcs = tdcs_of(tdr);
	if (!is_aligned(gpa, TDX_EXTENDMR_CHUNKSIZE) || (gpa >> tdcs->gpaw) ||
	    (gpa & tdcs->shared_bit)) {
		status = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
		goto out;
	}
	if (!mutex_try(&tdcs->sept_lock)) {
		status = TDX_OPERAND_BUSY + TDX_OPERAND_ID_SEPT_TREE;
		goto out;
	}
	/* A walk that stops early is EPT_ENTRY_NOT_PRESENT too [ABI §7.1] */
	sept_walk(tdr, gpa, 0, &w);
	status = sept_state_check(TDH_MR_EXTEND, regs, w.value, w.level);
	if (status)
		goto unlock;
	mrtd_extend_block(tdcs, TDX_MR_TAG_MR_EXTEND, gpa,
			  (const uint8_t *)phys_seam_va(sept_hpa(w.value)) +
				  (gpa & (tdx_ps_bytes(w.level) - 1)),
			  TDX_EXTENDMR_CHUNKSIZE);
unlock:
	mutex_release(&tdcs->sept_lock);
out:
	page_put(&tdr_ref);
	return status;
}
