// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.PAGE.PROMOTE: merge the 512 leaves of a Secure EPT page into one 2M leaf (or 1G,
 * from 2M leaves) and free the page [M tdh_mem_page_promote.c, pamt_manager.c pamt_promote,
 * sept_state_lookup.c row 23]. RCX = GPA | level (1 or 2) of the entry pointing to the page,
 * RDX = TDR. Versions 0 and 1; version 1 returns R9-R11 = the freed L2 SEPT pages, all
 * NULL_PA (-1) without L2 VMs. On success RCX = the freed SEPT page (the host's again: NDA),
 * RDX = 0; on a walk, state or merge error RCX/RDX = the entry details, else 0.
 *
 * Order of checks as in 1.5.01: TDR (shared) → TD state (INITIALIZED or RUNNABLE) →
 * GPA|level (levels 1..2, private: OPERAND_INVALID|RCX) → SEPT lock → walk to the level
 * (EPT_WALK_FAILED|RCX) → the entry a table: NL_MAPPED or NL_BLOCKED
 * (EPT_ENTRY_STATE_INCORRECT|RCX) → the SEPT page's PAMT entry locked (OPERAND_BUSY|RCX) → in
 * a RUNNABLE TD, the table blocked (GPA_RANGE_NOT_BLOCKED|RCX) and TLB-tracked
 * (TLB_TRACKING_NOT_DONE|RCX) → the 512 entries mergeable: the first MAPPED or PENDING and
 * its page aligned to the merged size, every other one the same state over the next page
 * (EPT_INVALID_PROMOTE_CONDITIONS|RCX) → the merged range's PAMT entry locked
 * (OPERAND_BUSY|RCX).
 *
 * Commit: the entry becomes the first small entry's state over the whole range (so a
 * promoted range is MAPPED or PENDING, not blocked); the large PAMT entry takes the pages
 * (PT_REG, the TD) and the 512 small entries become NDA; the SEPT page leaves the TD (child
 * count - 1) and returns to the host zeroed. The TD window maps the merged range if MAPPED.
 */
#include "td.h"

uint64_t tdh_mem_page_promote_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	struct pamt_entry *sept_pamt = NULL, *big;
	uint64_t status, e, first, sept_pa, size, child_size, leaf;
	const uint64_t *table;
	unsigned int child;
	struct sept_op op;

	(void)lp;
	if (version > 0) {
		regs[REG_R9_] = ~0ULL; /* NULL_PA: no L2 SEPT page freed */
		regs[REG_R10_] = ~0ULL;
		regs[REG_R11_] = ~0ULL;
	}
	status = sept_op_begin(regs, regs[REG_RDX_], TDH_MEM_PAGE_PROMOTE, 1, 2, false, &op);
	if (status)
		goto out;
	e = op.w.value;
	status = sept_state_check(TDH_MEM_PAGE_PROMOTE, regs, e, op.level);
	if (status)
		goto out;
	sept_pa = sept_hpa(e);
	sept_pamt = pamt_entry_get(sept_pa, PT_4KB);
	if (!pamt_lock(sept_pamt, true)) {
		sept_pamt = NULL;
		status = TDX_OPERAND_BUSY + TDX_OPERAND_ID_RCX;
		goto out;
	}
	if (op_state_tlb_tracking_required(op.tdr->op_state)) {
		if (!sept_state_is_any_blocked(e)) {
			sept_details(regs, e, op.level);
			status = TDX_GPA_RANGE_NOT_BLOCKED + TDX_OPERAND_ID_RCX;
			goto out;
		}
		if (!tlb_tracked(op.tdcs, sept_pamt->bepoch)) {
			status = TDX_TLB_TRACKING_NOT_DONE + TDX_OPERAND_ID_RCX;
			goto out;
		}
	}
	/* [M is_sept_page_valid_for_merge] */
	size = tdx_ps_bytes(op.level);
	child = op.level - 1;
	child_size = tdx_ps_bytes(child);
	table = phys_seam_va(sept_pa);
	first = __atomic_load_n(&table[0], __ATOMIC_ACQUIRE);
	status = TDX_SUCCESS;
	if (!is_aligned(sept_hpa(first), size) ||
	    (!sept_state_is_leaf_mapped(first) && !sept_state_is_pending(first)))
		status = TDX_EPT_INVALID_PROMOTE_CONDITIONS + TDX_OPERAND_ID_RCX;
	for (unsigned int i = 1; i < SEPT_ENTRIES && !status; i++)
		if (__atomic_load_n(&table[i], __ATOMIC_ACQUIRE) != first + i * child_size)
			status = TDX_EPT_INVALID_PROMOTE_CONDITIONS + TDX_OPERAND_ID_RCX;
	if (status) {
		sept_details(regs, e, op.level);
		goto out;
	}
	big = pamt_entry_get(sept_hpa(first), (enum pamt_level)op.level);
	if (!pamt_lock(big, true)) {
		status = TDX_OPERAND_BUSY + TDX_OPERAND_ID_RCX;
		goto out;
	}

	/* All checks passed [M pamt_promote]: the large entry first, then the small ones */
	big->pt = PT_REG;
	pamt_set_owner(big, op.tdr_ref.pa);
	big->bepoch = 0;
	for (unsigned int i = 0; i < SEPT_ENTRIES; i++) {
		struct pamt_entry *c =
			pamt_entry_get(sept_hpa(first) + i * child_size, (enum pamt_level)child);

		__atomic_store_n(&c->pt, (uint8_t)PT_NDA, __ATOMIC_RELEASE);
		pamt_set_owner(c, 0);
		c->bepoch = 0;
	}
	pamt_unlock(big, true);
	leaf = sept_hpa(first) | sept_state(first);
	__atomic_store_n(op.w.entry, leaf, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&op.tdr->chldcnt, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&sept_pamt->pt, (uint8_t)PT_NDA, __ATOMIC_RELEASE);
	pamt_set_owner(sept_pamt, 0);
	sept_pamt->bepoch = 0;
	pages_unhide(sept_pa, _4K);
	sept_sync_window(op.tdcs, op.gpa, op.level, leaf);
	regs[REG_RCX_] = sept_pa;
out:
	if (sept_pamt)
		pamt_unlock(sept_pamt, true);
	sept_op_end(&op);
	return status;
}
