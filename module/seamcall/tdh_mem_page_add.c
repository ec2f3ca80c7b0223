// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.PAGE.ADD: copy a host page into a new private 4K page of a TD being built, and
 * measure its GPA [M tdh_mem_page_add.c; ABI §1.1, §9]. RCX = GPA (level 0), RDX = TDR,
 * R8 = the target page, R9 = the source (ordinary host memory). Before TDH.MR.FINALIZE only.
 * The contents are measured separately, by TDH.MR.EXTEND.
 */
#include <sys/mman.h>

#include "td.h"

uint64_t tdh_mem_page_add_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t page_pa = regs[REG_R8_], src_pa = regs[REG_R9_], e;
	struct page_ref page;
	struct sept_op op;
	const void *src;
	uint64_t status;

	(void)version;
	(void)lp;
	status = sept_op_begin(regs, regs[REG_RDX_], TDH_MEM_PAGE_ADD, 0, 0, false, &op);
	if (status)
		goto out;
	status = sept_state_check(TDH_MEM_PAGE_ADD, regs, op.w.value, op.level);
	if (status)
		goto out;
	src = shared_hpa_ok(src_pa, _4K) ? seam_map(src_pa, _4K) : NULL;
	if (!src) {
		status = TDX_OPERAND_INVALID + TDX_OPERAND_ID_R9;
		goto out;
	}
	status = page_get(page_pa, PT_NDA, 0, true, TDX_OPERAND_ID_R8, &page);
	if (status)
		goto out;
	page_assign_copy(&page, PT_REG, op.tdr_ref.pa, src);
	mrtd_extend_block(op.tdcs, TDX_MR_TAG_MEM_PAGE_ADD, op.gpa, NULL, 0);
	e = page.pa | SEPT_MAPPED;
	__atomic_store_n(op.w.entry, e, __ATOMIC_RELEASE);
	/* No guest code runs before TDH.MR.FINALIZE, which flushes: a run of adds is one mmap. */
	if (op.tdcs->window)
		td_window_map_deferred(op.tdcs->window, op.gpa, false, page.pa,
				       PROT_READ | PROT_WRITE | PROT_EXEC);
	__atomic_add_fetch(&op.tdr->chldcnt, 1, __ATOMIC_RELAXED);
	page_put(&page);
out:
	sept_op_end(&op);
	return status;
}
