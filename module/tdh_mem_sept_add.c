// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.SEPT.ADD: link a new Secure EPT page below the entry at RCX = GPA | level [M
 * tdh_mem_sept_add.c; facts §1.1, §10]. RDX = TDR, R8 = the new page. Level L names the
 * entry that will point to the page, so the page holds level L-1 entries: L = 1 adds a
 * table of 4K entries. RCX/RDX return the entry and level where a walk failed.
 */
#include "td.h"

uint64_t tdh_mem_sept_add(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t gpa_level = regs[REG_RCX_], tdr_pa = regs[REG_RDX_], page_pa = regs[REG_R8_];
	struct page_ref tdr_ref, page;
	struct sept_walk w;
	struct tdcs *tdcs;
	struct tdr *tdr;
	unsigned int level;
	uint64_t status, gpa;

	(void)version;
	(void)lp;
	regs[REG_RCX_] = 0;
	regs[REG_RDX_] = 0;
	status = tdr_get(tdr_pa, TDX_OPERAND_ID_RDX, false, &tdr_ref, &tdr);
	if (status)
		return status;
	status = td_state_check(tdr, 1U << OP_STATE_INITIALIZED | 1U << OP_STATE_RUNNABLE);
	if (status)
		goto out;
	tdcs = tdcs_of(tdr);
	status = gpa_level_check(tdcs, gpa_level, tdcs->ept_levels - 1, TDX_OPERAND_ID_RCX, &gpa,
				 &level);
	if (!status && level == 0)
		status = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	if (status)
		goto out;
	if (!mutex_try(&tdcs->sept_lock)) {
		status = TDX_OPERAND_BUSY + TDX_OPERAND_ID_SEPT_TREE;
		goto out;
	}
	sept_walk(tdr, gpa, level, &w);
	if (w.level != level) {
		regs[REG_RCX_] = sept_arch_entry(w.value, w.level);
		regs[REG_RDX_] = sept_arch_level_info(w.value, w.level);
		status = TDX_EPT_WALK_FAILED + TDX_OPERAND_ID_RCX;
		goto unlock;
	}
	if (sept_state(w.value) != SEPT_FREE) {
		regs[REG_RCX_] = sept_arch_entry(w.value, w.level);
		regs[REG_RDX_] = sept_arch_level_info(w.value, w.level);
		status = TDX_EPT_ENTRY_NOT_FREE + TDX_OPERAND_ID_RCX;
		goto unlock;
	}
	status = page_get(page_pa, PT_NDA, 0, true, TDX_OPERAND_ID_R8, &page);
	if (status)
		goto unlock;
	page_assign(&page, PT_EPT, tdr_ref.pa);
	__atomic_store_n(w.entry, page.pa | SEPT_TABLE, __ATOMIC_RELEASE);
	__atomic_add_fetch(&tdr->chldcnt, 1, __ATOMIC_RELAXED);
	page_put(&page);
unlock:
	mutex_release(&tdcs->sept_lock);
out:
	page_put(&tdr_ref);
	return status;
}
