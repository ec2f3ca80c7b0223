// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.PAGE.ADD: copy a host page into a new private 4K page of a TD being built, and
 * measure its GPA [M tdh_mem_page_add.c; facts §1.1, §9]. RCX = GPA (level 0), RDX = TDR,
 * R8 = the target page, R9 = the source (ordinary host memory). Before TDH.MR.FINALIZE only.
 * The contents are measured separately, by TDH.MR.EXTEND.
 */
#include <string.h>

#include "td.h"

uint64_t tdh_mem_page_add(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t gpa_level = regs[REG_RCX_], tdr_pa = regs[REG_RDX_];
	uint64_t page_pa = regs[REG_R8_], src_pa = regs[REG_R9_];
	struct page_ref tdr_ref, page;
	struct sept_walk w;
	struct tdcs *tdcs;
	struct tdr *tdr;
	const void *src;
	unsigned int level;
	uint64_t status, gpa, e;

	(void)version;
	(void)lp;
	regs[REG_RCX_] = 0;
	regs[REG_RDX_] = 0;
	status = tdr_get(tdr_pa, TDX_OPERAND_ID_RDX, false, &tdr_ref, &tdr);
	if (status)
		return status;
	status = td_state_check(tdr, 1U << OP_STATE_INITIALIZED);
	if (status)
		goto out;
	tdcs = tdcs_of(tdr);
	status = gpa_level_check(tdcs, gpa_level, 0, TDX_OPERAND_ID_RCX, &gpa, &level);
	if (status)
		goto out;
	if (gpa & tdcs->shared_bit) {
		status = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
		goto out;
	}
	src = shared_hpa_ok(src_pa, _4K) ? seam_map(src_pa, _4K) : NULL;
	if (!src) {
		status = TDX_OPERAND_INVALID + TDX_OPERAND_ID_R9;
		goto out;
	}
	if (!mutex_try(&tdcs->sept_lock)) {
		status = TDX_OPERAND_BUSY + TDX_OPERAND_ID_SEPT_TREE;
		goto out;
	}
	sept_walk(tdr, gpa, 0, &w);
	if (w.level != 0 || sept_state(w.value) != SEPT_FREE) {
		regs[REG_RCX_] = sept_arch_entry(w.value, w.level);
		regs[REG_RDX_] = sept_arch_level_info(w.value, w.level);
		status = (w.level != 0 && !sept_is_leaf(w.value) ? TDX_EPT_WALK_FAILED
								 : TDX_EPT_ENTRY_NOT_FREE) +
			 TDX_OPERAND_ID_RCX;
		goto unlock;
	}
	status = page_get(page_pa, PT_NDA, 0, true, TDX_OPERAND_ID_R8, &page);
	if (status)
		goto unlock;
	page_assign(&page, PT_REG, tdr_ref.pa);
	memcpy(phys_seam_va(page.pa), src, _4K);
	mrtd_extend_block(tdcs, TDX_MR_TAG_MEM_PAGE_ADD, gpa, NULL, 0);
	e = page.pa | SEPT_MAPPED;
	__atomic_store_n(w.entry, e, __ATOMIC_RELEASE);
	sept_sync_window(tdcs, gpa, 0, e);
	__atomic_add_fetch(&tdr->chldcnt, 1, __ATOMIC_RELAXED);
	page_put(&page);
unlock:
	mutex_release(&tdcs->sept_lock);
out:
	page_put(&tdr_ref);
	return status;
}
