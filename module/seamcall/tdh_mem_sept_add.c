// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.SEPT.ADD: link a new Secure EPT page below the entry at RCX = GPA | level [M
 * tdh_mem_sept_add.c; ABI §1.1, §10]. RDX = TDR, R8 = the new page. Level L names the
 * entry that will point to the page, so the page holds level L-1 entries: L = 1 adds a
 * table of 4K entries. RCX/RDX return the entry and level where a walk failed.
 */
#include "td.h"

uint64_t tdh_mem_sept_add_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t page_pa = regs[REG_R8_];
	struct page_ref page;
	struct sept_op op;
	uint64_t status;

	(void)version;
	(void)lp;
	status = sept_op_begin(regs, regs[REG_RDX_], TDH_MEM_SEPT_ADD, 1, -1, false, &op);
	if (status)
		goto out;
	status = sept_state_check(TDH_MEM_SEPT_ADD, regs, op.w.value, op.level);
	if (status)
		goto out;
	status = page_get(page_pa, PT_NDA, 0, true, TDX_OPERAND_ID_R8, &page);
	if (status)
		goto out;
	page_assign(&page, PT_EPT, op.tdr_ref.pa);
	__atomic_store_n(op.w.entry, page.pa | SEPT_TABLE, __ATOMIC_RELEASE);
	__atomic_add_fetch(&op.tdr->chldcnt, 1, __ATOMIC_RELAXED);
	page_put(&page);
out:
	sept_op_end(&op);
	return status;
}
