// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.PAGE.DEMOTE: split a 2M leaf into 512 4K leaves (or a 1G leaf into 512 2M ones)
 * held by a new Secure EPT page [M tdh_mem_page_demote.c, pamt_manager.c pamt_demote,
 * sept_state_lookup.c row 15, op_state_lookup.c row 15]. RCX = GPA | level (1 or 2), RDX =
 * TDR | flags (bit 0 L2_SEPT_ADD_MODE; bits 11:1 and 63:52 reserved), R8 = the new SEPT page;
 * R9-R11 the L2 SEPT pages, unused without L2 VMs (and returned as given). RCX/RDX = 0, or
 * the entry details on a walk or state error.
 *
 * Order of checks as in 1.5.01: RDX reserved bits (OPERAND_INVALID|RDX) → TDR (shared) → TD
 * state (INITIALIZED or RUNNABLE) → GPA|level (levels 1..2, private: OPERAND_INVALID|RCX) →
 * SEPT lock → walk to the level (EPT_WALK_FAILED|RCX) → the entry a leaf: MAPPED, BLOCKED,
 * PENDING or PENDING_BLOCKED (EPT_ENTRY_STATE_INCORRECT|RCX) → in a RUNNABLE TD, blocked
 * (GPA_RANGE_NOT_BLOCKED|RCX) and TLB-tracked (TLB_TRACKING_NOT_DONE|RCX) → the new page
 * (free 4K page: OPERAND_INVALID / OPERAND_BUSY / PAGE_METADATA_INCORRECT | R8) → the leaf's
 * PAMT entry locked (OPERAND_BUSY|RCX).
 *
 * Commit: the new page holds 512 leaves over the same range, each in the leaf's state
 * unblocked (BLOCKED → MAPPED, PENDING_BLOCKED → PENDING); the entry becomes a table
 * pointing to it (NL_MAPPED); the new page is PT_EPT of the TD (child count + 1); the
 * leaf's PAMT entry goes to the 512 entries below it (PT_REG, the TD, BEPOCH 0) and becomes
 * NDA. The TD window maps the MAPPED small pages again.
 */
#include "td.h"

#define DEMOTE_L2_SEPT_ADD_MODE 1ULL
#define DEMOTE_RDX_RESERVED	(0xFFEULL | 0xFFF0000000000000ULL)

uint64_t tdh_mem_page_demote_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t rdx = regs[REG_RDX_], status, e, hpa, child_size, *table;
	unsigned int child_state, child;
	struct pamt_entry *target;
	struct page_ref page = {0};
	struct sept_op op;

	(void)version;
	(void)lp;
	if (rdx & DEMOTE_RDX_RESERVED) {
		regs[REG_RCX_] = 0;
		regs[REG_RDX_] = 0;
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX;
	}
	status = sept_op_begin(regs, rdx & ~DEMOTE_L2_SEPT_ADD_MODE, TDH_MEM_PAGE_DEMOTE, 1, 2,
			       false, &op);
	if (status)
		goto out;
	e = op.w.value;
	status = sept_state_check(TDH_MEM_PAGE_DEMOTE, regs, e, op.level);
	if (status)
		goto out;
	hpa = sept_hpa(e);
	target = pamt_entry_get(hpa, (enum pamt_level)op.level);
	if (op_state_tlb_tracking_required(op.tdr->op_state)) {
		if (!sept_state_is_any_blocked(e)) {
			sept_details(regs, e, op.level);
			status = TDX_GPA_RANGE_NOT_BLOCKED + TDX_OPERAND_ID_RCX;
			goto out;
		}
		if (!tlb_tracked(op.tdcs, __atomic_load_n(&target->bepoch, __ATOMIC_ACQUIRE))) {
			status = TDX_TLB_TRACKING_NOT_DONE + TDX_OPERAND_ID_RCX;
			goto out;
		}
	}
	status = page_get(regs[REG_R8_], PT_NDA, 0, true, TDX_OPERAND_ID_R8, &page);
	if (status)
		goto out;
	if (!pamt_lock(target, true)) {
		status = TDX_OPERAND_BUSY + TDX_OPERAND_ID_RCX;
		goto out;
	}

	/* All checks passed */
	child = op.level - 1;
	child_size = tdx_ps_bytes(child);
	child_state = sept_state_unblocked(sept_state(e));
	page_assign(&page, PT_EPT, op.tdr_ref.pa);
	table = phys_seam_va(page.pa);
	for (unsigned int i = 0; i < SEPT_ENTRIES; i++) {
		struct pamt_entry *c = pamt_entry_get(hpa + i * child_size, (enum pamt_level)child);

		table[i] = (hpa + i * child_size) | child_state;
		c->pt = PT_REG;
		pamt_set_owner(c, op.tdr_ref.pa);
		c->bepoch = 0;
	}
	__atomic_store_n(&target->pt, (uint8_t)PT_NDA, __ATOMIC_RELEASE);
	pamt_set_owner(target, 0);
	target->bepoch = 0;
	pamt_unlock(target, true);
	__atomic_store_n(op.w.entry, page.pa | SEPT_TABLE, __ATOMIC_RELEASE);
	__atomic_add_fetch(&op.tdr->chldcnt, 1, __ATOMIC_RELAXED);
	sept_sync_subtree(op.tdcs, page.pa, child, op.gpa, true);
out:
	if (page.pamt)
		page_put(&page);
	sept_op_end(&op);
	return status;
}
