// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.PAGE.AUG: add a free 4K page or 2M range to a TD as a PENDING leaf, which the guest
 * must TDG.MEM.PAGE.ACCEPT before it can use it [M tdh_mem_page_aug.c; ABI §1.1].
 * RCX = GPA | level (0 or 1), RDX = TDR, R8 = the page (2M-aligned for level 1). RCX/RDX
 * return the SEPT entry details on a walk or state error.
 *
 * Order of checks as in 1.5.01: TDR (shared) → TD state (INITIALIZED or RUNNABLE) → GPA|level
 * → SEPT lock → walk to the level (EPT_WALK_FAILED|RCX) → entry FREE (EPT_ENTRY_STATE_
 * INCORRECT|RCX) → the page (free range, R8). The page is hidden from the host and zeroed;
 * the TD window does not map it until it is accepted.
 */
#include "td.h"

uint64_t tdh_mem_page_aug_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t page_pa = regs[REG_R8_], status;
	struct range_ref page;
	struct sept_op op;

	(void)version;
	(void)lp;
	status = sept_op_begin(regs, regs[REG_RDX_], TDH_MEM_PAGE_AUG, 0, 1, false, &op);
	if (status)
		goto out;
	status = sept_state_check(TDH_MEM_PAGE_AUG, regs, op.w.value, op.level);
	if (status)
		goto out;
	status = free_range_get(page_pa, op.level, TDX_OPERAND_ID_R8, &page);
	if (status)
		goto out;
	/* All checks passed */
	pages_hide(page.pa, tdx_ps_bytes(op.level));
	__atomic_store_n(&page.pamt->pt, (uint8_t)PT_REG, __ATOMIC_RELEASE);
	pamt_set_owner(page.pamt, op.tdr_ref.pa);
	page.pamt->bepoch = 0;
	__atomic_store_n(op.w.entry, page.pa | SEPT_PENDING, __ATOMIC_RELEASE);
	__atomic_add_fetch(&op.tdr->chldcnt, 1ULL << (9 * op.level), __ATOMIC_RELAXED);
	free_range_put(&page);
out:
	sept_op_end(&op);
	return status;
}
