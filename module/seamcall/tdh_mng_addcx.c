// SPDX-License-Identifier: MIT
/*
 * TDH.MNG.ADDCX: add one TDCS page to a TD [M tdh_mng_addcx.c; ABI §1.1, §7]. RCX = the
 * page, RDX = TDR. Needs KEYS_CONFIGURED and an uninitialised TD; at most
 * TDCS_BASE_SIZE / 4K pages.
 */
#include "td.h"

uint64_t tdh_mng_addcx_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	struct page_ref tdr_ref, page;
	struct tdr *tdr;
	uint64_t status;

	(void)version;
	(void)lp;
	status = tdr_get(regs[REG_RDX_], TDX_OPERAND_ID_RDX, true, &tdr_ref, &tdr);
	if (status)
		return status;
	status = td_state_check(tdr, TDH_MNG_ADDCX);
	if (status)
		goto out;
	if (tdr->num_tdcx >= MAX_TDCS_PAGES) {
		status = TDX_TDCX_NUM_INCORRECT;
		goto out;
	}
	status = page_get(regs[REG_RCX_], PT_NDA, 0, true, TDX_OPERAND_ID_RCX, &page);
	if (status)
		goto out;
	page_assign(&page, PT_TDCX, tdr_ref.pa);
	tdr->tdcx_pa[tdr->num_tdcx++] = page.pa;
	tdr->chldcnt++;
	page_put(&page);
out:
	page_put(&tdr_ref);
	return status;
}
