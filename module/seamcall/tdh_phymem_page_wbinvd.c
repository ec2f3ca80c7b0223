// SPDX-License-Identifier: MIT
/*
 * TDH.PHYMEM.PAGE.WBINVD: write back and invalidate the cache lines of one reclaimed page
 * under a KeyID [M tdh_phymem_page_wbinvd.c; ABI §1.1]. RCX = the HPA with the KeyID in its
 * KeyID bits (Linux: the global KeyID for a TDR, the TD's HKID for its other pages). Without
 * the KeyID bits it must be a free (NDA) 4K page of a TDMR: OPERAND_INVALID|RCX,
 * OPERAND_BUSY|RCX or PAGE_METADATA_INCORRECT|RCX otherwise. tdxsim has no cache to flush.
 */
#include "td.h"

uint64_t tdh_phymem_page_wbinvd_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	struct page_ref page;
	uint64_t status;

	(void)version;
	(void)lp;
	status = page_get(regs[REG_RCX_] & ~tdxm.hkid_mask, PT_NDA, 0, false, TDX_OPERAND_ID_RCX,
			  &page);
	if (status)
		return status;
	page_put(&page);
	return TDX_SUCCESS;
}
