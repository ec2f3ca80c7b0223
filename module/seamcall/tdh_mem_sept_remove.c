// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.SEPT.REMOVE: unlink an empty Secure EPT page from its parent entry; the page goes
 * straight back to the host as NDA (no PHYMEM.PAGE.RECLAIM needed) [M tdh_mem_sept_remove.c;
 * ABI §1.1]. RCX = GPA | level (1 .. EPT levels - 1: the entry that points to the page),
 * RDX = TDR. On success RCX = the removed page's HPA.
 *
 * The entry must be a non-leaf, NL_MAPPED or NL_BLOCKED (else EPT_ENTRY_STATE_INCORRECT|RCX)
 * [M sept_state_lookup.c row 30]; once the TD has run, blocked (GPA_RANGE_NOT_BLOCKED|RCX)
 * and tracked (TLB_TRACKING_NOT_DONE|RCX); and every entry of the page FREE
 * (EPT_PAGE_NOT_FREE|RCX). Version 1 (L2 aliases, R9..R11) is accepted by 1.5.01; tdxsim has
 * no L2 VMs, so its extra outputs are NULL_PA (-1).
 */
#include "td.h"

#define NULL_PA (~0ULL)

uint64_t tdh_mem_sept_remove_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	struct pamt_entry *target = NULL;
	const uint64_t *table;
	struct sept_op op;
	uint64_t status;

	(void)lp;
	if (version > 0)
		regs[REG_R9_] = regs[REG_R10_] = regs[REG_R11_] = NULL_PA;
	status = sept_op_begin(regs, regs[REG_RDX_], TDH_MEM_SEPT_REMOVE, 1, -1, false, &op);
	if (status)
		goto out;
	status = sept_state_check(TDH_MEM_SEPT_REMOVE, regs, op.w.value, op.level);
	if (status)
		goto out;
	status = removal_check(regs, &op, PT_4KB, sept_state_is_any_blocked(op.w.value), &target);
	if (status)
		goto out;
	table = phys_seam_va(sept_hpa(op.w.value));
	for (unsigned int i = 0; i < SEPT_ENTRIES; i++) {
		if (!sept_state_is_free(__atomic_load_n(&table[i], __ATOMIC_ACQUIRE))) {
			sept_details(regs, op.w.value, op.level);
			status = TDX_EPT_PAGE_NOT_FREE + TDX_OPERAND_ID_RCX;
			goto out;
		}
	}
	/* All checks passed */
	__atomic_sub_fetch(&op.tdr->chldcnt, 1, __ATOMIC_RELAXED);
	removal_commit(regs, &op, target, _4K);
out:
	if (target)
		pamt_unlock(target, true);
	sept_op_end(&op);
	return status;
}
