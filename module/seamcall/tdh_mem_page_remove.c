// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.PAGE.REMOVE: take a private page (4K or 2M leaf) away from a TD; it goes straight
 * back to the host as NDA, zeroed [M tdh_mem_page_remove.c; ABI §1.1]. RCX = GPA | level
 * (0 .. 2), RDX = TDR. On success RCX = the removed page's HPA.
 *
 * The entry must be a leaf in MAPPED, PENDING or a blocked state (else EPT_ENTRY_STATE_
 * INCORRECT|RCX with details) [M sept_state_lookup.c row 29]. Once the TD has run (op_state
 * RUNNABLE needs TLB tracking [M op_state_lookup.c]) it must be blocked
 * (GPA_RANGE_NOT_BLOCKED|RCX with details) and the block tracked by TDH.MEM.TRACK
 * (TLB_TRACKING_NOT_DONE|RCX). The page's PAMT entry is taken exclusively (OPERAND_BUSY|RCX).
 */
#include "td.h"

uint64_t tdh_mem_page_remove_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	struct pamt_entry *target = NULL;
	struct sept_op op;
	uint64_t status;

	(void)version;
	(void)lp;
	status = sept_op_begin(regs, regs[REG_RDX_], TDH_MEM_PAGE_REMOVE, 0, 2, false, &op);
	if (status)
		goto out;
	status = sept_state_check(TDH_MEM_PAGE_REMOVE, regs, op.w.value, op.level);
	if (status)
		goto out;
	status = removal_check(regs, &op, (enum pamt_level)op.level,
			       sept_state_is_any_blocked(op.w.value), &target);
	if (status)
		goto out;
	/* All checks passed */
	sept_sync_window(op.tdcs, op.gpa, op.level, SEPT_FREE);
	__atomic_sub_fetch(&op.tdr->chldcnt, 1ULL << (9 * op.level), __ATOMIC_RELAXED);
	removal_commit(regs, &op, target, tdx_ps_bytes(op.level));
out:
	if (target)
		pamt_unlock(target, true);
	sept_op_end(&op);
	return status;
}
